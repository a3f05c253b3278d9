/// The status line and header section of a response (RFC 9112 sections 4 and 5): written by the
/// server, read by ``HTTPResponseParser``.
public struct HTTPResponseHead: Equatable, Sendable {
    /// The status code and reason phrase; a parsed reason is the server's, so compare
    /// `status.code` rather than `status` with the constants of ``HTTPStatus``.
    public var status: HTTPStatus
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// How the body that follows is delimited, as the parser found it (RFC 9112 section 6.3).
    /// Not written: a server frames the body by its fields.
    public var framing: HTTPBodyFraming

    public init(status: HTTPStatus, version: HTTPVersion = .http11, headers: HTTPHeaders = HTTPHeaders(),
                framing: HTTPBodyFraming = .none) {
        self.status = status
        self.version = version
        self.headers = headers
        self.framing = framing
    }

    /// Whether the server leaves the connection open for another request (RFC 9112 section
    /// 9.3): HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    /// A body delimited by the end of the connection ends it too (see ``framing``).
    public var keepAlive: Bool { headers.keepAlive(version: version) && framing != .untilClose }

    /// The status line, the field lines and the empty line that ends them, as sent.
    /// - Precondition: every field name is a token and no value holds CR, LF or NUL.
    public var bytes: [UInt8] {
        var head = HTTPHeadEncoder(capacity: 256)
        head.statusLine(version: version, status: status)
        head.fields(headers)
        return head.bytes
    }
}
