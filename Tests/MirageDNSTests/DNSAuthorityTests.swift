import MirageCore
import MirageDNS
import Testing

/// An authority serving the example zone.
let exampleAuthority = DNSAuthority(zones: [exampleZone()])

/// The query for `qname` and `type`, with `edns` if given.
func query(_ qname: String, _ type: DNSRecordType, id: UInt16 = 0x4242, edns: DNSEDNS? = nil) -> DNSMessage {
    DNSMessage(id: id, recursionDesired: true, questions: [DNSQuestion(name: name(qname), type: type)], edns: edns)
}

/// Sends `query` through the byte interface and decodes the one response.
func ask(
    _ query: DNSMessage, authority: DNSAuthority = exampleAuthority, transport: DNSTransport = .udp,
    maximumSize: Int? = nil
) throws -> DNSMessage {
    let bytes = try #require(authority.respond(to: query.encoded(), transport: transport, maximumSize: maximumSize))
    let response = try DNSMessage.decode(bytes)
    #expect(response.id == query.id && response.isResponse && response.questions == query.questions)
    return response
}

func ask(_ qname: String, _ type: DNSRecordType) throws -> DNSMessage {
    try ask(query(qname, type))
}

/// `name type data` of each record, owners spelled as sent, for comparing sections at a glance.
func lines(_ records: [DNSRecord]) -> [String] {
    records.map { $0.name.description + " " + $0.type.description + " " + $0.data.description }
}

@Suite("Authoritative answers (RFC 1034 section 4.3.2)")
struct DNSAuthorityTests {
    @Test("an exact answer: AA, NOERROR, the RRset, RD copied, nothing in authority")
    func exactAnswer() throws {
        let response = try ask("www.example.org", .a)
        #expect(response.isAuthoritative && response.responseCode == .noError && response.recursionDesired)
        #expect(!response.recursionAvailable && response.edns == nil)
        #expect(lines(response.answers) == ["www.example.org. A 192.0.2.80", "www.example.org. A 192.0.2.81"])
        #expect(response.answers.allSatisfy { $0.ttl == 3600 })
        #expect(response.authorities.isEmpty && response.additionals.isEmpty)
    }

    @Test("the query's spelling of the name is kept in the question and the answer owners (0x20)")
    func caseIsKept() throws {
        let response = try ask("wWw.ExAmPlE.oRg", .a)
        #expect(response.questions[0].name.description == "wWw.ExAmPlE.oRg.")
        #expect(response.answers.allSatisfy { $0.name.description == "wWw.ExAmPlE.oRg." })
    }

    @Test("NS, MX and SRV answers bring the addresses of their targets that are in our zones")
    func additionalSection() throws {
        let ns = try ask("example.org", .ns)
        #expect(lines(ns.answers) == ["example.org. NS ns1.example.org.", "example.org. NS ns2.example.net."])
        #expect(lines(ns.additionals) == ["ns1.example.org. A 192.0.2.53", "ns1.example.org. AAAA 2001:db8::53"])
        let mx = try ask("example.org", .mx)
        #expect(lines(mx.additionals) == ["mail.example.org. A 192.0.2.25"])
        let srv = try ask("_sip._tcp.example.org", .srv)
        #expect(lines(srv.additionals) == ["www.example.org. A 192.0.2.80", "www.example.org. A 192.0.2.81"])
    }

