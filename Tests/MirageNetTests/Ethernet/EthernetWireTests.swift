import MirageCore
import MirageNet
import Testing

func parseEthernet(_ bytes: [UInt8]) throws -> EthernetHeader {
    try bytes.withUnsafeBytes { try EthernetHeader.parse($0) }
}

func emit(_ header: EthernetHeader) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: header.length)
    bytes.withUnsafeMutableBytes { header.emit(into: $0) }
    return bytes
}

@Suite("Ethernet II")
struct EthernetTests {
    /// An ARP request as Linux sends it: broadcast, from 02:00:00:00:00:01.
    static let arpFrame: [UInt8] = [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,
    ]

    @Test("golden bytes: destination, source, EtherType")
    func golden() throws {
        let header = try parseEthernet(Self.arpFrame + [UInt8](repeating: 0, count: 28))
        #expect(header == EthernetHeader(destination: .broadcast, source: MACAddress(0x02, 0, 0, 0, 0, 1), etherType: .arp))
        #expect(header.length == 14)
        #expect(emit(header) == Self.arpFrame)
    }

    @Test("an 802.1Q tag is parsed: VLAN 100, priority 5, inner EtherType IPv4")
    func vlan() throws {
        let bytes: [UInt8] = [0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x81, 0x00, 0xA0, 0x64, 0x08, 0x00]
        let header = try parseEthernet(bytes)
        #expect(header.vlanTag == 0xA064)
        #expect(header.vlanID == 100)
        #expect(header.etherType == .ipv4)
        #expect(header.length == 18)
        #expect(emit(header) == bytes)
    }

    @Test("short frames, 802.3 lengths and double tags are refused", arguments: [
        (Array(arpFrame.prefix(13)), WireError.truncated(needed: 14, available: 13)),
        ([], .truncated(needed: 14, available: 0)),
        (Array(arpFrame.prefix(12)) + [0x81, 0x00, 0x00], .truncated(needed: 18, available: 15)),
        (Array(arpFrame.prefix(12)) + [0x05, 0xDC], .unsupported(field: "EtherType", value: 0x05DC)),
        (Array(arpFrame.prefix(12)) + [0x81, 0x00, 0x00, 0x01, 0x81, 0x00], .unsupported(field: "EtherType", value: 0x8100)),
    ])
    func refused(bytes: [UInt8], error: WireError) {
        #expect(throws: error) { try parseEthernet(bytes) }
    }

    @Test("random bytes never trap, and what parses emits back to its bytes")
    func randomBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5000 {
            let bytes = (0..<Int.random(in: 0...24, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if let header = try? parseEthernet(bytes) {
                #expect(emit(header) == Array(bytes.prefix(header.length)))
            }
        }
    }
}

@Suite("ARP (RFC 826)")
struct ARPTests {
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
