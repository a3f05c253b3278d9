import MirageCore

/// The keyed functions that make a connection's numbers unguessable: initial sequence numbers
/// (RFC 6528), timestamp offsets (RFC 7323 section 7.1), ephemeral ports (RFC 6056 algorithm 3)
/// and SYN cookies (RFC 4987 section 3.6). The key comes from the entropy source once, at start.
public struct ConnectionSecrets: Sendable {
    let key: (UInt64, UInt64)
    let local: IPv4Address

    public init(key: (UInt64, UInt64), local: IPv4Address) {
        self.key = key
        self.local = local
    }

    func hash(_ id: ConnectionID, purpose: UInt16, extra: UInt32 = 0) -> UInt64 {
        var hasher = SipHasher(key: key)
        hasher.combine(purpose)
        hasher.combine(local.value)
        hasher.combine(id.localPort)
        switch id.remoteAddress {
        case let .v4(address): hasher.combine(address.value)
        case let .v6(address):
            hasher.combine(address.high)
            hasher.combine(address.low)
        }
        hasher.combine(id.remotePort)
        hasher.combine(extra)
        return hasher.finalize()
    }

    /// ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs timer
    /// (RFC 6528 section 3).
    func initialSequence(for id: ConnectionID, now: Instant) -> SequenceNumber {
        let timer = UInt32(truncatingIfNeeded: now.nanoseconds / 4000)
        return SequenceNumber(timer &+ UInt32(truncatingIfNeeded: hash(id, purpose: 1)))
    }

    /// A per-connection offset for TSval, so timestamps reveal no uptime (RFC 7323 section 7.1).
    func timestampOffset(for id: ConnectionID) -> UInt32 {
        UInt32(truncatingIfNeeded: hash(id, purpose: 2))
    }

    /// The offset RFC 6056's algorithm 3 starts its ephemeral-port search from for a peer.
    func portOffset(remote: IPAddress, remotePort: UInt16) -> UInt32 {
        UInt32(truncatingIfNeeded: hash(ConnectionID(remoteAddress: remote, remotePort: remotePort, localPort: 0), purpose: 3))
    }

    /// The offset the search for an ephemeral UDP port starts from: one for all peers, since a
    /// bound port serves every peer.
    func datagramPortOffset() -> UInt32 {
        UInt32(truncatingIfNeeded: hash(ConnectionID(remoteAddress: .any, remotePort: 0, localPort: 0), purpose: 5))
    }

    /// A keyed pseudo-random number for the `counter`th draw, where the stack core needs one
    /// (the delay of a response to a multicast listener query) and takes no entropy of its own.
    func jitter(_ counter: UInt32) -> UInt64 {
        hash(ConnectionID(remoteAddress: .any, remotePort: 0, localPort: 0), purpose: 6, extra: counter)
    }

    /// What a core seeds itself with at start (first IP identifications, the generator of IPv6
    /// probe delays): a keyed hash, so what these reveal on the wire tells nothing of the key.
    enum Seed: UInt32 {
        case ipv4Identification, ipv6Identification, ipv6Interface
    }

    func seed(_ use: Seed) -> UInt64 {
        hash(ConnectionID(remoteAddress: .any, remotePort: 0, localPort: 0), purpose: 7, extra: use.rawValue)
    }
}
