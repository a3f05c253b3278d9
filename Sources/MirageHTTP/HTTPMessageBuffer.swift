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
    /// The CRs among the bytes from ``position`` to ``scanned``: a line's only CR may be the one
    /// before its LF.
    private var carriageReturns = 0
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
        // One pass through a pointer (the array's own subscript checks the bounds of every
        // byte), counting CRs on the way.
        var crs = carriageReturns
        let index = bytes.withUnsafeBufferPointer { buffer in
            var index = start
            while index < buffer.count {
                let byte = buffer[index]
                if byte == 10 { break }
                if byte == 13 { crs += 1 }
                index += 1
            }
            return index
        }
        bytesScanned += index - start
        guard index < bytes.count else {
            scanned = index
            carriageReturns = crs
            if bytes.count - position > limit + 1 { throw tooLong }
            return nil
        }
        var end = index
        if end > position, bytes[end - 1] == 13 {
            end -= 1
            crs -= 1
        }
        guard end - position <= limit else { throw tooLong }
        if crs > 0 { throw .malformed("a bare CR") }
        let line = bytes[position..<end]
        position = index + 1
        scanned = position
        carriageReturns = 0
        return line
    }

    /// Up to `maximum` of the buffered bytes, consumed.
    mutating func take(upTo maximum: Int) -> PacketBuffer {
        let count = Swift.min(maximum, self.count)
        let taken = bytes[position..<position + count]
        let piece = PacketBuffer(taken)
        if position + count >= scanned {
            carriageReturns = 0
        } else {
            carriageReturns -= taken.reduce(0) { $0 + ($1 == 13 ? 1 : 0) }
        }
        position += count
        scanned = Swift.max(scanned, position)
        return piece
    }
}
