import MirageCore
import MirageDNS
import Testing

/// The zone of `text` (after a standard SOA line), or the error reading it.
func parseZone(_ text: String, origin: String? = "example.org") -> Result<DNSZone, DNSZoneError> {
    do {
        return .success(try DNSZone(parsing: text, origin: origin.map(name)))
    } catch {
        return .failure(error)
    }
}

/// The error reading `text`, or nil.
func zoneError(_ text: String, origin: String? = "example.org") -> DNSZoneError? {
    if case let .failure(error) = parseZone(text, origin: origin) { return error }
    return nil
}

/// A first line making a valid apex, so that tests can add one record after it.
let soaLine = "@ 3600 IN SOA ns hostmaster 1 7200 3600 1209600 300\n"

@Suite("Master files (RFC 1035 section 5)")
struct DNSZoneParserTests {
    @Test("the example zone: directives, @, relative names, omitted owners, parentheses and comments")
    func exampleZoneParses() throws {
        let zone = try DNSZone(parsing: exampleZoneText, origin: name("example.org"))
        #expect(zone.origin == name("example.org") && zone.recordClass == .in)
        #expect(zone.soaData == DNSSOA(
            primaryServer: name("ns1.example.org"), responsibleMailbox: name("hostmaster.example.org"),
            serial: 2024010101, refresh: 7200, retry: 3600, expire: 1209600, minimum: 300))
        #expect(zone.soa.ttl == 3600)
        #expect(zone.rrset(at: name("example.org"), type: .ns)?.data == [.ns(name("ns1.example.org")), .ns(name("ns2.example.net"))])
        #expect(zone.rrset(at: name("ns1.example.org"), type: .aaaa)?.data == [.aaaa(IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x53))])
        #expect(zone.rrset(at: name("www.example.org"), type: .a)?.data.count == 2)
        #expect(zone.rrset(at: name("txt.example.org"), type: .txt)?.data == [.txt([ascii("hello world"), ascii("second")])])
        #expect(zone.rrset(at: name("_sip._tcp.example.org"), type: .srv)?.data
            == [.srv(DNSSRV(priority: 0, weight: 5, port: 5060, target: name("www.example.org")))])
        #expect(zone.rrsets(at: name("example.org")).map(\.type) == [.soa, .ns, .mx])
        #expect(zone.records.first?.type == .soa && zone.records.count == 26)
        #expect(zone.negativeAnswerSOA.ttl == 300)
    }

    @Test("empty non-terminals exist; names below nothing do not")
    func emptyNonTerminals() {
        let zone = exampleZone()
        #expect(zone.contains(name("b.deep.example.org")) && zone.contains(name("deep.example.org")))
        #expect(zone.rrsets(at: name("b.deep.example.org")).isEmpty)
        #expect(zone.contains(name("_tcp.example.org")))
        #expect(!zone.contains(name("x.b.deep.example.org")) && !zone.contains(name("nowhere.example.org")))
    }

    @Test("$ORIGIN: absolute, relative to the previous origin, and giving the zone its apex")
    func originDirective() throws {
        let zone = try parseZone("""
            $ORIGIN example.org.
            @ 60 SOA ns hm 1 2 3 4 5
            $ORIGIN sub
            www 60 A 192.0.2.1
            $ORIGIN other.example.org.
            www 60 A 192.0.2.2
            """, origin: nil).get()
        #expect(zone.origin == name("example.org"))
        #expect(zone.rrset(at: name("www.sub.example.org"), type: .a) != nil)
        #expect(zone.rrset(at: name("www.other.example.org"), type: .a) != nil)
    }

    @Test("TTLs: explicit, $TTL, the previous record's, units, and TTL and class in either order")
    func ttls() throws {
        let zone = try parseZone("""
            @ 100 IN SOA ns hm 1 1h 30m 2w 1d
            a 200 A 192.0.2.1
            b A 192.0.2.2
            $TTL 1h30m
            c A 192.0.2.3
            d IN 5 A 192.0.2.4
            e 7 IN A 192.0.2.5
            """).get()
        func ttl(_ owner: String) -> UInt32? { zone.rrset(at: name(owner + ".example.org"), type: .a)?.ttl }
        #expect(ttl("a") == 200 && ttl("b") == 200 && ttl("c") == 5400 && ttl("d") == 5 && ttl("e") == 7)
        #expect(zone.soaData.refresh == 3600 && zone.soaData.retry == 1800 && zone.soaData.expire == 1_209_600 && zone.soaData.minimum == 86400)
    }

    @Test("quoted strings with escapes and \\DDD in TXT; escapes in names")
    func escapes() throws {
        let zone = try parseZone(soaLine + """
            t TXT "a \\"quoted\\" word" semi\\;colon "\\065\\255" ""
            dot\\.ted A 192.0.2.1
            sp\\032ace A 192.0.2.2
            """).get()
        #expect(zone.rrset(at: name("t.example.org"), type: .txt)?.data
            == [.txt([ascii("a \"quoted\" word"), ascii("semi;colon"), [65, 255], []])])
        let dotted = try DNSName(labels: [ascii("dot.ted"), ascii("example"), ascii("org")])
        #expect(zone.rrset(at: dotted, type: .a) != nil)
        #expect(zone.rrset(at: try DNSName(labels: [ascii("sp ace"), ascii("example"), ascii("org")]), type: .a) != nil)
    }

    @Test("the generic form \\# for a known type and for an unknown TYPEnnn; CLASSnnn and TYPEnnn mnemonics")
    func genericForm() throws {
        let zone = try parseZone(soaLine + """
            a CLASS1 TYPE1 \\# 4 C0000201
            u TYPE65280 \\# 6 0102 03 040506
            e TYPE65281 \\# 0
            n NS \\# 9 036e7331 03 6f726700
            """).get()
        #expect(zone.rrset(at: name("a.example.org"), type: .a)?.data == [.a(IPv4Address(192, 0, 2, 1))])
        #expect(zone.rrset(at: name("u.example.org"), type: DNSRecordType(65280))?.data
            == [.unknown(DNSRecordType(65280), [1, 2, 3, 4, 5, 6])])
        #expect(zone.rrset(at: name("e.example.org"), type: DNSRecordType(65281))?.data == [.unknown(DNSRecordType(65281), [])])
        #expect(zone.rrset(at: name("n.example.org"), type: .ns)?.data == [.ns(name("ns1.org"))])
    }

    @Test("CAA, MX, PTR, and duplicate records folded into one")
    func otherTypes() throws {
        let zone = try parseZone(soaLine + """
            @ CAA 128 issue "ca.example.net; account=1"
            @ MX 10 mail
            @ MX 10 MAIL.example.org.
            p PTR host.example.net.
            """).get()
        #expect(zone.rrset(at: name("example.org"), type: .caa)?.data
            == [.caa(DNSCAA(flags: 128, tag: ascii("issue"), value: ascii("ca.example.net; account=1")))])
        #expect(zone.rrset(at: name("example.org"), type: .mx)?.data.count == 1)
        #expect(zone.rrset(at: name("p.example.org"), type: .ptr)?.data == [.ptr(name("host.example.net"))])
    }

    @Test("records written back in presentation form read again to the same zone")
    func printedZoneReadsBack() throws {
        let zone = exampleZone()
        let text = zone.records.map(\.description).joined(separator: "\n")
        let again = try DNSZone(parsing: text)
        #expect(again.records == zone.records)
    }
}

