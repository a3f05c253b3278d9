import MirageCore
@testable import MirageDNS
import MirageRuntime
import MirageTesting
import Testing

/// `DNSResponseCache`: a kept response is the authority's own with the new query's ID, its bound
/// holds against a flood of distinct queries, and the server answers a repeated query from it.
@Suite("The DNS server's response cache")
struct DNSResponseCacheTests {
    /// Queries of the example zone: answers, a CNAME, NXDOMAIN, a referral, with and without EDNS.
    static let queries: [[UInt8]] = {
        var result: [[UInt8]] = []
        for (text, type) in [("www.example.org", DNSRecordType.a), ("mail.example.org", .mx), ("nothing.example.org", .a),
                             ("sub.example.org", .a), ("txt.example.org", .txt), ("example.org", .soa)] {
            result.append(queryBytes(text, type, id: 1))
            result.append(DNSMessage(id: 1, questions: [DNSQuestion(name: name(text), type: type)],
                                     edns: DNSEDNS(udpPayloadSize: 4096, dnssecOK: true)).encoded())
        }
        return result
    }()

    @Test("a query asked again with another ID gets exactly what the authority answers to it")
    func sameAsAuthority() {
        let authority = DNSAuthority(zones: [exampleZone()])
        var cache = DNSResponseCache(capacity: 65_536)
        for query in Self.queries {
            let first = authority.respond(to: query, transport: .udp)!
            // Seen once, it is not kept; the second time it is.
            query.withUnsafeBytes { cache.keep(first, for: cache.key(for: $0)!, query: $0) }
            #expect(query.withUnsafeBytes { cache.response(for: cache.key(for: $0)!, to: $0, headroom: 0) } == nil)
            query.withUnsafeBytes { cache.keep(first, for: cache.key(for: $0)!, query: $0) }
            var again = query
            again[0] = 0xBE
            again[1] = 0xEF
            let kept = again.withUnsafeBytes { cache.response(for: cache.key(for: $0)!, to: $0, headroom: 64) }
            #expect(kept?.bytes == authority.respond(to: again, transport: .udp))
            #expect(kept?.headroom == 64)
        }
        #expect(cache.count == Self.queries.count)
    }

    @Test("other letter cases, another flag or another EDNS size are other entries; long queries are not kept")
    func keys() {
        var cache = DNSResponseCache(capacity: 65_536)
        let query = queryBytes("www.example.org", .a)
        for _ in 0..<2 { query.withUnsafeBytes { cache.keep(Array(repeating: 1, count: 40), for: cache.key(for: $0)!, query: $0) } }
        for other in [queryBytes("WWW.example.org", .a), queryBytes("www.example.org", .aaaa),
                      DNSMessage(id: 1, questions: [DNSQuestion(name: name("www.example.org"), type: .a)], edns: DNSEDNS()).encoded()] {
            #expect(other.withUnsafeBytes { cache.response(for: cache.key(for: $0)!, to: $0, headroom: 0) } == nil)
        }
        var recursionDesired = query
        recursionDesired[2] |= 0x01
        #expect(recursionDesired.withUnsafeBytes { cache.response(for: cache.key(for: $0)!, to: $0, headroom: 0) } == nil)
        let long = Array(repeating: UInt8(0), count: DNSResponseCache.longestQuery + 1)
        #expect(long.withUnsafeBytes { cache.key(for: $0) } == nil)
        #expect(cache.count == 1)
    }

    @Test("a flood of distinct queries never charges the cache past its capacity")
    func bound() {
        var generator = SplitMix64.printingSeed(for: "DNSResponseCacheTests.bound")
        let capacity = 4096
        var cache = DNSResponseCache(capacity: capacity)
        var emptied = 0
        for _ in 0..<5_000 {
            let label = (0..<Int(generator.next() % 60 + 1)).map { _ in UInt8(ascii: "a") + UInt8(generator.next() % 26) }
            let query = queryBytes(String(decoding: label, as: UTF8.self) + ".example.org", .a)
            let response = Array(repeating: UInt8(7), count: Int(generator.next() % 600) + 12)
            let before = cache.count
            // Each asked twice, so that the doorkeeper lets it in.
            for _ in 0..<2 { query.withUnsafeBytes { cache.keep(response, for: cache.key(for: $0)!, query: $0) } }
            if cache.count < before { emptied += 1 }
            #expect(cache.chargedBytes <= capacity)
        }
        #expect(emptied > 0)
    }

    @Test("a flood of queries each asked once keeps nothing, and leaves the queries asked again in place")
    func doorkeeper() {
        var generator = SplitMix64.printingSeed(for: "DNSResponseCacheTests.doorkeeper")
        var cache = DNSResponseCache(capacity: 4096)
        let popular = queryBytes("www.example.org", .a)
        let answer = Array(repeating: UInt8(7), count: 100)
        for _ in 0..<2 { popular.withUnsafeBytes { cache.keep(answer, for: cache.key(for: $0)!, query: $0) } }
        #expect(cache.count == 1)
        for _ in 0..<10_000 {
            let label = (0..<12).map { _ in UInt8(ascii: "a") + UInt8(generator.next() % 26) }
            let query = queryBytes(String(decoding: label, as: UTF8.self) + ".example.org", .a)
            query.withUnsafeBytes { cache.keep(answer, for: cache.key(for: $0)!, query: $0) }
        }
        #expect(cache.count == 1)
        // The kept response, with the query's ID.
        let kept = popular.withUnsafeBytes { cache.response(for: cache.key(for: $0)!, to: $0, headroom: 0) }
        #expect(kept?.bytes == Array(popular.prefix(2)) + answer.dropFirst(2))
    }

    @Test("the server answers a repeated UDP query from the cache, with each query's ID")
    func server() {
        let pair = SimulatedStackPair(seed: 4)
        var answers: [DNSMessage] = []
        var statistics = DNSServerStatistics()
        let status = pair.run { pair in
            let server = startDNSServer(pair)
            answers = await udpExchange(pair, (1...4).map { queryBytes("www.example.org", .a, id: UInt16($0)) })
            statistics = server.statistics
            return 0
        }
        #expect(status == 0)
        #expect(answers.map(\.id) == [1, 2, 3, 4])
        #expect(answers.allSatisfy { $0.answers.count == 2 && $0.isAuthoritative })
        // Kept the second time it is asked, answered from the cache the third and fourth.
        #expect(statistics.udpAnswered == 4 && statistics.udpAnsweredFromCache == 2)
    }
}

extension DNSResponseCache {
    /// ``keep(_:for:query:)`` for a response in an array, as the tests hold them.
    mutating func keep(_ response: [UInt8], for key: Key, query: UnsafeRawBufferPointer) {
        response.withUnsafeBytes { keep($0, for: key, query: query) }
    }

    /// The response kept for `query` (whose key is `key`) with the query's own ID, as the server
    /// sends it, in a buffer with `headroom` bytes in front; nil when none is kept.
    func response(for key: Key, to query: UnsafeRawBufferPointer, headroom: Int) -> PacketBuffer? {
        withResponse(for: key, to: query) { kept in
            var buffer = PacketBuffer(capacity: headroom + kept.count, headroom: headroom)
            buffer.append(bytesOf: kept)
            buffer[0] = query[0]
            buffer[1] = query[1]
            return buffer
        }
    }
}
