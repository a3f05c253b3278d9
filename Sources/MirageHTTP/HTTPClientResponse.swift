/// A response as ``HTTPClient`` returns it: head and whole body, framing removed.
public struct HTTPClientResponse: Sendable {
    public var head: HTTPResponseHead
    /// The body; empty for a response to `HEAD` and for 204 and 304 (RFC 9112 section 6.3).
    public var body: [UInt8]

    public init(head: HTTPResponseHead, body: [UInt8] = []) {
        self.head = head
        self.body = body
    }

    public var status: HTTPStatus { head.status }

    public var headers: HTTPHeaders { head.headers }
}
