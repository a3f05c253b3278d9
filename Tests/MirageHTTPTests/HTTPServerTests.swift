import MirageCore
import MirageHTTP
import MirageNet
import MirageRuntime
import MirageTesting
import Testing

/// An HTTP server on the server stack of a simulated pair, answering `GET /hello` with "hello"
/// and anything else with 404.
func startServer(_ pair: SimulatedStackPair, configuration: HTTPServerConfiguration = HTTPServerConfiguration()) {
    let listener = try! pair.server.listen(port: 80)
    let server = HTTPServer(configuration: configuration, clock: pair.platform.monotonicClock, wallClock: pair.platform.wallClock) { request in
        if request.head.target == "/hello" {
            var headers = HTTPHeaders()
            headers.add("Content-Type", "text/plain")
            return HTTPResponse(status: .ok, headers: headers, body: PacketBuffer(Array("hello".utf8)))
        }
        return .text(.notFound, "no such page")
    }
    Task { await server.serve(listener) }
}

/// Connects to the server, sends `text`, and reads until the server closes; returns what came
/// back and when (simulated seconds) the connection ended.
func exchange(_ pair: SimulatedStackPair, _ text: String) async -> (String, Double) {
    guard let connection = try? await pair.client.connect(to: Endpoint(.v4(SimulatedStackPair.serverAddress), port: 80)) else {
        return ("connect failed", 0)
    }
    try? await connection.write(PacketBuffer(Array(text.utf8)))
    var received: [UInt8] = []
    while let data = try? await connection.read() { received += data.bytes }
    await connection.close()
    return (String(decoding: received, as: UTF8.self), Double(pair.platform.monotonicClock.now().nanoseconds) / 1e9)
}

@Suite("HTTP/1.1 server over our stack, in simulated time")
struct HTTPServerTests {
    static let date = "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"

    @Test("pipelined requests on one connection are answered in order; HEAD gets the length without the body; Connection: close ends it")
    func pipelining() {
        let pair = SimulatedStackPair(seed: 5)
        var reply = ""
        let status = pair.run { pair in
            startServer(pair)
            (reply, _) = await exchange(pair, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\nHEAD /hello HTTP/1.1\r\nHost: a\r\n\r\n"
                                        + "GET /missing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            return 0
        }
        #expect(status == 0)
        let ok = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n" + Self.date + "Content-Length: 5\r\n\r\n"
        let missing = "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\n" + Self.date
            + "Content-Length: 13\r\nConnection: close\r\n\r\nno such page\n"
        #expect(reply == ok + "hello" + ok + missing)
    }

    @Test("an immediate handler's response is sent without calling the handler; where it has none, the handler answers, in order")
    func immediateHandler() {
        final class Calls { var handler: [String] = [] }
        let pair = SimulatedStackPair(seed: 7)
        let calls = Calls()
        var reply = ""
        let status = pair.run { pair in
            let listener = try! pair.server.listen(port: 80)
            let server = HTTPServer(clock: pair.platform.monotonicClock, wallClock: pair.platform.wallClock,
                                    immediate: { request in request.head.target == "/kept" ? .text(.ok, "kept") : nil }) { request in
                calls.handler.append(request.head.target)
                return .text(.notFound, "no such page")
            }
            Task { await server.serve(listener) }
            (reply, _) = await exchange(pair, "GET /kept HTTP/1.1\r\nHost: a\r\n\r\nGET /other HTTP/1.1\r\nHost: a\r\n\r\n"
                                        + "GET /kept HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            return 0
        }
        #expect(status == 0)
        #expect(calls.handler == ["/other"])
        let bodies = reply.split(separator: "\r\n\r\n").dropFirst().map { String($0.prefix(while: { $0 != "H" })) }
        #expect(bodies == ["kept\n", "no such page\n", "kept\n"], "\(reply)")
    }

    @Test("a smuggling attempt gets 400 with Connection: close, and the connection is closed")
    func malformed() {
        let pair = SimulatedStackPair(seed: 6)
        var reply = ""
        let status = pair.run { pair in
            startServer(pair)
            (reply, _) = await exchange(pair, "POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /hello HTTP/1.1\r\nHost: a\r\n\r\n")
            return 0
        }
        #expect(status == 0)
        #expect(reply.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(reply.contains("Connection: close\r\n"))
        #expect(!reply.contains("200 OK")) // the smuggled request is never served
    }

    @Test("a slow sender gets 408 after the request time limit while another client is served at once; an idle connection is closed")
    func slowSender() {
        let pair = SimulatedStackPair(seed: 7)
        var slow = ("", 0.0), quick = ("", 0.0), idle = ("", 0.0)
        let status = pair.run { pair in
            var configuration = HTTPServerConfiguration()
            configuration.requestTimeout = .seconds(10)
            configuration.idleTimeout = .seconds(30)
            startServer(pair, configuration: configuration)
            let slowTask = Task { await exchange(pair, "GET /hello HTTP/1.1\r\nHo") }
            let idleTask = Task { await exchange(pair, "") }
            try? await sleep(for: .seconds(1))
            quick = await exchange(pair, "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            slow = await slowTask.value
            idle = await idleTask.value
            return 0
        }
        #expect(status == 0)
        #expect(quick.0.hasPrefix("HTTP/1.1 200 OK") && quick.1 < 2)
        #expect(slow.0.hasPrefix("HTTP/1.1 408 Request Timeout\r\n") && slow.1 >= 10 && slow.1 < 12)
        #expect(idle.0 == "" && idle.1 >= 30 && idle.1 < 32)
    }
}
