import MirageCore
import MirageNet
import Testing

@Suite("TCP connection: delayed ACK, Nagle and PAWS (RFC 9293 sections 3.7.4 and 3.8.6.3, RFC 7323 section 5)")
struct TCPConnectionAcknowledgmentTests {
    @Test("one full segment is not acknowledged at once, but at the delayed-ACK deadline 40 ms later")
    func delayedACK() {
        var tcp = TCPScript.established()
        expectSegments(tcp.receive(ScriptPeer.data(seq: 5001, count: 1024), at: 1), [])
        tcp.expectDeadline(1.04)
        expectSegments(tcp.timers(at: 1.039), [])
        expectSegments(tcp.timers(at: 1.04), [ExpectedSegment(.ack, seq: 1001, ack: 6025, length: 0)])
        tcp.expectDeadline(nil)
    }

    @Test("a second full segment is acknowledged at once (RFC 5681 section 4.2)")
    func everySecondSegment() {
        var tcp = TCPScript.established()
        expectSegments(tcp.receive(ScriptPeer.data(seq: 5001, count: 1024), at: 1), [])
        expectSegments(tcp.receive(ScriptPeer.data(seq: 6025, count: 1024), at: 1.01),
                       [ExpectedSegment(.ack, seq: 1001, ack: 7049, length: 0)])
        tcp.expectDeadline(nil)
        // And the count starts again.
        expectSegments(tcp.receive(ScriptPeer.data(seq: 7049, count: 1024), at: 1.02), [])
        tcp.expectDeadline(1.06)
    }

    @Test("Nagle: a small write waits while data is unacknowledged, and goes with the ACK")
    func nagle() {
        var tcp = TCPScript.established()
        expectSegments(tcp.write(100, at: 1), [ExpectedSegment(.ack, seq: 1001, length: 100)])
        expectSegments(tcp.write(50, at: 1.01), [])
        // A full segment is never held back; the short tail still waits.
        expectSegments(tcp.write(1000, at: 1.02), [ExpectedSegment(.ack, seq: 1101, length: 1024)])
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1101), at: 1.1), [])
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 2125), at: 1.11),
                       [ExpectedSegment(.ack, seq: 2125, length: 26)])
    }

    @Test("no-delay: a small write goes at once even with data unacknowledged")
    func noDelay() {
        var configuration = TCPConfiguration()
        configuration.noDelay = true
        var tcp = TCPScript.established(configuration: configuration)
        expectSegments(tcp.write(100, at: 1), [ExpectedSegment(.ack, seq: 1001, length: 100)])
        expectSegments(tcp.write(50, at: 1.01), [ExpectedSegment(.ack, seq: 1101, length: 50)])
    }

    @Test("PAWS: a segment with a TSval older than TS.Recent is dropped, acknowledged and counted")
    func paws() {
        var tcp = TCPScript.established(peerOptions: ScriptPeer.options(mss: 1036, timestamps: (500, TCPScript.timestampOffset)))
        #expect(tcp.connection.maximumSegmentSize == 1024)
        let fresh = ScriptPeer.data(seq: 5001, count: 100, options: ScriptPeer.options(timestamps: (600, 1_000_100)))
        expectSegments(tcp.receive(fresh, at: 1), [])
        #expect(tcp.connection.readableCount == 100)

        // An old duplicate from an earlier wrap of the sequence space: TSval 550 < TS.Recent 600.
        let old = ScriptPeer.data(seq: 5101, count: 100, options: ScriptPeer.options(timestamps: (550, 1_000_100)))
        expectSegments(tcp.receive(old, at: 1.01), [
            ExpectedSegment(.ack, seq: 1001, ack: 5101, length: 0, options: [.timestamps(value: 1_001_010, echo: 600)]),
        ])
        #expect(tcp.connection.readableCount == 100)
        #expect(tcp.statistics.pawsRejected == 1)

        // The same octets with a current TSval are taken (and their ACK delayed).
        let current = ScriptPeer.data(seq: 5101, count: 100, options: ScriptPeer.options(timestamps: (610, 1_000_100)))
        expectSegments(tcp.receive(current, at: 1.02), [])
        #expect(tcp.connection.readableCount == 200)
        expectSegments(tcp.timers(at: 1.06), [
            ExpectedSegment(.ack, seq: 1001, ack: 5201, length: 0, options: [.timestamps(value: 1_001_060, echo: 610)]),
        ])
    }

    @Test("PAWS after 24 idle days: TS.Recent no longer counts, an older TSval is taken and becomes TS.Recent (RFC 7323 section 5.5)")
    func pawsAfterLongIdleness() {
        var tcp = TCPScript.established(peerOptions: ScriptPeer.options(mss: 1036, timestamps: (500, TCPScript.timestampOffset)))
        let fresh = ScriptPeer.data(seq: 5001, count: 100, options: ScriptPeer.options(timestamps: (600, 1_000_100)))
        expectSegments(tcp.receive(fresh, at: 1), [])
        // 23 days later a segment whose TSval looks older is still refused ...
        let day = 24.0 * 3600
        let early = ScriptPeer.data(seq: 5101, count: 100, options: ScriptPeer.options(timestamps: (550, 1_000_100)))
        _ = tcp.receive(early, at: 1 + 23 * day)
        #expect(tcp.statistics.pawsRejected == 1)
        #expect(tcp.connection.readableCount == 100)
        // ... but after more than 24 idle days the peer's clock may have wrapped: it is taken.
        let late = ScriptPeer.data(seq: 5101, count: 100, options: ScriptPeer.options(timestamps: (550, 1_000_100)))
        _ = tcp.receive(late, at: 1 + 23 * day + 24 * day + 1)
        #expect(tcp.statistics.pawsRejected == 1)
        #expect(tcp.connection.readableCount == 200)
        // TS.Recent is now 550: a segment with 560 passes, one with 540 does not.
        _ = tcp.receive(ScriptPeer.data(seq: 5201, count: 10, options: ScriptPeer.options(timestamps: (560, 1_000_100))), at: 1 + 47 * day + 2)
        _ = tcp.receive(ScriptPeer.data(seq: 5211, count: 10, options: ScriptPeer.options(timestamps: (540, 1_000_100))), at: 1 + 47 * day + 3)
        #expect(tcp.connection.readableCount == 210)
        #expect(tcp.statistics.pawsRejected == 2)
    }
}
