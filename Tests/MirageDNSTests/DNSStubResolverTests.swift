import MirageCore
@testable import MirageDNS
import MirageNet
import MirageRuntime
import MirageTesting
import Testing

typealias SimulatedResolver = DNSStubResolver<DirectStack<SimulatedNetworkDevice, ManualClock>, ManualClock>

/// A second zone beside ``exampleZone()``: the target of `outside.example.org`'s alias, and a
/// TXT set too big for a 1232-byte UDP answer.
let exampleNetZoneText = """
$ORIGIN example.net.
$TTL 600
@   IN SOA ns1.example.org. hostmaster.example.org. 1 7200 3600 1209600 120
    NS ns1.example.org.
www A 192.0.2.90
    AAAA 2001:db8::90
big TXT "\(String(repeating: "a", count: 200))" "\(String(repeating: "b", count: 200))" "\(String(repeating: "c", count: 200))"
    TXT "\(String(repeating: "d", count: 200))" "\(String(repeating: "e", count: 200))" "\(String(repeating: "f", count: 200))"
    TXT "\(String(repeating: "g", count: 200))" "\(String(repeating: "h", count: 200))" "\(String(repeating: "i", count: 200))"
"""

/// Our DNS server on port 53 of the pair's server, authoritative for example.org and example.net.
func startResolverTestServer(_ pair: SimulatedStackPair) {
    let zones = [exampleZone(), try! DNSZone(parsing: exampleNetZoneText, origin: name("example.net"))]
    let server = DNSServer(authority: DNSAuthority(zones: zones), stack: pair.server, clock: pair.platform.monotonicClock)
    let udp = try! pair.server.bind(port: 53)
    let tcp = try! pair.server.listen(port: 53)
    Task { await server.serve(udp: udp, tcp: tcp) }
}

/// A resolver on the pair's client asking `servers`.
func makeResolver(_ pair: SimulatedStackPair, _ servers: [Endpoint] = [serverEndpoint], seed: UInt64 = 5) -> SimulatedResolver {
    DNSStubResolver(stack: pair.client, clock: pair.platform.monotonicClock, entropy: SeededEntropy(seed: seed)) { servers }
}

/// The outcome of a resolution, for comparing after the run.
func outcome(_ body: () async throws(DNSResolverError) -> DNSAnswer) async -> Result<DNSAnswer, DNSResolverError> {
    do { return .success(try await body()) } catch { return .failure(error) }
}

/// An address in the documentation range, for comparing.
func v4(_ last: UInt8) -> IPAddress { .v4(IPv4Address(192, 0, 2, last)) }

@Suite("The stub resolver against our DNS server, over our stack in simulated time")
struct DNSStubResolverTests {
    @Test("A, AAAA and CNAME chains are answered, kept while their TTLs last, and NXDOMAIN is an error kept too")
    func lookups() {
        let pair = SimulatedStackPair(seed: 61)
        var results: [String: Result<DNSAnswer, DNSResolverError>] = [:]
        var addresses: [String: [IPAddress]] = [:]
        var statistics = DNSResolverStatistics()
        let status = pair.run { pair in
            startResolverTestServer(pair)
            let resolver = makeResolver(pair)
            results["www"] = await outcome { () throws(DNSResolverError) in try await resolver.resolve("www.example.org", type: .a) }
            results["www again"] = await outcome { () throws(DNSResolverError) in try await resolver.resolve("WWW.example.org.", type: .a) }
            results["chain"] = await outcome { () throws(DNSResolverError) in try await resolver.resolve("chain1.example.org", type: .a) }
            results["nothing"] = await outcome { () throws(DNSResolverError) in try await resolver.resolve("nothing.example.org", type: .a) }
            results["nothing again"] = await outcome { () throws(DNSResolverError) in try await resolver.resolve("nothing.example.org", type: .a) }
            results["mx"] = await outcome { () throws(DNSResolverError) in try await resolver.resolve("example.org", type: .mx) }
            results["bad"] = await outcome { () throws(DNSResolverError) in try await resolver.resolve("a..b", type: .a) }
            addresses["ns1"] = try? await resolver.addresses(of: "ns1.example.org")
            addresses["mail"] = try? await resolver.addresses(of: "mail.example.org")
            addresses["literal"] = try? await resolver.addresses(of: "2001:db8::1")
            statistics = resolver.statistics
            return 0
        }
        #expect(status == 0)
        let www = try? results["www"]?.get()
        #expect(www?.records.map(\.data) == [.a(IPv4Address(192, 0, 2, 80)), .a(IPv4Address(192, 0, 2, 81))])
        #expect(www?.addresses == [v4(80), v4(81)] && www?.ttl == 3600)
        #expect((try? results["www again"]?.get())?.addresses == [v4(80), v4(81)])
        let chain = try? results["chain"]?.get()
        #expect(chain?.aliases.count == 2 && chain?.canonicalName == name("www.example.org") && chain?.addresses == [v4(80), v4(81)])
        #expect(results["nothing"]?.error == .nameDoesNotExist(name("nothing.example.org")))
        #expect(results["nothing again"]?.error == .nameDoesNotExist(name("nothing.example.org")))
        #expect((try? results["mx"]?.get())?.records.count == 1)
        #expect(results["bad"]?.error == .invalidName("a..b"))
        #expect(addresses["ns1"] == [.v6(IPv6Address("2001:db8::53")!), v4(53)])
        #expect(addresses["mail"] == [v4(25)])
        #expect(addresses["literal"] == [.v6(IPv6Address("2001:db8::1")!)])
        // www, chain1, nothing, the MX, ns1 twice and mail twice went out; the repeats came from the cache.
        #expect(statistics.udpQueries == 8 && statistics.cacheHits == 2 && statistics.tcpQueries == 0)
    }

