/// How a message's body is delimited (RFC 9112 section 6.3).
public enum HTTPBodyFraming: Equatable, Sendable {
    /// No body.
    case none
    /// `Content-Length` octets.
    case length(Int)
    /// The chunked transfer coding (RFC 9112 section 7.1).
    case chunked
}
