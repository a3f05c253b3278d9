@testable import MirageDNS
import Testing

/// The wire writer's name compression (RFC 1035 section 4.1.4) in the buffers it alone holds:
/// pointers to the longest suffix written before, whatever its case; suffixes taken back with a
/// rollback forgotten; and every name read back as written, however far the buffers grew.
@Suite("DNSWireWriter: compression, rollbacks and growth")
struct DNSWireWriterTests {
    @Test("a name ends in a pointer to the longest suffix written before, without regard to case")
    func pointsToLongestSuffix() {
        var writer = DNSWireWriter(capacity: 0)
        writer.writeName(name("www.Example.org"), compressing: true)
        writer.writeName(name("mail.example.ORG"), compressing: true)
        writer.writeName(name("WWW.example.org"), compressing: true)
        writer.writeName(name("other.example.org"), compressing: false)
        let first: [UInt8] = [3] + Array("www".utf8) + [7] + Array("Example".utf8) + [3] + Array("org".utf8) + [0]
        let second: [UInt8] = [4] + Array("mail".utf8) + [0xc0, 4]  // "example.org" at offset 4
        let third: [UInt8] = [0xc0, 0]  // the whole first name
        let fourth: [UInt8] = [5] + Array("other".utf8) + [7] + Array("example".utf8) + [3] + Array("org".utf8) + [0]
        #expect(writer.bytes == first + second + third + fourth)
    }

    @Test("the suffixes of a name taken back with a rollback are no pointer target")
    func rollbackForgetsSuffixes() {
        var writer = DNSWireWriter()
        writer.writeName(name("example.net"), compressing: true)
        let checkpoint = writer.checkpoint
        writer.writeName(name("a.b.example.net"), compressing: true)
        writer.rollBack(to: checkpoint)
        writer.writeName(name("x.b.example.net"), compressing: true)
        var expected = DNSWireWriter()
        expected.writeName(name("example.net"), compressing: true)
        expected.writeName(name("x.b.example.net"), compressing: true)
        #expect(writer.count == expected.count)
        #expect(writer.bytes == expected.bytes)
        // "x" and "b" in full, then a pointer to "example.net" at 0; a remembered "b.example.net"
        // of the name taken back would have made it "x" and a pointer to offset 15.
        #expect(Array(writer.bytes.suffix(6)) == [1, UInt8(ascii: "x"), 1, UInt8(ascii: "b"), 0xc0, 0])
    }

    @Test("hundreds of names from a writer that starts with no room read back as written")
    func growsAndReadsBack() throws {
        var writer = DNSWireWriter(capacity: 16)
        var written: [DNSName] = []
        for index in 0..<300 {
            // Names that share suffixes in many ways: a few zones, labels of many lengths.
            let zone = ["example.org", "Example.COM", "a.b.c.example.org", "net"][index % 4]
            let label = String(repeating: "l", count: 1 + index % 40) + "\(index % 7)"
            let text = index % 5 == 0 ? zone : "\(label).\(zone)"
            written.append(name(text))
            writer.writeName(written.last!, compressing: index % 9 != 0)
        }
        var reader = DNSWireReader(writer.bytes)
        for expected in written {
            let read = try reader.readName()
            #expect(read == expected && read.hasSameSpelling(as: expected), "\(expected)")
        }
    }
}
