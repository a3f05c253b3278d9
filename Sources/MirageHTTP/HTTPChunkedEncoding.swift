/// The chunked transfer coding on the sending side (RFC 9112 section 7.1).
public enum HTTPChunkedEncoding {
    /// What goes before `length` octets of chunk data: the size in hexadecimal and CRLF.
    public static func chunkHeader(length: Int) -> [UInt8] {
        precondition(length > 0, "a zero-length chunk would end the body")
        return Array((String(length, radix: 16) + "\r\n").utf8)
    }

    /// What goes after each chunk's data.
    public static let chunkTrailer: [UInt8] = [13, 10]

    /// The last chunk and an empty trailer section: the end of the body.
    public static let end: [UInt8] = Array("0\r\n\r\n".utf8)
}
