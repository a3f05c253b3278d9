/// Turns host names into addresses (MirageOS's `Dns_client` as a device): a DNS stub resolver
/// (`MirageDNS.DNSStubResolver`) over either stack. Clients that connect by name (the HTTP
/// client, the TLS client) take one.
public protocol NameResolver: AnyObject {
    /// The addresses of `host`, in the order to try them; a literal address is returned as it is.
    func addresses(of host: String) async throws(NameResolutionError) -> [IPAddress]
}

/// Why a host name gave no address.
public enum NameResolutionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The name is not a domain name.
    case invalidName(String)
    /// The name does not exist (NXDOMAIN).
    case noSuchName(String)
    /// The name exists and has no address of either family.
    case noAddresses(String)
    /// No resolver is known to ask.
    case noServers
    /// No resolver answered in time.
    case timedOut
    /// The resolvers failed, as described.
    case failed(String)

    public var description: String {
        switch self {
        case let .invalidName(name): "'\(name)' is not a host name"
        case let .noSuchName(name): "\(name) does not exist"
        case let .noAddresses(name): "\(name) has no address"
        case .noServers: "no DNS resolver is known (give one with --resolver=ADDRESS, or get one from DHCP)"
        case .timedOut: "no DNS resolver answered in time"
        case let .failed(reason): reason
        }
    }
}

/// A stack that learnt which DNS resolvers its network offers: ours from its DHCP lease
/// (RFC 2132 section 3.8), the host's sockets from `/etc/resolv.conf`.
public protocol NameServerSource: AnyObject {
    /// The resolvers, in the order to ask them; empty when none is known.
    var nameServers: [IPAddress] { get }
}

/// A TCP stack whose connections carry the name of the server they were made for: TLS sends
/// it in SNI (RFC 6066 section 3) and checks the server's certificate against it (RFC 9525).
/// Clients that connect by name (the HTTP client) pass it on.
public protocol ServerNameConnecting: TCPStack {
    /// Connects to `remote`, a server that should be `serverName`.
    func connect(to remote: Endpoint, serverName: String) async throws(FlowError) -> Connection
}
