import MirageCore
import MirageNet
import Testing

/// Ten full segments of 1024 octets (the initial window, RFC 6928): segment k covers
/// `1001 + 1024 k ..< 2025 + 1024 k`, the last ends at 11241.
@Suite("TCP connection: fast retransmit and recovery (RFC 5681, RFC 6582, RFC 2018, RFC 6675)")
struct TCPConnectionLossRecoveryTests {
    func start(_ k: Int) -> UInt32 { 1001 + 1024 * UInt32(k) }

    func dupACK(_ ack: UInt32, sack: [Range<UInt32>] = []) -> TCPSegment {
        ScriptPeer.segment(.ack, seq: 5001, ack: ack, options: ScriptPeer.options(sack: sack))
    }

    /// Established with MSS 1024, and ten segments in flight.
    func tenSegmentsInFlight(sack: Bool) -> TCPScript {
        var tcp = TCPScript.established(peerOptions: ScriptPeer.options(mss: 1024, sackPermitted: sack))
        let sent = tcp.write(10 * 1024, at: 1)
        expectSegments(sent, (0..<10).map { ExpectedSegment(.ack, seq: start($0), ack: 5001, length: 1024) })
        return tcp
    }

    @Test("three duplicate ACKs resend the missing segment at once; a partial ACK resends the next hole (NewReno)")
    func fastRetransmitNewReno() {
        var tcp = tenSegmentsInFlight(sack: false)
        // Segments 2 and 5 are lost. 0 and 1 arrive:
        expectSegments(tcp.receive(dupACK(start(2)), at: 1.1), [])
        // 3 and 4 arrive: two duplicate ACKs, nothing yet.
        expectSegments(tcp.receive(dupACK(start(2)), at: 1.11), [])
        expectSegments(tcp.receive(dupACK(start(2)), at: 1.12), [])
        // 6 arrives: the third duplicate ACK.
        expectSegments(tcp.receive(dupACK(start(2)), at: 1.13), [ExpectedSegment(.ack, seq: start(2), length: 1024)])
        #expect(tcp.statistics.fastRetransmits == 1)
        // 7, 8, 9: more duplicates, nothing new to send and nothing resent again.
        for time in [1.14, 1.15, 1.16] { expectSegments(tcp.receive(dupACK(start(2)), at: time), []) }
        // The resent segment 2 fills the first hole: ACK of 5, below the recovery point 11241
        // (RFC 6582 section 3.2 step 4): segment 5 is resent at once, without three more duplicates.
        expectSegments(tcp.receive(dupACK(start(5)), at: 1.23), [ExpectedSegment(.ack, seq: start(5), length: 1024)])
        #expect(tcp.statistics.fastRetransmits == 1)
        expectSegments(tcp.receive(dupACK(start(10)), at: 1.33), [])
        #expect(tcp.connection.unacknowledgedCount == 0)
        tcp.expectDeadline(nil)
        #expect(tcp.statistics.retransmissions == 2)
        #expect(tcp.statistics.timeouts == 0)
    }

