import MirageCore
import MirageHTTP
import MirageTesting
import Testing

/// Feeds `text` to a fresh parser in the pieces `split` makes and collects every event, or the
/// error that ended parsing.
func parse(_ text: String, limits: HTTPLimits = HTTPLimits(), split: ([UInt8]) -> [[UInt8]] = { [$0] })
    -> (events: [HTTPRequestEvent], error: HTTPParseError?) {
    var parser = HTTPRequestParser(limits: limits)
    var events: [HTTPRequestEvent] = []
    for piece in split(Array(text.utf8)) {
        parser.append(piece)
        do {
            while let event = try parser.next() { events.append(event) }
        } catch {
            return (merged(events), error)
        }
    }
    return (merged(events), nil)
}

/// `events` with consecutive body pieces joined, so that differently split inputs compare equal.
func merged(_ events: [HTTPRequestEvent]) -> [HTTPRequestEvent] {
    var result: [HTTPRequestEvent] = []
    for event in events {
        if case let .body(piece) = event, case let .body(previous)? = result.last {
            result[result.count - 1] = .body(PacketBuffer(previous.bytes + piece.bytes))
        } else {
            result.append(event)
        }
    }
    return result
}

func bytesOneByOne(_ bytes: [UInt8]) -> [[UInt8]] { bytes.map { [$0] } }

func randomPieces(seed: UInt64) -> ([UInt8]) -> [[UInt8]] {
    { bytes in
        let random = SeededEntropy(seed: seed)
        var pieces: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            let length = min(Int(random.next() % 17) + 1, bytes.count - index)
            pieces.append(Array(bytes[index..<index + length]))
            index += length
        }
        return pieces
    }
}

@Suite("HTTP/1.1 request parser (RFC 9112)")
struct HTTPRequestParserTests {
    @Test("a GET: method, target, version and fields as sent; no body; keep-alive by default in HTTP/1.1")
    func simpleGet() throws {
        let (events, error) = parse("GET /index.html?x=1 HTTP/1.1\r\nHost: example.org\r\nAccept:  text/html \r\n\r\n")
        #expect(error == nil)
        try #require(events.count == 2)
        guard case let .head(head) = events[0] else { Issue.record("no head"); return }
        #expect(head.method == "GET" && head.target == "/index.html?x=1" && head.version == .http11)
        #expect(head.headers["host"] == "example.org" && head.headers["ACCEPT"] == "text/html")
        #expect(head.framing == .none && head.keepAlive)
        #expect(events[1] == .end)
    }

    @Test("keep-alive: HTTP/1.0 only when asked, HTTP/1.1 unless Connection: close")
    func keepAlive() {
        func head(_ text: String) -> HTTPRequestHead? {
            if case let .head(head)? = parse(text).events.first { return head }
            return nil
        }
        #expect(head("GET / HTTP/1.0\r\n\r\n")?.keepAlive == false)
        #expect(head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n")?.keepAlive == true)
        #expect(head("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, close\r\n\r\n")?.keepAlive == false)
    }

    static let corpus = [
        "GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /b HTTP/1.1\r\nHost: a\r\n\r\nGET /c HTTP/1.1\r\nHost: a\r\n\r\n",
        "POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello worldGET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "PUT /up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n",
        "\r\nGET /after-empty-line HTTP/1.1\nHost: a\n\n",
    ]

    @Test("the same events whether the bytes come at once, one by one or in random pieces", arguments: 0..<4)
    func splitting(index: Int) {
        let text = Self.corpus[index]
        let whole = parse(text)
        #expect(whole.error == nil)
        #expect(whole.events.filter { $0 == .end }.count >= 1)
        #expect(parse(text, split: bytesOneByOne) == whole)
        for seed in UInt64(1)...20 {
            #expect(parse(text, split: randomPieces(seed: seed)) == whole, "seed \(seed)")
        }
    }

