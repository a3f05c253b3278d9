import MirageCore
@testable import MirageDNS
import Testing

/// A response with a record of every type this library knows, an unknown one, and EDNS.
func sampleResponse() -> DNSMessage {
    let origin = name("Example.org")
    var message = DNSMessage(
        id: 0x5151, isResponse: true, isAuthoritative: true, recursionDesired: true, checkingDisabled: true,
        questions: [DNSQuestion(name: name("www.example.org"), type: .any)])
    message.answers = [
        DNSRecord(name: name("www.example.org"), ttl: 300, data: .a(IPv4Address(192, 0, 2, 1))),
        DNSRecord(name: name("www.example.org"), ttl: 300, data: .aaaa(IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1))),
        DNSRecord(name: name("alias.example.org"), ttl: 300, data: .cname(name("www.example.org"))),
        DNSRecord(name: name("2.0.192.in-addr.arpa"), ttl: 300, data: .ptr(name("www.example.org"))),
        DNSRecord(name: origin, ttl: 300, data: .mx(preference: 10, exchange: name("mail.example.org"))),
        DNSRecord(name: origin, ttl: 300, data: .txt([ascii("v=spf1 -all"), [], [0, 255, 34]])),
        DNSRecord(name: name("_sip._tcp.example.org"), ttl: 300,
                  data: .srv(DNSSRV(priority: 1, weight: 2, port: 5060, target: name("sip.example.org")))),
        DNSRecord(name: origin, ttl: 300, data: .caa(DNSCAA(flags: 0, tag: ascii("issue"), value: ascii("ca.example.net")))),
        DNSRecord(name: origin, recordClass: DNSClass(4), ttl: 7, data: .unknown(DNSRecordType(65280), [1, 2, 3])),
    ]
    message.authorities = [
        DNSRecord(name: origin, ttl: 3600, data: .ns(name("ns1.example.org"))),
        DNSRecord(name: origin, ttl: 3600, data: .soa(DNSSOA(
            primaryServer: name("ns1.example.org"), responsibleMailbox: name("hostmaster.example.org"),
            serial: 2024010101, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300))),
    ]
    message.additionals = [DNSRecord(name: name("ns1.example.org"), ttl: 3600, data: .a(IPv4Address(192, 0, 2, 53)))]
    message.edns = DNSEDNS(udpPayloadSize: 4096, dnssecOK: true, options: [DNSEDNSOption(code: 3, data: ascii("ns1"))])
    return message
}

/// The A records `count` owners, each `name` with a different first label.
func addressRecords(_ count: Int, under suffix: String, ttl: UInt32 = 60) -> [DNSRecord] {
    (0..<count).map { index in
        DNSRecord(name: name("host\(index)." + suffix), ttl: ttl, data: .a(IPv4Address(value: UInt32(index))))
    }
}

@Suite("Encoding messages (RFC 1035 section 4.1.4, RFC 2181 section 9)")
struct DNSWireEncodeTests {
    @Test("a message with every record type decodes to itself")
    func roundTrip() throws {
        let message = sampleResponse()
        let bytes = message.encoded()
        let decoded = try DNSMessage.decode(bytes)
        #expect(decoded == message)
        #expect(decoded.answers.map(\.type) == message.answers.map(\.type))
        // Case is kept through compression of the owner names (the first spelling wins).
        #expect(decoded.questions[0].name.hasSameSpelling(as: name("www.example.org")))
        #expect(decoded.encoded() == bytes)
    }

    @Test("names in NS, CNAME, SOA, PTR and MX data are compressed; SRV targets are not (RFC 2782, RFC 3597 section 4)")
    func compressionInRecordData() throws {
        let message = DNSMessage(id: 1, questions: [DNSQuestion(name: name("sip.example.org"), type: .srv)], answers: [
            DNSRecord(name: name("_sip._tcp.example.org"), ttl: 1,
                      data: .srv(DNSSRV(priority: 0, weight: 0, port: 5060, target: name("sip.example.org")))),
            DNSRecord(name: name("x.example.org"), ttl: 1, data: .cname(name("sip.example.org"))),
        ])
        let bytes = message.encoded()
        let target = wireName("sip.example.org")
        // The question spells the name out at 12; the SRV target spells it out again in full,
        // while the CNAME data is a single pointer to offset 12.
        #expect(Array(bytes[12..<(12 + target.count)]) == target)
        let occurrences = (0...(bytes.count - target.count)).filter { Array(bytes[$0..<($0 + target.count)]) == target }
        #expect(occurrences.count == 2)
        #expect(Array(bytes.suffix(4)) == [0, 2, 0xc0, 12])
        #expect(try DNSMessage.decode(bytes) == message)
    }

