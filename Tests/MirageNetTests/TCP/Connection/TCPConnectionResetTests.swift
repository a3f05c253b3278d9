import MirageCore
import MirageNet
import Testing

@Suite("TCP connection: resets and blind-attack defences (RFC 9293 section 3.10.7, RFC 5961)")
struct TCPConnectionResetTests {
    @Test("SYN-SENT: a reset with an acceptable ACK refuses the connection")
    func refusedInSYNSent() {
        var tcp = TCPScript.connect(at: 0)
        expectSegments(tcp.receive(ScriptPeer.segment([.rst, .ack], seq: 0, ack: 1001, window: 0), at: 0.05), [])
        #expect(tcp.state == .closed)
        #expect(tcp.error == .refused)
        tcp.expectDeadline(nil)
    }

    @Test("SYN-SENT: a reset with an unacceptable ACK is ignored; a bare unacceptable ACK draws a reset from SEG.ACK")
    func unacceptableACKInSYNSent() {
        var tcp = TCPScript.connect(at: 0)
        expectSegments(tcp.receive(ScriptPeer.segment([.rst, .ack], seq: 0, ack: 7777, window: 0), at: 0.05), [])
        #expect(tcp.state == .synSent)
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5000, ack: 7777), at: 0.06),
                       [ExpectedSegment(.rst, seq: 7777, length: 0)])
        #expect(tcp.state == .synSent)
        tcp.expectDeadline(1)
    }

    @Test("ESTABLISHED: a reset at exactly RCV.NXT closes the connection with .reset")
    func exactReset() {
        var tcp = TCPScript.established()
        expectSegments(tcp.receive(ScriptPeer.segment(.rst, seq: 5001, window: 0), at: 1), [])
        #expect(tcp.state == .closed)
        #expect(tcp.error == .reset)
        tcp.expectDeadline(nil)
    }

    @Test("ESTABLISHED: a reset in the window but not at RCV.NXT gets a challenge ACK and the connection survives (RFC 5961 section 3.2)")
    func inWindowResetChallenged() {
        var tcp = TCPScript.established()
        expectSegments(tcp.receive(ScriptPeer.segment(.rst, seq: 5101, window: 0), at: 1),
                       [ExpectedSegment(.ack, seq: 1001, ack: 5001, length: 0)])
        #expect(tcp.state == .established)
        #expect(tcp.error == nil)
        #expect(tcp.statistics.challengeACKs == 1)

        // The genuine peer answers the challenge ACK with a reset at RCV.NXT.
        expectSegments(tcp.receive(ScriptPeer.segment(.rst, seq: 5001, window: 0), at: 1.1), [])
        #expect(tcp.error == .reset)
    }

    @Test("ESTABLISHED: a reset outside the window is dropped silently", arguments: [UInt32(4000), 5000, 5001 + 65535, 200_000])
    func outOfWindowResetIgnored(seq: UInt32) {
        var tcp = TCPScript.established()
        expectSegments(tcp.receive(ScriptPeer.segment(.rst, seq: seq, window: 0), at: 1), [])
        #expect(tcp.state == .established)
        #expect(tcp.statistics.challengeACKs == 0)
    }

    @Test("ESTABLISHED: a SYN, even in the window, gets a challenge ACK and resets nothing (RFC 5961 section 4.2)")
    func synChallenged() {
        var tcp = TCPScript.established()
        expectSegments(tcp.receive(ScriptPeer.segment(.syn, seq: 5001, options: ScriptPeer.options(mss: 1460)), at: 1),
                       [ExpectedSegment(.ack, seq: 1001, ack: 5001, length: 0)])
        #expect(tcp.state == .established)
        #expect(tcp.statistics.challengeACKs == 1)
        #expect(tcp.connection.readableCount == 0)
    }

    @Test("ESTABLISHED: a segment acknowledging data not yet sent is answered with an ACK and dropped, data and all")
    func ackOfUnsentData() {
        var tcp = TCPScript.established()
        expectSegments(tcp.receive(ScriptPeer.data(seq: 5001, count: 10, ack: 1501), at: 1),
                       [ExpectedSegment(.ack, seq: 1001, ack: 5001, length: 0)])
        #expect(tcp.state == .established)
        #expect(tcp.connection.readableCount == 0)
        // The same data with a sensible ACK is taken.
        expectSegments(tcp.receive(ScriptPeer.data(seq: 5001, count: 10, ack: 1001), at: 1.1), [])
        #expect(tcp.connection.readableCount == 10)
    }
}
