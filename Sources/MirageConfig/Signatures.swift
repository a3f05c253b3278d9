/// A device signature: the role a device plays, matching a protocol of `MirageCore`.
///
/// Signatures are types so that the compiler checks the manifest: a `Device<Block>` cannot be
/// passed where the application's ``Main`` needs a `Console`.
public protocol Signature {
    /// The name the description uses, matching the `MirageCore` protocol.
    static var name: String { get }
}

/// A block device (`MirageCore.BlockDevice`).
public enum Block: Signature { public static var name: String { "BlockDevice" } }
/// A console (`MirageCore.Console`).
public enum Console: Signature { public static var name: String { "Console" } }
/// A source of random bytes (`MirageCore.EntropySource`).
public enum Entropy: Signature { public static var name: String { "EntropySource" } }
/// A monotonic clock (`MirageCore.MonotonicClock`).
public enum MonotonicTime: Signature { public static var name: String { "MonotonicClock" } }
/// A wall clock (`MirageCore.WallClock`).
public enum WallTime: Signature { public static var name: String { "WallClock" } }
/// A read-only key-value store (`MirageCore.KeyValueStore`).
public enum KV: Signature { public static var name: String { "KeyValueStore" } }
/// A writable key-value store (`MirageCore.WritableKeyValueStore`).
public enum WritableKV: Signature { public static var name: String { "WritableKeyValueStore" } }
/// An Ethernet device (`MirageCore.NetworkDevice`).
public enum Network: Signature { public static var name: String { "NetworkDevice" } }

/// A TCP/IP stack (`MirageCore.TCPStack & UDPStack`): our own over a network device, or the host's
/// sockets, as `configure --net=direct|socket` chooses (MirageOS's `stackv4v6`).
public enum Stack: Signature { public static var name: String { "TCPStack & UDPStack" } }

/// TCP whose connections are TLS sessions (`MirageCore.TCPStack`, a `MirageTLS.TLSStack` over a
/// stack): an application listens on it as on a TCP stack and its flows are TLS.
public enum TLS: Signature { public static var name: String { "TCPStack" } }

/// A DNS stub resolver (`MirageDNS.DNSResolving`, a `MirageCore.NameResolver` that also answers
/// any record type): names to addresses for clients, over a stack.
public enum Resolver: Signature { public static var name: String { "DNSResolving" } }
