import MirageCore
@testable import MirageNet
import Testing

@Suite("TCP demultiplexer: listeners, half-open and accept queues, resets (RFC 9293 sections 3.5 and 3.10.7.1)")
struct TCPDemultiplexerTests {
    let now = Instant(nanoseconds: 1_000_000_000)

    func demultiplexer(listenBacklog: Int = 4, halfOpenLimit: Int = 4) -> TCPDemultiplexer {
        TCPDemultiplexer(configuration: TCPConfiguration(), listenBacklog: listenBacklog, halfOpenLimit: halfOpenLimit,
                         offloadedSegmentLimit: 0, secrets: ConnectionSecrets(key: (1, 2), local: hostB))
    }

    func id(_ port: UInt16) -> ConnectionID { ConnectionID(remoteAddress: hostA, remotePort: port, localPort: 7) }

    func syn(from port: UInt16, sequence: UInt32 = 1000) -> TCPSegment {
        TCPSegment(header: TCPHeader(sourcePort: port, destinationPort: 7, sequenceNumber: sequence,
                                     acknowledgmentNumber: 0, flags: .syn, window: 65535))
    }

    /// The ACK from `port` completing the handshake that `synACK` answered (the SYN's sequence
    /// number was 1000).
    func ack(from port: UInt16, answering synACK: TCPSegment) -> TCPSegment {
        TCPSegment(header: TCPHeader(sourcePort: port, destinationPort: 7, sequenceNumber: 1001,
                                     acknowledgmentNumber: (synACK.sequenceNumber + 1).rawValue, flags: .ack, window: 65535))
    }

    /// Sends the SYN from `port` and the ACK of the SYN-ACK it draws.
    /// - Returns: where the connection went.
    func handshake(_ tcp: inout TCPDemultiplexer, from port: UInt16) throws -> TCPDemultiplexer.Outcome {
        #expect(tcp.arrive(syn(from: port), id: id(port), mtu: 1500, now: now) == .opened)
        var segments: [TCPSegment] = []
        tcp.moveSegments(of: id(port), into: &segments)
        let synACK = try #require(segments.first)
        #expect(synACK.flags == [.syn, .ack] && synACK.acknowledgmentNumber.rawValue == 1001)
        let completing = ack(from: port, answering: synACK)
        let index = try #require(tcp.slot(of: id(port)))
        segments.removeAll()
        return tcp.update(id(port), at: index, holdingAcknowledgment: false, now: now, segments: &segments) {
            $0.receive(completing, now: now)
        }.outcome
    }

    @Test("a SYN to a port no one listens on draws RST|ACK acknowledging it; a reset draws nothing")
    func closedPort() throws {
        var tcp = demultiplexer()
        guard case let .closedPort(reset) = tcp.arrive(syn(from: 40000), id: id(40000), mtu: 1500, now: now) else {
            Issue.record("not a closed port")
            return
        }
        let header = try #require(reset).header
        #expect(header.flags == [.rst, .ack] && header.acknowledgmentNumber == 1001 && header.sequenceNumber == 0)
        let rst = TCPSegment(header: TCPHeader(sourcePort: 40000, destinationPort: 7, sequenceNumber: 5, acknowledgmentNumber: 0,
                                               flags: .rst, window: 0))
        guard case .closedPort(reset: nil) = tcp.arrive(rst, id: id(40000), mtu: 1500, now: now) else {
            Issue.record("a reset was answered")
            return
        }
    }

    @Test("a SYN to a listener opens a half-open connection; its handshake queues it for accept")
    func passiveOpen() throws {
        var tcp = demultiplexer()
        try tcp.listen(port: 7)
        #expect(try handshake(&tcp, from: 40000) == .queuedForAccept(port: 7))
        #expect(tcp.listeners[7]?.halfOpen == 0)
        #expect(tcp.accept(port: 7) == id(40000))
        #expect(tcp.accept(port: 7) == nil)
        #expect(tcp.connectionCount == 1)
    }

    @Test("past the half-open limit a SYN is answered with a cookie and no state")
    func cookieWhenHalfOpenFull() {
        var tcp = demultiplexer(halfOpenLimit: 1)
        try! tcp.listen(port: 7)
        #expect(tcp.arrive(syn(from: 40000), id: id(40000), mtu: 1500, now: now) == .opened)
        guard case let .cookie(synACK) = tcp.arrive(syn(from: 40001), id: id(40001), mtu: 1500, now: now) else {
            Issue.record("no cookie")
            return
        }
        #expect(synACK.flags == [.syn, .ack] && synACK.header.options.maximumSegmentSize == 1460)
        #expect(tcp.connectionCount == 1)
    }

    @Test("a cookie's TSval never runs ahead of the connection's timestamp clock, whatever the options in its low bits: the peer's PAWS check would drop the first response")
    func cookieTimestampNotAhead() throws {
        var tcp = demultiplexer(halfOpenLimit: 0)
        try tcp.listen(port: 7)
        for millisecond in 0..<64 {
            let at = now + .milliseconds(millisecond)
            var header = syn(from: 40000).header
            header.options.timestamps = TCPTimestamps(value: 77, echoReply: 0)
            header.options.windowScale = 10
            header.options.sackPermitted = true
            guard case let .cookie(synACK) = tcp.arrive(TCPSegment(header: header), id: id(40000), mtu: 1500, now: at) else {
                Issue.record("no cookie")
                return
            }
            let value = try #require(synACK.header.options.timestamps).value
            let clock = UInt32(truncatingIfNeeded: at.nanoseconds / 1_000_000) &+ tcp.secrets.timestampOffset(for: id(40000))
            #expect(Int32(bitPattern: clock &- value) >= 0 && clock &- value < 32, "TSval \(value) against the clock \(clock)")
            #expect(value & 0x1F == SYNCookie.options(scale: 10, sack: true))
        }
    }

    @Test("with the accept queue full, SYNs are dropped and a completed handshake is reset and forgotten")
    func listenOverflow() throws {
        var tcp = demultiplexer(listenBacklog: 1)
        try tcp.listen(port: 7)
        #expect(tcp.arrive(syn(from: 40001), id: id(40001), mtu: 1500, now: now) == .opened)
        #expect(try handshake(&tcp, from: 40000) == .queuedForAccept(port: 7))
        #expect(tcp.arrive(syn(from: 40002), id: id(40002), mtu: 1500, now: now) == .listenOverflow)
        var segments: [TCPSegment] = []
        tcp.moveSegments(of: id(40001), into: &segments)
        let synACK = try #require(segments.first)
        let completing = ack(from: 40001, answering: synACK)
        segments.removeAll()
        let index = try #require(tcp.slot(of: id(40001)))
        let update = tcp.update(id(40001), at: index, holdingAcknowledgment: false, now: now, segments: &segments) {
            $0.receive(completing, now: now)
        }
        #expect(update.outcome == .listenOverflow)
        #expect(segments.last?.flags.contains(.rst) == true)
        #expect(tcp.slot(of: id(40001)) == nil)
    }

    @Test("closing a listener hands back the connections it held, established and half-open")
    func closeListener() throws {
        var tcp = demultiplexer()
        try tcp.listen(port: 7)
        #expect(try handshake(&tcp, from: 40000) == .queuedForAccept(port: 7))
        #expect(tcp.arrive(syn(from: 40001), id: id(40001), mtu: 1500, now: now) == .opened)
        let held = tcp.closeListener(port: 7)
        #expect(Set(try #require(held)) == [id(40000), id(40001)])
        #expect(!tcp.isListening(port: 7))
        #expect(tcp.closeListener(port: 7) == nil)
    }
}
