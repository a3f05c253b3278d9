import MirageCore
import MirageHTTP
import MirageTesting
import Testing

/// Feeds `text` to a fresh response parser expecting responses to `methods`, in the pieces
/// `split` makes, then the end of the connection when `finish`; collects every event, or the
/// error that ended parsing.
func parseResponses(_ text: String, to methods: [String] = ["GET"], finish: Bool = false, limits: HTTPLimits = HTTPLimits(),
                    split: ([UInt8]) -> [[UInt8]] = { [$0] }) -> (events: [HTTPResponseEvent], error: HTTPParseError?) {
    var parser = HTTPResponseParser(limits: limits)
    for method in methods { parser.expectResponse(toMethod: method) }
    var events: [HTTPResponseEvent] = []
    var pieces = split(Array(text.utf8))
    if finish { pieces.append([]) }
    for (index, piece) in pieces.enumerated() {
        if finish, index == pieces.count - 1 { parser.finish() } else { parser.append(piece) }
        do {
            while let event = try parser.next() { events.append(event) }
        } catch {
            return (mergedResponses(events), error)
        }
    }
    return (mergedResponses(events), nil)
}

/// `events` with consecutive body pieces joined, so that differently split inputs compare equal.
func mergedResponses(_ events: [HTTPResponseEvent]) -> [HTTPResponseEvent] {
    var result: [HTTPResponseEvent] = []
    for event in events {
        if case let .body(piece) = event, case let .body(previous)? = result.last {
            result[result.count - 1] = .body(PacketBuffer(previous.bytes + piece.bytes))
        } else {
            result.append(event)
        }
    }
    return result
}

func body(_ text: String) -> HTTPResponseEvent { .body(PacketBuffer(Array(text.utf8))) }

func responseHead(_ code: Int, _ reason: String, _ fields: [(String, String)] = [], version: HTTPVersion = .http11,
                  framing: HTTPBodyFraming) -> HTTPResponseEvent {
    .head(HTTPResponseHead(status: HTTPStatus(code: code, reason: reason), version: version, headers: HTTPHeaders(fields), framing: framing))
}

@Suite("HTTP/1.1 response parser (RFC 9112)")
struct HTTPResponseParserTests {
    /// Exchanges whose responses must parse: the requests' methods, the bytes, and whether the
    /// connection ends after them.
    static let corpus: [(methods: [String], text: String, finish: Bool)] = [
        (["GET", "GET"], "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", false),
        (["GET"], "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n", false),
        (["POST"], "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok", false),
        (["HEAD", "DELETE", "GET", "GET"], "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n"
            + "HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", false),
        (["GET"], "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this, until the connection ends", true),
        (["GET"], "HTTP/1.1 200 OK\nContent-Length: 2\n\nhi", false),
    ]

    @Test("the same events whether the bytes come at once, one by one or in random pieces", arguments: 0..<6)
    func splitting(index: Int) {
        let (methods, text, finish) = Self.corpus[index]
        let whole = parseResponses(text, to: methods, finish: finish)
        #expect(whole.error == nil)
        #expect(whole.events.filter { $0 == .end }.count == methods.count)
        #expect(parseResponses(text, to: methods, finish: finish, split: bytesOneByOne) == whole)
        for seed in UInt64(1)...20 {
            #expect(parseResponses(text, to: methods, finish: finish, split: randomPieces(seed: seed)) == whole, "seed \(seed)")
        }
    }

