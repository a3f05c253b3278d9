import MirageCore
@testable import MirageNet
import Testing

// Script tests for the TCP connection state machine: a peer that sends hand-made segments at
// chosen instants, and expectations on what the connection sends back.
//
// Every script uses the same numbers so that the segments read alike from one test to the next:
// our ISS is 1000 (so our first data octet is 1001), the peer's ISS is 5000 (its first data octet
// 5001), our TSval is 1_000_000 plus the milliseconds since the clock's origin, and times are in
// seconds from that origin.

/// The instant `seconds` after the clock's origin.
func scriptInstant(_ seconds: Double) -> Instant {
    Instant(nanoseconds: UInt64((seconds * 1_000_000_000).rounded()))
}

/// Payload octets that differ from one offset to the next, so a misplaced segment shows.
func scriptBytes(_ count: Int, from offset: Int = 0) -> [UInt8] {
    (offset..<offset + count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 8) }
}

// MARK: - The peer's segments

/// The far end's view of a scripted connection: its port, ours, and the segments it sends.
enum ScriptPeer {
    static let port: UInt16 = 40000
    static let ourPort: UInt16 = 80
    /// The peer's initial sequence number.
    static let iss: UInt32 = 5000
    /// Ours.
    static let ourISS: UInt32 = 1000

    /// Options for a segment the peer sends.
    static func options(mss: UInt16? = nil, windowScale: UInt8? = nil, sackPermitted: Bool = false,
                        timestamps: (value: UInt32, echo: UInt32)? = nil, sack: [Range<UInt32>] = []) -> TCPOptions {
        var options = TCPOptions()
        options.maximumSegmentSize = mss
        options.windowScale = windowScale
        options.sackPermitted = sackPermitted
        options.timestamps = timestamps.map { TCPTimestamps(value: $0.value, echoReply: $0.echo) }
        options.sackBlocks = SACKBlocks(sack.map { SACKBlock(left: $0.lowerBound, right: $0.upperBound) })
        return options
    }

    /// A segment from the peer to us.
    static func segment(_ flags: TCPFlags, seq: UInt32, ack: UInt32 = 0, window: UInt16 = 65535,
                        options: TCPOptions = TCPOptions(), payload: [UInt8] = []) -> TCPSegment {
        var header = TCPHeader(sourcePort: port, destinationPort: ourPort, sequenceNumber: seq,
                               acknowledgmentNumber: ack, flags: flags, window: window)
        header.options = options
        return TCPSegment(header: header, payload: PacketBuffer(payload))
    }

    /// A data segment of `count` script bytes (offset by its distance from the peer's first
    /// data octet, so that the stream reads the same however it is cut).
    static func data(seq: UInt32, count: Int, ack: UInt32 = ourISS + 1, window: UInt16 = 65535,
                     flags: TCPFlags = [.ack, .psh], options: TCPOptions = TCPOptions()) -> TCPSegment {
        segment(flags, seq: seq, ack: ack, window: window, options: options,
                payload: scriptBytes(count, from: Int(seq &- (iss + 1))))
    }
}

// MARK: - Expectations on what the connection sends

/// One option a segment is expected to carry; a value left nil is not compared.
enum ExpectedOption {
    case mss(UInt16)
    case windowScale(UInt8)
    case sackPermitted
    case timestamps(value: UInt32? = nil, echo: UInt32? = nil)
    /// SACK blocks in order, each `left ..< right`.
    case sack([Range<UInt32>])
}

/// What a test expects of one segment the connection sent. Fields left nil are not compared.
///
/// PSH is never compared: when to push is the sender's choice (RFC 9293 section 3.9.1.2). When
/// `options` is given, the segment must carry exactly those options (an empty list: none).
struct ExpectedSegment {
    var flags: TCPFlags
    var seq: UInt32?
    var ack: UInt32?
    var window: UInt16?
    var length: Int?
    var options: [ExpectedOption]?

    init(_ flags: TCPFlags, seq: UInt32? = nil, ack: UInt32? = nil, window: UInt16? = nil, length: Int? = nil,
         options: [ExpectedOption]? = nil) {
        self.flags = flags
        self.seq = seq
        self.ack = ack
        self.window = window
        self.length = length
        self.options = options
    }

