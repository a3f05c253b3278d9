import MirageCore
import MirageHTTP
import MirageNet
import MirageRuntime
import MirageTesting
import Testing

/// How many connections a test server accepted.
final class ConnectionCount {
    var value = 0
}

/// An HTTP server on port 80 of the pair's server stack: `GET /hello` is "hello", `POST /echo`
/// echoes the body and says how it was framed and what `Host` it named, `GET /chunked` comes in the chunked coding,
/// `GET /bye` answers with `Connection: close`, anything else is 404. Port 81 serves
/// ``testSite()``.
func startClientTestServers(_ pair: SimulatedStackPair, connections: ConnectionCount = ConnectionCount()) {
    let clock = pair.platform.monotonicClock, wallClock = pair.platform.wallClock
    let server = HTTPServer(clock: clock, wallClock: wallClock) { request in
        var headers = HTTPHeaders()
        switch (request.head.method, request.head.target) {
        case ("GET", "/hello"), ("HEAD", "/hello"):
            return HTTPResponse(status: .ok, headers: headers, body: PacketBuffer(Array("hello".utf8)))
        case ("POST", "/echo"):
            switch request.head.framing {
            case let .length(length): headers.add("X-Framing", "length \(length)")
            case .chunked: headers.add("X-Framing", "chunked")
            case .none, .untilClose: headers.add("X-Framing", "none")
            }
            headers.add("X-Host", request.head.headers["Host"] ?? "")
            return HTTPResponse(status: .ok, headers: headers, body: PacketBuffer(request.body))
        case ("GET", "/chunked"):
            headers.add("Transfer-Encoding", "chunked")
            return HTTPResponse(status: .ok, headers: headers, body: PacketBuffer(Array("7\r\nhello, \r\n5\r\nworld\r\n0\r\n\r\n".utf8)))
        case ("GET", "/bye"):
            headers.add("Connection", "close")
            return HTTPResponse(status: .ok, headers: headers, body: PacketBuffer(Array("bye".utf8)))
        default:
            return .text(.notFound, "no such page")
        }
    }
    let listener = try! pair.server.listen(port: 80)
    Task {
        while let connection = try? await listener.accept() {
            connections.value += 1
            Task { await server.serveConnection(connection) }
        }
    }
    let site = testSite()
    let siteServer = HTTPServer(clock: clock, wallClock: wallClock) { await site.respond(to: $0) }
    let siteListener = try! pair.server.listen(port: 81)
    Task { await siteServer.serve(siteListener) }
}

/// A server on `port` that reads one request head, writes `reply` as it is and closes.
func startRawServer(_ pair: SimulatedStackPair, port: UInt16, reply: String) {
    let listener = try! pair.server.listen(port: port)
    Task {
        guard let connection = try? await listener.accept() else { return }
        var received: [UInt8] = []
        while !String(decoding: received, as: UTF8.self).contains("\r\n\r\n"), let data = try? await connection.read() {
            received += data.bytes
        }
        try? await connection.write(PacketBuffer(Array(reply.utf8)))
        await connection.close()
    }
}

func serverEndpoint(port: UInt16 = 80) -> Endpoint { Endpoint(.v4(SimulatedStackPair.serverAddress), port: port) }

/// Runs `body` with a client connected to `port` of a fresh pair running the test servers.
func withClient(port: UInt16 = 80, limits: HTTPLimits = HTTPLimits(), connections: ConnectionCount = ConnectionCount(),
                setUp: @escaping (SimulatedStackPair) -> Void = { _ in },
                _ body: @escaping (HTTPClient<DirectTCPConnection<SimulatedNetworkDevice, ManualClock>>) async -> Void) {
    let pair = SimulatedStackPair(seed: 41)
    let status = pair.run { pair in
        startClientTestServers(pair, connections: connections)
        setUp(pair)
        do {
            let client = try await HTTPClient(connectingWith: pair.client, to: serverEndpoint(port: port), limits: limits)
            await body(client)
            return 0
        } catch {
            return 1
        }
    }
    #expect(status == 0)
}

/// Sends a request and returns the response or the error.
func send(_ client: HTTPClient<some Flow>, _ method: String, _ target: String, _ fields: [(String, String)] = [],
          body: String = "") async -> Result<HTTPClientResponse, HTTPClientError> {
    do {
        return .success(try await client.send(request(method, target, fields, body: body)))
    } catch {
        return .failure(error)
    }
}

extension Result where Success == HTTPClientResponse {
    var response: HTTPClientResponse? { try? get() }
    var text: String? { response.map { String(decoding: $0.body, as: UTF8.self) } }
    var error: Failure? {
        if case let .failure(error) = self { return error }
        return nil
    }
}

@Suite("HTTP/1.1 client against our server, over our stack in simulated time")
struct HTTPClientTests {
    @Test("GET and HEAD: the body, or only its length; 404 with its body")
    func getHeadAnd404() {
        var results: [Result<HTTPClientResponse, HTTPClientError>] = []
        withClient { client in
            results.append(await send(client, "GET", "/hello"))
            results.append(await send(client, "HEAD", "/hello"))
            results.append(await send(client, "GET", "/missing"))
        }
        try? #require(results.count == 3)
        #expect(results[0].response?.status == .ok && results[0].text == "hello" && results[0].response?.headers["Content-Length"] == "5")
        #expect(results[1].response?.status == .ok && results[1].text == "" && results[1].response?.headers["Content-Length"] == "5")
        #expect(results[2].response?.status.code == 404 && results[2].text == "no such page\n")
    }

