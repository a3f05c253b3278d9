import MirageCore
@testable import MirageDNS
import MirageTesting
import Testing

/// The pure parts of the stub resolver: the checks an answer must pass (RFC 5452), reading the
/// answer and its aliases, and the cache.
@Suite("The stub resolver's core: query checks, answers, cache")
struct DNSStubQueryTests {
    let server = Endpoint(.v4(IPv4Address(192, 0, 2, 53)), port: 53)
    let question = DNSQuestion(name: name("www.example.org"), type: .a)

    func response(id: UInt16 = 77, question: DNSQuestion? = nil, truncated: Bool = false, isResponse: Bool = true,
                  code: DNSResponseCode = .noError, answers: [DNSRecord] = [], authorities: [DNSRecord] = []) -> DNSMessage {
        DNSMessage(id: id, isResponse: isResponse, isTruncated: truncated, recursionDesired: true, recursionAvailable: true,
                   responseCode: code, questions: [question ?? self.question], answers: answers, authorities: authorities)
    }

    func a(_ owner: String, _ last: UInt8, ttl: UInt32 = 300) -> DNSRecord {
        DNSRecord(name: name(owner), ttl: ttl, data: .a(IPv4Address(192, 0, 2, last)))
    }

    func cname(_ owner: String, _ target: String, ttl: UInt32 = 300) -> DNSRecord {
        DNSRecord(name: name(owner), ttl: ttl, data: .cname(name(target)))
    }

    func soa(ttl: UInt32 = 3600, minimum: UInt32 = 60) -> DNSRecord {
        DNSRecord(name: name("example.org"), ttl: ttl, data: .soa(DNSSOA(
            primaryServer: name("ns1.example.org"), responsibleMailbox: name("hostmaster.example.org"),
            serial: 1, refresh: 2, retry: 3, expire: 4, minimum: minimum)))
    }

    @Test("the query asks for recursion and offers 1232 bytes over UDP in EDNS; over TCP it has no OPT record")
    func encoding() throws {
        let query = DNSStubQuery(question: question, id: 0xbeef, server: server)
        let udp = try DNSMessage.decode(query.encoded(udpPayloadSize: 1232))
        #expect(udp.id == 0xbeef && udp.recursionDesired && !udp.isResponse && udp.questions == [question])
        #expect(udp.edns?.udpPayloadSize == 1232)
        #expect(try DNSMessage.decode(query.encoded(udpPayloadSize: nil)).edns == nil)
    }

    @Test("only the answer from the server asked, with the identifier and question asked, is taken (RFC 5452)")
    func checks() {
        let query = DNSStubQuery(question: question, id: 77, server: server)
        let good = response(answers: [a("www.example.org", 80)])
        #expect(query.check(good.encoded(), from: server) == .answer(good))
        #expect(query.check(good.encoded(), from: nil) == .answer(good))
        let elsewhere = Endpoint(.v4(IPv4Address(192, 0, 2, 66)), port: 53)
        #expect(query.check(good.encoded(), from: elsewhere) == .ignored(.wrongSource(elsewhere)))
        let otherPort = Endpoint(server.address, port: 5353)
        #expect(query.check(good.encoded(), from: otherPort) == .ignored(.wrongSource(otherPort)))
        #expect(query.check(response(id: 78).encoded(), from: server) == .ignored(.wrongID(78)))
        let otherName = DNSQuestion(name: name("evil.example.org"), type: .a)
        #expect(query.check(response(question: otherName).encoded(), from: server) == .ignored(.wrongQuestion))
        let otherType = DNSQuestion(name: question.name, type: .aaaa)
        #expect(query.check(response(question: otherType).encoded(), from: server) == .ignored(.wrongQuestion))
        #expect(query.check(response(isResponse: false).encoded(), from: server) == .ignored(.notAResponse))
        let cut = query.check(Array(good.encoded().prefix(20)), from: server)
        #expect({ if case .ignored(.malformed) = cut { true } else { false } }(), "\(cut)")
        #expect(query.check([0, 77, 0x80], from: server) == .ignored(.malformed(.truncatedHeader)))
        #expect(query.check(response(truncated: true).encoded(), from: server) == .truncated)
        // The question's case may differ (RFC 4343): it is the same question.
        let shouted = response(question: DNSQuestion(name: name("WWW.Example.ORG"), type: .a))
        #expect(query.check(shouted.encoded(), from: server) == .answer(shouted))
    }

    @Test("an answer follows its CNAME chain and keeps the smallest TTL of what it used")
    func chain() throws {
        let message = response(answers: [
            cname("www.example.org", "web.example.org", ttl: 600),
            cname("web.example.org", "host.example.net", ttl: 120),
            a("host.example.net", 10, ttl: 900), a("host.example.net", 11, ttl: 900),
            a("other.example.net", 12),  // not on the chain: ignored
        ])
        let answer = try DNSAnswer(question: question, response: message)
        #expect(answer.canonicalName == name("host.example.net"))
        #expect(answer.aliases.count == 2)
        #expect(answer.addresses == [.v4(IPv4Address(192, 0, 2, 10)), .v4(IPv4Address(192, 0, 2, 11))])
        #expect(answer.ttl == 120 && !answer.needsTarget && !answer.nameDoesNotExist)
    }

