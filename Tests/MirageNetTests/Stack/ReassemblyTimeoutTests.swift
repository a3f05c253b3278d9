import MirageCore
@testable import MirageNet
import Testing

/// IPv4 datagrams that never complete (RFC 792; RFC 1122 section 3.3.2): the source hears Time
/// Exceeded, code 1, when the first fragment came; the IPv6 case is in IPv6HostileTests.
@Suite("IPv4 reassembly timeouts against the stack core")
struct ReassemblyTimeoutTests {
    static let ourMAC = MACAddress(2, 0, 0, 0, 0, 2)
    static let peerMAC = MACAddress(2, 0, 0, 0, 0, 1)

    /// An Ethernet frame from 10.0.0.1 to us carrying a UDP fragment of datagram `id`.
    static func fragment(id: UInt16, offset: UInt16, more: Bool, data: [UInt8]) -> (frame: PacketBuffer, packet: [UInt8]) {
        var header = IPv4Header(totalLength: UInt16(20 + data.count), protocol: .udp, source: hostA, destination: hostB)
        header.identification = id
        header.moreFragments = more
        header.fragmentOffset = offset
        var packet = [UInt8](repeating: 0, count: 20) + data
        packet.withUnsafeMutableBytes { header.emit(into: $0) }
        let ethernet = Array(ourMAC.bytes) + Array(peerMAC.bytes) + [0x08, 0x00]
        return (PacketBuffer(ethernet + packet), packet)
    }

    /// 10.0.0.1 asks for us by ARP, so that the core knows its link-layer address.
    static var arpRequest: PacketBuffer {
        PacketBuffer([UInt8](repeating: 0xFF, count: 6) + Array(peerMAC.bytes) + [0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]
                     + Array(peerMAC.bytes) + [10, 0, 0, 1] + [0, 0, 0, 0, 0, 0] + [10, 0, 0, 2])
    }

    @Test("the first fragment of a datagram that never completes is quoted back in Time Exceeded, code 1; a datagram whose first fragment never came gets nothing")
    func timeExceeded() throws {
        var core = StackCore(configuration: StackConfiguration(address: IPv4Prefix(address: hostB, length: 24)),
                             mac: Self.ourMAC, mtu: 1500, key: (1, 2), now: .zero)
        core.receive(Self.arpRequest, now: .zero)
        let data = (0 ..< 1024).map { UInt8(truncatingIfNeeded: $0 * 3) }
        let first = Self.fragment(id: 77, offset: 0, more: true, data: data)
        core.receive(first.frame, now: .zero)
        core.receive(Self.fragment(id: 78, offset: 256, more: false, data: data).frame, now: .zero)
        _ = core.takeFrames()
        core.handleTimers(now: Instant(nanoseconds: 40_000_000_000))
        #expect(core.statistics.reassemblyTimeExceeded == 1 && core.statistics.icmpErrorsSent == 1)
        let frames: [[UInt8]] = core.takeFrames().map { $0.bytes }
        let errors = frames.filter { (frame: [UInt8]) -> Bool in
            frame.count > 42 && frame[12] == 0x08 && frame[13] == 0 && frame[23] == 1
        }
        let error = try #require(errors.first)
        #expect(errors.count == 1)
        #expect(Array(error[30 ..< 34]) == [10, 0, 0, 1])  // to the fragment's source
        #expect(error[34] == 11 && error[35] == 1)          // Time Exceeded, fragment reassembly time exceeded
        #expect(Array(error[42...]) == Array(first.packet.prefix(28)))  // its header and 8 octets of data (RFC 792)
    }
}