    @Test("POST bodies reach the server whole, framed by Content-Length or chunked, small and large")
    func post() {
        let large = String(repeating: "0123456789abcdef", count: 4096) // 64 KiB: several segments, several writes
        var results: [Result<HTTPClientResponse, HTTPClientError>] = []
        withClient { client in
            results.append(await send(client, "POST", "/echo", body: "name=value"))
            results.append(await send(client, "POST", "/echo", [("Transfer-Encoding", "chunked")], body: "in a chunk"))
            results.append(await send(client, "POST", "/echo", body: large))
            results.append(await send(client, "POST", "/echo", [("Transfer-Encoding", "chunked")], body: large))
            results.append(await send(client, "POST", "/echo"))
        }
        try? #require(results.count == 5)
        #expect(results[0].text == "name=value" && results[0].response?.headers["X-Framing"] == "length 10")
        #expect(results[0].response?.headers["X-Host"] == "10.0.0.2") // the address, without the default port
        #expect(results[1].text == "in a chunk" && results[1].response?.headers["X-Framing"] == "chunked")
        #expect(results[2].text == large && results[2].response?.headers["X-Framing"] == "length 65536")
        #expect(results[3].text == large && results[3].response?.headers["X-Framing"] == "chunked")
        #expect(results[4].text == "" && results[4].response?.headers["X-Framing"] == "length 0")
    }

    @Test("keep-alive: several requests, one after another, on one connection")
    func keepAlive() {
        let connections = ConnectionCount()
        var texts: [String?] = []
        var open = false
        withClient(connections: connections) { client in
            for index in 0..<6 {
                let result = index % 2 == 0 ? await send(client, "GET", "/hello") : await send(client, "POST", "/echo", body: "\(index)")
                texts.append(result.text)
            }
            open = client.isOpen
        }
        #expect(texts == ["hello", "1", "hello", "3", "hello", "5"])
        #expect(open && connections.value == 1)
    }

    @Test("Connection: close, from the response or the request, ends the connection; later requests fail")
    func connectionClose() {
        var bye: Result<HTTPClientResponse, HTTPClientError>?, after: Result<HTTPClientResponse, HTTPClientError>?
        var asked: Result<HTTPClientResponse, HTTPClientError>?, afterAsking: Result<HTTPClientResponse, HTTPClientError>?
        var open = [true, true]
        withClient { client in
            bye = await send(client, "GET", "/bye")
            open[0] = client.isOpen
            after = await send(client, "GET", "/hello")
        }
        withClient { client in
            asked = await send(client, "GET", "/hello", [("Connection", "close")])
            open[1] = client.isOpen
            afterAsking = await send(client, "GET", "/hello")
        }
        #expect(bye?.text == "bye" && after?.error == .connectionClosed)
        #expect(asked?.text == "hello" && asked?.response?.headers["Connection"] == "close" && afterAsking?.error == .connectionClosed)
        #expect(open == [false, false])
    }

    @Test("a chunked response is de-chunked")
    func chunkedResponse() {
        var result: Result<HTTPClientResponse, HTTPClientError>?
        withClient { client in result = await send(client, "GET", "/chunked") }
        #expect(result?.text == "hello, world" && result?.response?.head.framing == .chunked)
    }

    @Test("a range request to the static site: 206 with Content-Range and the bytes of the range")
    func range() {
        var partial: Result<HTTPClientResponse, HTTPClientError>?, whole: Result<HTTPClientResponse, HTTPClientError>?
        withClient(port: 81) { client in
            partial = await send(client, "GET", "/docs/", [("Range", "bytes=2-5")])
            whole = await send(client, "GET", "/docs/")
        }
        #expect(partial?.response?.status == .partialContent && partial?.text == "2345")
        #expect(partial?.response?.headers["Content-Range"] == "bytes 2-5/10")
        #expect(whole?.response?.status == .ok && whole?.text == "0123456789")
    }

    @Test("a body delimited by the end of the connection, after an interim 100; the connection is then done")
    func untilClose() {
        var result: Result<HTTPClientResponse, HTTPClientError>?
        var open = true
        let reply = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n" + String(repeating: "streamed ", count: 1000)
        withClient(port: 82, setUp: { startRawServer($0, port: 82, reply: reply) }) { client in
            result = await send(client, "GET", "/")
            open = client.isOpen
        }
        #expect(result?.response?.status == .ok && result?.text == String(repeating: "streamed ", count: 1000))
        #expect(result?.response?.head.framing == .untilClose && !open)
    }

    @Test("a response cut short by the end of the connection fails as premature; a malformed one as a parse error")
    func failures() {
        var short: Result<HTTPClientResponse, HTTPClientError>?, smuggled: Result<HTTPClientResponse, HTTPClientError>?
        withClient(port: 83, setUp: { startRawServer($0, port: 83, reply: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort") }) { client in
            short = await send(client, "GET", "/")
        }
        let reply = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        withClient(port: 84, setUp: { startRawServer($0, port: 84, reply: reply) }) { client in
            smuggled = await send(client, "GET", "/")
        }
        #expect(short?.error == .prematureEnd)
        #expect(smuggled?.error == .parse(.malformed("both Content-Length and Transfer-Encoding")))
    }

    @Test("a body past the limit fails with contentTooLarge and closes the connection")
    func bodyLimit() {
        var limits = HTTPLimits()
        limits.bodyLength = 4
        var result: Result<HTTPClientResponse, HTTPClientError>?
        var open = true
        withClient(limits: limits) { client in
            result = await send(client, "GET", "/hello")
            open = client.isOpen
        }
        #expect(result?.error == .parse(.contentTooLarge) && !open)
    }
}
