/// Bounds on what a message may hold, so that a peer cannot make its reader buffer without end
/// (RFC 9112 section 3, RFC 9110 sections 15.5.14 and 15.5.15).
public struct HTTPLimits: Sendable {
    /// The start line (a request line or a status line), without its line ending.
    public var startLineLength = 8 * 1024
    /// The header section (field lines and trailers), without the start line.
    public var headerSectionLength = 16 * 1024
    /// The fields of the header section, and separately of the trailer section.
    public var headerFieldCount = 100
    /// The body, after any chunked coding is removed.
    public var bodyLength = 1024 * 1024

    public init() {}
}
