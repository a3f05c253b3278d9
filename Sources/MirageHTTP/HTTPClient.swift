import MirageCore
import MirageRuntime

/// An HTTP/1.1 client over one connection (RFC 9112): the async shell around
/// ``HTTPRequestWriter`` and ``HTTPResponseParser``. Requests go one at a time, each response
/// read whole before ``send(_:)`` returns; the connection stays open between them (keep-alive,
/// section 9.3) until a response or a request says `Connection: close`, a response's body is
/// delimited by the end of the connection, a response switches protocols, or an exchange fails.
/// Then it is closed, and ``send(_:)`` fails with ``HTTPClientError/connectionClosed``.
///
/// The connection can be any ``Flow``: a TCP connection of any stack, or a TLS session over one.
public final class HTTPClient<Connection: Flow> {
    public let connection: Connection
    /// The `Host` of each request that does not set its own (RFC 9110 section 7.2).
    public let host: String
    /// Bounds on each response; ``HTTPLimits/bodyLength`` is the longest body accepted.
    public let limits: HTTPLimits
    /// Whether the connection can carry another request.
    public private(set) var isOpen = true
    private var parser: HTTPResponseParser
    /// Whether an exchange is under way.
    private var isSending = false

    /// A client over an open connection.
    /// - Parameter host: the server's name or address, with `:port` unless the port is 80.
    public init(connection: Connection, host: String, limits: HTTPLimits = HTTPLimits()) {
        self.connection = connection
        self.host = host
        self.limits = limits
        parser = HTTPResponseParser(limits: limits)
    }

    /// A client over a new connection to `endpoint` made by `stack`.
    /// - Parameter host: the `Host` to send; by default the endpoint's address, with the port
    ///   unless it is 80.
    /// - Throws: ``HTTPClientError/flow(_:)`` when the connection cannot be made.
    public convenience init<Stack: TCPStack>(connectingWith stack: Stack, to endpoint: Endpoint, host: String? = nil,
                                             limits: HTTPLimits = HTTPLimits()) async throws(HTTPClientError)
        where Stack.Connection == Connection {
        let connection: Connection
        do { connection = try await stack.connect(to: endpoint) } catch { throw .flow(error) }
        self.init(connection: connection, host: host ?? Self.host(of: endpoint), limits: limits)
    }

    /// The `Host` value for `endpoint` (RFC 9110 section 7.2, RFC 3986 section 3.2.2).
    static func host(of endpoint: Endpoint) -> String {
        guard endpoint.port == 80 else { return endpoint.description }
        switch endpoint.address {
        case let .v4(address): return address.description
        case let .v6(address): return "[\(address)]"
        }
    }

    /// Sends `request` and reads its response, skipping interim (1xx) responses. `Host` and the
    /// body's framing are added as ``HTTPRequestWriter/head(of:host:)`` says.
    /// - Throws: ``HTTPClientError``; the connection is closed after any error.
    /// - Precondition: no other ``send(_:)`` on this client is under way.
    public func send(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        precondition(!isSending, "one request at a time on an HTTPClient")
        guard isOpen else { throw .connectionClosed }
        isSending = true
        defer { isSending = false }
        do {
            let response = try await exchange(request)
            // RFC 9112 section 9.6: after a close option, no more requests on the connection.
            if !request.head.keepAlive || !response.head.keepAlive || parser.hasSwitchedProtocols { await close() }
            return response
        } catch {
            await close()
            throw error
        }
    }

    /// Closes the connection; later requests fail with ``HTTPClientError/connectionClosed``.
    public func close() async {
        guard isOpen else { return }
        isOpen = false
        await connection.close()
    }

    private func exchange(_ request: HTTPRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        do {
            let head = try await HTTPRequestWriter.write(request, host: host, over: connection)
            parser.expectResponse(toMethod: head.method)
        } catch {
            throw .flow(error)
        }
        var head: HTTPResponseHead?
        var body: [UInt8] = []
        var ended = false
        while true {
            do {
                while let event = try parser.next() {
                    switch event {
                    case let .head(value): head = value
                    case let .body(piece): body += piece.bytes
                    case .end: if let head { return HTTPClientResponse(head: head, body: body) }
                    }
                }
            } catch {
                throw .parse(error)
            }
            guard !ended else { throw .prematureEnd }
            let data: PacketBuffer?
            do { data = try await connection.read() } catch { throw .flow(error) }
            if let data {
                parser.append(data.bytes)
            } else {
                parser.finish()
                ended = true
            }
        }
    }
}