    /// What differs between this expectation and `segment`, in words.
    func mismatches(_ segment: TCPSegment) -> [String] {
        let header = segment.header
        var problems: [String] = []
        let actualFlags = header.flags.subtracting(.psh)
        if actualFlags != flags.subtracting(.psh) {
            problems.append("flags \(scriptFlags(actualFlags)), expected \(scriptFlags(flags))")
        }
        if let seq, header.sequenceNumber != seq { problems.append("seq \(header.sequenceNumber), expected \(seq)") }
        if let ack, header.acknowledgmentNumber != ack { problems.append("ack \(header.acknowledgmentNumber), expected \(ack)") }
        if let window, header.window != window { problems.append("win \(header.window), expected \(window)") }
        if let length, segment.payload.count != length { problems.append("len \(segment.payload.count), expected \(length)") }
        if let options { problems += optionMismatches(header.options, options) }
        return problems
    }

    private func optionMismatches(_ actual: TCPOptions, _ expected: [ExpectedOption]) -> [String] {
        var problems: [String] = []
        var seen = (mss: false, windowScale: false, sackPermitted: false, timestamps: false, sack: false)
        for option in expected {
            switch option {
            case let .mss(value):
                seen.mss = true
                if actual.maximumSegmentSize != value { problems.append("mss \(describe(actual.maximumSegmentSize)), expected \(value)") }
            case let .windowScale(value):
                seen.windowScale = true
                if actual.windowScale != value { problems.append("wscale \(describe(actual.windowScale)), expected \(value)") }
            case .sackPermitted:
                seen.sackPermitted = true
                if !actual.sackPermitted { problems.append("no sackOK, expected one") }
            case let .timestamps(value, echo):
                seen.timestamps = true
                if let timestamps = actual.timestamps {
                    if let value, timestamps.value != value { problems.append("TS val \(timestamps.value), expected \(value)") }
                    if let echo, timestamps.echoReply != echo { problems.append("TS ecr \(timestamps.echoReply), expected \(echo)") }
                } else {
                    problems.append("no timestamps, expected them")
                }
            case let .sack(ranges):
                seen.sack = true
                let blocks = actual.sackBlocks.map { $0.left..<$0.right }
                if blocks != ranges { problems.append("sack \(blocks), expected \(ranges)") }
            }
        }
        if !seen.mss, actual.maximumSegmentSize != nil { problems.append("unexpected mss") }
        if !seen.windowScale, actual.windowScale != nil { problems.append("unexpected wscale") }
        if !seen.sackPermitted, actual.sackPermitted { problems.append("unexpected sackOK") }
        if !seen.timestamps, actual.timestamps != nil { problems.append("unexpected timestamps") }
        if !seen.sack, !actual.sackBlocks.isEmpty { problems.append("unexpected sack blocks") }
        return problems
    }

    private func describe<T>(_ value: T?) -> String { value.map { "\($0)" } ?? "none" }
}

/// Flags as tcpdump writes them: S, F, R, P, and "." for ACK.
func scriptFlags(_ flags: TCPFlags) -> String {
    var text = ""
    if flags.contains(.syn) { text += "S" }
    if flags.contains(.fin) { text += "F" }
    if flags.contains(.rst) { text += "R" }
    if flags.contains(.psh) { text += "P" }
    if flags.contains(.ack) { text += "." }
    return "[\(text)]"
}

extension TCPSegment {
    /// The segment in tcpdump's words, for failure messages.
    var scriptDescription: String {
        var text = "\(scriptFlags(flags)) seq \(header.sequenceNumber) ack \(header.acknowledgmentNumber) "
            + "win \(header.window) len \(payload.count)"
        var options: [String] = []
        if let mss = header.options.maximumSegmentSize { options.append("mss \(mss)") }
        if let scale = header.options.windowScale { options.append("wscale \(scale)") }
        if header.options.sackPermitted { options.append("sackOK") }
        if let timestamps = header.options.timestamps { options.append("TS val \(timestamps.value) ecr \(timestamps.echoReply)") }
        if !header.options.sackBlocks.isEmpty {
            options.append("sack " + header.options.sackBlocks.map { "\($0.left)-\($0.right)" }.joined(separator: " "))
        }
        if !options.isEmpty { text += " <" + options.joined(separator: ",") + ">" }
        return text
    }
}

