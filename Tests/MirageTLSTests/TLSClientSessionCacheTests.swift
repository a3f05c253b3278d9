import MirageCore
import MirageCrypto
import MirageHTTP
import MirageNet
import MirageRuntime
@testable import MirageTLS
import MirageTesting
import Testing

/// A client stack's session cache: connections to a server resume through it (TLS 1.3 and 1.2),
/// and servers cannot make it hold more than its bound, however large and many their tickets.
@Suite("TLS client session cache")
struct TLSClientSessionCacheTests {
    static func ticket(_ size: Int, suite: TLSCipherSuite = .aes128GCMSHA256, lifetime: UInt32 = 3600) -> TLSSessionTicket {
        TLSSessionTicket(ticket: [UInt8](repeating: 1, count: size), preSharedKey: [UInt8](repeating: 2, count: 32), cipherSuite: suite,
                         ageAdd: 0, lifetime: lifetime, received: WallTime(seconds: 1000), serverName: "example.org")
    }

    @Test("bounded by bytes: the oldest go first, a ticket larger than the bound is not kept, a server has one entry")
    func bound() {
        let cache = TLSClientSessionCache(maximumBytes: 10_000)
        for index in 0..<100 { cache.keep(Self.ticket(1000), for: "server \(index)") }
        #expect(cache.bytes <= cache.maximumBytes && cache.count == 8, "\(cache.bytes) bytes in \(cache.count) entries")
        #expect(cache.ticket(for: "server 0", now: WallTime(seconds: 1001)) == nil, "the oldest went")
        cache.keep(Self.ticket(20_000), for: "huge")
        #expect(cache.ticket(for: "huge", now: WallTime(seconds: 1001)) == nil && cache.bytes <= cache.maximumBytes)
        for _ in 0..<10 { cache.keep(Self.ticket(500), for: "server 99") }
        #expect(cache.count <= 8 && cache.bytes <= cache.maximumBytes)
    }

    @Test("a TLS 1.3 ticket is offered once, a TLS 1.2 one until it expires")
    func reuse() {
        let cache = TLSClientSessionCache()
        cache.keep(Self.ticket(100), for: "a")
        cache.keep(Self.ticket(100, suite: .ecdheECDSAWithAES128GCMSHA256, lifetime: 10), for: "b")
        let now = WallTime(seconds: 1001)
        #expect(cache.ticket(for: "a", now: now) != nil && cache.ticket(for: "a", now: now) == nil)
        #expect(cache.ticket(for: "b", now: now) != nil && cache.ticket(for: "b", now: now) != nil)
        #expect(cache.ticket(for: "b", now: WallTime(seconds: 1010)) == nil && cache.count == 0)
    }

    @Test("connections through one client stack resume: TLS 1.3 and TLS 1.2, over our TCP in simulated time", arguments: ["1.3", "1.2"])
    func resumesThroughTheStack(version: String) {
        let pair = SimulatedStackPair(seed: 9)
        var resumed: [Bool] = []
        let status = pair.run { pair in
            let wallClock = pair.platform.wallClock
            var serverConfiguration = TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)])
            serverConfiguration.versions = version == "1.3" ? [.tls13, .tls12] : [.tls12]
            serverConfiguration.sessionTickets = TLSSessionTickets(random: SeededEntropy(seed: 10))
            let serverTLS = TLSStack(pair.server, server: serverConfiguration, client: nil, random: SeededEntropy(seed: 11), now: { wallClock.now() })
            let http = HTTPServer(clock: pair.platform.monotonicClock, wallClock: wallClock) { _ in
                HTTPResponse(status: .ok, headers: HTTPHeaders(), body: PacketBuffer(Array("hello".utf8)))
            }
            guard let listener = try? serverTLS.listen(port: 443) else { return 1 }
            Task { await http.serve(listener) }
            let clientTLS = TLSStack(pair.client, server: nil, client: clientConfiguration(), random: SeededEntropy(seed: 12), now: { wallClock.now() })
            let endpoint = Endpoint(.v4(SimulatedStackPair.serverAddress), port: 443)
            for _ in 0..<3 {
                guard let client = try? await HTTPClient(connectingWith: clientTLS, to: endpoint, host: "example.org"),
                      (try? await client.send(request("GET", "/"))) != nil else { return 2 }
                resumed.append(client.connection.connection.isResumed)
                await client.close()
            }
            return 0
        }
        #expect(status == 0)
        #expect(resumed == [false, true, true], "TLS \(version)")
    }
}