    @Test("a CNAME is followed within the zone; asked for itself, it is the whole answer")
    func cnames() throws {
        let alias = try ask("alias.example.org", .a)
        #expect(alias.isAuthoritative && alias.responseCode == .noError)
        #expect(lines(alias.answers) == ["alias.example.org. CNAME www.example.org.", "www.example.org. A 192.0.2.80", "www.example.org. A 192.0.2.81"])
        let chain = try ask("chain1.example.org", .a)
        #expect(lines(chain.answers) == [
            "chain1.example.org. CNAME chain2.example.org.", "chain2.example.org. CNAME WWW.example.org.",
            "WWW.example.org. A 192.0.2.80", "WWW.example.org. A 192.0.2.81",
        ])
        #expect(lines(try ask("alias.example.org", .cname).answers) == ["alias.example.org. CNAME www.example.org."])
        #expect(lines(try ask("alias.example.org", .any).answers) == ["alias.example.org. CNAME www.example.org."])
        let nodata = try ask("alias.example.org", .mx)
        #expect(lines(nodata.answers) == ["alias.example.org. CNAME www.example.org."])
        #expect(lines(nodata.authorities) == ["example.org. SOA ns1.example.org. hostmaster.example.org. 2024010101 7200 3600 1209600 300"])
    }

    @Test("a CNAME out of the zone ends the answer; one to a missing name gives NXDOMAIN (RFC 6604); a loop stops")
    func cnameEnds() throws {
        let outside = try ask("outside.example.org", .a)
        #expect(outside.responseCode == .noError && outside.isAuthoritative)
        #expect(lines(outside.answers) == ["outside.example.org. CNAME www.example.net."] && outside.authorities.isEmpty)
        let dangling = try ask("dangling.example.org", .a)
        #expect(dangling.responseCode == .nameError)
        #expect(lines(dangling.answers) == ["dangling.example.org. CNAME nothing.example.org."])
        #expect(dangling.authorities.map(\.type) == [.soa])
        let loop = try ask("loop1.example.org", .a)
        #expect(loop.responseCode == .noError)
        #expect(lines(loop.answers) == ["loop1.example.org. CNAME loop2.example.org.", "loop2.example.org. CNAME loop1.example.org."])
    }

    @Test("wildcards answer for names below their parent, owned by the name asked (RFC 4592)")
    func wildcards() throws {
        let a = try ask("Host.wild.example.org", .a)
        #expect(a.isAuthoritative && a.responseCode == .noError)
        #expect(lines(a.answers) == ["Host.wild.example.org. A 192.0.2.99"])
        #expect(lines(try ask("a.b.wild.example.org", .txt).answers) == ["a.b.wild.example.org. TXT \"wildcard\""])
        let nodata = try ask("host.wild.example.org", .mx)
        #expect(nodata.responseCode == .noError && nodata.answers.isEmpty && nodata.authorities.map(\.type) == [.soa])
        let cname = try ask("x.cwild.example.org", .a)
        #expect(lines(cname.answers) == ["x.cwild.example.org. CNAME www.example.org.", "www.example.org. A 192.0.2.80", "www.example.org. A 192.0.2.81"])
        // The wildcard's own name matches itself.
        #expect(lines(try ask("*.wild.example.org", .a).answers) == ["*.wild.example.org. A 192.0.2.99"])
        // The parent of a wildcard exists (an empty non-terminal): NODATA, not a synthesised answer.
        let parent = try ask("wild.example.org", .a)
        #expect(parent.responseCode == .noError && parent.answers.isEmpty)
    }

    @Test("empty non-terminals: NODATA at them, and they block the wildcard above (RFC 4592 section 2.2.2)")
    func emptyNonTerminals() throws {
        let ent = try ask("b.deep.example.org", .a)
        #expect(ent.responseCode == .noError && ent.answers.isEmpty && ent.authorities.map(\.type) == [.soa])
        let blocked = try ask("x.b.deep.example.org", .a)
        #expect(blocked.responseCode == .nameError && blocked.answers.isEmpty)
        #expect(lines(try ask("y.deep.example.org", .a).answers) == ["y.deep.example.org. A 192.0.2.8"])
        #expect(lines(try ask("a.b.deep.example.org", .a).answers) == ["a.b.deep.example.org. A 192.0.2.7"])
    }

    @Test("below a zone cut: a referral, AA clear, NS in authority, in-bailiwick glue in additional")
    func delegation() throws {
        for qname in ["sub.example.org", "www.sub.example.org", "ns1.sub.example.org", "deep.below.sub.example.org"] {
            for type in [DNSRecordType.a, .ns, .aaaa] {
                let referral = try ask(qname, type)
                #expect(!referral.isAuthoritative && referral.responseCode == .noError && referral.answers.isEmpty)
                #expect(lines(referral.authorities) == ["sub.example.org. NS ns1.sub.example.org.", "sub.example.org. NS ns.elsewhere.net."])
                #expect(lines(referral.additionals) == ["ns1.sub.example.org. A 192.0.2.100"])
            }
        }
        // DS lives on the parent side of the cut: answered here (NODATA, as the zone has none).
        let ds = try ask("sub.example.org", .ds)
        #expect(ds.isAuthoritative && ds.answers.isEmpty && ds.authorities.map(\.type) == [.soa])
    }

    @Test("NXDOMAIN and NODATA carry the SOA with the negative TTL min(SOA TTL, minimum) (RFC 2308)")
    func negativeAnswers() throws {
        let nx = try ask("nowhere.example.org", .a)
        #expect(nx.isAuthoritative && nx.responseCode == .nameError && nx.answers.isEmpty)
        #expect(nx.authorities.count == 1 && nx.authorities[0].type == .soa && nx.authorities[0].ttl == 300)
        #expect(nx.authorities[0].name == name("example.org"))
        let nodata = try ask("www.example.org", .aaaa)
        #expect(nodata.responseCode == .noError && nodata.answers.isEmpty && nodata.authorities[0].ttl == 300)
    }

    @Test("ANY gets one RRset, the first at the name (RFC 8482 section 4.1)")
    func anyQuery() throws {
        #expect(lines(try ask("www.example.org", .any).answers) == ["www.example.org. A 192.0.2.80", "www.example.org. A 192.0.2.81"])
        #expect(try ask("example.org", .any).answers.map(\.type) == [.soa])
        #expect(lines(try ask("ns1.example.org", .any).answers) == ["ns1.example.org. A 192.0.2.53"])
    }

    @Test("names outside our zones and other classes are REFUSED, without AA")
    func refused() throws {
        let response = try ask("www.example.com", .a)
        #expect(response.responseCode == .refused && !response.isAuthoritative && response.answers.isEmpty)
        var chaos = query("version.bind", .txt)
        chaos.questions[0].recordClass = .ch
        #expect(try ask(chaos).responseCode == .refused)
        // The parent of our zone is not ours either.
        #expect(try ask("org", .ns).responseCode == .refused)
    }

    @Test("the most specific zone answers when zones nest")
    func nestedZones() throws {
        let child = try DNSZone(parsing: "@ 60 SOA ns hm 1 2 3 4 5\nwww 60 A 198.51.100.1", origin: name("sub.example.org"))
        let authority = DNSAuthority(zones: [exampleZone(), child])
        let response = try ask(query("www.sub.example.org", .a), authority: authority)
        #expect(response.isAuthoritative && lines(response.answers) == ["www.sub.example.org. A 198.51.100.1"])
        #expect(lines(try ask(query("www.example.org", .a), authority: authority).answers).count == 2)
    }
}
