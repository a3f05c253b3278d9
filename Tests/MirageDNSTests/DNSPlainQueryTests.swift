import MirageCore
@testable import MirageDNS
import MirageTesting
import Testing

@Suite("Plain queries answered straight from the zone's RRsets give the bytes of a message decoded in full")
struct DNSPlainQueryTests {
    /// The example zone and a nested one, with a name in a TXT record long enough to truncate.
    static let authority: DNSAuthority = {
        let child = try! DNSZone(parsing: "@ 60 SOA ns hm 1 2 3 4 5\nwww 60 A 198.51.100.1\nbig 60 TXT \""
            + String(repeating: "x", count: 200) + "\" \"" + String(repeating: "y", count: 200) + "\"",
            origin: name("child.example.org"))
        return DNSAuthority(zones: [exampleZone(), child])
    }()

    static let names = [
        "example.org", "EXAMPLE.org", "www.example.org", "wWw.ExAmple.ORG", "alias.example.org", "chain1.example.org",
        "outside.example.org", "dangling.example.org", "loop1.example.org", "x.wild.example.org", "X.Y.Wild.example.org",
        "*.wild.example.org", "wild.example.org", "q.cwild.example.org", "a.b.deep.example.org", "z.deep.example.org",
        "b.deep.example.org", "c.b.deep.example.org", "sub.example.org", "x.sub.example.org", "ns1.sub.example.org",
        "_sip._tcp.example.org", "_tcp.example.org", "txt.example.org", "nowhere.example.org", "ns1.example.org",
        "www.child.example.org", "big.child.example.org", "child.example.org", "example.net", "org", ".",
    ]

    static let types: [DNSRecordType] = [.a, .aaaa, .ns, .mx, .soa, .txt, .cname, .srv, .ds, .any, .axfr, .ixfr, .opt, DNSRecordType(250), DNSRecordType(999)]

    /// A query with `flags`, and an OPT record when `edns` says so.
    static func query(_ text: String, _ type: DNSRecordType, recordClass: DNSClass, flags: UInt16,
                      edns: (payload: UInt16, version: UInt8, dnssecOK: Bool, cookie: Bool)?) -> [UInt8] {
        var bytes = header(id: 0xbeef, flags: flags, counts: [1, 0, 0, edns == nil ? 0 : 1])
        bytes += name(text).storage + [0]
        bytes += [UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xff), UInt8(recordClass.rawValue >> 8), UInt8(recordClass.rawValue & 0xff)]
        if let edns {
            let options: [UInt8] = edns.cookie ? [0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8] : []
            bytes += [0, 0, 41, UInt8(edns.payload >> 8), UInt8(edns.payload & 0xff), 0, edns.version, edns.dnssecOK ? 0x80 : 0, 0,
                      0, UInt8(options.count)] + options
        }
        return bytes
    }

    /// Compares the two ways for `bytes`; returns whether the plain way answered.
    static func compare(_ bytes: [UInt8], transport: DNSTransport, maximumSize: Int?) -> Bool {
        let decoded = authority.decodedResponses(to: bytes, transport: transport, maximumSize: maximumSize, allowingZoneTransfer: false)
        guard let plain = bytes.withUnsafeBytes({ authority.plainResponse(to: $0, transport: transport, maximumSize: maximumSize) }) else {
            return false
        }
        #expect(decoded == [plain], "\(bytes)")
        return true
    }

    @Test("every zone name, type, class, flag, EDNS form and size limit: the same bytes")
    func sameBytes() {
        var plain = 0
        var total = 0
        for text in Self.names {
            for type in Self.types {
                for recordClass in [DNSClass.in, .any, DNSClass(3)] {
                    for flags: UInt16 in [0, 0x0100, 0x0110, 0x0630, 0x8000, 0x2800, 0x000f] {
                        for edns in [nil, (UInt16(4096), UInt8(0), true, false), (UInt16(100), UInt8(0), false, true),
                                     (UInt16(1400), UInt8(1), false, false)] as [(UInt16, UInt8, Bool, Bool)?] {
                            let bytes = Self.query(text, type, recordClass: recordClass, flags: flags, edns: edns)
                            for (transport, limit) in [(DNSTransport.udp, nil), (.tcp, nil), (.udp, 60), (.udp, 140)] as [(DNSTransport, Int?)] {
                                total += 1
                                if Self.compare(bytes, transport: transport, maximumSize: limit) { plain += 1 }
                            }
                        }
                    }
                }
            }
        }
        // A fifth or more are plain; the others have QR, another opcode or EDNS version, a meta
        // type, or a name in no zone.
        #expect(plain > total / 5)
    }

    @Test("queries with bytes changed at random: whenever the plain way answers, the same bytes")
    func mutatedQueries() {
        var generator = SplitMix64.printingSeed(for: "DNSPlainQueryTests.mutatedQueries")
        var plain = 0
        for _ in 0..<20_000 {
            let text = Self.names[Int(generator.next() % UInt64(Self.names.count))]
            let type = Self.types[Int(generator.next() % UInt64(Self.types.count))]
            let edns: (UInt16, UInt8, Bool, Bool)? = generator.next() % 2 == 0 ? nil : (UInt16(truncatingIfNeeded: generator.next()), 0, true, generator.next() % 2 == 0)
            var bytes = Self.query(text, type, recordClass: .in, flags: 0, edns: edns)
            for _ in 0..<Int(generator.next() % 3) {
                switch generator.next() % 3 {
                case 0: bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
                case 1: bytes.removeLast(Int(generator.next() % UInt64(min(bytes.count, 4))))
                default: bytes.append(UInt8(truncatingIfNeeded: generator.next()))
                }
            }
            guard bytes.count >= 12, bytes[2] & 0x80 == 0 else { continue }
            if Self.compare(bytes, transport: .udp, maximumSize: nil) { plain += 1 }
        }
        #expect(plain > 0)
    }

    @Test("what is not plain: pointers, records, other EDNS versions, bad options, trailing bytes")
    func notPlain() {
        let plain = Self.query("www.example.org", .a, recordClass: .in, flags: 0, edns: (1232, 0, false, true))
        #expect(plain.withUnsafeBytes { DNSPlainQuery($0) }?.edns?.udpPayloadSize == 1232)
        var pointer = header(counts: [1, 0, 0, 0]) + [0xc0, 12, 0, 1, 0, 1]
        #expect(pointer.withUnsafeBytes { DNSPlainQuery($0) } == nil)
        pointer = header(counts: [2, 0, 0, 0]) + wireName("a.org") + [0, 1, 0, 1] + wireName("b.org") + [0, 1, 0, 1]
        #expect(pointer.withUnsafeBytes { DNSPlainQuery($0) } == nil)
        let version1 = Self.query("www.example.org", .a, recordClass: .in, flags: 0, edns: (1232, 1, false, false))
        #expect(version1.withUnsafeBytes { DNSPlainQuery($0) } == nil)
        var badOption = plain
        badOption[badOption.count - 9] = 9  // the cookie's length past RDLENGTH
        #expect(badOption.withUnsafeBytes { DNSPlainQuery($0) } == nil)
        #expect((plain + [0]).withUnsafeBytes { DNSPlainQuery($0) } == nil)
        #expect(plain.dropLast().withUnsafeBytes { DNSPlainQuery($0) } == nil)
    }
}