    @Test("bodies: Content-Length octets and de-chunked data, each request ended, pipelined ones in order")
    func bodies() {
        let post = parse(Self.corpus[1]).events
        #expect(post.count == 5)
        #expect(post[1] == .body(PacketBuffer(Array("hello world".utf8))) && post[2] == .end && post[4] == .end)
        let chunked = parse(Self.corpus[2]).events
        #expect(chunked.count == 3)
        if case let .head(head) = chunked[0] { #expect(head.framing == .chunked) }
        #expect(chunked[1] == .body(PacketBuffer(Array("hello0123456789".utf8))) && chunked[2] == .end)
    }

    static let small: HTTPLimits = {
        var limits = HTTPLimits()
        limits.startLineLength = 64
        limits.headerSectionLength = 128
        limits.headerFieldCount = 4
        limits.bodyLength = 16
        return limits
    }()

    /// Requests that must be refused, with the status each gets.
    static let refused: [(String, Int)] = [
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400),
        ("GET / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n  folded\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\n\r\n", 400),
        ("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/11\r\nHost: a\r\n\r\n", 400),
        ("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        ("GET /" + String(repeating: "a", count: 100) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414),
        ("GET / HTTP/1.1\r\nHost: a\r\nX: " + String(repeating: "b", count: 200) + "\r\n\r\n", 431),
        ("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n", 431),
        ("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 17\r\n\r\n", 413),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n1\r\nx\r\n0\r\n\r\n", 413),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
        ("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", 400),
    ]

    @Test("malformed and smuggling requests get their status, split or not, and the parser stays failed",
          arguments: 0..<27)
    func refusedRequests(index: Int) {
        let (text, status) = Self.refused[index]
        let whole = parse(text, limits: Self.small)
        #expect(whole.error?.status.code == status, "\(text.debugDescription): \(String(describing: whole.error))")
        #expect(parse(text, limits: Self.small, split: bytesOneByOne).error?.status.code == status)
        var parser = HTTPRequestParser(limits: Self.small)
        parser.append(Array(text.utf8))
        var first: HTTPParseError?
        do { while try parser.next() != nil {} } catch { first = error }
        parser.append(Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(throws: first!) { try parser.next() }
    }

    @Test("random bytes never trap: they parse, wait for more or fail with a status")
    func randomBytes() {
        let random = SeededEntropy(seed: 99)
        for _ in 0..<2000 {
            var parser = HTTPRequestParser(limits: Self.small)
            let prefix = Array("GET / HTTP/1.1\r\nHost: a\r\n".utf8)
            parser.append(random.next() % 2 == 0 ? prefix : [])
            parser.append(random.bytes(count: Int(random.next() % 300)).map { $0 % 4 == 0 ? 10 : $0 })
            do { while try parser.next() != nil {} } catch { #expect([400, 413, 414, 431, 501, 505].contains(error.status.code)) }
        }
    }
}

@Suite("HTTP/1.1 responses")
struct HTTPResponseTests {
    @Test("the status line and fields, CRLF-terminated, as sent")
    func head() {
        var headers = HTTPHeaders()
        headers.add("Content-Length", "5")
        headers.add("Content-Type", "text/plain")
        let bytes = HTTPResponseHead(status: .notFound, headers: headers).bytes
        #expect(String(decoding: bytes, as: UTF8.self) == "HTTP/1.1 404 Not Found\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\n")
    }

    @Test("a chunked body the parser reads back")
    func chunkedRoundTrip() {
        var wire = Array("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        for piece in ["hello", String(repeating: "z", count: 300)] {
            wire += HTTPChunkedEncoding.chunkHeader(length: piece.utf8.count) + Array(piece.utf8) + HTTPChunkedEncoding.chunkTrailer
        }
        wire += HTTPChunkedEncoding.end
        let (events, error) = parse(String(decoding: wire, as: UTF8.self))
        #expect(error == nil)
        #expect(events.dropFirst().first == .body(PacketBuffer(Array(("hello" + String(repeating: "z", count: 300)).utf8))))
        #expect(events.last == .end)
    }
}
