import MirageCore
import MirageNet
import MirageTesting
import Testing

@Suite("The stack core on hostile input")
struct StackCoreFuzzTests {
    static let ourMAC = MACAddress(2, 0, 0, 0, 0, 2)
    static let macBytes: [UInt8] = [2, 0, 0, 0, 0, 2]

    /// A frame to us whose bytes after the Ethernet header start as a plausible IPv4 header of a
    /// random protocol and then turn random, or are random throughout.
    static func hostileFrame(_ random: SeededEntropy) -> [UInt8] {
        let length = Int(random.next() % 1600)
        var bytes = random.bytes(count: max(length, 14))
        Self.macBytes.enumerated().forEach { bytes[$0.offset] = $0.element }
        switch random.next() % 4 {
        case 0: bytes[12] = 0x08; bytes[13] = 0x06 // ARP
        case 1, 2:
            bytes[12] = 0x08; bytes[13] = 0x00 // IPv4
            if bytes.count >= 34 {
                bytes[14] = 0x45
                let total = UInt16(bytes.count - 14)
                bytes[16] = UInt8(total >> 8); bytes[17] = UInt8(truncatingIfNeeded: total)
                bytes[23] = [1, 6, 17][Int(random.next() % 3)]
                [10, 0, 0, 2].enumerated().forEach { bytes[30 + $0.offset] = UInt8($0.element) }
                // A valid header checksum half the time, so the transports see the bytes too.
                if random.next() % 2 == 0 {
                    bytes[24] = 0; bytes[25] = 0
                    let sum = Array(bytes[14..<34]).withUnsafeBytes { InternetChecksum.of($0) }
                    bytes[24] = UInt8(sum >> 8); bytes[25] = UInt8(truncatingIfNeeded: sum)
                }
            }
        default: break
        }
        return bytes
    }

    @Test("50,000 random and half-valid frames never trap, and the stack still answers a ping")
    func randomFramesNeverTrap() {
        let random = SeededEntropy(seed: 2026)
        var configuration = StackConfiguration(address: IPv4Prefix(address: IPv4Address(10, 0, 0, 2), length: 24))
        configuration.icmpErrorBurst = 1_000_000
        var core = StackCore(configuration: configuration, mac: Self.ourMAC, mtu: 1500, key: (1, 2), now: .zero)
        try? core.listen(port: 7)
        _ = try? core.bindUDP(port: 7)
        var now = Instant.zero
        for _ in 0..<50_000 {
            now = now + .milliseconds(1)
            core.receive(PacketBuffer(Self.hostileFrame(random)), now: now)
            if random.next() % 64 == 0 { core.handleTimers(now: now) }
            _ = core.takeFrames()
        }
        #expect(core.statistics.droppedInput > 10_000)
        #expect(core.statistics.malformed > 0 && core.statistics.badChecksums > 0)
        // A valid echo request still gets its reply.
        let peerMAC = MACAddress(2, 0, 0, 0, 0, 1)
        var packet = PacketBuffer(capacity: 64, headroom: 34)
        packet.appendZeros(16)
        packet.withUnsafeMutableBytes { ICMPv4Header(.echoRequest(identifier: 7, sequence: 1)).emit(into: $0) }
        var ip = IPv4Header(totalLength: UInt16(20 + packet.count), protocol: .icmp,
                            source: IPv4Address(10, 0, 0, 1), destination: IPv4Address(10, 0, 0, 2))
        ip.identification = 99
        packet.prepend(20)
        packet.withUnsafeMutableBytes { ip.emit(into: $0) }
        packet.prepend(14)
        packet.withUnsafeMutableBytes { EthernetHeader(destination: Self.ourMAC, source: peerMAC, etherType: .ipv4).emit(into: $0) }
        // Teach the ARP cache the peer first, as a request for our address would.
        var arp = PacketBuffer(capacity: 42, headroom: 14)
        arp.appendZeros(28)
        arp.withUnsafeMutableBytes {
            ARPPacket(operation: .request, senderHardware: peerMAC, senderProtocol: IPv4Address(10, 0, 0, 1),
                      targetHardware: .zero, targetProtocol: IPv4Address(10, 0, 0, 2)).emit(into: $0)
        }
        arp.prepend(14)
        arp.withUnsafeMutableBytes { EthernetHeader(destination: .broadcast, source: peerMAC, etherType: .arp).emit(into: $0) }
        now = now + .seconds(1)
        core.receive(arp, now: now)
        _ = core.takeFrames()
        let repliesBefore = core.statistics.echoRepliesSent
        core.receive(packet, now: now)
        #expect(core.statistics.echoRepliesSent == repliesBefore + 1)
        #expect(core.takeFrames().count == 1)
    }
}