/// Checks that `actual` are exactly the `expected` segments, in order.
func expectSegments(_ actual: [TCPSegment], _ expected: [ExpectedSegment],
                    sourceLocation: SourceLocation = #_sourceLocation) {
    let sent = actual.isEmpty ? "nothing" : actual.map(\.scriptDescription).joined(separator: "; ")
    #expect(actual.count == expected.count, "sent \(sent)", sourceLocation: sourceLocation)
    for (index, (segment, expectation)) in zip(actual, expected).enumerated() {
        let problems = expectation.mismatches(segment)
        #expect(problems.isEmpty, "segment \(index) \(segment.scriptDescription): \(problems.joined(separator: "; "))",
                sourceLocation: sourceLocation)
    }
}

// MARK: - One connection driven by a script

/// One connection and a clock that only moves forward: each step happens at a given time and
/// returns the segments the connection sent in response.
struct TCPScript {
    static let timestampOffset: UInt32 = 1_000_000

    private(set) var connection: TCPConnection
    private(set) var now: Instant
    /// What the connection sent while it was being set up (the SYN, or the SYN-ACK, and for
    /// ``established(at:rtt:peerWindow:peerOptions:mtu:configuration:)`` the handshake's ACK).
    private(set) var opening: [TCPSegment]

    /// Opens actively at `seconds`: the SYN is in ``opening``.
    static func connect(at seconds: Double = 0, mtu: Int = 1500,
                        configuration: TCPConfiguration = TCPConfiguration()) -> TCPScript {
        let now = scriptInstant(seconds)
        var connection = TCPConnection.connect(localPort: ScriptPeer.ourPort, remotePort: ScriptPeer.port,
                                               initialSequence: SequenceNumber(ScriptPeer.ourISS), mtu: mtu,
                                               timestampOffset: timestampOffset, now: now, configuration: configuration)
        let opening = connection.takeSegments()
        return TCPScript(connection: connection, now: now, opening: opening)
    }

    /// Accepts the peer's `syn` at `seconds`: the SYN-ACK is in ``opening``.
    static func accept(_ syn: TCPSegment, at seconds: Double = 0, mtu: Int = 1500,
                       configuration: TCPConfiguration = TCPConfiguration()) -> TCPScript {
        let now = scriptInstant(seconds)
        var connection = TCPConnection.accept(syn, localPort: ScriptPeer.ourPort,
                                              initialSequence: SequenceNumber(ScriptPeer.ourISS), mtu: mtu,
                                              timestampOffset: timestampOffset, now: now, configuration: configuration)
        let opening = connection.takeSegments()
        return TCPScript(connection: connection, now: now, opening: opening)
    }

    /// An actively opened connection, established: the SYN at `seconds`, the peer's SYN-ACK
    /// (window `peerWindow`, options `peerOptions`) `rtt` later, which our ACK answers. Without
    /// timestamps the SYN's round trip is the first RTT sample: 100 ms gives an RTO of 300 ms.
    static func established(at seconds: Double = 0, rtt: Double = 0.1, peerWindow: UInt16 = 65535,
                            peerOptions: TCPOptions = ScriptPeer.options(mss: 1024), mtu: Int = 1500,
                            configuration: TCPConfiguration = TCPConfiguration(),
                            sourceLocation: SourceLocation = #_sourceLocation) -> TCPScript {
        var script = connect(at: seconds, mtu: mtu, configuration: configuration)
        let synACK = ScriptPeer.segment([.syn, .ack], seq: ScriptPeer.iss, ack: ScriptPeer.ourISS + 1,
                                        window: peerWindow, options: peerOptions)
        let ack = script.receive(synACK, at: seconds + rtt)
        expectSegments(ack, [ExpectedSegment(.ack, seq: ScriptPeer.ourISS + 1, ack: ScriptPeer.iss + 1, length: 0)],
                       sourceLocation: sourceLocation)
        #expect(script.state == .established, sourceLocation: sourceLocation)
        script.opening += ack
        return script
    }

    var state: TCPConnection.State { connection.state }

    /// Sets what the stack would: the receive memory the connection may hold given the others.
    mutating func setReceiveMemoryAllowance(_ bytes: Int) { connection.receiveMemoryAllowance = bytes }
    var error: FlowError? { connection.error }
    var statistics: TCPConnectionStatistics { connection.statistics }
    var nextDeadline: Instant? { connection.nextDeadline }

    /// Checks the next deadline: `seconds` from the origin, or none.
    func expectDeadline(_ seconds: Double?, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(nextDeadline == seconds.map(scriptInstant), "next deadline \(nextDeadline.map { "\($0)" } ?? "none")",
                sourceLocation: sourceLocation)
    }

