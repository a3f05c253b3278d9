import MirageCore

/// What the response parser found next in a connection's bytes.
public enum HTTPResponseEvent: Equatable, Sendable {
    /// A status line and header section, of a final response or of 101 (Switching Protocols).
    case head(HTTPResponseHead)
    /// Body octets, with any chunked coding removed; a body may come in several pieces.
    case body(PacketBuffer)
    /// The response is complete; the next response's bytes may follow.
    case end
}

/// An incremental HTTP/1.1 response parser (RFC 9112), a pure core and the counterpart of
/// ``HTTPRequestParser``: the client tells it the method of each request it sends with
/// ``expectResponse(toMethod:)``, bytes go in with ``append(_:)`` as they arrive, in pieces of any
/// size, the end of the connection with ``finish()``, and ``next()`` returns each head, body
/// piece and end in order, or nil until more bytes are needed.
///
/// A body is delimited as RFC 9112 section 6.3 says: none for a response to `HEAD` or with
/// status 1xx, 204 or 304; `Content-Length` octets; the chunked coding, with trailers; else
/// everything until the connection ends. Interim responses (1xx but 101, RFC 9110 section 15.2)
/// are read and skipped. After 101 (Switching Protocols) or a 2xx to `CONNECT` the connection
/// belongs to another protocol: the parser reads no further, and ``takeUnparsedBytes()`` hands
/// over what it holds.
///
/// It refuses what could be read two ways (RFC 9112 section 11.2) as the request parser does:
/// `Content-Length` with `Transfer-Encoding`, several or invalid `Content-Length` values, a
/// transfer coding other than a lone `chunked`, bare CR, obsolete line folding, whitespace
/// before a colon, invalid field names. After an error the parser stays failed: the connection
/// must be closed.
public struct HTTPResponseParser {
    enum State: Equatable {
        /// A status line comes next.
        case statusLine
        /// Field lines of the header section, up to the empty line that ends it.
        case headers
        /// The body, read by ``body``.
        case body
        /// Another protocol owns the connection (101, or a 2xx to `CONNECT`).
        case switched
        case failed(HTTPParseError)
    }

    public let limits: HTTPLimits
    private var state = State.statusLine
    private var buffer = HTTPMessageBuffer()
    /// The methods of the requests not yet answered, oldest first.
    private var methods: [String] = []
    private var head = HTTPResponseHead(status: .ok)
    private var headerSectionLength = 0
    private var body = HTTPBodyReader(framing: .none, limits: HTTPLimits(), headerSectionLength: 0)
    /// Whether the connection switches protocols when the current response ends.
    private var switchesProtocols = false

    public init(limits: HTTPLimits = HTTPLimits()) {
        self.limits = limits
    }

    /// Notes that a request with `method` was sent: its response is next after those of the
    /// requests noted before. The method decides whether a response has a body (`HEAD`) and
    /// whether a 2xx ends HTTP on the connection (`CONNECT`).
    public mutating func expectResponse(toMethod method: String) {
        methods.append(method)
    }

    /// Adds bytes received on the connection.
    public mutating func append(_ bytes: some Collection<UInt8>) {
        precondition(!buffer.isFinished, "bytes after the end of the connection")
        buffer.append(bytes)
    }

    /// Notes that the connection has ended: a body delimited by its end ends too. A response
    /// cut short otherwise stays unfinished (``isInsideResponse``): an incomplete response (RFC
    /// 9112 section 8) for the caller to report.
    public mutating func finish() {
        buffer.finish()
    }

    /// Whether a response has begun but not ended.
    public var isInsideResponse: Bool {
        switch state {
        case .statusLine: !buffer.isEmpty
        case .headers, .body: true
        case .switched, .failed: false
        }
    }

    /// Whether another protocol owns the connection now (after 101, or a 2xx to `CONNECT`).
    public var hasSwitchedProtocols: Bool { state == .switched }

    /// The bytes buffered after the response that switched protocols, which belong to the new
    /// protocol; consumed.
    public mutating func takeUnparsedBytes() -> PacketBuffer {
        precondition(state == .switched, "the bytes of a connection still speaking HTTP")
        return buffer.take(upTo: buffer.count)
    }

    /// The next event, or nil when more bytes are needed.
    public mutating func next() throws(HTTPParseError) -> HTTPResponseEvent? {
        do {
            return try step()
        } catch {
            state = .failed(error)
            throw error
        }
    }

    private mutating func step() throws(HTTPParseError) -> HTTPResponseEvent? {
        while true {
            switch state {
            case let .failed(error):
                throw error
            case .switched:
                return nil
            case .statusLine:
                guard !buffer.isEmpty else { return nil }
                guard !methods.isEmpty else { throw .malformed("a response to no request") }
                guard let line = try buffer.nextLine(limit: limits.startLineLength, tooLong: .malformed("the status line is too long"))
                else { return nil }
                head = try HTTPGrammar.parseStatusLine(line)
                headerSectionLength = 0
                state = .headers
            case .headers:
                guard try buffer.readFieldSection(into: &head.headers, length: &headerSectionLength, limits: limits) else { return nil }
                let code = head.status.code
                if code >= 100, code < 200, code != 101 {
                    state = .statusLine // an interim response: the final one follows (RFC 9110 section 15.2)
                    continue
                }
                let method = methods.removeFirst()
                switchesProtocols = code == 101 || (method == "CONNECT" && code >= 200 && code < 300)
                head.framing = try framing(method: method)
                body = HTTPBodyReader(framing: head.framing, limits: limits, headerSectionLength: headerSectionLength)
                state = .body
                return .head(head)
            case .body:
                switch try body.next(from: &buffer) {
                case nil: return nil
                case let .data(piece)?: return .body(piece)
                case .end?:
                    state = switchesProtocols ? .switched : .statusLine
                    return .end
                }
            }
        }
    }

    /// How the body of the response in ``head`` to a request with `method` is delimited (RFC
    /// 9112 section 6.3). A response that has no body by its method or status has none, whatever
    /// its fields say; they are not checked.
    private func framing(method: String) throws(HTTPParseError) -> HTTPBodyFraming {
        if method == "HEAD" || head.status.forbidsBody || switchesProtocols { return .none }
        return try HTTPBodyFraming.of(head.headers, version: head.version, limits: limits, otherwise: .untilClose)
    }
}
