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
struct EthernetWireTests {
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