@Suite("Master file errors, with their lines")
struct DNSZoneErrorTests {
    @Test("syntax: unknown type, bad addresses, long labels, bad TTLs, parentheses, strings")
    func syntaxErrors() {
        #expect(zoneError(soaLine + "a 60 FOO 1.2.3.4") == DNSZoneError(line: 2, .unknownType("FOO")))
        #expect(zoneError(soaLine + "\n\na A 192.0.2.256")?.line == 4)
        if case .badIPv4Address("192.0.2.256", _)? = zoneError(soaLine + "a A 192.0.2.256")?.problem {} else {
            Issue.record("no bad IPv4 address error")
        }
        if case .badIPv6Address("2001:db8::g", _)? = zoneError(soaLine + "a AAAA 2001:db8::g")?.problem {} else {
            Issue.record("no bad IPv6 address error")
        }
        let longLabel = String(repeating: "x", count: 64)
        #expect(zoneError(soaLine + "; comment\n\(longLabel) A 192.0.2.1")
            == DNSZoneError(line: 3, .badName(longLabel, .labelTooLong(length: 64))))
        #expect(zoneError(soaLine + "a 99999999999 A 192.0.2.1") == DNSZoneError(line: 2, .badTTL("99999999999")))
        #expect(zoneError(soaLine + "a 2147483648 A 192.0.2.1") == DNSZoneError(line: 2, .badTTL("2147483648")))
        #expect(zoneError(soaLine + "a 1x A 192.0.2.1") == DNSZoneError(line: 2, .badTTL("1x")))
        #expect(zoneError("$TTL forever\n" + soaLine) == DNSZoneError(line: 1, .badTTL("forever")))
        #expect(zoneError(soaLine + "a A 192.0.2.1 )") == DNSZoneError(line: 2, .unbalancedParentheses))
        #expect(zoneError(soaLine + "a TXT ( \"x\"\n\n b") == DNSZoneError(line: 2, .unbalancedParentheses))
        #expect(zoneError(soaLine + "a TXT \"open\nb A 192.0.2.1") == DNSZoneError(line: 2, .unterminatedString))
        #expect(zoneError(soaLine + "a TXT \"\(String(repeating: "y", count: 256))\"") == DNSZoneError(line: 2, .stringTooLong))
        #expect(zoneError(soaLine + "a TXT \"\\300\"") == DNSZoneError(line: 2, .badEscape))
        #expect(zoneError(soaLine + "a MX mail") == DNSZoneError(line: 2, .badNumber("mail")))
        #expect(zoneError(soaLine + "a MX 10") == DNSZoneError(line: 2, .missingField("an MX exchange")))
        #expect(zoneError(soaLine + "a A 192.0.2.1 extra") == DNSZoneError(line: 2, .extraField("extra")))
        #expect(zoneError(soaLine + "a") == DNSZoneError(line: 2, .missingField("a type")))
        #expect(zoneError(soaLine + "a CAA 0 \"issue\" x") == DNSZoneError(line: 2, .badCAATag("issue")))
    }

    @Test("directives: $INCLUDE refused, unknown ones named")
    func directives() {
        #expect(zoneError(soaLine + "$INCLUDE other.zone") == DNSZoneError(line: 2, .includeNotSupported))
        #expect(zoneError(soaLine + "$GENERATE 1-2 a$ A 1.2.3.4") == DNSZoneError(line: 2, .unknownDirective("$GENERATE")))
    }

    @Test("the generic form: wrong length, bad hex, invalid data of a known type; unknown types need it")
    func genericErrors() {
        #expect(zoneError(soaLine + "a TYPE65280 \\# 3 0102")
            == DNSZoneError(line: 2, .badGenericData("the length says 3 bytes, the data has 2")))
        #expect(zoneError(soaLine + "a TYPE65280 \\# 1 0g")?.problem == .badGenericData("'0g' is not hexadecimal"))
        #expect(zoneError(soaLine + "a TYPE65280 \\# 1 012")?.problem == .badGenericData("an odd number of hexadecimal digits"))
        #expect(zoneError(soaLine + "a A \\# 3 010203")?.problem == .badGenericData(DNSWireError.badRecordData(.a, offset: 0).description))
        #expect(zoneError(soaLine + "a TYPE65280 01") == DNSZoneError(line: 2, .genericFormRequired(DNSRecordType(65280))))
        #expect(zoneError(soaLine + "a AXFR \\# 0") == DNSZoneError(line: 2, .metaType(.axfr)))
    }

    @Test("zone rules: one SOA at the apex, no CNAME beside other data, nothing outside the origin")
    func zoneRules() {
        #expect(zoneError("www A 192.0.2.1") == DNSZoneError(line: 1, .noTTL))
        #expect(zoneError("$TTL 1\nwww A 192.0.2.1") == DNSZoneError(line: nil, .missingSOA))
        #expect(zoneError(soaLine + soaLine) == DNSZoneError(line: 2, .multipleSOA))
        #expect(zoneError(soaLine + "sub SOA ns hm 1 2 3 4 5") == DNSZoneError(line: 2, .soaNotAtApex(name("sub.example.org"))))
        #expect(zoneError(soaLine + "a A 192.0.2.1\na CNAME b") == DNSZoneError(line: 3, .cnameAndOtherData(name("a.example.org"))))
        #expect(zoneError(soaLine + "a CNAME b\na A 192.0.2.1") == DNSZoneError(line: 3, .cnameAndOtherData(name("a.example.org"))))
        #expect(zoneError(soaLine + "a CNAME b\na CNAME c") == DNSZoneError(line: 3, .multipleCNAMEs(name("a.example.org"))))
        #expect(zoneError(soaLine + "www.example.net. A 192.0.2.1") == DNSZoneError(line: 2, .outsideZone(name("www.example.net"))))
        #expect(zoneError(soaLine + "a CH A 192.0.2.1") == DNSZoneError(line: 2, .classMismatch(expected: .in, found: .ch)))
        #expect(zoneError("  A 192.0.2.1") == DNSZoneError(line: 1, .noOwner))
        #expect(zoneError("www 1 A 192.0.2.1", origin: nil) == DNSZoneError(line: 1, .badName("www", .missingOrigin)))
        #expect(zoneError("$ORIGIN example.org.\nwww 1 A 192.0.2.1", origin: nil) == DNSZoneError(line: nil, .missingSOA))
        #expect(zoneError("@ 1 SOA ns hm 1 2 3 4 5", origin: nil)?.problem == .badName("@", .missingOrigin))
    }

    @Test("errors read as 'line N: problem'")
    func descriptions() {
        #expect(zoneError(soaLine + "a 60 FOO 1.2.3.4")?.description == "line 2: unknown type 'FOO'")
        #expect(zoneError(soaLine + "a A 1.2.3")?.description == "line 2: bad IPv4 address '1.2.3': too few fields")
        #expect(zoneError("$TTL 1\nwww A 192.0.2.1")?.description == "the zone has no SOA record")
    }

    @Test("records built in code are checked too, without lines")
    func recordsInCode() {
        let soa = DNSRecord(name: name("example.org"), ttl: 60, data: .soa(DNSSOA(
            primaryServer: name("ns"), responsibleMailbox: name("hm"), serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1)))
        let outside = DNSRecord(name: name("example.com"), ttl: 60, data: .a(IPv4Address(1, 2, 3, 4)))
        #expect(throws: DNSZoneError(line: nil, .outsideZone(name("example.com")))) {
            try DNSZone(origin: name("example.org"), records: [soa, outside])
        }
        #expect(throws: Never.self) { try DNSZone(origin: name("example.org"), records: [soa]) }
    }
}
