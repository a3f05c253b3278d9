import MirageCore
import MirageDNS
import MirageTesting
import Testing

@Suite("Arbitrary master files and queries")
struct DNSRobustnessTests {
    @Test("mutated master files only parse or fail with a line inside the file")
    func mutatedZoneFiles() {
        let random = SeededEntropy(seed: 7)
        let original = Array(exampleZoneText.utf8)
        let alphabet = Array("abc.\\\"();$@*# \n\t0123456789".utf8)
        let lineCount = original.filter { $0 == UInt8(ascii: "\n") }.count + 1
        var parsed = 0
        for _ in 0..<1500 {
            var bytes = original
            for _ in 0..<(1 + random.next() % 5) {
                let index = Int(random.next() % UInt64(bytes.count))
                switch random.next() % 3 {
                case 0: bytes.remove(at: index)
                case 1: bytes.insert(alphabet[Int(random.next() % UInt64(alphabet.count))], at: index)
                default: bytes[index] = UInt8(truncatingIfNeeded: random.next())
                }
            }
            do {
                _ = try DNSZone(parsing: String(decoding: bytes, as: UTF8.self), origin: name("example.org"))
                parsed += 1
            } catch {
                if let line = error.line { #expect(line >= 1 && line <= lineCount + 5) }
            }
        }
        #expect(parsed > 50)
    }

    @Test("any bytes sent to the authority give no response or one that decodes")
    func arbitraryQueries() throws {
        let random = SeededEntropy(seed: 11)
        let authority = DNSAuthority(zones: [exampleZone()])
        let names = ["www.example.org", "x.b.deep.example.org", "a.wild.example.org", "sub.example.org", "example.org", "loop1.example.org"]
        let types: [DNSRecordType] = [.a, .aaaa, .ns, .mx, .any, .cname, .axfr, .ixfr, .txt, .srv, DNSRecordType(65280)]
        for round in 0..<3000 {
            var bytes = query(names[round % names.count], types[round % types.count], id: UInt16(round),
                              edns: round % 2 == 0 ? DNSEDNS() : nil).encoded()
            for _ in 0..<(random.next() % 3) {
                bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
            }
            let transport: DNSTransport = round % 3 == 0 ? .tcp : .udp
            for response in authority.responses(to: bytes, transport: transport, allowingZoneTransfer: round % 5 == 0) {
                let message = try DNSMessage.decode(response)
                #expect(message.isResponse)
                #expect(response.count <= (transport == .udp ? 1232 : 65535))
            }
        }
    }
}
