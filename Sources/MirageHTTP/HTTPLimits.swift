/// Bounds on what a request may hold, so that a client cannot make the server buffer without end
/// (RFC 9112 section 3, RFC 9110 section 15.5.14 and 15.5.15).
public struct HTTPLimits: Sendable {
    /// The request line, without its line ending.
    public var requestLineLength = 8 * 1024
    /// The header section (field lines and trailers), without the request line.
    public var headerSectionLength = 16 * 1024
    public var headerFieldCount = 100
    /// The body, after any chunked coding is removed.
    public var bodyLength = 1024 * 1024

    public init() {}
}