    @Test("a chain leaving the zone is followed by asking for its target; a truncated answer is asked again over TCP")
    func chainsAndTruncation() {
        let pair = SimulatedStackPair(seed: 62)
        var outside: Result<DNSAnswer, DNSResolverError>?
        var big: Result<DNSAnswer, DNSResolverError>?
        var loop: Result<DNSAnswer, DNSResolverError>?
        var statistics = DNSResolverStatistics()
        let status = pair.run { pair in
            startResolverTestServer(pair)
            let resolver = makeResolver(pair)
            outside = await outcome { () throws(DNSResolverError) in try await resolver.resolve("outside.example.org", type: .aaaa) }
            big = await outcome { () throws(DNSResolverError) in try await resolver.resolve("big.example.net", type: .txt) }
            loop = await outcome { () throws(DNSResolverError) in try await resolver.resolve("loop1.example.org", type: .a) }
            statistics = resolver.statistics
            return 0
        }
        #expect(status == 0)
        let answer = try? outside?.get()
        #expect(answer?.canonicalName == name("www.example.net") && answer?.aliases.count == 1)
        #expect(answer?.addresses == [.v6(IPv6Address("2001:db8::90")!)])
        let text = try? big?.get()
        #expect(text?.records.count == 3)
        #expect(statistics.truncated == 1 && statistics.tcpQueries == 1)
        #expect(loop?.error == .aliasLoop(name("loop1.example.org")))
    }

    @Test("a resolver that does not answer is passed over for the next; with none left, or none at all, the error says so")
    func deadServers() {
        let pair = SimulatedStackPair(seed: 63)
        let nobody = Endpoint(.v4(IPv4Address(10, 0, 0, 3)), port: 53)
        var fallback: Result<DNSAnswer, DNSResolverError>?
        var allDead: Result<DNSAnswer, DNSResolverError>?
        var noServers: Result<DNSAnswer, DNSResolverError>?
        var deadIn = 0.0
        let status = pair.run { pair in
            startResolverTestServer(pair)
            let resolver = makeResolver(pair, [nobody, serverEndpoint])
            fallback = await outcome { () throws(DNSResolverError) in try await resolver.resolve("www.example.org", type: .a) }
            let dead = makeResolver(pair, [nobody])
            let start = pair.platform.monotonicClock.now()
            allDead = await outcome { () throws(DNSResolverError) in try await dead.resolve("www.example.org", type: .a) }
            deadIn = Double((pair.platform.monotonicClock.now() - start).components.seconds)
            let none = makeResolver(pair, [])
            noServers = await outcome { () throws(DNSResolverError) in try await none.resolve("www.example.org", type: .a) }
            return 0
        }
        #expect(status == 0)
        #expect((try? fallback?.get())?.addresses == [v4(80), v4(81)])
        #expect(allDead?.error == .timedOut || { if case .transport = allDead?.error { true } else { false } }(), "\(String(describing: allDead))")
        // Two attempts: 2 s, then 4 s.
        #expect(deadIn <= 7, "gave up after \(deadIn) s")
        #expect(noServers?.error == .noServers)
    }

