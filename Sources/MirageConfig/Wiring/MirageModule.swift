/// The swift-mirage library modules that generated wiring imports and build packages depend on.
///
/// Each module's name is written here once; device kinds, targets and the wiring generator name
/// the cases. The order of the cases is the order of a build package's dependencies.
package enum MirageModule: String, CaseIterable, Sendable {
    /// The scheduler and boot: every unikernel's wiring imports it.
    case runtime = "MirageRuntime"
    /// The device protocols; `crunched.swift` imports it.
    case core = "MirageCore"
    /// Our TCP/IP stack.
    case net = "MirageNet"
    /// The hvt guest's network device and the stack over it.
    case hvtNet = "MirageHVTGuestNet"
    /// Key-value stores: crunch and tar.
    case kv = "MirageKV"
    case http = "MirageHTTP"
    case dns = "MirageDNS"
    /// Cryptography over BearSSL; the guest links BearSSL in any case (its generator).
    case crypto = "MirageCrypto"
    /// TLS over MirageCrypto.
    case tls = "MirageTLS"
    /// The unix platform.
    case unix = "MirageUnix"
    /// The hvt guest platform.
    case hvt = "MirageHVTGuest"

    /// The module's name, as `import` and SwiftPM write it.
    package var name: String { rawValue }
}
