/// How a message's body is delimited (RFC 9112 section 6.3).
public enum HTTPBodyFraming: Equatable, Sendable {
    /// No body.
    case none
    /// `Content-Length` octets.
    case length(Int)
    /// The chunked transfer coding (RFC 9112 section 7.1).
    case chunked
    /// Everything until the connection closes: a response with neither `Content-Length` nor
    /// `Transfer-Encoding` (RFC 9112 section 6.3, item 8). Never a request's.
    case untilClose
}

extension HTTPBodyFraming {
    /// How the body of a message with `headers` is delimited (RFC 9112 section 6.3), refusing any
    /// framing two recipients could read two ways (sections 6.1, 6.3 and 11.2): `Content-Length`
    /// together with `Transfer-Encoding`, several or invalid `Content-Length` values,
    /// `Transfer-Encoding` in HTTP/1.0, and any transfer coding but one final `chunked`.
    /// - Parameters:
    ///   - otherwise: the framing when neither field is present: ``none`` for a request,
    ///     ``untilClose`` for a response.
    /// - Throws: ``HTTPParseError/malformed(_:)``, ``HTTPParseError/notImplemented(_:)`` for a
    ///   transfer coding other than `chunked`, ``HTTPParseError/contentTooLarge`` for a
    ///   `Content-Length` past the limit.
    static func of(_ headers: HTTPHeaders, version: HTTPVersion, limits: HTTPLimits,
                   otherwise: HTTPBodyFraming) throws(HTTPParseError) -> HTTPBodyFraming {
        let lengths = headers.values("Content-Length")
        if headers.count(named: "Transfer-Encoding") > 0 {
            let codings = headers.tokens("Transfer-Encoding")
            guard lengths.isEmpty else { throw .malformed("both Content-Length and Transfer-Encoding") }
            // RFC 9112 section 6.1: Transfer-Encoding in HTTP/1.0 is faulty framing.
            guard version == .http11 else { throw .malformed("Transfer-Encoding in an HTTP/1.0 message") }
            // RFC 9112 section 6.3: without chunked last, a request's length cannot be known.
            guard codings.last == "chunked" else { throw .malformed("chunked is not the final transfer coding") }
            guard codings.filter({ $0 == "chunked" }).count == 1 else { throw .malformed("chunked applied twice") }
            // RFC 9112 section 6.1: a coding we do not implement is 501.
            if let other = codings.first(where: { $0 != "chunked" }) { throw .notImplemented("transfer coding \(other)") }
            return .chunked
        }
        guard !lengths.isEmpty else { return otherwise }
        guard lengths.count == 1 else { throw .malformed("several Content-Length fields") }
        guard let length = HTTPText.decimal(Substring(lengths[0])) else { throw .malformed("invalid Content-Length") }
        guard length <= limits.bodyLength else { throw .contentTooLarge }
        return .length(length)
    }
}