    @Test("pointers reach only the first 16 KiB: later names are written out and still decode")
    func compressionBeyondPointerRange() throws {
        let records = addressRecords(1200, under: "a-long-enough-name.example.org")
        let message = DNSMessage(id: 2, isResponse: true, answers: records)
        let bytes = message.encoded()
        #expect(bytes.count > 0x4000)
        #expect(try DNSMessage.decode(bytes) == message)
    }

    @Test("an answer RRset that does not fit is left out whole and TC is set; OPT still goes in")
    func truncatingAnswers() throws {
        var message = DNSMessage(id: 3, isResponse: true, questions: [DNSQuestion(name: name("a.example"), type: .a)])
        message.answers = [DNSRecord(name: name("a.example"), ttl: 1, data: .a(IPv4Address(1, 1, 1, 1)))]
            + (0..<40).map { DNSRecord(name: name("b.example"), ttl: 1, data: .a(IPv4Address(value: UInt32($0)))) }
        message.authorities = [DNSRecord(name: name("example"), ttl: 1, data: .ns(name("ns.example")))]
        message.edns = DNSEDNS(udpPayloadSize: 512)
        #expect(message.encoded().count > 512)
        let bytes = message.encoded(maximumSize: 512)
        #expect(bytes.count <= 512)
        let decoded = try DNSMessage.decode(bytes)
        #expect(decoded.isTruncated)
        #expect(decoded.answers == [message.answers[0]])
        #expect(decoded.authorities.isEmpty && decoded.edns == message.edns)
    }

    @Test("additional RRsets that do not fit are left out without TC, and smaller later ones still go in")
    func droppingAdditionals() throws {
        var message = DNSMessage(id: 4, isResponse: true, questions: [DNSQuestion(name: name("a.example"), type: .mx)])
        message.answers = [DNSRecord(name: name("a.example"), ttl: 1, data: .mx(preference: 1, exchange: name("m.example")))]
        let big = (0..<60).map { DNSRecord(name: name("m.example"), ttl: 1, data: .aaaa(IPv6Address(high: 0, low: UInt64($0)))) }
        let small = DNSRecord(name: name("m.example"), ttl: 1, data: .a(IPv4Address(1, 2, 3, 4)))
        message.additionals = big + [small]
        let decoded = try DNSMessage.decode(message.encoded(maximumSize: 512))
        #expect(!decoded.isTruncated)
        #expect(decoded.answers == message.answers)
        #expect(decoded.additionals == [small])
        // The same records marked as required glue (RFC 9471): leaving them out sets TC.
        let required = try DNSMessage.decode(message.encoded(maximumSize: 512, requiredAdditionalCount: 60))
        #expect(required.isTruncated && required.answers == message.answers && required.additionals == [small])
    }

    @Test("an authority RRset that does not fit sets TC")
    func truncatingAuthority() throws {
        var message = DNSMessage(id: 5, isResponse: true, questions: [DNSQuestion(name: name("a.example"), type: .a)])
        message.authorities = (0..<40).map { DNSRecord(name: name("example"), ttl: 1, data: .ns(name("ns\($0).example"))) }
        let decoded = try DNSMessage.decode(message.encoded(maximumSize: 512))
        #expect(decoded.isTruncated && decoded.authorities.isEmpty && decoded.questions == message.questions)
    }

    @Test("a limit below the header and question still gives them, with TC when records are left out")
    func tinyLimit() throws {
        var message = DNSMessage(id: 6, isResponse: true, questions: [DNSQuestion(name: name("a.example"), type: .a)])
        message.answers = [DNSRecord(name: name("a.example"), ttl: 1, data: .a(IPv4Address(1, 1, 1, 1)))]
        let decoded = try DNSMessage.decode(message.encoded(maximumSize: 10))
        #expect(decoded.isTruncated && decoded.answers.isEmpty && decoded.questions.count == 1)
    }

    @Test("presentation form of records, dig style, with the generic form for unknown types")
    func presentation() {
        let lines = sampleResponse().answers.map(\.description)
        #expect(lines[0] == "www.example.org. 300 IN A 192.0.2.1")
        #expect(lines[1] == "www.example.org. 300 IN AAAA 2001:db8::1")
        #expect(lines[4] == "Example.org. 300 IN MX 10 mail.example.org.")
        #expect(lines[5] == "Example.org. 300 IN TXT \"v=spf1 -all\" \"\" \"\\000\\255\\\"\"")
        #expect(lines[6] == "_sip._tcp.example.org. 300 IN SRV 1 2 5060 sip.example.org.")
        #expect(lines[7] == "Example.org. 300 IN CAA 0 issue \"ca.example.net\"")
        #expect(lines[8] == "Example.org. 7 HS TYPE65280 \\# 3 010203")
    }
}