    private mutating func advance(to seconds: Double) {
        let instant = scriptInstant(seconds)
        precondition(instant >= now, "a script's time only moves forward")
        now = instant
    }

    /// The peer's `segment` arrives at `seconds`.
    mutating func receive(_ segment: TCPSegment, at seconds: Double) -> [TCPSegment] {
        advance(to: seconds)
        connection.receive(segment, now: now)
        return connection.takeSegments()
    }

    /// The shell runs the timers at `seconds`.
    mutating func timers(at seconds: Double) -> [TCPSegment] {
        advance(to: seconds)
        connection.handleTimers(now: now)
        return connection.takeSegments()
    }

    /// The application writes `count` script bytes at `seconds` (continuing the stream written so
    /// far); all must be accepted.
    mutating func write(_ count: Int, at seconds: Double, sourceLocation: SourceLocation = #_sourceLocation) -> [TCPSegment] {
        advance(to: seconds)
        let accepted = connection.write(PacketBuffer(scriptBytes(count, from: written)), now: now)
        #expect(accepted == count, "write accepted \(accepted) of \(count)", sourceLocation: sourceLocation)
        written += accepted
        return connection.takeSegments()
    }

    private var written = 0

    /// The application reads up to `maximum` octets at `seconds`, as many calls as it takes.
    mutating func read(_ maximum: Int = .max, at seconds: Double) -> (data: [UInt8], sent: [TCPSegment]) {
        advance(to: seconds)
        var data: [UInt8] = []
        var sent: [TCPSegment] = []
        while data.count < maximum, let chunk = connection.read(maximum: maximum - data.count, now: now) {
            data += chunk.bytes
            sent += connection.takeSegments()
        }
        return (data, sent + connection.takeSegments())
    }

    mutating func shutdownWrite(at seconds: Double) -> [TCPSegment] {
        advance(to: seconds)
        connection.shutdownWrite(now: now)
        return connection.takeSegments()
    }

    mutating func close(at seconds: Double) -> [TCPSegment] {
        advance(to: seconds)
        connection.close(now: now)
        return connection.takeSegments()
    }
}

// MARK: - Two connections wired to each other

/// Two connections back to back, with no delay and no loss: what one sends, the other receives.
struct TCPConnectionPair {
    var a: TCPConnection
    var b: TCPConnection
    /// Every segment passed, in order, with its sender.
    private(set) var log: [(sender: Character, segment: TCPSegment)] = []

    init(a: TCPConnection, b: TCPConnection) {
        self.a = a
        self.b = b
    }

    /// A connected pair: `a` (ISS 100, port 1111) opened actively, `b` (ISS 300, port 2222) accepted
    /// its SYN; timestamps offsets 0.
    static func established(at seconds: Double = 0) -> TCPConnectionPair {
        let now = scriptInstant(seconds)
        var a = TCPConnection.connect(localPort: 1111, remotePort: 2222, initialSequence: SequenceNumber(100),
                                      mtu: 1500, timestampOffset: 0, now: now)
        let syn = a.takeSegments()[0]
        let b = TCPConnection.accept(syn, localPort: 2222, initialSequence: SequenceNumber(300), mtu: 1500,
                                     timestampOffset: 0, now: now)
        var pair = TCPConnectionPair(a: a, b: b)
        pair.log.append(("a", syn))
        pair.settle(at: seconds)
        return pair
    }

    /// Delivers what each side has sent so far to the other, once: segments sent in response wait
    /// for the next step, so segments sent at the same time cross.
    /// - Returns: how many segments moved.
    @discardableResult
    mutating func step(at seconds: Double) -> Int {
        let now = scriptInstant(seconds)
        let fromA = a.takeSegments()
        let fromB = b.takeSegments()
        for segment in fromA {
            log.append(("a", segment))
            b.receive(segment, now: now)
        }
        for segment in fromB {
            log.append(("b", segment))
            a.receive(segment, now: now)
        }
        return fromA.count + fromB.count
    }

    /// Steps until neither side has anything to send.
    mutating func settle(at seconds: Double) {
        var steps = 0
        while step(at: seconds) > 0 {
            steps += 1
            precondition(steps < 100, "the connections keep talking")
        }
    }

    /// The log in tcpdump's words, one line per segment.
    var transcript: String {
        log.map { "\($0.sender): \($0.segment.scriptDescription)" }.joined(separator: "\n")
    }
}
