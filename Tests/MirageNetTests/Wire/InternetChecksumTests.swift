import MirageNet
import Testing

/// The checksum as RFC 1071 defines it, one big-endian word at a time: the reference.
func referenceChecksum(_ bytes: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var index = 0
    while index < bytes.count {
        let high = UInt32(bytes[index]) << 8
        let low = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
        sum += high | low
        sum = (sum & 0xFFFF) + (sum >> 16)
        index += 2
    }
    return ~UInt16(sum)
}

func checksum(_ bytes: [UInt8]) -> UInt16 {
    bytes.withUnsafeBytes { InternetChecksum.of($0) }
}

@Suite("Internet checksum (RFC 1071)")
struct InternetChecksumTests {
    @Test("the RFC 1071 section 3 example sums to 0xddf2")
    func rfcExample() {
        var sum = InternetChecksum()
        ([0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7] as [UInt8]).withUnsafeBytes { sum.add($0) }
        #expect(sum.sum == 0xDDF2)
        #expect(sum.checksum == 0x220D)
    }

    @Test("an IPv4 header's checksum, and a header holding its checksum sums to 0xffff")
    func ipv4Header() {
        var header: [UInt8] = [0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00,
                               0xC0, 0xA8, 0x00, 0x01, 0xC0, 0xA8, 0x00, 0xC7]
        #expect(checksum(header) == 0xB861)
        header[10] = 0xB8
        header[11] = 0x61
        #expect(checksum(header) == 0)
    }

    @Test("equals the reference for every length up to 100 and random contents")
    func matchesReference() {
        var generator = SystemRandomNumberGenerator()
        for length in 0...100 {
            for _ in 0..<20 {
                let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
                #expect(checksum(bytes) == referenceChecksum(bytes), "\(bytes)")
            }
        }
    }

    @Test("adding in pieces, at odd and even splits, equals adding at once")
    func incremental() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let bytes = (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var sum = InternetChecksum()
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + Int.random(in: 1...9, using: &generator))
                bytes[start..<end].withUnsafeBytes { sum.add($0) }
                start = end
            }
            #expect(sum.checksum == referenceChecksum(bytes))
        }
    }

    @Test("all-ones words carry around: 0xffff words sum to 0xffff")
    func carries() {
        #expect(checksum([UInt8](repeating: 0xFF, count: 4096)) == 0)
        #expect(checksum([UInt8](repeating: 0xFF, count: 4097)) == referenceChecksum([UInt8](repeating: 0xFF, count: 4097)))
    }

    @Test("pseudo-header words add as their big-endian bytes would")
    func words() {
        var fromWords = InternetChecksum()
        fromWords.add(UInt32(0xC0A8_0001))
        fromWords.add(UInt16(0x0011))
        #expect(fromWords.checksum == referenceChecksum([0xC0, 0xA8, 0x00, 0x01, 0x00, 0x11]))
    }
}
