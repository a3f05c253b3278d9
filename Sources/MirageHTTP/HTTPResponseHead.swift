/// The status line and header section of a response (RFC 9112 section 4), serialised for the
/// wire.
public struct HTTPResponseHead: Equatable, Sendable {
    public var status: HTTPStatus
    public var version: HTTPVersion
    public var headers: HTTPHeaders

    public init(status: HTTPStatus, version: HTTPVersion = .http11, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.version = version
        self.headers = headers
    }

    /// The status line, the field lines and the empty line that ends them, as sent.
    public var bytes: [UInt8] {
        var text = "\(version) \(status.code) \(status.reason)\r\n"
        for field in headers.fields { text += field.name + ": " + field.value + "\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }
}

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
