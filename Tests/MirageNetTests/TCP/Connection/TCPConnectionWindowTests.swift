import MirageCore
import MirageNet
import Testing

@Suite("TCP connection: flow control, persist and window scaling (RFC 9293 section 3.8.6, RFC 7323 section 2)")
struct TCPConnectionWindowTests {
    @Test("a zero window stops data; probes go out at the persist deadline, backing off, until the window opens")
    func zeroWindowPersist() {
        var tcp = TCPScript.established() // RTO 300 ms
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1001, window: 0), at: 0.5), [])
        expectSegments(tcp.write(500, at: 1), [])
        tcp.expectDeadline(1.3)

        // The probe lies just below SND.UNA: the peer must answer it with an ACK showing its window.
        let probe = ExpectedSegment(.ack, seq: 1000, ack: 5001, length: 0)
        expectSegments(tcp.timers(at: 1.3), [probe])
        tcp.expectDeadline(1.9)
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1001, window: 0), at: 1.35), [])
        tcp.expectDeadline(1.9)
        expectSegments(tcp.timers(at: 1.9), [probe])
        tcp.expectDeadline(3.1)
        expectSegments(tcp.timers(at: 3.1), [probe])
        tcp.expectDeadline(5.5)
        #expect(tcp.connection.unacknowledgedCount == 500)

        // The window opens: the data goes, and the retransmission timer replaces the persist timer.
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1001, window: 4096), at: 4),
                       [ExpectedSegment(.ack, seq: 1001, ack: 5001, length: 500)])
        tcp.expectDeadline(4.3)
    }

    @Test("a window too small to send into, with nothing in flight, still arms a timer that sends (RFC 9293 section 3.8.6.2.1)")
    func smallWindowOverrideTimer() {
        var tcp = TCPScript.established() // the peer offered 65535 in its SYN-ACK
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1001, window: 300), at: 0.5), [])
        // 300 octets: not a full segment, not all the data, less than half the largest window. Wait...
        expectSegments(tcp.write(500, at: 1), [])
        // ...but not for ever: nothing else would wake the sender if the peer's window update never comes.
        guard let deadline = tcp.nextDeadline else {
            Issue.record("no timer: the 500 octets wait for the peer to speak, which it need not do")
            return
        }
        #expect(deadline <= scriptInstant(2), "the override timeout is 0.1 to 1 s (RFC 1122 section 4.2.3.4)")
        let sent = tcp.timers(at: Double(deadline.nanoseconds) / 1e9)
        #expect(sent.first?.header.sequenceNumber == 1001)
        #expect(sent.first.map { $0.payload.count > 0 && $0.payload.count <= 300 } == true)
    }

    @Test("a slow reader advertises a shrinking window, then zero; reading sends the window update (never a deadlock)")
    func slowReader() {
        var configuration = TCPConfiguration()
        configuration.receiveBufferSize = 4096
        var tcp = TCPScript.established(configuration: configuration)
        #expect(tcp.opening.last?.header.window == 4096)

        expectSegments(tcp.receive(ScriptPeer.data(seq: 5001, count: 1024), at: 1), [])
        expectSegments(tcp.receive(ScriptPeer.data(seq: 6025, count: 1024), at: 1.01),
                       [ExpectedSegment(.ack, seq: 1001, ack: 7049, window: 2048, length: 0)])
        expectSegments(tcp.receive(ScriptPeer.data(seq: 7049, count: 1024), at: 1.02), [])
        expectSegments(tcp.receive(ScriptPeer.data(seq: 8073, count: 1024), at: 1.03),
                       [ExpectedSegment(.ack, seq: 1001, ack: 9097, window: 0, length: 0)])

        // The peer probes the zero window with one octet: it is not taken, and the ACK repeats window 0.
        expectSegments(tcp.receive(ScriptPeer.data(seq: 9097, count: 1), at: 1.5),
                       [ExpectedSegment(.ack, seq: 1001, ack: 9097, window: 0, length: 0)])
        #expect(tcp.connection.readableCount == 4096)

        // Reading 1024 opens less than min(buffer / 2, MSS): no update yet (receiver SWS avoidance).
        let first = tcp.read(1024, at: 2)
        #expect(first.data == scriptBytes(1024))
        expectSegments(first.sent, [])
        // Reading 1024 more opens 2048: the update goes without waiting for the peer.
        let second = tcp.read(1024, at: 2.1)
        #expect(second.data == scriptBytes(1024, from: 1024))
        expectSegments(second.sent, [ExpectedSegment(.ack, seq: 1001, ack: 9097, window: 2048, length: 0)])
        // Reading the rest opens the whole buffer.
        let rest = tcp.read(at: 3)
        #expect(rest.data == scriptBytes(2048, from: 2048))
        expectSegments(rest.sent, [ExpectedSegment(.ack, seq: 1001, ack: 9097, window: 4096, length: 0)])

        // The peer sends again into the window it was given.
        expectSegments(tcp.receive(ScriptPeer.data(seq: 9097, count: 1024), at: 3.1), [])
        #expect(tcp.connection.readableCount == 1024)
    }

    @Test("with a zero receive window, the ACK in a data segment is still taken (RFC 9293 section 3.10.7.4)")
    func zeroReceiveWindowStillTakesACKs() {
        var configuration = TCPConfiguration()
        configuration.receiveBufferSize = 4096
        var tcp = TCPScript.established(configuration: configuration)
        expectSegments(tcp.write(100, at: 1), [ExpectedSegment(.ack, seq: 1001, length: 100)])
        // The peer fills our buffer; its segments do not acknowledge our data yet.
        _ = tcp.receive(ScriptPeer.data(seq: 5001, count: 2048), at: 1.01)
        _ = tcp.receive(ScriptPeer.data(seq: 7049, count: 2048), at: 1.02)
        #expect(tcp.connection.readableCount == 4096)
        // Its zero-window probe acknowledges our 100 octets: the data is refused, the ACK must not be.
        _ = tcp.receive(ScriptPeer.data(seq: 9097, count: 1, ack: 1101), at: 1.05)
        #expect(tcp.connection.unacknowledgedCount == 0)
        tcp.expectDeadline(nil)
    }

    @Test("after the handshake, windows are shifted by the negotiated scales both ways (the SYN's never)")
    func windowScaling() {
        // The peer: window scale 7, a SYN-ACK window of 1024 octets (unscaled, as in every SYN).
        var tcp = TCPScript.established(peerWindow: 1024, peerOptions: ScriptPeer.options(mss: 1024, windowScale: 7))
        // Our ACK: 1 MiB free, shifted right by our scale of 5.
        expectSegments(Array(tcp.opening.suffix(1)), [ExpectedSegment(.ack, seq: 1001, ack: 5001, window: 32768)])

        // The SYN-ACK's 1024 is not shifted: one segment fits.
        expectSegments(tcp.write(5000, at: 1), [ExpectedSegment(.ack, seq: 1001, length: 1024)])
        // Window 24 after the handshake means 24 << 7 = 3072 octets: three segments.
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 2025, window: 24), at: 1.1), [
            ExpectedSegment(.ack, seq: 2025, length: 1024), ExpectedSegment(.ack, seq: 3049, length: 1024),
            ExpectedSegment(.ack, seq: 4073, length: 1024),
        ])

        // Our side: after 2048 octets arrive, 1046528 free octets are advertised as 1046528 >> 5.
        expectSegments(tcp.receive(ScriptPeer.data(seq: 5001, count: 1024, ack: 2025, window: 24), at: 1.2), [])
        expectSegments(tcp.receive(ScriptPeer.data(seq: 6025, count: 1024, ack: 2025, window: 24), at: 1.21),
                       [ExpectedSegment(.ack, seq: 5097, ack: 7049, window: 32704, length: 0)])
    }

    @Test("without the peer's window scale option neither side shifts: we advertise at most 65535")
    func noWindowScaling() {
        var tcp = TCPScript.established(peerWindow: 1024, peerOptions: ScriptPeer.options(mss: 1024))
        expectSegments(Array(tcp.opening.prefix(1)), [ExpectedSegment(.syn, options: [.mss(1460), .windowScale(5), .sackPermitted, .timestamps()])])
        expectSegments(Array(tcp.opening.suffix(1)), [ExpectedSegment(.ack, window: 65535)])
        expectSegments(tcp.write(5000, at: 1), [ExpectedSegment(.ack, seq: 1001, length: 1024)])
        // Window 2048, unshifted: two segments.
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 2025, window: 2048), at: 1.1), [
            ExpectedSegment(.ack, seq: 2025, length: 1024), ExpectedSegment(.ack, seq: 3049, length: 1024),
        ])
    }
}
