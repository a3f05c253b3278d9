import MirageCore
import MirageHTTP
import MirageNet
import MirageRuntime
import MirageTesting
import Testing

@Suite("HTTP server: responses with prepared field encodings")
struct HTTPServerPreparedFieldsTests {
    /// Answers `/plain` and `/prepared` with the same fields, the second's encoding prepared, and
    /// `/dated` with prepared fields that carry their own Date and Connection (which the server
    /// replaces, as for any response) and a Content-Length.
    static func start(_ pair: SimulatedStackPair) {
        let listener = try! pair.server.listen(port: 80)
        let server = HTTPServer(clock: pair.platform.monotonicClock, wallClock: pair.platform.wallClock) { request in
            var headers = HTTPHeaders([("Content-Type", "text/plain"), ("ETag", "\"7\"")])
            switch request.head.target {
            case "/prepared": headers.prepareEncoding()
            case "/dated":
                headers = HTTPHeaders([("Date", "yesterday"), ("Connection", "keep-alive"), ("Content-Length", "2")])
                headers.prepareEncoding()
            default: break
            }
            return HTTPResponse(status: .ok, headers: headers, body: PacketBuffer(Array("hi".utf8)))
        }
        Task { await server.serve(listener) }
    }

    @Test("the same bytes as unprepared fields; the application's Date and, when closing, Connection still give way to the server's")
    func sameBytes() {
        let pair = SimulatedStackPair(seed: 9)
        var reply = ""
        let status = pair.run { pair in
            Self.start(pair)
            (reply, _) = await exchange(pair, "GET /plain HTTP/1.1\r\nHost: a\r\n\r\nGET /prepared HTTP/1.1\r\nHost: a\r\n\r\n"
                                        + "GET /dated HTTP/1.1\r\nHost: a\r\n\r\nGET /dated HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            return 0
        }
        #expect(status == 0)
        let date = HTTPServerTests.date
        let ok = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nETag: \"7\"\r\n" + date + "Content-Length: 2\r\n\r\nhi"
        let dated = "HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n" + date + "\r\nhi"
        let closing = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n" + date + "Connection: close\r\n\r\nhi"
        #expect(reply == ok + ok + dated + closing)
    }

    @Test("each response's own status line, however statuses alternate (the last one is kept encoded)")
    func statusLines() {
        let pair = SimulatedStackPair(seed: 10)
        var reply = ""
        let status = pair.run { pair in
            let listener = try! pair.server.listen(port: 80)
            let server = HTTPServer(clock: pair.platform.monotonicClock, wallClock: pair.platform.wallClock) { request in
                let status = switch request.head.target {
                case "/missing": HTTPStatus.notFound
                case "/fine": HTTPStatus(code: 200, reason: "Fine")
                default: HTTPStatus.ok
                }
                return HTTPResponse(status: status, headers: HTTPHeaders(), body: PacketBuffer(Array("x\r\n".utf8)))
            }
            Task { await server.serve(listener) }
            let targets = ["/", "/", "/missing", "/", "/fine", "/fine", "/"]
            (reply, _) = await exchange(pair, targets.map { "GET \($0) HTTP/1.1\r\nHost: a\r\n\r\n" }.joined())
            return 0
        }
        #expect(status == 0)
        let all = reply.split(separator: "\r\n")
        let lines = all.filter { $0.hasPrefix("HTTP/") }
        #expect(lines == ["HTTP/1.1 200 OK", "HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found", "HTTP/1.1 200 OK",
                          "HTTP/1.1 200 Fine", "HTTP/1.1 200 Fine", "HTTP/1.1 200 OK"])
        #expect(all.filter { $0 == "Content-Length: 3" }.count == 7)
    }
}
