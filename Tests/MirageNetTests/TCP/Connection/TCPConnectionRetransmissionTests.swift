import MirageCore
@testable import MirageNet
import Testing

@Suite("TCP connection: retransmission timeout (RFC 6298, RFC 9293 section 3.8.1)")
struct TCPConnectionRetransmissionTests {
    @Test("an unanswered SYN is sent again at 1, 3, 7, 15, 31 and 63 s, then the connection times out")
    func synBackoff() {
        var tcp = TCPScript.connect(at: 0)
        #expect(tcp.connection.configuration.maximumSYNRetransmissions == 6)
        expectSegments(tcp.timers(at: 0.999), [])
        // Each timeout doubles the RTO; the sixth is capped at the 60 s maximum (RFC 6298 section 2.5).
        let retransmissions: [(at: Double, next: Double)] = [(1, 3), (3, 7), (7, 15), (15, 31), (31, 63), (63, 123)]
        for (time, next) in retransmissions {
            expectSegments(tcp.timers(at: time), [
                ExpectedSegment(.syn, seq: 1000, ack: 0, window: 65535, length: 0,
                                options: [.mss(1460), .windowScale(5), .sackPermitted,
                                          .timestamps(value: TCPScript.timestampOffset + UInt32(time * 1000), echo: 0)]),
            ])
            #expect(tcp.state == .synSent)
            tcp.expectDeadline(next)
        }
        #expect(tcp.statistics.retransmissions == 6)
        expectSegments(tcp.timers(at: 123), [])
        #expect(tcp.state == .closed)
        #expect(tcp.error == .timedOut)
        tcp.expectDeadline(nil)
    }

    @Test("after a SYN timed out, data starts with an RTO of 3 s (RFC 6298 section 5.7)")
    func rtoAfterSYNTimeout() {
        var tcp = TCPScript.connect(at: 0)
        expectSegments(tcp.timers(at: 1), [ExpectedSegment(.syn, seq: 1000)])
        let synACK = ScriptPeer.segment([.syn, .ack], seq: 5000, ack: 1001, options: ScriptPeer.options(mss: 1024))
        expectSegments(tcp.receive(synACK, at: 1.2), [ExpectedSegment(.ack, seq: 1001, ack: 5001)])
        expectSegments(tcp.write(100, at: 2), [ExpectedSegment(.ack, seq: 1001, ack: 5001, length: 100)])
        // No valid sample came from the handshake (Karn) and the RTO was below 3 s: it MUST be 3 s now.
        tcp.expectDeadline(5)
    }

    @Test("data not acknowledged is sent again at the RTO, which doubles on each expiry; the ACK stops the timer")
    func dataBackoff() {
        var tcp = TCPScript.established() // the SYN's 100 ms round trip: RTO 300 ms
        expectSegments(tcp.write(100, at: 1), [ExpectedSegment(.ack, seq: 1001, ack: 5001, length: 100)])
        tcp.expectDeadline(1.3)
        expectSegments(tcp.timers(at: 1.299), [])
        expectSegments(tcp.timers(at: 1.3), [ExpectedSegment(.ack, seq: 1001, ack: 5001, length: 100)])
        tcp.expectDeadline(1.9)
        expectSegments(tcp.timers(at: 1.9), [ExpectedSegment(.ack, seq: 1001, ack: 5001, length: 100)])
        tcp.expectDeadline(3.1)
        #expect(tcp.statistics.timeouts == 2)
        #expect(tcp.statistics.retransmissions == 2)

        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1101), at: 2), [])
        tcp.expectDeadline(nil)
        #expect(tcp.connection.unacknowledgedCount == 0)
    }

    @Test("an ACK covering the timed segment is an RTT sample that sets the RTO (RFC 6298 section 2.3)")
    func rttSampleUpdatesRTO() {
        var tcp = TCPScript.established() // SRTT 100 ms, RTTVAR 50 ms, RTO 300 ms
        expectSegments(tcp.write(100, at: 1), [ExpectedSegment(.ack, seq: 1001, length: 100)])
        tcp.expectDeadline(1.3)
        // Acknowledged 500 ms later: SRTT = 7/8 * 100 + 1/8 * 500 = 150 ms,
        // RTTVAR = 3/4 * 50 + 1/4 * |100 - 500| = 137.5 ms, RTO = 150 + 4 * 137.5 = 700 ms.
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1101), at: 1.5), [])
        #expect(tcp.connection.rto.smoothedRTT == .milliseconds(150))
        expectSegments(tcp.write(100, at: 2), [ExpectedSegment(.ack, seq: 1101, length: 100)])
        tcp.expectDeadline(2.7)
    }

    @Test("passive open without timestamps: the first RTT sample measures the path, not the idle time before the first data")
    func passiveOpenRTT() {
        var tcp = TCPScript.accept(ScriptPeer.segment(.syn, seq: 5000, options: ScriptPeer.options(mss: 1024)), at: 0)
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1001), at: 0.1), [])
        #expect(tcp.state == .established)
        // Thirty seconds later the application writes; the peer acknowledges 100 ms after.
        expectSegments(tcp.write(100, at: 30), [ExpectedSegment(.ack, seq: 1001, length: 100)])
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1101), at: 30.1), [])
        // Every round trip was 100 ms, whether or not the handshake was timed.
        #expect(tcp.connection.rto.smoothedRTT == .milliseconds(100))
        expectSegments(tcp.write(100, at: 31), [ExpectedSegment(.ack, seq: 1101, length: 100)])
        #expect(tcp.nextDeadline.map { $0 <= scriptInstant(31.3) } == true,
                "next deadline \(tcp.nextDeadline.map { "\($0)" } ?? "none"), expected at most 31.3 s")
    }

    @Test("a retransmitted segment gives no RTT sample (Karn's algorithm, RFC 6298 section 3)")
    func karn() {
        var configuration = TCPConfiguration()
        configuration.noDelay = true
        var tcp = TCPScript.established(configuration: configuration) // SRTT 100 ms
        expectSegments(tcp.write(100, at: 1), [ExpectedSegment(.ack, seq: 1001, length: 100)])
        expectSegments(tcp.timers(at: 1.3), [ExpectedSegment(.ack, seq: 1001, length: 100)])
        expectSegments(tcp.write(100, at: 1.4), [ExpectedSegment(.ack, seq: 1101, length: 100)])
        // The ACK covers the retransmission (sent at 1.3 s, first sent at 1.0 s: ambiguous) and the
        // new segment sent at 1.4 s. Only the latter may be timed: 100 ms, which leaves SRTT at 100 ms.
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1201), at: 1.5), [])
        #expect(tcp.connection.rto.smoothedRTT == .milliseconds(100))
    }
}
