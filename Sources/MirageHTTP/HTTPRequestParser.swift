import MirageCore

/// What the parser found next in a connection's bytes.
public enum HTTPRequestEvent: Equatable, Sendable {
    /// A request line and header section.
    case head(HTTPRequestHead)
    /// Body octets, with any chunked coding removed; a body may come in several pieces.
    case body(PacketBuffer)
    /// The request is complete; the next request's bytes may follow (pipelining).
    case end
}

/// An incremental HTTP/1.1 request parser (RFC 9112), a pure core: bytes go in with
/// ``append(_:)`` as they arrive, in pieces of any size, and ``next()`` returns each head, body
/// piece and end in order, or nil until more bytes are needed. The same events come out however
/// the bytes are split.
///
/// It is strict where leniency lets requests be smuggled past another server (RFC 9112 section
/// 11.2): `Content-Length` together with `Transfer-Encoding`, several or invalid `Content-Length`
/// values, a transfer coding other than a final `chunked`, bare CR, obsolete line folding,
/// whitespace before a field's colon, invalid field names and a missing or repeated `Host` all
/// fail with ``HTTPParseError/badRequest(_:)``. After an error the parser stays failed: the
/// connection must be answered and closed.
public struct HTTPRequestParser {
    enum State: Equatable {
        case requestLine
        case headers
        case body(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case failed(HTTPParseError)
    }

