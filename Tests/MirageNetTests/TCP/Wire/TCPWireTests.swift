import MirageCore
import MirageNet
import Testing

/// A SYN as Linux sends it: 10.0.0.1:40000 -> 10.0.0.2:7, seq 0x11223344, window 64240, options
/// MSS 1460, SACK permitted, timestamps (0xdeadbeef, 0), NOP, window scale 7. Checksum computed by
/// an independent implementation.
let goldenSYN: [UInt8] = [
    0x9C, 0x40, 0x00, 0x07, 0x11, 0x22, 0x33, 0x44, 0x00, 0x00, 0x00, 0x00, 0xA0, 0x02, 0xFA, 0xF0,
    0xBA, 0xC1, 0x00, 0x00, 0x02, 0x04, 0x05, 0xB4, 0x04, 0x02, 0x08, 0x0A, 0xDE, 0xAD, 0xBE, 0xEF,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07,
]

func tcpPseudoHeader(length: Int) -> InternetChecksum {
    IPv4Header.pseudoHeaderChecksum(source: hostA, destination: hostB, protocol: .tcp, length: UInt16(length))
}

func parseTCP(_ bytes: [UInt8]) throws -> (header: TCPHeader, payloadOffset: Int) {
    let pseudo = tcpPseudoHeader(length: bytes.count)
    return try bytes.withUnsafeBytes { try TCPHeader.parse($0, pseudoHeader: pseudo) }
}

func emitTCP(_ header: TCPHeader, payload: [UInt8] = []) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: header.length) + payload
    let pseudo = tcpPseudoHeader(length: bytes.count)
    bytes.withUnsafeMutableBytes { header.emit(into: $0, pseudoHeader: pseudo) }
    return bytes
}

@Suite("TCP header and options (RFC 9293, 7323, 2018)")
struct TCPWireTests {
    @Test("golden SYN: fields and every option Linux sends")
    func goldenSYNFields() throws {
        let (header, payloadOffset) = try parseTCP(goldenSYN)
        #expect(payloadOffset == 40)
        #expect(header.sourcePort == 40000 && header.destinationPort == 7)
        #expect(header.sequenceNumber == 0x1122_3344 && header.acknowledgmentNumber == 0)
        #expect(header.flags == .syn)
        #expect(header.window == 64240)
        #expect(header.options.maximumSegmentSize == 1460)
        #expect(header.options.sackPermitted)
        #expect(header.options.timestamps == TCPTimestamps(value: 0xDEAD_BEEF, echoReply: 0))
        #expect(header.options.windowScale == 7)
        #expect(header.options.sackBlocks.isEmpty)
    }

    @Test("emit then parse gives the same header, with payload and SACK blocks")
    func roundTrip() throws {
        var header = TCPHeader(sourcePort: 7, destinationPort: 40000, sequenceNumber: 0xFFFF_FFF0,
                               acknowledgmentNumber: 0x1122_3345, flags: [.ack, .psh], window: 501)
        header.options.timestamps = TCPTimestamps(value: 1, echoReply: 0xDEAD_BEEF)
        header.options.sackBlocks = SACKBlocks([SACKBlock(left: 100, right: 200), SACKBlock(left: 300, right: 400), SACKBlock(left: 500, right: 600)])
        #expect(header.length == 20 + 36) // timestamps 10 + SACK 2 + 3 * 8
        let bytes = emitTCP(header, payload: Array("data".utf8))
        let (parsed, offset) = try parseTCP(bytes)
        #expect(parsed == header)
        #expect(Array(bytes[offset...]) == Array("data".utf8))
    }

    @Test("options padded to 4 bytes: MSS and window scale take 8")
    func padding() throws {
        var header = TCPHeader(sourcePort: 1, destinationPort: 2, sequenceNumber: 3, acknowledgmentNumber: 0, flags: .syn, window: 1000)
        header.options.maximumSegmentSize = 1460
        header.options.windowScale = 7
        #expect(header.options.encodedLength == 8)
        #expect(try parseTCP(emitTCP(header)).header == header)
    }

    @Test("an unknown option is skipped by its length and the options after it are read")
    func unknownSkipped() throws {
        let options = try parseTCP(Self.mangled(options: [30, 4, 0xAB, 0xCD, 3, 3, 7])).header.options
        #expect(options.windowScale == 7)
    }

    @Test("a window scale above 14 is taken as 14 (RFC 7323 section 2.3)")
    func windowScaleClamped() throws {
        #expect(try parseTCP(Self.mangled(options: [3, 3, 15])).header.options.windowScale == 14)
    }

    static func mangled(options: [UInt8]) -> [UInt8] {
        var header = TCPHeader(sourcePort: 1, destinationPort: 2, sequenceNumber: 3, acknowledgmentNumber: 0, flags: .ack, window: 1000)
        header.options.timestamps = TCPTimestamps(value: 0, echoReply: 0) // reserves 12 option bytes
        var bytes = emitTCP(header)
        bytes.replaceSubrange(20..<32, with: options + [UInt8](repeating: 0, count: 12 - options.count))
        // Recompute the checksum over the changed options, as a peer would have.
        bytes[16] = 0
        bytes[17] = 0
        var sum = tcpPseudoHeader(length: bytes.count)
        bytes.withUnsafeBytes { sum.add($0) }
        bytes[16] = UInt8(sum.checksum >> 8)
        bytes[17] = UInt8(sum.checksum & 0xFF)
        return bytes
    }

    @Test("bad options and headers are refused", arguments: [
        (mangled(options: [2, 3, 5]), WireError.malformed(field: "TCP option length", value: 3)),
        (mangled(options: [8, 9]), .malformed(field: "TCP option length", value: 9)),
        (mangled(options: [5, 6, 0, 0, 0, 0]), .malformed(field: "TCP SACK option length", value: 6)),
        (mangled(options: [30, 1]), .malformed(field: "TCP option length", value: 1)),
        (mangled(options: [30, 13]), .malformed(field: "TCP option length", value: 13)),
        (Array(goldenSYN.prefix(19)), .truncated(needed: 20, available: 19)),
    ])
    func refused(bytes: [UInt8], error: WireError) {
        #expect(throws: error) { try parseTCP(bytes) }
    }

    @Test("a data offset below 5, or past the segment, is refused; so is a bad checksum")
    func headerErrors() {
        var small = goldenSYN
        small[12] = 0x40
        #expect(throws: WireError.malformed(field: "TCP data offset", value: 4)) { try parseTCP(small) }
        #expect(throws: WireError.truncated(needed: 40, available: 30)) { try parseTCP(Array(goldenSYN.prefix(30))) }
        var corrupted = goldenSYN
        corrupted[25] ^= 0x10
        #expect(throws: WireError.badChecksum) { try parseTCP(corrupted) }
    }

    @Test("random option bytes never trap (checksums made valid so the options parser runs)")
    func randomOptions() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let options = (0..<Int.random(in: 0...12, using: &generator)).map { _ in UInt8.random(in: 0...12, using: &generator) }
            _ = try? parseTCP(Self.mangled(options: options))
        }
    }
}
