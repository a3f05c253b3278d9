import MirageCore
import MirageNet
import Testing

@Suite("TCP connection: closing (RFC 9293 section 3.6)")
struct TCPConnectionCloseTests {
    @Test("active close: FIN-WAIT-1, FIN-WAIT-2 once our FIN is acknowledged, TIME-WAIT on the peer's FIN, CLOSED after 2 MSL")
    func activeClose() {
        var tcp = TCPScript.established()
        expectSegments(tcp.shutdownWrite(at: 1), [ExpectedSegment([.fin, .ack], seq: 1001, ack: 5001, length: 0)])
        #expect(tcp.state == .finWait1)
        tcp.expectDeadline(1.3) // the FIN is retransmitted like data

        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1002), at: 1.1), [])
        #expect(tcp.state == .finWait2)
        tcp.expectDeadline(nil) // only shut down for writing: we wait for the peer as long as it takes

        expectSegments(tcp.receive(ScriptPeer.segment([.fin, .ack], seq: 5001, ack: 1002), at: 2),
                       [ExpectedSegment(.ack, seq: 1002, ack: 5002, length: 0)])
        #expect(tcp.state == .timeWait)
        tcp.expectDeadline(62) // 2 * MSL, MSL 30 s

        // Our last ACK was lost: the FIN comes again, is acknowledged again, and TIME-WAIT restarts.
        expectSegments(tcp.receive(ScriptPeer.segment([.fin, .ack], seq: 5001, ack: 1002), at: 10),
                       [ExpectedSegment(.ack, seq: 1002, ack: 5002, length: 0)])
        tcp.expectDeadline(70)
        expectSegments(tcp.timers(at: 69.999), [])
        #expect(tcp.state == .timeWait)
        expectSegments(tcp.timers(at: 70), [])
        #expect(tcp.state == .closed)
        #expect(tcp.error == nil)
        tcp.expectDeadline(nil)
    }

    @Test("a lost FIN is sent again at the RTO, and its ACK still leads to FIN-WAIT-2")
    func finRetransmitted() {
        var tcp = TCPScript.established()
        expectSegments(tcp.shutdownWrite(at: 1), [ExpectedSegment([.fin, .ack], seq: 1001, ack: 5001, length: 0)])
        expectSegments(tcp.timers(at: 1.3), [ExpectedSegment([.fin, .ack], seq: 1001, ack: 5001, length: 0)])
        tcp.expectDeadline(1.9)
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1002), at: 1.4), [])
        #expect(tcp.state == .finWait2)
        tcp.expectDeadline(nil)
    }

    @Test("passive close: the peer's FIN leads to CLOSE-WAIT, our FIN to LAST-ACK, its ACK to CLOSED")
    func passiveClose() {
        var tcp = TCPScript.established()
        expectSegments(tcp.receive(ScriptPeer.segment([.fin, .ack], seq: 5001, ack: 1001), at: 1),
                       [ExpectedSegment(.ack, seq: 1001, ack: 5002, length: 0)])
        #expect(tcp.state == .closeWait)
        #expect(tcp.connection.isAtEndOfStream)

        expectSegments(tcp.shutdownWrite(at: 2), [ExpectedSegment([.fin, .ack], seq: 1001, ack: 5002, length: 0)])
        #expect(tcp.state == .lastAck)
        tcp.expectDeadline(2.3)

        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5002, ack: 1002), at: 2.1), [])
        #expect(tcp.state == .closed)
        #expect(tcp.error == nil)
        tcp.expectDeadline(nil)
    }

    @Test("simultaneous close: FINs cross, both ends pass through CLOSING to TIME-WAIT, then close")
    func simultaneousClose() {
        var pair = TCPConnectionPair.established(at: 0)
        #expect(pair.a.state == .established && pair.b.state == .established)
        pair.a.shutdownWrite(now: scriptInstant(1))
        pair.b.shutdownWrite(now: scriptInstant(1))
        #expect(pair.a.state == .finWait1 && pair.b.state == .finWait1)

        pair.step(at: 1) // the FINs cross: each acknowledges the other's
        #expect(pair.a.state == .closing, "\(pair.transcript)")
        #expect(pair.b.state == .closing, "\(pair.transcript)")
        pair.step(at: 1) // the ACKs cross
        #expect(pair.a.state == .timeWait, "\(pair.transcript)")
        #expect(pair.b.state == .timeWait, "\(pair.transcript)")
        #expect(pair.step(at: 1) == 0)

        #expect(pair.a.nextDeadline == scriptInstant(61) && pair.b.nextDeadline == scriptInstant(61))
        pair.a.handleTimers(now: scriptInstant(61))
        pair.b.handleTimers(now: scriptInstant(61))
        #expect(pair.a.state == .closed && pair.b.state == .closed)
        #expect(pair.a.error == nil && pair.b.error == nil)
    }

    @Test("half-close: after our FIN the peer keeps sending, and we still take, acknowledge and read its data")
    func halfClose() {
        var tcp = TCPScript.established()
        expectSegments(tcp.shutdownWrite(at: 1), [ExpectedSegment([.fin, .ack], seq: 1001, ack: 5001)])
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1002), at: 1.1), [])
        #expect(tcp.state == .finWait2)

        let hello = Array("hello".utf8)
        expectSegments(tcp.receive(ScriptPeer.segment([.ack, .psh], seq: 5001, ack: 1002, payload: hello), at: 2), [])
        expectSegments(tcp.timers(at: 2.04), [ExpectedSegment(.ack, seq: 1002, ack: 5006, length: 0)]) // delayed ACK
        #expect(tcp.read(at: 2.5).data == hello)

        let world = Array(" world".utf8)
        expectSegments(tcp.receive(ScriptPeer.segment([.fin, .ack, .psh], seq: 5006, ack: 1002, payload: world), at: 3),
                       [ExpectedSegment(.ack, seq: 1002, ack: 5013, length: 0)])
        #expect(tcp.state == .timeWait)
        #expect(tcp.read(at: 3.5).data == world)
        #expect(tcp.connection.isAtEndOfStream)
    }
}
