import MirageCore
import MirageNet
import Testing

/// A UDP datagram 10.0.0.1:5000 -> 10.0.0.2:7 carrying "hello".
let goldenUDP: [UInt8] = [0x13, 0x88, 0x00, 0x07, 0x00, 0x0D, 0x94, 0x70, 0x68, 0x65, 0x6C, 0x6C, 0x6F]

@Suite("UDP (RFC 768)")
struct UDPWireTests {
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
