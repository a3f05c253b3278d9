import MirageCore
import MirageNet
import Testing

/// A ping from 10.0.0.1 to 10.0.0.2: IPv4 (id 0xabcd, DF, TTL 64) + ICMP echo request (id 0x1234,
/// sequence 1, data 0...7). Checksums computed by an independent implementation.
let goldenPing: [UInt8] = [
    0x45, 0x00, 0x00, 0x24, 0xAB, 0xCD, 0x40, 0x00, 0x40, 0x01, 0x7B, 0x09, 0x0A, 0x00, 0x00, 0x01,
    0x0A, 0x00, 0x00, 0x02, 0x08, 0x00, 0xD9, 0xBA, 0x12, 0x34, 0x00, 0x01, 0x00, 0x01, 0x02, 0x03,
    0x04, 0x05, 0x06, 0x07,
]

/// A UDP datagram 10.0.0.1:5000 -> 10.0.0.2:7 carrying "hello".
let goldenUDP: [UInt8] = [0x13, 0x88, 0x00, 0x07, 0x00, 0x0D, 0x94, 0x70, 0x68, 0x65, 0x6C, 0x6C, 0x6F]

let hostA = IPv4Address(10, 0, 0, 1)
let hostB = IPv4Address(10, 0, 0, 2)

func parseIPv4(_ bytes: [UInt8]) throws -> IPv4Header {
    try bytes.withUnsafeBytes { try IPv4Header.parse($0) }
}

@Suite("IPv4 header (RFC 791)")
struct IPv4Tests {
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

@Suite("ICMPv4 (RFC 792)")
struct ICMPv4Tests {
    func parse(_ bytes: [UInt8]) throws -> ICMPv4Header {
        try bytes.withUnsafeBytes { try ICMPv4Header.parse($0) }
    }

    @Test("the golden echo request parses; a reply emitted from it has the right checksum")
    func echo() throws {
        let message = Array(goldenPing[20...])
        #expect(try parse(message) == ICMPv4Header(.echoRequest(identifier: 0x1234, sequence: 1)))
        var bytes = message
        bytes.withUnsafeMutableBytes { ICMPv4Header(.echoRequest(identifier: 0x1234, sequence: 1)).emit(into: $0) }
        #expect(bytes == message)
        bytes.withUnsafeMutableBytes { ICMPv4Header(.echoReply(identifier: 0x1234, sequence: 1)).emit(into: $0) }
        #expect(try parse(bytes) == ICMPv4Header(.echoReply(identifier: 0x1234, sequence: 1)))
        #expect(Array(bytes[8...]) == Array(message[8...]))
    }

    @Test("fragmentation needed carries the next-hop MTU (RFC 1191)")
    func fragmentationNeeded() throws {
        var bytes = [UInt8](repeating: 0, count: 8 + 28)
        bytes.withUnsafeMutableBytes { ICMPv4Header(.destinationUnreachable(code: 4, nextHopMTU: 1400)).emit(into: $0) }
        #expect(Array(bytes.prefix(2)) == [3, 4])
        #expect(try parse(bytes) == ICMPv4Header(.destinationUnreachable(code: 4, nextHopMTU: 1400)))
    }

    @Test("short messages and bad checksums are refused")
    func refused() {
        #expect(throws: WireError.truncated(needed: 8, available: 7)) { try parse(Array(goldenPing[20..<27])) }
        var bytes = Array(goldenPing[20...])
        bytes[10] ^= 1
        #expect(throws: WireError.badChecksum) { try parse(bytes) }
    }
}

@Suite("UDP (RFC 768)")
struct UDPTests {
    let pseudo = IPv4Header.pseudoHeaderChecksum(source: hostA, destination: hostB, protocol: .udp, length: 13)

    func parse(_ bytes: [UInt8]) throws -> UDPHeader {
        let pseudo = self.pseudo
        return try bytes.withUnsafeBytes { try UDPHeader.parse($0, pseudoHeader: pseudo) }
    }

    @Test("golden bytes: ports, length, payload, and the checksum over the pseudo-header")
    func golden() throws {
        let header = try parse(goldenUDP)
        #expect(header == UDPHeader(sourcePort: 5000, destinationPort: 7, length: 13))
        #expect(Array(goldenUDP[header.payloadRange]) == Array("hello".utf8))
        var bytes = [UInt8](repeating: 0, count: 8) + Array("hello".utf8)
        bytes.withUnsafeMutableBytes { header.emit(into: $0, pseudoHeader: pseudo) }
        #expect(bytes == goldenUDP)
    }

    @Test("a zero checksum means none was computed and is accepted")
    func noChecksum() throws {
        var bytes = goldenUDP
        bytes[6] = 0
        bytes[7] = 0
        #expect(try parse(bytes).length == 13)
    }

    @Test("bad lengths and checksums are refused", arguments: [
        (Array(goldenUDP.prefix(7)), WireError.truncated(needed: 8, available: 7)),
        ([0x13, 0x88, 0x00, 0x07, 0x00, 0x07, 0x00, 0x00], .malformed(field: "UDP length", value: 7)),
        ([0x13, 0x88, 0x00, 0x07, 0x00, 0x0E, 0x94, 0x70, 0x68, 0x65, 0x6C, 0x6C, 0x6F], .truncated(needed: 14, available: 13)),
        ([0x13, 0x88, 0x00, 0x07, 0x00, 0x0D, 0x94, 0x70, 0x68, 0x65, 0x6C, 0x6C, 0x70], .badChecksum),
    ])
    func refused(bytes: [UInt8], error: WireError) {
        #expect(throws: error) { try parse(bytes) }
    }
}
