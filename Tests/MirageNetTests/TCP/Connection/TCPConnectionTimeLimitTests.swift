import MirageCore
import MirageNet
import Testing

/// Issue 13, class 3: nothing a peer does keeps a connection alive for ever. Times in seconds.
@Suite("TCP connection time limits: a zero window for 2 minutes, an orphan for 1 minute")
struct TCPConnectionTimeLimitTests {
    /// Runs the timers whenever they are due, up to `seconds`, collecting what was sent.
    func runTimers(_ tcp: inout TCPScript, until seconds: Double) -> [TCPSegment] {
        var sent: [TCPSegment] = []
        var runs = 0
        while let deadline = tcp.nextDeadline, Double(deadline.nanoseconds) / 1e9 <= seconds {
            sent += tcp.timers(at: Double(Swift.max(deadline, tcp.now).nanoseconds) / 1e9)
            runs += 1
            if runs > 1000 {
                Issue.record("the timers keep firing at \(deadline), state \(tcp.state)")
                break
            }
        }
        return sent
    }

    @Test("a peer that keeps its window closed while data waits is given up after 120 s, with a reset; probes until then")
    func zeroWindowTimeout() {
        var tcp = TCPScript.established()
        _ = tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1001, window: 0), at: 0.5)
        _ = tcp.write(500, at: 1)
        // The peer answers every probe, window still 0: persist alone would probe for ever.
        var probes = 0
        var time = 1.0
        while tcp.state == .established, time < 300, let deadline = tcp.nextDeadline {
            time = Double(deadline.nanoseconds) / 1e9
            let sent = tcp.timers(at: time)
            if sent.contains(where: { $0.flags == .ack && $0.payload.isEmpty }) {
                probes += 1
                _ = tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1001, window: 0), at: time)
            }
            if sent.contains(where: { $0.flags.contains(.rst) }) { break }
        }
        #expect(probes > 3)
        #expect(tcp.state == .closed && tcp.error == .timedOut)
        #expect((121...122).contains(time), "given up at \(time) s, 120 s after the window closed at 1 s")
        #expect(tcp.statistics.zeroWindowTimeouts == 1)
    }

    @Test("a window that opens in time keeps the connection: the limit counts from the last closing")
    func windowOpensInTime() {
        var tcp = TCPScript.established()
        _ = tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1001, window: 0), at: 0.5)
        _ = tcp.write(500, at: 1)
        _ = runTimers(&tcp, until: 100)
        // Opens at 100 s: the data goes and is acknowledged, then the window closes again.
        _ = tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1001, window: 4096), at: 100)
        _ = tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1501, window: 0), at: 100.1)
        _ = tcp.write(500, at: 101)
        _ = runTimers(&tcp, until: 200)
        #expect(tcp.state == .established)
        _ = runTimers(&tcp, until: 222)
        #expect(tcp.state == .closed && tcp.error == .timedOut)
    }

    @Test("a closed connection that cannot send its data (zero window) is reset 60 s after the close")
    func orphanExpires() {
        var tcp = TCPScript.established()
        _ = tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1001, window: 0), at: 0.5)
        _ = tcp.write(500, at: 1)
        _ = tcp.close(at: 2)
        #expect(tcp.state == .finWait1)
        _ = runTimers(&tcp, until: 61.9)
        #expect(tcp.state == .finWait1)
        let sent = runTimers(&tcp, until: 62)
        #expect(sent.last?.flags.contains(.rst) == true)
        #expect(tcp.state == .closed && tcp.error == .timedOut)
        #expect(tcp.statistics.orphansExpired == 1)
    }
}
