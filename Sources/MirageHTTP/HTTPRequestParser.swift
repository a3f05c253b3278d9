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
/// fail with ``HTTPParseError/malformed(_:)``. After an error the parser stays failed: the
/// connection must be answered and closed.
public struct HTTPRequestParser {
    enum State: Equatable {
        /// A request line (or an empty line before one) comes next.
        case requestLine
        /// Field lines of the header section, up to the empty line that ends it.
        case headers
        /// The body, read by ``body``.
        case body
        case failed(HTTPParseError)
    }

    public let limits: HTTPLimits
    private var state = State.requestLine
    private var buffer = HTTPMessageBuffer()
    /// Bytes the line search has looked at (``HTTPMessageBuffer/bytesScanned``), for tests.
    var bytesScanned: Int { buffer.bytesScanned }
    private var head = HTTPRequestHead(method: "", target: "")
    private var headerSectionLength = 0
    private var body = HTTPBodyReader(framing: .none, limits: HTTPLimits(), headerSectionLength: 0)

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Adds bytes received on the connection.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        buffer.append(bytes)
    }

    /// Whether a request has begun but not ended.
    public var isInsideRequest: Bool {
        switch state {
        case .requestLine: !buffer.isEmpty
        case .failed: false
        case .headers, .body: true
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
            switch state {
            case let .failed(error):
                throw error
            case .requestLine:
                guard let line = try buffer.nextLine(limit: limits.startLineLength, tooLong: .uriTooLong) else { return nil }
                if line.isEmpty { continue } // RFC 9112 section 2.2: empty lines before a request are ignored
                head = try HTTPGrammar.parseRequestLine(line)
                headerSectionLength = 0
                state = .headers
            case .headers:
                guard try buffer.readFieldSection(into: &head.headers, length: &headerSectionLength, limits: limits) else { return nil }
                // RFC 9112 section 3.2: one Host field in HTTP/1.1, never several.
                let hosts = head.headers.count(named: "Host")
                guard hosts <= 1, hosts == 1 || head.version == .http10 else { throw .malformed("\(hosts) Host fields") }
                // RFC 9112 section 6.3: a request with neither field has no body.
                head.framing = try HTTPBodyFraming.of(head.headers, version: head.version, limits: limits, otherwise: .none)
                body = HTTPBodyReader(framing: head.framing, limits: limits, headerSectionLength: headerSectionLength)
                state = .body
                return .head(head)
            case .body:
                switch try body.next(from: &buffer) {
                case nil: return nil
                case let .data(piece)?: return .body(piece)
                case .end?:
                    state = .requestLine
                    return .end
                }
            }
        }
    }
}
