import MirageCore
import MirageRuntime

/// Putting messages on a connection, shared by the server and the client: a head's start line
/// and field lines (RFC 9112 sections 2.1 and 5), and a body after it, as it is or in the chunked
/// coding (section 7.1).
enum HTTPMessageWriter {
    /// Bodies up to this size go out in the same write as their head: one segment for a small
    /// message.
    static let coalescingLimit = 16 * 1024

    /// `startLine`, then each field line, each ended by CRLF, then the empty line that ends the
    /// header section.
    static func headBytes(startLine: String, headers: HTTPHeaders) -> [UInt8] {
        // Bytes appended to one array sized once: no intermediate strings.
        var length = startLine.utf8.count + 4
        for field in headers.fields { length += field.name.utf8.count + field.value.utf8.count + 4 }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(length)
        bytes += startLine.utf8
        bytes += [13, 10]
        for field in headers.fields {
            // RFC 9110 section 5.5: no CR, LF or NUL in a value; a field name is a token (5.1).
            precondition(!field.name.isEmpty && field.name.utf8.allSatisfy(HTTPText.isTokenCharacter)
                && !field.value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }),
                "a field that cannot be written")
            bytes += field.name.utf8
            bytes += [58, 32] // ": "
            bytes += field.value.utf8
            bytes += [13, 10]
        }
        bytes += [13, 10]
        return bytes
    }

    /// What goes before and after a body of `length` octets: nothing, or in the chunked coding
    /// the header of one chunk, and its trailer with the last chunk (RFC 9112 section 7.1).
    static func bodyFraming(length: Int, chunked: Bool) -> (before: [UInt8], after: [UInt8]) {
        guard chunked else { return ([], []) }
        guard length > 0 else { return ([], HTTPChunkedEncoding.end) }
        return (HTTPChunkedEncoding.chunkHeader(length: length), HTTPChunkedEncoding.chunkTrailer + HTTPChunkedEncoding.end)
    }

    /// Writes `head` and then `body` to `connection`, the body as one chunk and the last chunk
    /// when `chunked`. A small message goes in one write.
    static func write<Connection: Flow>(head: [UInt8], body: PacketBuffer, chunked: Bool,
                                        over connection: Connection) async throws(FlowError) {
        let (before, end) = bodyFraming(length: body.count, chunked: chunked)
        let start = head + before
        if body.count <= coalescingLimit {
            try await connection.write(PacketBuffer(start + body.bytes + end))
            return
        }
        try await connection.write(PacketBuffer(start))
        try await connection.write(body)
        if !end.isEmpty { try await connection.write(PacketBuffer(end)) }
    }
}
