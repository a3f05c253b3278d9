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
        let addresses: [IPAddress]
        do { addresses = try await resolver.addresses(of: host) } catch { throw .resolution(error) }
        var failure = FlowError.unreachable
        for address in addresses {
            do {
                let connection = try await stack.connect(to: Endpoint(address, port: port))
                self.init(connection: connection, host: Self.host(name: host, port: port), limits: limits)
                return
            } catch {
                failure = error
            }
        }
        throw .flow(failure)
    }

    /// The `Host` value for `name` on `port` (RFC 9110 section 7.2): the port only when not 80,
    /// an IPv6 literal in brackets.
    static func host(name: String, port: UInt16) -> String {
        let bracketed = IPv6Address(name) != nil ? "[\(name)]" : name
        return port == 80 ? bracketed : "\(bracketed):\(port)"
    }
}
