import MirageCore

/// The bytes received on a connection and not yet parsed, read a line at a time (start lines,
/// field lines, chunk sizes) or taken as body octets: what the request and response parsers
/// share.
struct HTTPMessageBuffer {
    private var bytes: [UInt8] = []
    /// Where the unconsumed bytes start.
    private var position = 0
    /// Where the search for the next line's end resumes: the bytes from ``position`` to here hold
    /// no LF, so a line dribbled in one byte at a time is scanned once, not once per byte.
    private var scanned = 0
    /// Bytes the line search has looked at, for tests of the work a client can cause.
    private(set) var bytesScanned = 0

    /// How many bytes are buffered and not yet consumed.
    var count: Int { bytes.count - position }

    var isEmpty: Bool { position == bytes.count }

    /// Whether the connection has ended: no more bytes will be appended.
    private(set) var isFinished = false

    /// Notes that the connection has ended.
    mutating func finish() {
        isFinished = true
    }

    /// Adds bytes received on the connection.
    mutating func append(_ received: some Collection<UInt8>) {
        if position > 0, position * 2 >= bytes.count {
            bytes.removeFirst(position)
            scanned -= position
            position = 0
        }
        bytes.append(contentsOf: received)
    }

    /// The next line without its ending (CRLF, or a bare LF as RFC 9112 section 2.2 allows), or
    /// nil when it has not all arrived. A CR anywhere else fails (a bare CR, section 2.2).
    /// - Parameters:
    ///   - limit: the longest line allowed, without its ending.
    ///   - tooLong: the error for a longer line, thrown as soon as the line is known to be longer.
    /// The line is a view of the buffer, not a copy: parse it before appending more.
    mutating func nextLine(limit: Int, tooLong: HTTPParseError) throws(HTTPParseError) -> ArraySlice<UInt8>? {
        let start = Swift.max(position, scanned)
        // Through a pointer: the array's own subscript checks the bounds of every byte.
        let index = bytes.withUnsafeBufferPointer { buffer in
            var index = start
            while index < buffer.count, buffer[index] != 10 { index += 1 }
            return index
        }
        bytesScanned += index - start
        guard index < bytes.count else {
            scanned = index
            if bytes.count - position > limit + 1 { throw tooLong }
            return nil
        }
        var end = index
        if end > position, bytes[end - 1] == 13 { end -= 1 }
        guard end - position <= limit else { throw tooLong }
        let line = bytes[position..<end]
        let hasCR = line.withUnsafeBufferPointer { buffer in
            for byte in buffer where byte == 13 { return true }
            return false
        }
        if hasCR { throw .malformed("a bare CR") }
        position = index + 1
        scanned = position
        return line
    }

    /// Up to `maximum` of the buffered bytes, consumed.
    mutating func take(upTo maximum: Int) -> PacketBuffer {
        let count = Swift.min(maximum, self.count)
        let piece = PacketBuffer(bytes[position..<position + count])
        position += count
        scanned = Swift.max(scanned, position)
        return piece
    }
}
