/// Why a request or response could not be parsed. For a request, ``status`` is what the server
/// answers with (RFC 9110 sections 15.5 and 15.6). After any of these the connection is closed:
/// the framing of what follows cannot be trusted.
public enum HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Malformed syntax, or framing that could smuggle a message past another recipient (RFC
    /// 9112 sections 6.1, 6.3 and 11.2); a request gets 400.
    case malformed(String)
    /// The body is longer than ``HTTPLimits/bodyLength``; a request gets 413.
    case contentTooLarge
    /// The request line is longer than ``HTTPLimits/startLineLength``: 414.
    case uriTooLong
    /// The header section is longer, or has more fields, than the limits; a request gets 431.
    case headerFieldsTooLarge
    /// A transfer coding not implemented here (RFC 9112 section 6.1); a request gets 501.
    case notImplemented(String)
    /// An HTTP major version other than 1; a request gets 505.
    case versionNotSupported

    /// The status a server answers a request that failed so with.
    public var status: HTTPStatus {
        switch self {
        case .malformed: .badRequest
        case .contentTooLarge: .contentTooLarge
        case .uriTooLong: .uriTooLong
        case .headerFieldsTooLarge: .requestHeaderFieldsTooLarge
        case .notImplemented: .notImplemented
        case .versionNotSupported: .httpVersionNotSupported
        }
    }

    public var description: String {
        switch self {
        case let .malformed(reason): "malformed message: \(reason)"
        case .contentTooLarge: "the body is too large"
        case .uriTooLong: "the request line is too long"
        case .headerFieldsTooLarge: "the header section is too large"
        case let .notImplemented(what): "not implemented: \(what)"
        case .versionNotSupported: "HTTP version not supported"
        }
    }
}
