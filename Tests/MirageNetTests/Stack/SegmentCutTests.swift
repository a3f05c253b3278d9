import MirageCore
@testable import MirageNet
import Testing

/// A TCP segment longer than the path MTU allows is cut to fit, never dropped (issue 13, class 4).
@Suite("TCP segments cut to the path MTU")
struct SegmentCutTests {
    static let ourMAC = MACAddress(2, 0, 0, 0, 0, 2)
    static let peerMAC = MACAddress(2, 0, 0, 0, 0, 1)

    func segment(payload count: Int, flags: TCPFlags = [.ack, .psh, .fin]) -> TCPSegment {
        let header = TCPHeader(sourcePort: 80, destinationPort: 40000, sequenceNumber: 0xFFFF_FF00,
                               acknowledgmentNumber: 7, flags: flags, window: 1000)
        return TCPSegment(header: header, payload: PacketBuffer((0..<count).map { UInt8(truncatingIfNeeded: $0) },
                                                                 headroom: TCPConnection.headroom))
    }

    @Test("pieces follow each other in sequence space (wrapping), FIN and PSH on the last only, payload kept")
    func cutting() {
        let pieces = segment(payload: 2500).cut(toPayload: 1000, headroom: TCPConnection.headroom)
        #expect(pieces.map(\.payload.count) == [1000, 1000, 500])
        #expect(pieces.map(\.header.sequenceNumber) == [0xFFFF_FF00, 0xFFFF_FF00 &+ 1000, 0xFFFF_FF00 &+ 2000])
        #expect(pieces.map { $0.flags.contains(.fin) } == [false, false, true])
        #expect(pieces.map { $0.flags.contains(.psh) } == [false, false, true])
        #expect(pieces.allSatisfy { $0.flags.contains(.ack) && $0.header.acknowledgmentNumber == 7 })
        #expect(pieces.flatMap(\.payload.bytes) == (0..<2500).map { UInt8(truncatingIfNeeded: $0) })
        #expect(pieces.allSatisfy { $0.payload.headroom >= TCPConnection.headroom })
    }

    /// A core at 10.0.0.2 that knows 10.0.0.1's MAC address (from its ARP request).
    func core(offloads: NetworkOffloads = []) -> StackCore {
        var core = StackCore(configuration: StackConfiguration(address: IPv4Prefix(address: hostB, length: 24)),
                             mac: Self.ourMAC, mtu: 1500, key: (1, 2), now: .zero, offloads: offloads,
                             largestOffloadedFrame: offloads.isEmpty ? 0 : 65535)
        var request = [UInt8](repeating: 0, count: 14 + ARPPacket.length)
        request.withUnsafeMutableBytes { bytes in
            EthernetHeader(destination: .broadcast, source: Self.peerMAC, etherType: .arp).emit(into: bytes)
            ARPPacket(operation: .request, senderHardware: Self.peerMAC, senderProtocol: hostA,
                      targetHardware: MACAddress(0, 0, 0, 0, 0, 0), targetProtocol: hostB)
                .emit(into: UnsafeMutableRawBufferPointer(rebasing: bytes[14...]))
        }
        core.receive(PacketBuffer(request), now: .zero)
        _ = core.takeFrames() // the ARP reply
        return core
    }

    /// The frames' TCP sequence numbers and payload lengths; every frame must fit `mtu`.
    func pieces(_ frames: [PacketBuffer], mtu: Int) -> [(UInt32, Int)] {
        frames.map { frame in
            #expect(frame.count - 14 <= mtu, "a frame of \(frame.count) octets")
            let bytes = frame.bytes
            let sequence = bytes[38..<42].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
            let headerLength = Int(bytes[46] >> 4) * 4
            return (sequence, frame.count - 34 - headerLength)
        }
    }

    @Test("a segment over the interface's MTU, or over a path MTU learnt since, is cut in pieces that fit")
    func cutBeforeSending() {
        var core = core()
        core.sendSegment(segment(payload: 3000), to: .v4(hostA), now: .zero)
        #expect(pieces(core.takeFrames(), mtu: 1500).map(\.1) == [1460, 1460, 80])
        #expect(core.statistics.segmentsCutToPathMTU == 1)
        #expect(core.statistics.unroutable == 0)
        let learnt = core.ipv4.learnPathMTU(1000, towards: hostA, now: .zero)
        #expect(learnt == 1000)
        core.sendSegment(segment(payload: 1400), to: .v4(hostA), now: .zero)
        let cut = pieces(core.takeFrames(), mtu: 1000)
        #expect(cut.map(\.1) == [960, 440])
        #expect(cut.map(\.0) == [0xFFFF_FF00, 0xFFFF_FF00 &+ 960])
        #expect(core.statistics.segmentsCutToPathMTU == 2)
    }

    @Test("with a device that segments, the segment goes whole, marked to be cut at the path MTU's size")
    func offloadedCut() {
        var core = core(offloads: [.transmitChecksum, .tcpSegmentation])
        let learnt = core.ipv4.learnPathMTU(1000, towards: hostA, now: .zero)
        #expect(learnt == 1000)
        core.sendSegment(segment(payload: 3000), to: .v4(hostA), now: .zero)
        let frames = core.takeFrames()
        #expect(frames.count == 1)
        #expect(frames.first?.offload.tcpSegmentSize == 960)
        #expect(core.statistics.segmentsCutToPathMTU == 1)
    }
}
