import MirageCore
@testable import MirageNet
import Testing

/// ICMP "fragmentation needed" as the stack takes it: believed only when it quotes a TCP segment
/// one of our connections has in flight (RFC 5927 section 4.1).
@Suite("Path MTU reports against the stack core")
struct PathMTUReportTests {
    static let ourMAC = MACAddress(2, 0, 0, 0, 0, 2)

    /// A frame from 10.0.0.1 to us (10.0.0.2) carrying ICMP "fragmentation needed" with
    /// `nextHopMTU`, quoting `quoted` (an IP packet's first bytes).
    static func fragmentationNeeded(quoting quoted: [UInt8], nextHopMTU: UInt16) -> PacketBuffer {
        var icmp = [UInt8](repeating: 0, count: 8) + quoted
        icmp.withUnsafeMutableBytes { ICMPv4Header(.destinationUnreachable(code: 4, nextHopMTU: nextHopMTU)).emit(into: $0) }
        let total = 20 + icmp.count
        var ip: [UInt8] = [0x45, 0, UInt8(total >> 8), UInt8(total & 0xFF), 0, 1, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        let sum = ip.withUnsafeBytes { InternetChecksum.of($0) }
        ip[10] = UInt8(sum >> 8)
        ip[11] = UInt8(sum & 0xFF)
        let ethernet: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00]
        return PacketBuffer(ethernet + ip + icmp)
    }

    /// The first 28 octets of a TCP segment from us (port `sourcePort`) to 10.0.0.1:`destinationPort`.
    static func quotedSegment(sourcePort: UInt16, destinationPort: UInt16, sequence: UInt32) -> [UInt8] {
        [0x45, 0, 0x05, 0xDC, 0, 2, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1,
         UInt8(sourcePort >> 8), UInt8(sourcePort & 0xFF), UInt8(destinationPort >> 8), UInt8(destinationPort & 0xFF),
         UInt8(sequence >> 24), UInt8((sequence >> 16) & 0xFF), UInt8((sequence >> 8) & 0xFF), UInt8(sequence & 0xFF)]
    }

    @Test("off-path reports, naming no connection of ours or not our packet, change nothing and are counted")
    func offPathReportsAreIgnored() {
        var core = StackCore(configuration: StackConfiguration(address: IPv4Prefix(address: hostB, length: 24)),
                             mac: Self.ourMAC, mtu: 1500, key: (1, 2), now: .zero)
        // A TCP segment of a connection that does not exist, at MTU 68.
        core.receive(Self.fragmentationNeeded(quoting: Self.quotedSegment(sourcePort: 40000, destinationPort: 80, sequence: 1), nextHopMTU: 68),
                     now: .zero)
        // A packet that is not ours (the golden ping, from 10.0.0.1).
        core.receive(Self.fragmentationNeeded(quoting: goldenPing, nextHopMTU: 576), now: .zero)
        #expect(core.statistics.pathMTUReportsIgnored == 2)
        #expect(core.statistics.pathMTUUpdates == 0)
    }

    @Test("a report quoting data a connection has in flight lowers the MSS, never below the 552-octet floor; one quoting other sequence numbers does not")
    func inFlightReportsAreBelieved() throws {
        var core = StackCore(configuration: StackConfiguration(address: IPv4Prefix(address: hostB, length: 24)),
                             mac: Self.ourMAC, mtu: 1500, key: (1, 2), now: .zero)
        let id = try core.connect(to: hostA, port: 80, now: .zero)
        // The SYN (waiting for ARP to resolve 10.0.0.1) is in flight until the peer answers.
        let sequence = try #require(core.connection(id)).sendUnacknowledged.rawValue
        let before = try #require(core.connection(id)).sendMSS
        core.receive(Self.fragmentationNeeded(quoting: Self.quotedSegment(sourcePort: id.localPort, destinationPort: 80, sequence: sequence &+ 1000),
                                              nextHopMTU: 68), now: .zero)
        #expect(core.statistics.pathMTUReportsIgnored == 1 && core.connection(id)?.sendMSS == before)
        core.receive(Self.fragmentationNeeded(quoting: Self.quotedSegment(sourcePort: id.localPort, destinationPort: 80, sequence: sequence),
                                              nextHopMTU: 68), now: .zero)
        #expect(core.statistics.pathMTUUpdates == 1)
        let mss = try #require(core.connection(id)).sendMSS
        #expect(mss < before && mss >= 552 - 40 - 12)
    }
}
