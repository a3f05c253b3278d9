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
}