    @Test("Content-Length: that many octets, then the next response")
    func contentLength() {
        let (events, _) = parseResponses(Self.corpus[0].text, to: ["GET", "GET"])
        #expect(events == [
            responseHead(200, "OK", [("Content-Length", "5")], framing: .length(5)), body("hello"), .end,
            responseHead(404, "Not Found", [("Content-Length", "0")], framing: .length(0)), .end,
        ])
    }

    @Test("chunked: the chunks' data joined, extensions ignored, trailers read and dropped")
    func chunked() {
        let (events, _) = parseResponses(Self.corpus[1].text)
        #expect(events == [responseHead(200, "OK", [("Transfer-Encoding", "chunked")], framing: .chunked), body("hello world"), .end])
    }

    @Test("without Content-Length or Transfer-Encoding: everything until the connection ends, which ends the body")
    func untilClose() {
        let text = Self.corpus[4].text
        let open = parseResponses(text)
        #expect(open.events == [responseHead(200, "OK", [("Content-Type", "text/plain")], version: .http10, framing: .untilClose),
                                body("all of this, until the connection ends")])
        #expect(parseResponses(text, finish: true).events == open.events + [.end])
        if case let .head(head) = open.events[0] { #expect(!head.keepAlive) }
    }

    @Test("interim responses (100, 103) are skipped; the final one is returned")
    func interim() {
        let (events, _) = parseResponses(Self.corpus[2].text, to: ["POST"])
        #expect(events == [responseHead(201, "Created", [("Content-Length", "2")], framing: .length(2)), body("ok"), .end])
    }

    @Test("no body for HEAD, 204 and 304 whatever Content-Length says; the method queue keeps responses apart")
    func noBody() {
        let (events, _) = parseResponses(Self.corpus[3].text, to: ["HEAD", "DELETE", "GET", "GET"])
        #expect(events == [
            responseHead(200, "OK", [("Content-Length", "1000")], framing: .none), .end,
            responseHead(204, "No Content", framing: .none), .end,
            responseHead(304, "Not Modified", [("Content-Length", "1000")], framing: .none), .end,
            responseHead(200, "OK", [("Content-Length", "1")], framing: .length(1)), body("x"), .end,
        ])
    }

    @Test("status lines: an empty or missing reason, a code past 599 kept as sent, keep-alive by version and Connection")
    func statusLines() {
        func head(_ text: String) -> HTTPResponseHead? {
            if case let .head(head)? = parseResponses(text, to: ["HEAD"]).events.first { return head }
            return nil
        }
        #expect(head("HTTP/1.1 200 \r\n\r\n")?.status == HTTPStatus(code: 200, reason: ""))
        #expect(head("HTTP/1.1 200\r\n\r\n")?.status == HTTPStatus(code: 200, reason: ""))
        #expect(head("HTTP/1.1 299 All  good\tthanks\r\n\r\n")?.status.reason == "All  good\tthanks")
        #expect(head("HTTP/1.1 600 Odd\r\n\r\n")?.status.code == 600)
        #expect(head("HTTP/1.1 200 OK\r\n\r\n")?.keepAlive == true)
        #expect(head("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")?.keepAlive == false)
        #expect(head("HTTP/1.0 200 OK\r\n\r\n")?.keepAlive == false)
        #expect(head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\n")?.keepAlive == true)
        #expect(head("HTTP/1.2 200 OK\r\n\r\n")?.version == .http11)
    }

    @Test("101 Switching Protocols and a 2xx to CONNECT end HTTP on the connection; the bytes after are handed over")
    func switching() throws {
        var parser = HTTPResponseParser()
        parser.expectResponse(toMethod: "GET")
        parser.append(Array("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\u{81}\u{0}HTTP/1.1".utf8))
        #expect(try parser.next() == responseHead(101, "Switching Protocols", [("Upgrade", "websocket")], framing: .none))
        #expect(try parser.next() == .end)
        #expect(try parser.next() == nil)
        #expect(parser.hasSwitchedProtocols && !parser.isInsideResponse)
        #expect(parser.takeUnparsedBytes().bytes == Array("\u{81}\u{0}HTTP/1.1".utf8))

        let tunnel = parseResponses("HTTP/1.1 200 Connection established\r\n\r\n\u{16}\u{3}", to: ["CONNECT"])
        #expect(tunnel.error == nil && tunnel.events == [responseHead(200, "Connection established", framing: .none), .end])
    }

    @Test("a response cut short by the end of the connection stays unfinished; an idle end is clean")
    func truncated() {
        for text in ["HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
                     "HTTP/1.1 200 OK\r\nContent-Le", "HTTP/1.1 2"] {
            var parser = HTTPResponseParser()
            parser.expectResponse(toMethod: "GET")
            parser.append(Array(text.utf8))
            parser.finish()
            var ended = false
            do { while let event = try parser.next() { ended = ended || event == .end } } catch { Issue.record("\(error)") }
            #expect(!ended && parser.isInsideResponse, "\(text.debugDescription)")
        }
        var idle = HTTPResponseParser()
        idle.finish()
        #expect((try? idle.next()) == .some(nil))
        #expect(!idle.isInsideResponse)
    }

    static let small: HTTPLimits = {
        var limits = HTTPLimits()
        limits.startLineLength = 64
        limits.headerSectionLength = 128
        limits.headerFieldCount = 4
        limits.bodyLength = 16
        return limits
    }()

    /// Responses that must be refused, with the error each gets.
    static let refused: [(String, HTTPParseError)] = [
        // Framing that two readers could take two ways (RFC 9112 sections 6.1, 6.3, 11.2).
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .malformed("both Content-Length and Transfer-Encoding")),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", .malformed("both Content-Length and Transfer-Encoding")),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", .malformed("several Content-Length fields")),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello", .malformed("invalid Content-Length")),
        ("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", .malformed("invalid Content-Length")),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .malformed("invalid Content-Length")),
        ("HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\nhello", .malformed("invalid Content-Length")),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", .malformed("chunked is not the final transfer coding")),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", .notImplemented("transfer coding gzip")),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", .malformed("chunked applied twice")),
        ("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", .malformed("Transfer-Encoding in an HTTP/1.0 message")),
        // Field lines (RFC 9112 sections 2.2, 5.1 and 5.2).
        ("HTTP/1.1 200 OK\r\nX: a\rContent-Length: 0\r\n\r\n", .malformed("a bare CR")),
        ("HTTP/1.1 200 OK\r\nX: y\r\n Content-Length: 0\r\n\r\n", .malformed("obsolete line folding")),
        ("HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", .malformed("whitespace before a field's colon")),
        ("HTTP/1.1 200 OK\r\nCont(ent: 0\r\n\r\n", .malformed("an invalid field name")),
        ("HTTP/1.1 200 OK\r\n: 0\r\n\r\n", .malformed("an empty field name")),
        ("HTTP/1.1 200 OK\r\nX 0\r\n\r\n", .malformed("a field line without a colon")),
        ("HTTP/1.1 200 OK\r\nX: a\u{0}b\r\n\r\n", .malformed("a control character in a field value")),
        // Status lines (RFC 9112 section 4).
        ("HTTP/1.1 20 OK\r\n\r\n", .malformed("a malformed status line")),
        ("HTTP/1.1 2000 OK\r\n\r\n", .malformed("a malformed status line")),
        ("HTTP/1.1  200 OK\r\n\r\n", .malformed("a malformed status line")),
        ("HTTP/1.1 099 Low\r\n\r\n", .malformed("an invalid status code")),
        ("HTTP/1.1 2x0 OK\r\n\r\n", .malformed("an invalid status code")),
        ("HTTP/1.1 200 O\u{7}K\r\n\r\n", .malformed("a control character in the reason phrase")),
        ("HTTP/11 200 OK\r\n\r\n", .malformed("a malformed status line")),
        ("HTTQ/1.1 200 OK\r\n\r\n", .malformed("a malformed HTTP version")),
        ("HTTP/2.0 200 OK\r\n\r\n", .versionNotSupported),
        // Chunked coding (RFC 9112 section 7.1).
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformed("a malformed chunk size")),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n", .malformed("chunk data longer than its size")),
        // Limits.
        ("HTTP/1.1 200 " + String(repeating: "O", count: 60) + "\r\n\r\n", .malformed("the status line is too long")),
        ("HTTP/1.1 200 OK\r\nX: " + String(repeating: "b", count: 200) + "\r\n\r\n", .headerFieldsTooLarge),
        ("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\nE: 5\r\n\r\n", .headerFieldsTooLarge),
        ("HTTP/1.1 200 OK\r\nContent-Length: 17\r\n\r\n", .contentTooLarge),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n1\r\nx\r\n0\r\n\r\n", .contentTooLarge),
        ("HTTP/1.1 200 OK\r\n\r\n0123456789abcdefg", .contentTooLarge),
        // A response nothing asked for.
        ("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", .malformed("a response to no request")),
    ]

    @Test("malformed and smuggling responses are refused, split or not, and the parser stays failed", arguments: 0..<36)
    func refusedResponses(index: Int) {
        let (text, expected) = Self.refused[index]
        #expect(parseResponses(text, limits: Self.small).error == expected, "\(text.debugDescription)")
        #expect(parseResponses(text, limits: Self.small, split: bytesOneByOne).error == expected)
        var parser = HTTPResponseParser(limits: Self.small)
        parser.expectResponse(toMethod: "GET")
        parser.append(Array(text.utf8))
        do { while try parser.next() != nil {} } catch {}
        parser.expectResponse(toMethod: "GET")
        parser.append(Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8))
        #expect(throws: expected) { try parser.next() }
    }

    @Test("random bytes never trap: they parse, wait for more or fail")
    func randomBytes() {
        let random = SeededEntropy(seed: 98)
        for _ in 0..<2000 {
            var parser = HTTPResponseParser(limits: Self.small)
            parser.expectResponse(toMethod: random.next() % 3 == 0 ? "HEAD" : "GET")
            parser.append(random.next() % 2 == 0 ? Array("HTTP/1.1 200 OK\r\n".utf8) : [])
            parser.append(random.bytes(count: Int(random.next() % 300)).map { $0 % 4 == 0 ? 10 : $0 })
            if random.next() % 2 == 0 { parser.finish() }
            do { while try parser.next() != nil {} } catch {}
        }
    }
}