    @Test("datagrams with another identifier or question are ignored and the real answer is taken; ports and identifiers are random (RFC 5452)")
    func forgery() {
        let pair = SimulatedStackPair(seed: 64)
        let fake = Endpoint(.v4(SimulatedStackPair.serverAddress), port: 5353)
        var ports: [UInt16] = []
        var ids: [UInt16] = []
        var answers: [[IPAddress]] = []
        var failure: String?
        var statistics = DNSResolverStatistics()
        let status = pair.run { pair in
            let authority = DNSAuthority(zones: [exampleZone()])
            let socket = try! pair.server.bind(port: 5353)
            Task {
                // Before each real answer: one with the identifier off by one, one for another name.
                while let datagram = try? await socket.receive() {
                    guard let query = try? DNSMessage.decode(datagram.payload.bytes),
                          let real = authority.respond(to: datagram.payload.bytes, transport: .udp) else { continue }
                    ports.append(datagram.source.port)
                    ids.append(query.id)
                    var wrongID = try! DNSMessage.decode(real)
                    wrongID.id &+= 1
                    var wrongName = try! DNSMessage.decode(real)
                    wrongName.questions = [DNSQuestion(name: name("evil.example.org"), type: .a)]
                    for forged in [wrongID.encoded(), wrongName.encoded(), real] {
                        try? await socket.send(PacketBuffer(forged), to: datagram.source)
                    }
                }
            }
            let resolver = makeResolver(pair, [fake])
            for index in 0..<10 {
                do {
                    answers.append(try await resolver.addresses(of: index % 2 == 0 ? "www.example.org" : "mail.example.org"))
                    resolver.flushCache()
                } catch {
                    failure = "\(error)"
                }
            }
            statistics = resolver.statistics
            return 0
        }
        #expect(status == 0 && failure == nil)
        #expect(answers.count == 10 && answers.allSatisfy { $0 == [v4(80), v4(81)] || $0 == [v4(25)] })
        #expect(statistics.mismatched == 2 * 20)
        #expect(ports.count == 20 && ports.allSatisfy { $0 >= 49152 } && Set(ports).count >= 18)
        #expect(Set(ids).count >= 18)
    }

    @Test("a resolver that fails (SERVFAIL) is passed over; when all fail the code is the error")
    func serverFailure() {
        let pair = SimulatedStackPair(seed: 65)
        let failing = Endpoint(.v4(SimulatedStackPair.serverAddress), port: 5353)
        var fallback: Result<DNSAnswer, DNSResolverError>?
        var failed: Result<DNSAnswer, DNSResolverError>?
        let status = pair.run { pair in
            startResolverTestServer(pair)
            let socket = try! pair.server.bind(port: 5353)
            Task {
                while let datagram = try? await socket.receive() {
                    guard var message = try? DNSMessage.decode(datagram.payload.bytes) else { continue }
                    message.isResponse = true
                    message.responseCode = .serverFailure
                    message.edns = nil
                    try? await socket.send(PacketBuffer(message.encoded()), to: datagram.source)
                }
            }
            let resolver = makeResolver(pair, [failing, serverEndpoint])
            fallback = await outcome { () throws(DNSResolverError) in try await resolver.resolve("www.example.org", type: .a) }
            let alone = makeResolver(pair, [failing])
            failed = await outcome { () throws(DNSResolverError) in try await alone.resolve("www.example.org", type: .a) }
            return 0
        }
        #expect(status == 0)
        #expect((try? fallback?.get())?.addresses == [v4(80), v4(81)])
        #expect(failed?.error == .serverFailure(.serverFailure))
    }

    @Test("--resolver= takes up to eight addresses of either family, each with an optional port")
    func serverList() {
        let list = DNSServerList(bootArgument: "192.0.2.53,2001:db8::53@5353")
        #expect(list?.servers == [Endpoint(.v4(IPv4Address(192, 0, 2, 53)), port: 53),
                                  Endpoint(.v6(IPv6Address("2001:db8::53")!), port: 5353)])
        #expect(list?.bootArgumentText == "192.0.2.53,2001:db8::53@5353")
        for bad in ["", "192.0.2.53,", "example.com", "192.0.2.53@0", "192.0.2.53@70000", "192.0.2.1@53@53",
                    Array(repeating: "192.0.2.1", count: 9).joined(separator: ",")] {
            #expect(DNSServerList(bootArgument: bad) == nil, "\(bad)")
        }
    }
}

extension Result {
    var error: Failure? {
        if case let .failure(error) = self { return error }
        return nil
    }
}