    @Test("a chain that stops at a CNAME asks for its target; a loop and a chain too long are errors")
    func chainEnds() throws {
        let open = try DNSAnswer(question: question, response: response(answers: [cname("www.example.org", "cdn.example.net")]))
        #expect(open.needsTarget && open.records.isEmpty && open.canonicalName == name("cdn.example.net"))
        // An SOA says the target exists without records of the type: NODATA, nothing to ask.
        let nodata = try DNSAnswer(question: question, response: response(answers: [cname("www.example.org", "mail.example.org")],
                                                                          authorities: [soa()]))
        #expect(!nodata.needsTarget && nodata.records.isEmpty)
        let loop = response(answers: [cname("www.example.org", "a.example.org"), cname("a.example.org", "www.example.org")])
        #expect(throws: DNSResolverError.aliasLoop(question.name)) { try DNSAnswer(question: question, response: loop) }
        var long: [DNSRecord] = []
        for step in 0...DNSAnswer.maximumChainLength {
            long.append(cname(step == 0 ? "www.example.org" : "c\(step).example.org", "c\(step + 1).example.org"))
        }
        #expect(throws: DNSResolverError.aliasChainTooLong(question.name)) { try DNSAnswer(question: question, response: response(answers: long)) }
    }

    @Test("a negative answer lives as long as its SOA's TTL or MINIMUM, whichever is smaller (RFC 2308 section 5)")
    func negative() throws {
        let nxdomain = try DNSAnswer(question: question, response: response(code: .nameError, authorities: [soa(ttl: 3600, minimum: 60)]))
        #expect(nxdomain.nameDoesNotExist && nxdomain.ttl == 60)
        let nodata = try DNSAnswer(question: question, response: response(authorities: [soa(ttl: 30, minimum: 60)]))
        #expect(!nodata.nameDoesNotExist && nodata.records.isEmpty && nodata.ttl == 30)
        let bare = try DNSAnswer(question: question, response: response(code: .nameError))
        #expect(bare.ttl == 0)
        let huge = try DNSAnswer(question: question, response: response(answers: [a("www.example.org", 1, ttl: 0x8000_0000)]))
        #expect(huge.ttl == 0)  // RFC 2181 section 8
    }

    @Test("the cache counts TTLs down, forgets at expiry, keeps nothing with TTL 0 and caps TTLs")
    func cacheTTL() throws {
        var cache = DNSResolverCache()
        let answer = try DNSAnswer(question: question, response: response(answers: [a("www.example.org", 80, ttl: 100)]))
        let kept = cache.insert(answer, now: .zero)
        #expect(kept)
        let found = cache.answer(to: DNSQuestion(name: name("WWW.EXAMPLE.ORG"), type: .a), now: Instant(nanoseconds: 40_000_000_000))
        let later = try #require(found)
        #expect(later.ttl == 60 && later.records[0].ttl == 60)
        let otherType = cache.answer(to: DNSQuestion(name: question.name, type: .aaaa), now: .zero)
        #expect(otherType == nil)
        let expired = cache.answer(to: question, now: Instant(nanoseconds: 100_000_000_000))
        #expect(expired == nil)
        #expect(cache.count == 0 && cache.bytes == 0)
        var zero = answer
        zero.ttl = 0
        let keptZero = cache.insert(zero, now: .zero)
        #expect(!keptZero)
        var forever = answer
        forever.ttl = 0x7fff_ffff
        let keptForever = cache.insert(forever, now: .zero)
        #expect(keptForever)
        let capped = cache.answer(to: question, now: Instant(nanoseconds: 86_400_000_000_000))
        #expect(capped == nil)
    }

    @Test("the cache holds at most its entries and bytes, whatever it is given, and refuses one answer past a quarter of them")
    func cacheBounds() throws {
        var limits = DNSResolverCache.Limits()
        limits.entries = 16
        limits.bytes = 8 * 1024
        var cache = DNSResolverCache(limits: limits)
        let seed = UInt64.random(in: 0...UInt64.max)
        print("cacheBounds seed \(seed)")
        var random = EntropyRandomNumberGenerator(SeededEntropy(seed: seed))
        for index in 0..<2000 {
            let count = Int.random(in: 1...20, using: &random)
            let owner = "n\(index).example.org"
            let records = (0..<count).map { a(owner, UInt8($0), ttl: UInt32.random(in: 1...1000, using: &random)) }
            let answer = try DNSAnswer(question: DNSQuestion(name: name(owner), type: .a), response: response(
                question: DNSQuestion(name: name(owner), type: .a), answers: records))
            cache.insert(answer, now: Instant(nanoseconds: UInt64(index) * 1_000_000))
            #expect(cache.count <= limits.entries && cache.bytes <= limits.bytes)
        }
        let big = (0..<200).map { a("big.example.org", UInt8($0 % 250)) }
        let bigQuestion = DNSQuestion(name: name("big.example.org"), type: .a)
        let bigAnswer = try DNSAnswer(question: bigQuestion, response: response(question: bigQuestion, answers: big))
        let keptBig = cache.insert(bigAnswer, now: .zero)
        #expect(!keptBig)
    }
}
