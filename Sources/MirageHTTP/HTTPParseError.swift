/// Why a request could not be parsed, with the status the server answers it with (RFC 9110
/// section 15.5 and 15.6). After any of these the connection is closed: the framing of what
/// follows cannot be trusted.
public enum HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 400: malformed syntax, or framing that could smuggle a request (RFC 9112 sections 6.1,
    /// 6.3, 11.2).
    case badRequest(String)
    /// 413: the body is longer than the limit.
    case contentTooLarge
    /// 414: the request line is longer than the limit.
    case uriTooLong
    /// 431: the header section is longer, or has more fields, than the limits.
    case headerFieldsTooLarge
    /// 501: a transfer coding the server does not implement (RFC 9112 section 6.1).
    case notImplemented(String)
    /// 505: an HTTP major version other than 1.
    case versionNotSupported

    /// The status to answer with.
    public var status: HTTPStatus {
        switch self {
        case .badRequest: .badRequest
        case .contentTooLarge: .contentTooLarge
        case .uriTooLong: .uriTooLong
        case .headerFieldsTooLarge: .requestHeaderFieldsTooLarge
        case .notImplemented: .notImplemented
        case .versionNotSupported: .httpVersionNotSupported
        }
    }

    public var description: String {
        switch self {
        case let .badRequest(reason): "bad request: \(reason)"
        case .contentTooLarge: "the request body is too large"
        case .uriTooLong: "the request line is too long"
        case .headerFieldsTooLarge: "the header section is too large"
        case let .notImplemented(what): "not implemented: \(what)"
        case .versionNotSupported: "HTTP version not supported"
        }
    }
}
