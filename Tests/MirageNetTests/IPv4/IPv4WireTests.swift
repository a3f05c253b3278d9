import MirageCore
import MirageNet
import Testing

func parseIPv4(_ bytes: [UInt8]) throws -> IPv4Header {
    try bytes.withUnsafeBytes { try IPv4Header.parse($0) }
}

@Suite("IPv4 header (RFC 791)")
struct IPv4WireTests {
    @Test("golden bytes: every field, and emitting gives the same 20 bytes")
    func golden() throws {
        let header = try parseIPv4(goldenPing + [0, 0, 0, 0])
        #expect(header.totalLength == 36)
        #expect(header.identification == 0xABCD)
        #expect(header.dontFragment && !header.moreFragments && header.fragmentOffset == 0)
        #expect(header.timeToLive == 64)
        #expect(header.protocol == .icmp)
        #expect(header.source == hostA && header.destination == hostB)
        #expect(header.payloadRange == 20..<36)
        var bytes = [UInt8](repeating: 0xEE, count: 20)
        bytes.withUnsafeMutableBytes { header.emit(into: $0) }
        #expect(bytes == Array(goldenPing.prefix(20)))
    }

    @Test("options are skipped: the payload starts after IHL * 4 bytes")
    func options() throws {
        var bytes = goldenPing
        bytes[0] = 0x46
        bytes.insert(contentsOf: [0x01, 0x01, 0x01, 0x00], at: 20) // NOP, NOP, NOP, end of options
        bytes[3] = 40
        bytes[10] = 0
        bytes[11] = 0
        let sum = bytes.withUnsafeBytes { InternetChecksum.of(UnsafeRawBufferPointer(rebasing: $0[0..<24])) }
        bytes[10] = UInt8(sum >> 8)
        bytes[11] = UInt8(sum & 0xFF)
        let header = try parseIPv4(bytes)
        #expect(header.length == 24)
        #expect(header.payloadRange == 24..<40)
    }

    static func with(_ changes: [(Int, UInt8)]) -> [UInt8] {
        var bytes = goldenPing
        for (offset, value) in changes { bytes[offset] = value }
        return bytes
    }

    @Test("bad versions, lengths and checksums are refused", arguments: [
        (Array(goldenPing.prefix(19)), WireError.truncated(needed: 20, available: 19)),
        (with([(0, 0x65)]), .malformed(field: "IP version", value: 6)),
        (with([(0, 0x44)]), .malformed(field: "IPv4 header length", value: 16)),
        (with([(0, 0x4F)]), .truncated(needed: 60, available: 36)),
        (with([(3, 19)]), .malformed(field: "IPv4 total length", value: 19)),
        (with([(3, 37)]), .truncated(needed: 37, available: 36)),
        (with([(8, 63)]), .badChecksum),
    ])
    func refused(bytes: [UInt8], error: WireError) {
        #expect(throws: error) { try parseIPv4(bytes) }
    }

    @Test("fragment fields: more-fragments and the offset in 8-byte units")
    func fragments() throws {
        var header = IPv4Header(totalLength: 1500, protocol: .udp, source: hostA, destination: hostB)
        header.moreFragments = true
        header.fragmentOffset = 185
        var bytes = [UInt8](repeating: 0, count: 1500)
        bytes.withUnsafeMutableBytes { header.emit(into: $0) }
        let parsed = try parseIPv4(bytes)
        #expect(parsed.isFragment && parsed.moreFragments && parsed.fragmentOffset == 185)
        #expect(parsed == header)
    }

    @Test("random mutations of a packet never trap")
    func randomBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            var bytes = goldenPing
            for _ in 0..<Int.random(in: 1...3, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? parseIPv4(Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator))))
        }
    }
}
