import MirageCore
@testable import MirageNet
import MirageTesting
import Testing

/// Issue 13, class 1: a peer whose duplicate ACKs SACK islands scattered over a large flight (the
/// pattern of Linux's 2019 "SACK Panic"). Bounds are asserted on counts, never on time: the
/// scoreboard stays within its 64 ranges, no event sends more than the burst limit, every
/// retransmission is a whole MSS (or the tail), and no octet is sent again twice in one recovery.
@Suite("TCP connection under SACK abuse: bounded scoreboard, whole-MSS retransmissions, a cap per ACK")
struct TCPConnectionSACKAttackTests {
    static let mss = 1024

    /// Established with MSS 1024, SACK and a scaled window of 8 MiB, and about 200 segments in
    /// flight after five rounds of slow start, each segment acknowledged on its own.
    func largeFlight() -> TCPScript {
        var tcp = TCPScript.established(peerOptions: ScriptPeer.options(mss: UInt16(Self.mss), windowScale: 7, sackPermitted: true))
        var time = 1.0
        var sent = tcp.write(512 * 1024, at: time)
        for _ in 0..<5 {
            time += 0.1
            var next: [TCPSegment] = []
            for segment in sent {
                let end = segment.header.sequenceNumber &+ UInt32(segment.payload.count)
                next += tcp.receive(ScriptPeer.segment(.ack, seq: ScriptPeer.iss + 1, ack: end, window: 65535), at: time)
            }
            sent = next
        }
        return tcp
    }

    @Test("islands of 1, 100 and 700 octets over a flight of 200 segments", arguments: [1, 100, 700])
    func islands(size: Int) {
        var tcp = largeFlight()
        let una = tcp.connection.sendUnacknowledged
        let next = tcp.connection.sendNext
        let flight = next - una
        #expect(flight > 128 * 1024, "flight \(flight)")
        let seed: UInt64 = 2019 &+ UInt64(size)
        print("SACK islands of \(size) octets: seed \(seed)")
        let random = SeededEntropy(seed: seed)
        var time = 2.0
        var retransmitted: [(start: UInt32, length: Int)] = []
        for _ in 0..<4000 {
            // Four islands per ACK (no timestamps: four blocks fit), anywhere in the flight,
            // starting on even multiples of the island size so that islands never touch.
            let blocks = (0..<4).map { _ -> Range<UInt32> in
                let slot = Int(random.next() % UInt64(flight / (2 * size) - 1))
                let start = una.rawValue &+ UInt32(size + 2 * size * slot)
                return start..<start &+ UInt32(size)
            }
            time += 0.0001
            let answer = tcp.receive(ScriptPeer.segment(.ack, seq: ScriptPeer.iss + 1, ack: una.rawValue, window: 65535,
                                                        options: ScriptPeer.options(sack: blocks)), at: time)
            #expect(tcp.connection.scoreboard.ranges.count <= SACKScoreboard.rangeLimit)
            #expect(answer.count <= TCPConnection.retransmissionBurstLimit + 1)
            for segment in answer where segment.payload.count > 0 {
                let start = SequenceNumber(segment.header.sequenceNumber)
                if start < next {
                    retransmitted.append((start.rawValue, segment.payload.count))
                    #expect(segment.payload.count == Self.mss || start + segment.payload.count == next,
                            "a retransmission of \(segment.payload.count) octets at \(start.rawValue)")
                }
            }
        }
        // One recovery: each octet at most once, so no more segments than the flight holds.
        #expect(tcp.statistics.fastRetransmits == 1)
        #expect(retransmitted.count <= flight / Self.mss + 1)
        let starts = retransmitted.map(\.start)
        #expect(Set(starts).count == starts.count, "an octet was sent again twice")
        if size == 1 { #expect(tcp.statistics.sackRangesForgotten > 0) }
    }

    @Test("a legitimate client is still served: the hole is repaired and the flight acknowledged after the flood")
    func recoversAfterFlood() {
        var tcp = largeFlight()
        let una = tcp.connection.sendUnacknowledged
        let next = tcp.connection.sendNext
        var time = 2.0
        for island in 0..<1000 {
            time += 0.0001
            let start = una.rawValue &+ UInt32(1 + 2 * island)
            _ = tcp.receive(ScriptPeer.segment(.ack, seq: ScriptPeer.iss + 1, ack: una.rawValue, window: 65535,
                                               options: ScriptPeer.options(sack: [start..<start + 1])), at: time)
        }
        // The segment at SND.UNA went out again on the third duplicate ACK.
        #expect(tcp.statistics.retransmissions >= 1)
        _ = tcp.receive(ScriptPeer.segment(.ack, seq: ScriptPeer.iss + 1, ack: next.rawValue, window: 65535), at: time + 0.1)
        #expect(tcp.connection.sendUnacknowledged == next)
        #expect(tcp.connection.scoreboard.isEmpty)
        #expect(tcp.state == .established)
    }
}
