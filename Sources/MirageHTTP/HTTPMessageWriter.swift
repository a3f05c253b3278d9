import MirageCore
import MirageRuntime

/// Putting messages on a connection, shared by the server and the client: a head written by
/// ``HTTPHeadEncoder`` (RFC 9112 sections 2.1 and 5), and a body after it, as it is or in the
/// chunked coding (section 7.1).
enum HTTPMessageWriter {
    /// Bodies up to this size go out in the same write as their head: one segment for a small
    /// message.
    static let coalescingLimit = 16 * 1024

    /// What goes before and after a body of `length` octets: nothing, or in the chunked coding
    /// the header of one chunk, and its trailer with the last chunk (RFC 9112 section 7.1).
    static func bodyFraming(length: Int, chunked: Bool) -> (before: [UInt8], after: [UInt8]) {
        guard chunked else { return ([], []) }
        guard length > 0 else { return ([], HTTPChunkedEncoding.end) }
        return (HTTPChunkedEncoding.chunkHeader(length: length), HTTPChunkedEncoding.chunkTrailer + HTTPChunkedEncoding.end)
    }

    /// Writes `head` (ended) and then `body` to `connection`, the body as one chunk and the last
    /// chunk when `chunked`. A small message goes in one write, from the head's own buffer: taken,
    /// not copied (a copy shares the buffer with the caller's, and the body appended to it then
    /// reallocated it: an allocation and a copy of the head a response).
    @inline(__always)
    static func write<Connection: Flow>(head: consuming HTTPHeadEncoder, body: PacketBuffer, chunked: Bool,
                                        over connection: Connection) async throws(FlowError) {
        var message = consume head
        let (before, end) = bodyFraming(length: body.count, chunked: chunked)
        if !before.isEmpty { message.append(before) }
        if body.count <= coalescingLimit {
            if !body.isEmpty { message.append(body) }
            if !end.isEmpty { message.append(end) }
            try await connection.write(message.buffer)
            return
        }
        try await connection.write(message.buffer)
        try await connection.write(body)
        if !end.isEmpty { try await connection.write(PacketBuffer(end)) }
    }
}
