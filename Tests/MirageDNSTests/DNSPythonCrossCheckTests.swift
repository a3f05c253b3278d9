import Foundation
import MirageCore
import MirageDNS
import Testing
import MirageTesting

/// Cross-checks the wire format against dnspython, an implementation no one here wrote: its
/// decoder reads our messages, ours reads its (compressed) messages, and both describe them the
/// same. Skips, with a SKIP line, where /usr/bin/python3 cannot import dnspython (package python3-dnspython).
@Suite("Cross-check with dnspython")
struct DNSPythonCrossCheckTests {
    /// The script: `describe` reads messages in hexadecimal, one a line, and writes each
    /// record as `SECTION name ttl class type rdata`; `encode` writes messages dnspython built.
    static let script = ##"""
    import sys
    import dns.message, dns.rdataclass, dns.rdatatype, dns.rrset, dns.flags
    def describe(m):
        print("HEADER", m.id, m.flags, m.rcode())
        for q in m.question:
            print("QD", q.name.to_text(), dns.rdataclass.to_text(q.rdclass), dns.rdatatype.to_text(q.rdtype))
        for label, section in (("AN", m.answer), ("NS", m.authority), ("AR", m.additional)):
            for rrset in section:
                for rd in rrset:
                    print(label, rrset.name.to_text(), rrset.ttl, dns.rdataclass.to_text(rrset.rdclass),
                          dns.rdatatype.to_text(rrset.rdtype), rd.to_text())
        if m.edns >= 0:
            print("EDNS", m.edns, m.payload, m.ednsflags & 0xffff, len(m.options))
        print("--")
    if sys.argv[1] == "describe":
        for line in sys.stdin:
            describe(dns.message.from_wire(bytes.fromhex(line.strip())))
    else:
        q = dns.message.make_query("www.example.org.", "A", use_edns=0, payload=1232, want_dnssec=True)
        r = dns.message.make_response(q)
        r.flags |= dns.flags.AA
        r.answer.append(dns.rrset.from_text("www.example.org.", 300, "IN", "A", "192.0.2.1", "192.0.2.2"))
        r.answer.append(dns.rrset.from_text("www.example.org.", 300, "IN", "AAAA", "2001:db8::1"))
        r.authority.append(dns.rrset.from_text("example.org.", 3600, "IN", "NS", "ns1.example.org.", "ns2.example.org."))
        r.authority.append(dns.rrset.from_text("example.org.", 300, "IN", "SOA",
            "ns1.example.org. hostmaster.example.org. 1 7200 3600 1209600 300"))
        r.additional.append(dns.rrset.from_text("mail.example.org.", 60, "IN", "MX", "10 mx.example.org."))
        r.additional.append(dns.rrset.from_text("t.example.org.", 60, "IN", "TXT", '"a b" "\\"q\\"" "\\255"'))
        r.additional.append(dns.rrset.from_text("_s._tcp.example.org.", 60, "IN", "SRV", "1 2 3 sip.example.org."))
        r.additional.append(dns.rrset.from_text("example.org.", 60, "IN", "CAA", '0 issue "ca.example.net"'))
        r.additional.append(dns.rrset.from_text("x.example.org.", 60, "IN", "CNAME", "www.example.org."))
        r.additional.append(dns.rrset.from_text("1.2.0.192.in-addr.arpa.", 60, "IN", "PTR", "www.example.org."))
        r.additional.append(dns.rrset.from_text("u.example.org.", 60, "IN", "TYPE65280", r"\# 3 010203"))
        print(q.to_wire().hex())
        print(r.to_wire().hex())
    """##

    /// Runs the script with `arguments`, `input` on its standard input; nil when python3 or
    /// dnspython cannot be run.
    static func python(_ arguments: [String], input: String = "") -> String? {
        let process = Process()
        // Debian's interpreter, the one apt installs python3-dnspython for: a `python3` first on
        // PATH (pyenv, a virtualenv) may lack it.
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return nil
        }
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: output, as: UTF8.self)
    }

    /// Whether /usr/bin/python3 imports dnspython. Only that decides a skip: once it does, a
    /// script that fails is a failing oracle, and the tests fail.
    static let available: Bool = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import dns.message, dns.rrset"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let usable = (try? process.run()) != nil && { process.waitUntilExit(); return process.terminationStatus == 0 }()
        if !usable { print("SKIP: dnspython cross-check: /usr/bin/python3 cannot import dnspython (package python3-dnspython)") }
        return usable
    }()

    /// Our description of `message`, in the script's format.
    static func describe(_ message: DNSMessage) -> String {
        let bytes = message.encoded()
        let flags = Int(bytes[2]) << 8 | Int(bytes[3])
        var lines = ["HEADER \(message.id) \(flags) \(message.responseCode.rawValue)"]
        for question in message.questions {
            lines.append("QD \(question.name) \(question.recordClass) \(question.type)")
        }
        for (label, records) in [("AN", message.answers), ("NS", message.authorities), ("AR", message.additionals)] {
            for record in records {
                lines.append("\(label) \(record.name) \(record.ttl) \(record.recordClass) \(record.type) \(record.data)")
            }
        }
        if let edns = message.edns {
            let flags = (edns.dnssecOK ? 0x8000 : 0) | Int(edns.otherFlags)
            lines.append("EDNS \(edns.version) \(edns.udpPayloadSize) \(flags) \(edns.options.count)")
        }
        lines.append("--")
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("dnspython reads our messages as we do", .enabled(if: available))
    func theyReadOurs() throws {
        let authority = DNSAuthority(zones: [exampleZone()])
        var messages = [sampleResponse()]
        for (qname, type) in [("www.example.org", DNSRecordType.a), ("example.org", .ns), ("x.cwild.example.org", .a),
                              ("nowhere.example.org", .a), ("www.sub.example.org", .a), ("_sip._tcp.example.org", .srv)] {
            messages.append(authority.answer(query(qname, type, edns: DNSEDNS())))
        }
        let input = messages.map { DNSText.hex($0.encoded()) }.joined(separator: "\n") + "\n"
        let theirs = try #require(Self.python(["describe"], input: input))
        // Described as decoded: compression spells a name as its first occurrence did.
        let decoded = try messages.map { message throws(DNSWireError) in try DNSMessage.decode(message.encoded()) }
        #expect(theirs.split(separator: "\n") == decoded.map(Self.describe).joined().split(separator: "\n"))
    }

    @Test("we read dnspython's compressed messages as it does", .enabled(if: available))
    func weReadTheirs() throws {
        let hexLines = try #require(Self.python(["encode"])).split(separator: "\n").map(String.init)
        #expect(hexLines.count == 2)
        let theirs = try #require(Self.python(["describe"], input: hexLines.joined(separator: "\n") + "\n"))
        let ours = try hexLines.map { line throws(DNSWireError) in Self.describe(try DNSMessage.decode(hex(line))) }.joined()
        #expect(ours.split(separator: "\n") == theirs.split(separator: "\n"))
        // And what we decode, we encode back to bytes dnspython reads the same.
        let again = try hexLines.map { line throws(DNSWireError) in DNSText.hex(try DNSMessage.decode(hex(line)).encoded()) }
        #expect(Self.python(["describe"], input: again.joined(separator: "\n") + "\n") == theirs)
    }
}

/// Hexadecimal for the tests (the library's own is internal).
enum DNSText {
    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}
