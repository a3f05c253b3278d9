import MirageCore
import MirageNet
import Testing

@Suite("ICMPv4 (RFC 792)")
struct ICMPv4WireTests {
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
