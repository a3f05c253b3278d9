import MirageCore
import MirageNet
import Testing

@Suite("TCP connection: keepalive (RFC 9293 section 3.8.4)")
struct TCPConnectionKeepAliveTests {
    static var configuration: TCPConfiguration {
        var configuration = TCPConfiguration()
        configuration.keepAliveIdle = .seconds(10)
        configuration.keepAliveInterval = .seconds(1)
        configuration.keepAliveProbes = 3
        return configuration
    }

    @Test("off by default: an idle connection sets no timer and sends nothing")
    func offByDefault() {
        var tcp = TCPScript.established()
        tcp.expectDeadline(nil)
        expectSegments(tcp.timers(at: 7200), [])
        #expect(tcp.state == .established)
    }

    @Test("after the idle time a probe (SEG.SEQ = SND.NXT - 1, no data) goes out; an answer restarts the idle time")
    func probeAnswered() {
        var tcp = TCPScript.established(configuration: Self.configuration)
        tcp.expectDeadline(10.1) // idle since the handshake's ACK at 0.1
        expectSegments(tcp.receive(ScriptPeer.data(seq: 5001, count: 10), at: 5), []) // the ACK is delayed
        expectSegments(tcp.timers(at: 5.04), [ExpectedSegment(.ack, seq: 1001, ack: 5011, length: 0)])
        tcp.expectDeadline(15.04) // traffic moved the idle time
        expectSegments(tcp.timers(at: 15.04), [ExpectedSegment(.ack, seq: 1000, ack: 5011, length: 0)])
        tcp.expectDeadline(16.04) // the next probe, unless answered
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5011, ack: 1001), at: 15.1), [])
        tcp.expectDeadline(25.1)
        #expect(tcp.state == .established)
    }

    @Test("probes unanswered keepAliveProbes times end the connection with a reset and timedOut")
    func probesUnanswered() {
        var tcp = TCPScript.established(configuration: Self.configuration)
        for time in [10.1, 11.1, 12.1] {
            expectSegments(tcp.timers(at: time), [ExpectedSegment(.ack, seq: 1000, ack: 5001, length: 0)])
        }
        #expect(tcp.state == .established)
        let last = tcp.timers(at: 13.1)
        #expect(last.count == 1 && last.first?.flags.contains(.rst) == true)
        #expect(tcp.state == .closed)
        #expect(tcp.error == .timedOut)
    }
}