    public let limits: HTTPLimits
    private var state = State.requestLine
    private var buffer: [UInt8] = []
    /// Where the unconsumed bytes of ``buffer`` start.
    private var position = 0
    private var head = HTTPRequestHead(method: "", target: "")
    private var headerSectionLength = 0
    private var bodyLength = 0

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Adds bytes received on the connection.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        if position > 0, position * 2 >= buffer.count {
            buffer.removeFirst(position)
            position = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Whether a request has begun but not ended.
    public var isInsideRequest: Bool {
        switch state {
        case .requestLine: position < buffer.count
        case .failed: false
        default: true
        }
    }

    /// The next event, or nil when more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> HTTPRequestEvent? {
        do {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(HTTPParseError) -> HTTPRequestEvent? {
        while true {
            if pendingEnd {
                pendingEnd = false
                return .end
            }
            switch state {
            case let .failed(error):
                throw error
            case .requestLine:
                guard let line = try nextLine(limit: limits.requestLineLength, tooLong: .uriTooLong) else { return nil }
                if line.isEmpty { continue } // RFC 9112 section 2.2: empty lines before a request are ignored
                head = try Self.parseRequestLine(line)
                headerSectionLength = 0
                bodyLength = 0
                state = .headers
            case .headers:
                let remaining = limits.headerSectionLength - headerSectionLength
                guard let line = try nextLine(limit: remaining, tooLong: .headerFieldsTooLarge) else { return nil }
                headerSectionLength += line.count + 2
                if !line.isEmpty {
                    guard head.headers.count < limits.headerFieldCount else { throw .headerFieldsTooLarge }
                    let (name, value) = try Self.parseFieldLine(line)
                    head.headers.add(name, value)
                    continue
                }
                // RFC 9112 section 3.2: one Host field in HTTP/1.1, never several.
                let hosts = head.headers.values("Host").count
                guard hosts <= 1, hosts == 1 || head.version == .http10 else { throw .badRequest("\(hosts) Host fields") }
                head.framing = try framing(of: head)
                switch head.framing {
                case .none: state = .requestLine
                case let .length(length): state = length == 0 ? .requestLine : .body(remaining: length)
                case .chunked: state = .chunkSize
                }
                let event = HTTPRequestEvent.head(head)
                if state == .requestLine { pendingEnd = true }
                return event
            case let .body(remaining):
                guard position < buffer.count else { return nil }
                let count = Swift.min(remaining, buffer.count - position)
                let piece = take(count)
                state = remaining == count ? .requestLine : .body(remaining: remaining - count)
                if state == .requestLine { pendingEnd = true }
                return .body(piece)
            case .chunkSize:
                guard let line = try nextLine(limit: 1024, tooLong: .badRequest("a chunk-size line is too long")) else { return nil }
                let size = try Self.parseChunkSize(line)
                if size == 0 {
                    state = .trailers
                    continue
                }
                bodyLength += size
                guard bodyLength <= limits.bodyLength else { throw .contentTooLarge }
                state = .chunkData(remaining: size)
            case let .chunkData(remaining):
                guard position < buffer.count else { return nil }
                let count = Swift.min(remaining, buffer.count - position)
                let piece = take(count)
                state = remaining == count ? .chunkDataEnd : .chunkData(remaining: remaining - count)
                return .body(piece)
            case .chunkDataEnd:
                guard let line = try nextLine(limit: 0, tooLong: .badRequest("chunk data longer than its size")) else { return nil }
                guard line.isEmpty else { throw .badRequest("chunk data longer than its size") }
                state = .chunkSize
            case .trailers:
                let remaining = limits.headerSectionLength - headerSectionLength
                guard let line = try nextLine(limit: remaining, tooLong: .headerFieldsTooLarge) else { return nil }
                headerSectionLength += line.count + 2
                if line.isEmpty {
                    state = .requestLine
                    return .end
                }
                _ = try Self.parseFieldLine(line) // trailers are checked and dropped (RFC 9110 section 6.5.1)
            }
        }
    }

    /// Set when a request ended together with its head or last body piece: the ``end`` event
    /// comes next.
    private var pendingEnd = false

    // MARK: Framing (RFC 9112 section 6)

    /// How the body of `head` is delimited, refusing any framing two servers could read two ways
    /// (RFC 9112 sections 6.1, 6.3 and 11.2).
    private func framing(of head: HTTPRequestHead) throws(HTTPParseError) -> HTTPBodyFraming {
        let lengths = head.headers.values("Content-Length")
        let codings = head.headers.tokens("Transfer-Encoding")
        if !head.headers.values("Transfer-Encoding").isEmpty {
            guard lengths.isEmpty else { throw .badRequest("both Content-Length and Transfer-Encoding") }
            guard head.version == .http11 else { throw .badRequest("Transfer-Encoding in an HTTP/1.0 request") }
            // RFC 9112 section 6.3: without chunked last, a request's length cannot be known.
            guard codings.last == "chunked" else { throw .badRequest("chunked is not the final transfer coding") }
            guard codings.filter({ $0 == "chunked" }).count == 1 else { throw .badRequest("chunked applied twice") }
            // RFC 9112 section 6.1: a coding we do not implement is 501.
            if let other = codings.first(where: { $0 != "chunked" }) { throw .notImplemented("transfer coding \(other)") }
            return .chunked
        }
        guard !lengths.isEmpty else { return .none }
        guard lengths.count == 1 else { throw .badRequest("several Content-Length fields") }
        guard let length = HTTPText.decimal(Substring(lengths[0])) else { throw .badRequest("invalid Content-Length") }
        guard length <= limits.bodyLength else { throw .contentTooLarge }
        return .length(length)
    }

    // MARK: Lines

    /// The next line without its ending (CRLF, or a bare LF as RFC 9112 section 2.2 allows), or
    /// nil when it has not all arrived. A CR anywhere else fails (a bare CR, section 2.2).
    /// - Parameter limit: the longest line allowed; a longer one fails with `tooLong`.
    private mutating func nextLine(limit: Int, tooLong: HTTPParseError) throws(HTTPParseError) -> [UInt8]? {
        var index = position
        while index < buffer.count, buffer[index] != 10 { index += 1 }
        guard index < buffer.count else {
            if buffer.count - position > limit + 1 { throw tooLong }
            return nil
        }
        var end = index
        if end > position, buffer[end - 1] == 13 { end -= 1 }
        guard end - position <= limit else { throw tooLong }
        let line = Array(buffer[position..<end])
        if line.contains(13) { throw .badRequest("a bare CR") }
        position = index + 1
        return line
    }

    /// The next `count` buffered bytes, consumed.
    private mutating func take(_ count: Int) -> PacketBuffer {
        let piece = PacketBuffer(buffer[position..<position + count])
        position += count
        return piece
    }

    // MARK: Grammar

    /// request-line = method SP request-target SP HTTP-version (RFC 9112 section 3).
    static func parseRequestLine(_ line: [UInt8]) throws(HTTPParseError) -> HTTPRequestHead {
        let parts = line.split(separator: 32, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .badRequest("a malformed request line") }
        let method = parts[0], target = parts[1], version = parts[2]
        guard !method.isEmpty, method.allSatisfy(HTTPText.isTokenCharacter) else { throw .badRequest("an invalid method") }
        guard !target.isEmpty, target.allSatisfy({ $0 > 32 && $0 < 127 }) else { throw .badRequest("an invalid request-target") }
        return HTTPRequestHead(method: String(decoding: method, as: UTF8.self), target: String(decoding: target, as: UTF8.self),
                               version: try parseVersion(Array(version)))
    }

    /// HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 section 2.3). A major version other than
    /// 1 gets 505; a later 1.x minor version is answered as 1.1 (RFC 9110 section 2.5).
    static func parseVersion(_ text: [UInt8]) throws(HTTPParseError) -> HTTPVersion {
        guard text.count == 8, Array(text.prefix(5)) == Array("HTTP/".utf8), text[6] == UInt8(ascii: "."),
              (48...57).contains(text[5]), (48...57).contains(text[7]) else {
            throw .badRequest("a malformed HTTP version")
        }
        let major = Int(text[5] - 48), minor = Int(text[7] - 48)
        guard major == 1 else { throw .versionNotSupported }
        return minor == 0 ? .http10 : .http11
    }

    /// field-line = field-name ":" OWS field-value OWS (RFC 9112 section 5; RFC 9110 section 5.5).
    static func parseFieldLine(_ line: [UInt8]) throws(HTTPParseError) -> (String, String) {
        if line.first == 32 || line.first == 9 { throw .badRequest("obsolete line folding") }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { throw .badRequest("a field line without a colon") }
        let name = line[..<colon]
        guard !name.isEmpty else { throw .badRequest("an empty field name") }
        guard name.allSatisfy(HTTPText.isTokenCharacter) else {
            throw .badRequest(name.last == 32 || name.last == 9 ? "whitespace before a field's colon" : "an invalid field name")
        }
        var value = line[(colon + 1)...]
        while let first = value.first, first == 32 || first == 9 { value = value.dropFirst() }
        while let last = value.last, last == 32 || last == 9 { value = value.dropLast() }
        guard value.allSatisfy({ $0 == 9 || ($0 >= 32 && $0 != 127) }) else { throw .badRequest("a control character in a field value") }
        return (String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self))
    }

    /// chunk-size [ chunk-ext ] (RFC 9112 section 7.1): hexadecimal, at most 15 digits.
    static func parseChunkSize(_ line: [UInt8]) throws(HTTPParseError) -> Int {
        var size = 0, digits = 0
        for byte in line {
            guard let value = HTTPText.hexDigit(byte) else {
                // A chunk extension may follow the size; it is ignored (RFC 9112 section 7.1.1).
                guard byte == UInt8(ascii: ";") || byte == 32 || byte == 9, digits > 0 else { throw .badRequest("a malformed chunk size") }
                return size
            }
            digits += 1
            guard digits <= 15 else { throw .badRequest("a chunk size too large") }
            size = size * 16 + Int(value)
        }
        guard digits > 0 else { throw .badRequest("a malformed chunk size") }
        return size
    }
}
