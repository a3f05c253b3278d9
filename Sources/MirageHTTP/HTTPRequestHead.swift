/// The request line and header section of a request (RFC 9112 sections 3 and 5).
public struct HTTPRequestHead: Equatable, Sendable {
    /// The method token, case-sensitive (RFC 9110 section 9.1): `GET`, `HEAD`, ...
    public var method: String
    /// The request-target as sent (RFC 9112 section 3.2): usually an absolute path and query.
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// How the body that follows is delimited.
    public var framing: HTTPBodyFraming

    public init(method: String, target: String, version: HTTPVersion = .http11, headers: HTTPHeaders = HTTPHeaders(),
                framing: HTTPBodyFraming = .none) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
    }

    /// Whether the client means to keep the connection open after the response (RFC 9112 section
    /// 9.3): HTTP/1.1 unless `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool { headers.keepAlive(version: version) }
}
