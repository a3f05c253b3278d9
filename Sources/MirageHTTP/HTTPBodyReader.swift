import MirageCore

/// Reads one message's body from the buffered bytes of its connection, removing the framing:
/// `Content-Length` octets, the chunked coding with its trailer section, or everything until the
/// connection ends (RFC 9112 sections 6 and 7.1). Shared by the request and response parsers,
/// which hand it the body once they have parsed the head.
struct HTTPBodyReader {
    /// What the reader found next.
    enum Step: Equatable {
        /// Body octets, framing removed.
        case data(PacketBuffer)
        /// The body is complete.
        case end
    }

    enum State: Equatable {
        /// Octets of a `Content-Length` body (or of none) still to come.
        case length(remaining: Int)
        /// A chunk-size line comes next.
        case chunkSize
        /// Octets of the current chunk still to come.
        case chunkData(remaining: Int)
        /// The CRLF after a chunk's data comes next.
        case chunkDataEnd
        /// Trailer field lines, up to the empty line that ends the message (RFC 9112 section 7.1.2).
        case trailers
        /// Every octet until the connection ends.
        case untilClose
    }

    private var state: State
    private let limits: HTTPLimits
    /// The bytes of the header section, so that header and trailer sections together stay within
    /// ``HTTPLimits/headerSectionLength``.
    private var sectionLength: Int
    /// The octets of chunk data, or of a body read until the connection ends, so far.
    private var decodedLength = 0
    /// The trailer fields read so far; checked against the limits, then dropped (RFC 9112
    /// section 7.1.2 lets a recipient do so).
    private var trailers = HTTPHeaders()

    /// - Parameters:
    ///   - framing: how the body is delimited (a `Content-Length` already checked against the limit).
    ///   - headerSectionLength: the bytes the header section took.
    init(framing: HTTPBodyFraming, limits: HTTPLimits, headerSectionLength: Int) {
        switch framing {
        case .none: state = .length(remaining: 0)
        case let .length(length): state = .length(remaining: length)
        case .chunked: state = .chunkSize
        case .untilClose: state = .untilClose
        }
        self.limits = limits
        sectionLength = headerSectionLength
    }

    /// The next piece of the body or its end, or nil when more bytes are needed. A body read
    /// until the connection ends ends when the buffer is finished and empty; any other stays
    /// unfinished at the end of the connection (an incomplete message, RFC 9112 section 8).
    mutating func next(from buffer: inout HTTPMessageBuffer) throws(HTTPParseError) -> Step? {
        while true {
            switch state {
            case let .length(remaining):
                if remaining == 0 { return .end }
                guard !buffer.isEmpty else { return nil }
                let piece = buffer.take(upTo: remaining)
                state = .length(remaining: remaining - piece.count)
                return .data(piece)
            case .chunkSize:
                guard let line = try buffer.nextLine(limit: 1024, tooLong: .malformed("a chunk-size line is too long")) else { return nil }
                let size = try HTTPGrammar.parseChunkSize(line)
                if size == 0 {
                    state = .trailers
                    continue
                }
                decodedLength += size
                guard decodedLength <= limits.bodyLength else { throw .contentTooLarge }
                state = .chunkData(remaining: size)
            case let .chunkData(remaining):
                guard !buffer.isEmpty else { return nil }
                let piece = buffer.take(upTo: remaining)
                state = piece.count == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - piece.count)
                return .data(piece)
            case .chunkDataEnd:
                guard let line = try buffer.nextLine(limit: 0, tooLong: .malformed("chunk data longer than its size")) else { return nil }
                guard line.isEmpty else { throw .malformed("chunk data longer than its size") }
                state = .chunkSize
            case .trailers:
                guard try buffer.readFieldSection(into: &trailers, length: &sectionLength, limits: limits) else { return nil }
                state = .length(remaining: 0)
                return .end
            case .untilClose:
                guard !buffer.isEmpty else { return buffer.isFinished ? .end : nil }
                let piece = buffer.take(upTo: buffer.count)
                decodedLength += piece.count
                guard decodedLength <= limits.bodyLength else { throw .contentTooLarge }
                return .data(piece)
            }
        }
    }
}
