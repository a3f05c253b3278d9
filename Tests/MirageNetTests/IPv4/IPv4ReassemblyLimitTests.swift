import MirageCore
@testable import MirageNet
import MirageTesting
import Testing

/// Issue 13, class 5: reassembly under attack. Memory is charged at its real size, tiny and
/// countless fragments are refused, and fragments in descending order cost no more than in order.
@Suite("IPv4 reassembly limits: real memory, minimum fragment size, fragments per datagram")
struct IPv4ReassemblyLimitTests {
    func header(id: UInt16, offset: Int, count: Int, more: Bool) -> IPv4Header {
        var header = IPv4Header(totalLength: UInt16(20 + count), protocol: .udp, source: hostA, destination: hostB)
        header.identification = id
        header.fragmentOffset = UInt16(offset / 8)
        header.moreFragments = more
        return header
    }

    func bytes(_ count: Int, from offset: Int = 0) -> [UInt8] {
        (offset..<offset + count).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 >> 8) }
    }

    @Test("a non-final fragment under 256 octets forgets its datagram; a short last fragment is fine")
    func tinyFragments() {
        var reassembler = IPv4Reassembler()
        #expect(reassembler.receive(header(id: 1, offset: 0, count: 512, more: true), payload: PacketBuffer(bytes(512)), now: .zero)
            == .incomplete)
        #expect(reassembler.receive(header(id: 1, offset: 512, count: 248, more: true), payload: PacketBuffer(bytes(248)), now: .zero)
            == .dropped(.tooSmall))
        #expect(reassembler.statistics.datagramsInProgress == 0 && reassembler.statistics.chargedBytes == 0)
        #expect(reassembler.statistics.malformedDropped == 1)
        // 256 octets and a 1-octet last fragment complete a datagram.
        _ = reassembler.receive(header(id: 2, offset: 0, count: 256, more: true), payload: PacketBuffer(bytes(256)), now: .zero)
        guard case let .complete(_, whole) = reassembler.receive(header(id: 2, offset: 256, count: 1, more: false),
                                                                 payload: PacketBuffer(bytes(1, from: 256)), now: .zero) else {
            Issue.record("a short last fragment should complete the datagram")
            return
        }
        #expect(whole.bytes == bytes(257))
    }

    @Test("the 65th fragment of a datagram forgets it; 64 fragments fed in descending order complete it")
    func fragmentsPerDatagram() {
        var reassembler = IPv4Reassembler()
        // 64 non-final pieces of 256 octets, then one more: the datagram is forgotten.
        for piece in 0..<64 {
            #expect(reassembler.receive(header(id: 3, offset: 256 * piece, count: 256, more: true),
                                        payload: PacketBuffer(bytes(256, from: 256 * piece)), now: .zero) == .incomplete)
        }
        #expect(reassembler.receive(header(id: 3, offset: 256 * 64, count: 8, more: false), payload: PacketBuffer(bytes(8)), now: .zero)
            == .dropped(.tooManyFragments))
        #expect(reassembler.statistics.datagramsInProgress == 0 && reassembler.statistics.chargedBytes == 0)
        // 64 pieces, the last first: the list is shifted by at most 63 entries per insertion.
        var result = IPv4Reassembly.incomplete
        for piece in (0..<64).reversed() {
            result = reassembler.receive(header(id: 4, offset: 256 * piece, count: 256, more: piece < 63),
                                         payload: PacketBuffer(bytes(256, from: 256 * piece)), now: .zero)
        }
        guard case let .complete(_, whole) = result else {
            Issue.record("64 fragments in descending order should complete")
            return
        }
        #expect(whole.bytes == bytes(256 * 64))
    }

    @Test("a small fragment in a large receive buffer is copied out and charged at its own size, not the buffer's")
    func compaction() {
        var reassembler = IPv4Reassembler()
        var large = PacketBuffer(capacity: 65536)
        large.append(contentsOf: bytes(65536))
        let fragment = large.slice(1000..<1256)
        #expect(fragment.trueSize == 65536 + PacketBuffer.storageOverhead)
        _ = reassembler.receive(header(id: 5, offset: 0, count: 256, more: true), payload: fragment, now: .zero)
        #expect(reassembler.statistics.fragmentsCompacted == 1)
        #expect(reassembler.statistics.chargedBytes
            == 256 + PacketBuffer.storageOverhead + MemoryLayout<IPv4Reassembler.Fragment>.stride + IPv4Reassembler.datagramCharge)
    }

    @Test("a flood of fragments of distinct datagrams in 64 KiB buffers: the memory charged, counted from the buffers really held, stays under the limit, and a real datagram still completes during the flood")
    func flood() {
        var reassembler = IPv4Reassembler()
        let limit = reassembler.configuration.memoryLimit
        var large = PacketBuffer(capacity: 65536)
        large.append(contentsOf: bytes(65536))
        for id in 0..<UInt16(20_000) {
            let offset = Int(id % 200) * 256
            let piece = large.slice(offset..<offset + 256 + Int(id % 3) * 8)
            _ = reassembler.receive(header(id: id, offset: 256, count: piece.count, more: true), payload: piece, now: .zero)
            #expect(reassembler.statistics.chargedBytes <= limit)
        }
        // What the held fragments really keep alive: each datagram at least one compacted buffer
        // of 256 bytes, not a slice of the 64 KiB one.
        let real = reassembler.statistics.datagramsInProgress * (256 + PacketBuffer.storageOverhead)
        #expect(real <= reassembler.statistics.chargedBytes)
        #expect(reassembler.statistics.chargedBytes < reassembler.statistics.datagramsInProgress * 65536)
        #expect(reassembler.statistics.datagramsInProgress <= reassembler.configuration.maximumDatagrams)
        #expect(reassembler.statistics.evicted > 0)
        // A real datagram, its fragments back to back as a real sender's come, completes while
        // the flood holds the limits: it evicts the oldest forged ones.
        _ = reassembler.receive(header(id: 30_000, offset: 0, count: 256, more: true), payload: PacketBuffer(bytes(256)), now: .zero)
        guard case .complete = reassembler.receive(header(id: 30_000, offset: 256, count: 8, more: false),
                                                   payload: PacketBuffer(bytes(8, from: 256)), now: .zero) else {
            Issue.record("a datagram should complete during the flood")
            return
        }
        reassembler.tick(now: .zero + reassembler.configuration.timeout)
        #expect(reassembler.statistics.chargedBytes == 0)
    }
}
