import MirageCore
import MirageDNS
import Testing

@Suite("Malformed and unusual queries, EDNS, sizes")
struct DNSAuthorityProtocolTests {
    @Test("a query that does not decode gets FORMERR with its id and, when readable, its question")
    func formatErrors() throws {
        let good = query("www.example.org", .a, id: 0x1111).encoded()
        // A count the bytes cannot hold.
        var badCount = good
        badCount[7] = 9
        let response = try DNSMessage.decode(try #require(exampleAuthority.respond(to: badCount, transport: .udp)))
        #expect(response.id == 0x1111 && response.isResponse && response.responseCode == .formatError && response.recursionDesired)
        #expect(response.questions == [DNSQuestion(name: name("www.example.org"), type: .a)])
        // A question that does not read: FORMERR without a question.
        let badQuestion = header(id: 0x2222, counts: [1, 0, 0, 0]) + [0xc0, 12, 0, 1, 0, 1]
        let second = try DNSMessage.decode(try #require(exampleAuthority.respond(to: badQuestion, transport: .udp)))
        #expect(second.id == 0x2222 && second.responseCode == .formatError && second.questions.isEmpty)
    }

    @Test("FORMERR for no question, two questions, answers in a query; responses and runts are dropped")
    func formatErrorsOfWellFormedMessages() throws {
        var none = query("www.example.org", .a)
        none.questions = []
        #expect(try DNSMessage.decode(exampleAuthority.respond(to: none.encoded(), transport: .udp)!).responseCode == .formatError)
        var two = query("www.example.org", .a)
        two.questions.append(DNSQuestion(name: name("mail.example.org"), type: .a))
        #expect(try ask(two).responseCode == .formatError)
        var withAnswer = query("www.example.org", .a)
        withAnswer.answers = [DNSRecord(name: name("x.example.org"), ttl: 1, data: .a(IPv4Address(1, 2, 3, 4)))]
        #expect(try ask(withAnswer).responseCode == .formatError)
        #expect(try ask(query("www.example.org", .opt)).responseCode == .formatError)
        var response = query("www.example.org", .a)
        response.isResponse = true
        #expect(exampleAuthority.respond(to: response.encoded(), transport: .udp) == nil)
        #expect(exampleAuthority.answer(response).responseCode == .formatError)
        #expect(exampleAuthority.respond(to: [1, 2, 3], transport: .udp) == nil)
    }

    @Test("opcodes other than QUERY, and MAILA/MAILB, get NOTIMP")
    func notImplemented() throws {
        for opcode in [DNSOpcode.notify, .update, .status, DNSOpcode(rawValue: 9)] {
            var message = query("example.org", .soa)
            message.opcode = opcode
            let response = try ask(message)
            #expect(response.responseCode == .notImplemented && response.opcode == opcode)
        }
        #expect(try ask(query("www.example.org", .maila)).responseCode == .notImplemented)
        // Undecodable and not a QUERY: NOTIMP still.
        let update = header(id: 3, flags: 0x2800, counts: [1, 0, 0, 0]) + [0xc0, 12, 0, 1, 0, 1]
        #expect(try DNSMessage.decode(exampleAuthority.respond(to: update, transport: .udp)!).responseCode == .notImplemented)
    }

    @Test("EDNS: our OPT answers theirs with our payload size and their DO bit; none without")
    func edns() throws {
        let response = try ask(query("www.example.org", .a, edns: DNSEDNS(udpPayloadSize: 4096, dnssecOK: true)))
        #expect(response.edns == DNSEDNS(udpPayloadSize: 1232, dnssecOK: true))
        #expect(try ask(query("www.example.org", .a, edns: DNSEDNS(udpPayloadSize: 512))).edns?.dnssecOK == false)
        #expect(try ask(query("nowhere.example.org", .a, edns: DNSEDNS())).edns != nil)
        #expect(try ask("www.example.org", .a).edns == nil)
    }

    @Test("an EDNS version above 0 gets BADVERS with an OPT of version 0 (RFC 6891 section 6.1.3)")
    func badVersion() throws {
        let response = try ask(query("www.example.org", .a, edns: DNSEDNS(version: 1)))
        #expect(response.responseCode == .badVersion && response.answers.isEmpty)
        #expect(response.edns?.version == 0)
    }

    /// An authority whose `big.example.org` has 60 TXT records of 40 bytes: about 3 KB.
    static let bigAuthority: DNSAuthority = {
        var text = soaLine
        for index in 0..<60 { text += "big TXT \"record \(index) " + String(repeating: "x", count: 30) + "\"\n" }
        return DNSAuthority(zones: [try! DNSZone(parsing: text, origin: name("example.org"))])
    }()

    @Test("UDP responses fit 512 bytes without EDNS and the smaller payload size with it; TC when they do not")
    func sizeLimits() throws {
        let plain = try #require(Self.bigAuthority.respond(to: query("big.example.org", .txt).encoded(), transport: .udp))
        #expect(plain.count <= 512)
        let truncated = try DNSMessage.decode(plain)
        #expect(truncated.isTruncated && truncated.answers.isEmpty && truncated.isAuthoritative)
        let withEDNS = try #require(Self.bigAuthority.respond(
            to: query("big.example.org", .txt, edns: DNSEDNS(udpPayloadSize: 4096)).encoded(), transport: .udp))
        #expect(try withEDNS.count <= 1232 && DNSMessage.decode(withEDNS).isTruncated)
        let tcp = try DNSMessage.decode(Self.bigAuthority.respond(to: query("big.example.org", .txt).encoded(), transport: .tcp)!)
        #expect(!tcp.isTruncated && tcp.answers.count == 60)
        // A bigger payload size of ours lets it through over UDP, unless the caller's bound is lower.
        var generous = Self.bigAuthority
        generous.udpPayloadSize = 4096
        let big = try DNSMessage.decode(generous.respond(
            to: query("big.example.org", .txt, edns: DNSEDNS(udpPayloadSize: 4096)).encoded(), transport: .udp)!)
        #expect(!big.isTruncated && big.answers.count == 60)
        let bounded = try #require(generous.respond(
            to: query("big.example.org", .txt, edns: DNSEDNS(udpPayloadSize: 4096)).encoded(), transport: .udp, maximumSize: 1400))
        #expect(try bounded.count <= 1400 && DNSMessage.decode(bounded).isTruncated)
        #expect(exampleAuthority.sizeLimit(for: query("a", .a, edns: DNSEDNS(udpPayloadSize: 100)), transport: .udp) == 512)
    }

    @Test("a referral whose in-domain glue does not fit is truncated (RFC 9471)")
    func glueMustFit() throws {
        var text = soaLine
        for index in 0..<20 {
            let server = "ns\(index)." + String(repeating: "n", count: 40) + ".big"
            text += "big NS \(server)\n\(server) A 192.0.2.\(index)\n\(server) AAAA 2001:db8::\(index)\n"
        }
        let authority = DNSAuthority(zones: [try DNSZone(parsing: text, origin: name("example.org"))])
        let response = try DNSMessage.decode(authority.respond(to: query("www.big.example.org", .a).encoded(), transport: .udp)!)
        #expect(response.isTruncated)
        let tcp = try DNSMessage.decode(authority.respond(to: query("www.big.example.org", .a).encoded(), transport: .tcp)!)
        #expect(!tcp.isTruncated && tcp.authorities.count == 20 && tcp.additionals.count == 40)
    }
}
