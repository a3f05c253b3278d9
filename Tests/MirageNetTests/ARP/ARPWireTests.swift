import MirageCore
import MirageNet
import Testing

@Suite("ARP (RFC 826)")
struct ARPWireTests {
    /// Who has 10.0.0.2? Tell 10.0.0.1 (02:00:00:00:00:01).
    static let request: [UInt8] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x0A, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0A, 0x00, 0x00, 0x02,
    ]

    func parse(_ bytes: [UInt8]) throws -> ARPPacket {
        try bytes.withUnsafeBytes { try ARPPacket.parse($0) }
    }

    @Test("golden bytes of a request, and emitting gives them back")
    func golden() throws {
        let packet = try parse(Self.request + [0, 0, 0, 0])
        #expect(packet == ARPPacket(
            operation: .request,
            senderHardware: MACAddress(0x02, 0, 0, 0, 0, 1), senderProtocol: IPv4Address(10, 0, 0, 1),
            targetHardware: .zero, targetProtocol: IPv4Address(10, 0, 0, 2)))
        var bytes = [UInt8](repeating: 0xEE, count: ARPPacket.length)
        bytes.withUnsafeMutableBytes { packet.emit(into: $0) }
        #expect(bytes == Self.request)
    }

    static func with(_ offset: Int, _ value: UInt8) -> [UInt8] {
        var bytes = request
        bytes[offset] = value
        return bytes
    }

    @Test("other hardware, protocols, lengths and operations are refused", arguments: [
        (Array(request.prefix(27)), WireError.truncated(needed: 28, available: 27)),
        (with(1, 6), .unsupported(field: "ARP hardware type", value: 6)),
        (with(2, 0x86), .unsupported(field: "ARP protocol type", value: 0x8600)),
        (with(4, 8), .malformed(field: "ARP hardware address length", value: 8)),
        (with(5, 16), .malformed(field: "ARP protocol address length", value: 16)),
        (with(7, 3), .malformed(field: "ARP operation", value: 3)),
    ])
    func refused(bytes: [UInt8], error: WireError) {
        #expect(throws: error) { try parse(bytes) }
    }

    @Test("random bytes never trap")
    func randomBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            var bytes = Self.request
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            _ = try? parse(Array(bytes.prefix(Int.random(in: 0...28, using: &generator))))
        }
    }
}
