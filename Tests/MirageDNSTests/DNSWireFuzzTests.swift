import MirageCore
import MirageDNS
import MirageTesting
import Testing

@Suite("Decoding arbitrary bytes")
struct DNSWireFuzzTests {
    /// Decodes `bytes`; when that succeeds, the message must encode and decode to itself.
    static func check(_ bytes: [UInt8]) {
        _ = DNSMessagePrefix(bytes)
        guard let message = try? DNSMessage.decode(bytes, allowingTrailingBytes: true) else { return }
        let again = try? DNSMessage.decode(message.encoded())
        #expect(again == message)
    }

    @Test("thousands of mutated valid messages only decode or throw, and what decodes round-trips")
    func mutatedMessages() {
        let random = SeededEntropy(seed: 0xd45)
        let seeds = [sampleResponse().encoded(), DNSWireDecodeTests.compressionExample,
                     DNSMessage(id: 9, questions: [DNSQuestion(name: name("a.b.c"), type: .txt)]).encoded()]
        var decoded = 0
        for round in 0..<6000 {
            var bytes = seeds[round % seeds.count]
            switch random.next() % 4 {
            case 0:  // flip a few bytes
                for _ in 0..<(1 + random.next() % 4) {
                    bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
                }
            case 1:  // cut
                bytes = Array(bytes.prefix(Int(random.next() % UInt64(bytes.count + 1))))
            case 2:  // a pointer somewhere
                let index = Int(random.next() % UInt64(bytes.count - 1))
                bytes[index] = 0xc0 | UInt8(truncatingIfNeeded: random.next() & 0x3f)
                bytes[index + 1] = UInt8(truncatingIfNeeded: random.next())
            default:  // inflate a count
                let index = 4 + Int(random.next() % 8)
                bytes[index] = UInt8(truncatingIfNeeded: random.next())
            }
            if (try? DNSMessage.decode(bytes, allowingTrailingBytes: true)) != nil { decoded += 1 }
            Self.check(bytes)
        }
        #expect(decoded > 100)  // the mutations leave many messages valid, so round trips are tested
    }

    @Test("random bytes after a plausible header only decode or throw")
    func randomBytes() {
        let random = SeededEntropy(seed: 42)
        for _ in 0..<3000 {
            let length = Int(random.next() % 200)
            var bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            if bytes.count >= 12 {
                for index in 4..<12 { bytes[index] = index % 2 == 0 ? 0 : UInt8(random.next() % 3) }
            }
            Self.check(bytes)
        }
    }
}
