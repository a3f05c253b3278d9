import MirageCore

extension HTTPClient {
    /// A client over a new connection to `host` (a name or a literal address) on `port`, its
    /// addresses from `resolver`, tried in the order given until one connects.
    /// - Throws: ``HTTPClientError/resolution(_:)`` when the name gives no address;
    ///   ``HTTPClientError/flow(_:)`` with the last address's failure when none connects.
    public convenience init<Stack: TCPStack, Resolver: NameResolver>(
        connectingWith stack: Stack, to host: String, port: UInt16 = 80, resolvingWith resolver: Resolver,
        limits: HTTPLimits = HTTPLimits()
    ) async throws(HTTPClientError) where Stack.Connection == Connection {
        let connection = try await Self.connect(to: host, port: port, resolvingWith: resolver) { endpoint throws(FlowError) in
            try await stack.connect(to: endpoint)
        }
        self.init(connection: connection, host: Self.host(name: host, port: port), limits: limits)
    }

    /// The same over a stack that tells its connections the server's name (HTTPS over a
    /// `TLSStack`: the name goes in SNI and is checked against the certificate; a literal
    /// address is checked against the certificate's addresses).
    public convenience init<Stack: ServerNameConnecting, Resolver: NameResolver>(
        connectingWith stack: Stack, to host: String, port: UInt16 = 443, resolvingWith resolver: Resolver,
        limits: HTTPLimits = HTTPLimits()
    ) async throws(HTTPClientError) where Stack.Connection == Connection {
        let connection = try await Self.connect(to: host, port: port, resolvingWith: resolver) { endpoint throws(FlowError) in
            try await stack.connect(to: endpoint, serverName: host)
        }
        self.init(connection: connection, host: Self.host(name: host, port: port, defaultPort: 443), limits: limits)
    }

    private static func connect<Resolver: NameResolver>(
        to host: String, port: UInt16, resolvingWith resolver: Resolver,
        _ connect: (Endpoint) async throws(FlowError) -> Connection
    ) async throws(HTTPClientError) -> Connection {
        let addresses: [IPAddress]
        do { addresses = try await resolver.addresses(of: host) } catch { throw .resolution(error) }
        var failure = FlowError.unreachable
        for address in addresses {
            do {
                return try await connect(Endpoint(address, port: port))
            } catch {
                failure = error
            }
        }
        throw .flow(failure)
    }

    /// The `Host` value for `name` on `port` (RFC 9110 section 7.2): the port only when not the
    /// scheme's default, an IPv6 literal in brackets.
    static func host(name: String, port: UInt16, defaultPort: UInt16 = 80) -> String {
        let bracketed = IPv6Address(name) != nil ? "[\(name)]" : name
        return port == defaultPort ? bracketed : "\(bracketed):\(port)"
    }
}