    @Test("with SACK the sender resends the holes the peer reports and never the octets it SACKed (RFC 6675)")
    func sackRecovery() {
        var tcp = tenSegmentsInFlight(sack: true)
        // Segments 2 and 4 are lost.
        expectSegments(tcp.receive(dupACK(start(2)), at: 1.1), []) // 0 and 1
        expectSegments(tcp.receive(dupACK(start(2), sack: [start(3)..<start(4)]), at: 1.11), [])
        expectSegments(tcp.receive(dupACK(start(2), sack: [start(5)..<start(6), start(3)..<start(4)]), at: 1.12), [])
        // Third duplicate: segment 2 has three segments SACKed above it and is lost; 4 has two only.
        expectSegments(tcp.receive(dupACK(start(2), sack: [start(5)..<start(7), start(3)..<start(4)]), at: 1.13),
                       [ExpectedSegment(.ack, seq: start(2), length: 1024)])
        // Segment 7 SACKed: now segment 4 has three above it too, and it alone is resent, not 3 nor 5 to 7.
        expectSegments(tcp.receive(dupACK(start(2), sack: [start(5)..<start(8), start(3)..<start(4)]), at: 1.14),
                       [ExpectedSegment(.ack, seq: start(4), length: 1024)])
        expectSegments(tcp.receive(dupACK(start(2), sack: [start(5)..<start(9), start(3)..<start(4)]), at: 1.15), [])
        expectSegments(tcp.receive(dupACK(start(2), sack: [start(5)..<start(10), start(3)..<start(4)]), at: 1.16), [])
        // The resent 2 arrives: everything up to 4 is acknowledged; 4 is already on its way again.
        expectSegments(tcp.receive(dupACK(start(4), sack: [start(5)..<start(10)]), at: 1.23), [])
        expectSegments(tcp.receive(dupACK(start(10)), at: 1.24), [])
        #expect(tcp.connection.unacknowledgedCount == 0)
        #expect(tcp.statistics.fastRetransmits == 1)
        #expect(tcp.statistics.retransmissions == 2)
        #expect(tcp.statistics.timeouts == 0)
        tcp.expectDeadline(nil)
    }

    @Test("out-of-order data is acknowledged at once with SACK blocks, the most recently received first (RFC 2018 section 4)")
    func sackBlocksMostRecentFirst() {
        var tcp = TCPScript.established(peerOptions: ScriptPeer.options(mss: 1024, sackPermitted: true))
        func data(_ seq: UInt32) -> TCPSegment { ScriptPeer.data(seq: seq, count: 100) }
        expectSegments(tcp.receive(data(5101), at: 1), [
            ExpectedSegment(.ack, seq: 1001, ack: 5001, length: 0, options: [.sack([5101..<5201])]),
        ])
        expectSegments(tcp.receive(data(5301), at: 1.01), [
            ExpectedSegment(.ack, ack: 5001, options: [.sack([5301..<5401, 5101..<5201])]),
        ])
        expectSegments(tcp.receive(data(5501), at: 1.02), [
            ExpectedSegment(.ack, ack: 5001, options: [.sack([5501..<5601, 5301..<5401, 5101..<5201])]),
        ])
        // 5201 joins the first two blocks: the joined block holds the latest segment, so it comes first.
        expectSegments(tcp.receive(data(5201), at: 1.03), [
            ExpectedSegment(.ack, ack: 5001, options: [.sack([5101..<5401, 5501..<5601])]),
        ])
        // The hole at RCV.NXT fills: the ACK jumps to 5401 at once, 5501 is still reported.
        expectSegments(tcp.receive(data(5001), at: 1.04), [
            ExpectedSegment(.ack, ack: 5401, options: [.sack([5501..<5601])]),
        ])
        expectSegments(tcp.receive(data(5401), at: 1.05), [ExpectedSegment(.ack, ack: 5601, options: [])])
        #expect(tcp.read(at: 2).data == scriptBytes(600))
        #expect(tcp.statistics.outOfOrderSegments == 4)
    }

    @Test("a retransmission carrying SACK blocks leaves them room: header and payload never pass the MSS")
    func retransmissionMakesRoomForSACKBlocks() {
        var tcp = tenSegmentsInFlight(sack: true)
        // The peer's data arrives out of order: our segments now carry a SACK block (12 octets).
        let ack = tcp.receive(ScriptPeer.data(seq: 5101, count: 100, ack: start(2)), at: 1.05)
        expectSegments(ack, [ExpectedSegment(.ack, ack: 5001, length: 0, options: [.sack([5101..<5201])])])
        expectSegments(tcp.receive(dupACK(start(2)), at: 1.1), [])
        expectSegments(tcp.receive(dupACK(start(2)), at: 1.11), [])
        expectSegments(tcp.receive(dupACK(start(2)), at: 1.12),
                       [ExpectedSegment(.ack, seq: start(2), ack: 5001, length: 1024 - 12, options: [.sack([5101..<5201])])])
    }
}
