import MirageCore
import MirageHTTP
import MirageNet
import MirageRuntime
import MirageTesting
import Testing

/// Issue 13, classes 2 and 3 at the application: a client that stops reading is dropped after the
/// write time limit, and connections past the limit are closed at once; others are still served.
@Suite("HTTP server limits: write time, connections")
struct HTTPServerLimitTests {
    /// A server answering `/big` with 4 MiB and anything else with "hello".
    static func start(_ pair: SimulatedStackPair, _ configuration: HTTPServerConfiguration) -> HTTPServer<ManualClock, ManualWallClock> {
        let listener = try! pair.server.listen(port: 80)
        let server = HTTPServer(configuration: configuration, clock: pair.platform.monotonicClock, wallClock: pair.platform.wallClock) { request in
            let size = request.head.target == "/big" ? 4 << 20 : 5
            return HTTPResponse(status: .ok, headers: HTTPHeaders(), body: PacketBuffer([UInt8](repeating: 0x61, count: size)))
        }
        Task { await server.serve(listener) }
        return server
    }

    @Test("a client that asks for 4 MiB and never reads is reset after the 5 s write limit, its connection and unsent data released at once; the next client is served")
    func writeTimeout() {
        let pair = SimulatedStackPair(seed: 31)
        var dropped = 0, openAfter = -1
        var held = StackHoldings()
        var quick = ("", 0.0)
        let status = pair.run { pair in
            var configuration = HTTPServerConfiguration()
            configuration.writeTimeout = .seconds(5)
            let server = Self.start(pair, configuration)
            let target = Endpoint(.v4(SimulatedStackPair.serverAddress), port: 80)
            let stalled = try! await pair.client.connect(to: target)
            try? await stalled.write(PacketBuffer(Array("GET /big HTTP/1.1\r\nHost: a\r\n\r\n".utf8)))
            try? await sleep(for: .seconds(7))
            dropped = server.counters.writeTimeouts
            try? await sleep(for: .seconds(1))
            openAfter = server.counters.open
            held = pair.server.holdings
            quick = await exchange(pair, "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            await stalled.close()
            return 0
        }
        #expect(status == 0)
        #expect(dropped == 1)
        #expect(openAfter == 0)
        // Reset, not closed: no orphan keeps the response for a client that does not read.
        #expect(held.connections == 0 && held.orphans == 0, "\(held.summary)")
        #expect(quick.0.hasPrefix("HTTP/1.1 200 OK") && quick.0.hasSuffix("aaaaa"))
    }

    @Test("past 2 open connections a third is closed at once and counted; after one leaves, a new one is served")
    func connectionLimit() {
        let pair = SimulatedStackPair(seed: 32)
        var refused = 0
        var thirdEnded = -1.0
        var later = ("", 0.0)
        let status = pair.run { pair in
            var configuration = HTTPServerConfiguration()
            configuration.maximumConnections = 2
            configuration.idleTimeout = .seconds(5)
            let server = Self.start(pair, configuration)
            let target = Endpoint(.v4(SimulatedStackPair.serverAddress), port: 80)
            let first = try! await pair.client.connect(to: target)
            let second = try! await pair.client.connect(to: target)
            try? await sleep(for: .milliseconds(100))
            (_, thirdEnded) = await exchange(pair, "")
            refused = server.counters.refusedOverLimit
            await first.close()
            try? await sleep(for: .milliseconds(100))
            later = await exchange(pair, "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
            await second.close()
            return 0
        }
        #expect(status == 0)
        #expect(refused == 1)
        #expect(thirdEnded < 1, "the third connection ended at \(thirdEnded) s, not at once")
        #expect(later.0.hasPrefix("HTTP/1.1 200 OK"))
    }
}
