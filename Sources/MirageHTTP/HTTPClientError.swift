import MirageCore

/// Why an exchange of ``HTTPClient`` failed. After any of these the client's connection is
/// closed: what follows on it cannot be trusted.
public enum HTTPClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Connecting, writing or reading failed.
    case flow(FlowError)
    /// The response is malformed, has framing that could be read two ways, or is past the
    /// limits (``HTTPParseError/contentTooLarge`` for a body longer than
    /// ``HTTPLimits/bodyLength``).
    case parse(HTTPParseError)
    /// The connection ended before the response did: an incomplete response (RFC 9112 section 8).
    case prematureEnd
    /// The connection carries no more requests: a response ended it (`Connection: close`, a
    /// body delimited by the end of the connection, a switch of protocols), a request asked
    /// `Connection: close`, an earlier exchange failed, or the client was closed.
    case connectionClosed
    /// The server's name gave no address.
    case resolution(NameResolutionError)

    public var description: String {
        switch self {
        case let .flow(error): "connection failed: \(error)"
        case let .parse(error): "bad response: \(error)"
        case .prematureEnd: "the connection ended inside the response"
        case .connectionClosed: "the connection carries no more requests"
        case let .resolution(error): "cannot resolve the server's name: \(error)"
        }
    }
}
