import MirageCore
@testable import MirageNet
import Testing

@Suite("TCP connection: opening (RFC 9293 section 3.5, RFC 7323, RFC 2018)")
struct TCPConnectionHandshakeTests {
    /// Everything a Linux SYN offers: MSS 1400 here, window scale 7, SACK, timestamps.
    let peerOffers = ScriptPeer.options(mss: 1400, windowScale: 7, sackPermitted: true, timestamps: (77_777, 0))

    @Test("active open: the SYN offers every option, the SYN-ACK settles them and our ACK completes the handshake")
    func activeOpen() {
        var tcp = TCPScript.connect(at: 0)
        // A 256 KiB buffer needs a shift of 3 to fit 16 bits; the window in a SYN is never scaled.
        expectSegments(tcp.opening, [
            ExpectedSegment(.syn, seq: 1000, ack: 0, window: 65535, length: 0,
                            options: [.mss(1460), .windowScale(5), .sackPermitted, .timestamps(value: 1_000_000, echo: 0)]),
        ])
        #expect(tcp.state == .synSent)
        tcp.expectDeadline(1) // the initial RTO (RFC 6298 section 2.1)

        var synACK = peerOffers
        synACK.timestamps = TCPTimestamps(value: 77_777, echoReply: 1_000_000)
        let sent = tcp.receive(ScriptPeer.segment([.syn, .ack], seq: 5000, ack: 1001, window: 29200, options: synACK), at: 0.05)
        // The ACK advertises 256 KiB >> 3 and carries timestamps, echoing the peer's.
        expectSegments(sent, [
            ExpectedSegment(.ack, seq: 1001, ack: 5001, window: 32768, length: 0,
                            options: [.timestamps(value: 1_000_050, echo: 77_777)]),
        ])
        #expect(tcp.state == .established)
        #expect(tcp.error == nil)
        tcp.expectDeadline(nil)
        #expect(tcp.connection.windowScalingEnabled && tcp.connection.sackEnabled && tcp.connection.timestampsEnabled)
        #expect(tcp.connection.sendScale == 7 && tcp.connection.receiveScale == 5)
        // min(1400, 1460) less 12 octets for the timestamps every segment now carries.
        #expect(tcp.connection.maximumSegmentSize == 1388)
    }

    @Test("passive open: the SYN-ACK answers each option the SYN offered, and the ACK establishes")
    func passiveOpen() {
        var tcp = TCPScript.accept(ScriptPeer.segment(.syn, seq: 5000, window: 64240, options: peerOffers), at: 0)
        expectSegments(tcp.opening, [
            ExpectedSegment([.syn, .ack], seq: 1000, ack: 5001, window: 65535, length: 0,
                            options: [.mss(1460), .windowScale(5), .sackPermitted, .timestamps(value: 1_000_000, echo: 77_777)]),
        ])
        #expect(tcp.state == .synReceived)
        tcp.expectDeadline(1)

        let ack = ScriptPeer.segment(.ack, seq: 5001, ack: 1001, window: 200,
                                     options: ScriptPeer.options(timestamps: (77_800, 1_000_000)))
        expectSegments(tcp.receive(ack, at: 0.05), [])
        #expect(tcp.state == .established)
        tcp.expectDeadline(nil)
        #expect(tcp.connection.maximumSegmentSize == 1388)
        #expect(tcp.connection.sendWindow == 200 << 7) // the first scaled window
    }

    @Test("passive open: a SYN without options gets a SYN-ACK with only our MSS, and the default MSS of 536 is used")
    func passiveOpenWithoutOptions() {
        var tcp = TCPScript.accept(ScriptPeer.segment(.syn, seq: 5000, window: 8192), at: 0)
        expectSegments(tcp.opening, [ExpectedSegment([.syn, .ack], seq: 1000, ack: 5001, window: 65535, options: [.mss(1460)])])
        expectSegments(tcp.receive(ScriptPeer.segment(.ack, seq: 5001, ack: 1001, window: 8192), at: 0.05), [])
        #expect(tcp.state == .established)
        #expect(tcp.connection.maximumSegmentSize == 536) // RFC 9293 section 3.7.1's default for IPv4
        #expect(!tcp.connection.windowScalingEnabled && !tcp.connection.sackEnabled && !tcp.connection.timestampsEnabled)
    }

    @Test("the MSS used is the smaller of the peer's and ours, less 12 octets when timestamps are on",
          arguments: [
              (peerMSS: UInt16(1400), mtu: 1500, timestamps: true, expected: 1388),
              (peerMSS: UInt16(1460), mtu: 1200, timestamps: true, expected: 1148),
              (peerMSS: UInt16(1400), mtu: 1500, timestamps: false, expected: 1400),
              (peerMSS: UInt16(1460), mtu: 1200, timestamps: false, expected: 1160),
          ])
    func effectiveMSS(peerMSS: UInt16, mtu: Int, timestamps: Bool, expected: Int) {
        let options = ScriptPeer.options(mss: peerMSS, timestamps: timestamps ? (77_777, 1_000_000) : nil)
        let tcp = TCPScript.established(peerOptions: options, mtu: mtu)
        #expect(tcp.connection.maximumSegmentSize == expected)
        #expect(tcp.opening.first?.header.options.maximumSegmentSize == UInt16(mtu - 40))
    }

    @Test("a retransmitted SYN-ACK after the handshake is answered with an ACK and changes nothing")
    func duplicateSYNACK() {
        var tcp = TCPScript.established()
        let synACK = ScriptPeer.segment([.syn, .ack], seq: 5000, ack: 1001, options: ScriptPeer.options(mss: 1024))
        expectSegments(tcp.receive(synACK, at: 1), [ExpectedSegment(.ack, seq: 1001, ack: 5001, length: 0)])
        #expect(tcp.state == .established)
    }

    @Test("simultaneous open: SYN crosses SYN, SYN-ACK crosses SYN-ACK, and both ends reach ESTABLISHED in those four segments (RFC 9293 figure 8)")
    func simultaneousOpen() {
        let start = scriptInstant(0)
        let a = TCPConnection.connect(localPort: 1111, remotePort: 2222, initialSequence: SequenceNumber(100),
                                      mtu: 1500, timestampOffset: 0, now: start)
        let b = TCPConnection.connect(localPort: 2222, remotePort: 1111, initialSequence: SequenceNumber(300),
                                      mtu: 1500, timestampOffset: 0, now: start)
        var pair = TCPConnectionPair(a: a, b: b)
        pair.step(at: 0.01) // the SYNs cross
        #expect(pair.a.state == .synReceived && pair.b.state == .synReceived)
        pair.settle(at: 0.02)
        #expect(pair.a.state == .established, "\(pair.transcript)")
        #expect(pair.b.state == .established, "\(pair.transcript)")

        let segments = pair.log.map(\.segment)
        expectSegments(segments, [
            ExpectedSegment(.syn, seq: 100), ExpectedSegment(.syn, seq: 300),
            ExpectedSegment([.syn, .ack], seq: 100, ack: 301), ExpectedSegment([.syn, .ack], seq: 300, ack: 101),
        ])
        #expect(!segments.contains { $0.flags.contains(.rst) })
        #expect(pair.a.nextDeadline == nil && pair.b.nextDeadline == nil)

        // And data flows.
        _ = pair.a.write(PacketBuffer(scriptBytes(100)), now: scriptInstant(1))
        pair.settle(at: 1)
        #expect(pair.b.read(maximum: 1000, now: scriptInstant(1))?.bytes == scriptBytes(100))
    }
}
