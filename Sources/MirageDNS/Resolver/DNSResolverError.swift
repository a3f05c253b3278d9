import MirageCore

/// Why a stub resolver gave no answer.
public enum DNSResolverError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The name is not a domain name (too long, an empty label, a bad escape).
    case invalidName(String)
    /// No resolver is known: none was given with `--resolver=` and DHCP gave none.
    case noServers
    /// No resolver answered in time, after every attempt at each of them.
    case timedOut
    /// Every resolver that answered failed with this response code (SERVFAIL, REFUSED, ...).
    case serverFailure(DNSResponseCode)
    /// The name does not exist (NXDOMAIN).
    case nameDoesNotExist(DNSName)
    /// The aliases of a name lead back to one of them.
    case aliasLoop(DNSName)
    /// The aliases of a name go on for more than ``DNSAnswer/maximumChainLength`` steps.
    case aliasChainTooLong(DNSName)
    /// A query could not be sent (no route, no source address), or its answer over TCP did not
    /// come whole.
    case transport(FlowError)

    public var description: String {
        switch self {
        case let .invalidName(text): "'\(text)' is not a domain name"
        case .noServers: "no DNS resolver is known (give one with --resolver=ADDRESS, or get one from DHCP)"
        case .timedOut: "no DNS resolver answered in time"
        case let .serverFailure(code): "the DNS resolvers failed: \(code)"
        case let .nameDoesNotExist(name): "\(name) does not exist (NXDOMAIN)"
        case let .aliasLoop(name): "the aliases of \(name) form a loop"
        case let .aliasChainTooLong(name): "the aliases of \(name) go on for more than \(DNSAnswer.maximumChainLength) steps"
        case let .transport(error): "the DNS resolvers could not be reached: \(error)"
        }
    }

    /// The same failure as a ``NameResolutionError``, for ``NameResolver`` users.
    public var nameResolutionError: NameResolutionError {
        switch self {
        case let .invalidName(text): .invalidName(text)
        case let .nameDoesNotExist(name): .noSuchName(name.description)
        case .noServers: .noServers
        case .timedOut, .transport: .timedOut
        default: .failed(description)
        }
    }
}
