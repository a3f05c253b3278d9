import MirageCore

/// One TCP connection (RFC 9293) as a pure state machine: segments, application calls and timer
/// expiries go in with the current time; segments to send come out of ``takeSegments()``, and the
/// shell reads ``state``, ``readableCount``, ``sendSpace`` and ``error`` to wake whoever waits.
///
/// It has no addresses (the TCP layer demultiplexes and adds the pseudo-header), reads no clock and
/// draws no randomness: the initial sequence number comes in from the layer (RFC 6528).
///
/// Receiving is in `TCPConnection+Receive.swift`, sending in `+Send.swift`, timers in `+Timers.swift`.
public struct TCPConnection {
    /// The connection states of RFC 9293 section 3.3.2 (LISTEN belongs to the listener).
    public enum State: Equatable, Sendable {
        case synSent, synReceived, established, finWait1, finWait2, closeWait, closing, lastAck, timeWait, closed
    }

    public let localPort: UInt16
    public let remotePort: UInt16
    public let configuration: TCPConfiguration
    public internal(set) var state: State
    /// Why the connection ended, when it ended abnormally.
    public internal(set) var error: FlowError?
    /// Counters for tests and benchmarks.
    public internal(set) var statistics = TCPConnectionStatistics()

    // Send sequence space (RFC 9293 section 3.3.1).
    let initialSendSequence: SequenceNumber
    var sendUnacknowledged: SequenceNumber
    var sendNext: SequenceNumber
    /// The highest SND.NXT so far: after a timeout SND.NXT goes back to SND.UNA (go-back-N), and
    /// acknowledgments up to this are still valid.
    var sendMaximum: SequenceNumber
    var sendWindow = 0
    var sendWindowUpdateSequence = SequenceNumber(0)
    var sendWindowUpdateAcknowledgment = SequenceNumber(0)
    /// MAX.SND.WND (RFC 5961 section 5.2): the largest window the peer has offered.
    var maximumSendWindow = 0
    var sendQueue: SendQueue
    /// Whether the application has closed its sending side: a FIN follows the queued data.
    var finRequested = false
    /// The sequence number our FIN occupies, once sent.
    var finSequence: SequenceNumber?

    // Receive sequence space.
    var initialReceiveSequence = SequenceNumber(0)
    var receiveNext = SequenceNumber(0)
    var receiveQueue = ReceiveQueue()
    /// RCV.NXT + RCV.WND as last advertised: the right edge never moves left (RFC 9293 3.8.6).
    var advertisedEdge = SequenceNumber(0)
    /// Whether the peer's FIN has been taken in order.
    var finReceived = false
    /// Where the peer's FIN lies when it arrived ahead of a gap.
    var pendingFINSequence: SequenceNumber?
    /// Whether the application closed both directions: data arriving now is answered with a reset.
    var applicationClosed = false

    // Options (RFC 7323, RFC 2018).
    /// The largest payload per segment we send, options included in the account.
    var sendMSS: Int
    /// The MSS we announce: the path MTU less 40.
    let announcedMSS: Int
    /// The most payload one segment may carry when the network device cuts large segments
    /// (``NetworkOffloads/tcpSegmentation``); 0 when it does not, so every segment fits one MSS.
    public var offloadedSegmentLimit = 0
    var sendScale: UInt8 = 0
    var receiveScale: UInt8 = 0
    /// Whether both sides offered window scaling (RFC 7323 section 2.2).
    var windowScalingEnabled = false
    var timestampsEnabled = false
    var sackEnabled = false
    var timestampRecent: UInt32 = 0
    /// When TS.Recent was last set: after 24 days of idleness it is too old to compare with
    /// (RFC 7323 section 5.5).
    var timestampRecentSet: Instant?
    /// How long TS.Recent stays valid: 24 days, less than half the time a 1 ms timestamp clock
    /// takes to wrap 2^31 (RFC 7323 section 5.5).
    static let timestampRecentLifetime = Duration.seconds(24 * 24 * 60 * 60)
    var lastAcknowledgmentSent = SequenceNumber(0)
    let timestampOffset: UInt32

    // Timers (RFC 9293 section 3.8, RFC 6298).
    var rto: RetransmissionTimeout
    var retransmissionDeadline: Instant?
    var consecutiveTimeouts = 0
    /// The segment being timed when timestamps are off (Karn's algorithm).
    var rttProbe: (sequence: SequenceNumber, sent: Instant)?
    var delayedACKDeadline: Instant?
    var persistDeadline: Instant?
    var persistBackoffs = 0
    /// Set when the persist timer fired with a window too small for silly-window avoidance: the
    /// next segment goes anyway (the override timeout of RFC 9293 section 3.8.6.2.1).
    var overrideSWS = false
    var keepAliveDeadline: Instant?
    var keepAliveProbesSent = 0
    /// TIME-WAIT's end, or the end of an orphaned FIN-WAIT-2.
    var closeDeadline: Instant?
    /// Since when the peer's window has been closed with data waiting (``TCPConfiguration/zeroWindowTimeout``).
    var zeroWindowSince: Instant?

    // Congestion control and loss recovery.
    var congestion: CongestionControl
    var duplicateACKs = 0
    /// RFC 6582's "recover": fast recovery lasts until this is acknowledged.
    var recoveryPoint: SequenceNumber?
    var retransmitFirstUnacknowledged = false
    var scoreboard = SACKScoreboard()

    // Acknowledgment scheduling.
    var ackNow = false
    /// While set, an owed ACK without data waits (``ackNow`` stays set) for ``sendPending(now:)``
    /// to be called again: the stack holds ACKs while it takes a batch of frames, so that an
    /// application reading the data first makes it one ACK with the reopened window.
    var holdsAcknowledgment = false
    /// The receive memory this connection may hold given what the others hold, set by the stack
    /// before each change (``TCPDemultiplexer/receiveMemoryLimit``); the smaller of it and
    /// ``TCPConfiguration/receiveMemoryLimit`` applies.
    var receiveMemoryAllowance = Int.max
    /// The receive memory limit in force: this connection's own, or its share of the stack's.
    var receiveMemoryLimit: Int { Swift.min(configuration.receiveMemoryLimit, receiveMemoryAllowance) }
    /// Full-sized segments taken in order since our last ACK (RFC 9293 section 3.8.6.3).
    var segmentsSinceACK = 0

    var outbox: [TCPSegment] = []

    /// Opens a connection actively: the SYN goes out at once (RFC 9293 section 3.10.1).
    /// - Parameters:
    ///   - initialSequence: the ISS (RFC 6528), from the layer.
    ///   - mtu: the path MTU towards the peer, for the MSS we announce.
    ///   - timestampOffset: a per-connection random offset for TSval (RFC 7323 section 7.1).
    public static func connect(localPort: UInt16, remotePort: UInt16, initialSequence: SequenceNumber,
                               mtu: Int, timestampOffset: UInt32, now: Instant,
                               configuration: TCPConfiguration = TCPConfiguration()) -> TCPConnection {
        var connection = TCPConnection(localPort: localPort, remotePort: remotePort, state: .synSent,
                                       initialSequence: initialSequence, mtu: mtu,
                                       timestampOffset: timestampOffset, configuration: configuration)
        connection.sendSYN(acknowledging: false, now: now)
        return connection
    }

    /// Accepts a connection a peer's SYN asked for (RFC 9293 section 3.10.7.2): answers with a
    /// SYN-ACK and waits in SYN-RECEIVED for the ACK.
    public static func accept(_ syn: TCPSegment, localPort: UInt16, initialSequence: SequenceNumber,
                              mtu: Int, timestampOffset: UInt32, now: Instant,
                              configuration: TCPConfiguration = TCPConfiguration()) -> TCPConnection {
        var connection = TCPConnection(localPort: localPort, remotePort: syn.header.sourcePort, state: .synReceived,
                                       initialSequence: initialSequence, mtu: mtu,
                                       timestampOffset: timestampOffset, configuration: configuration)
        connection.takeSYN(syn, now: now)
        connection.sendSYN(acknowledging: true, now: now)
        return connection
    }

    /// Creates an established connection from a SYN cookie's ACK (RFC 4987 section 3.6): what the
    /// cookie carried (MSS, and with timestamps the peer's window scale and SACK) stands in for
    /// the SYN that was not kept.
    static func fromCookie(_ ack: TCPSegment, localPort: UInt16, initialSequence: SequenceNumber, mtu: Int,
                           peerMSS: Int, peerScale: UInt8?, peerSACK: Bool, timestampOffset: UInt32,
                           now: Instant, configuration: TCPConfiguration) -> TCPConnection {
        var connection = TCPConnection(localPort: localPort, remotePort: ack.header.sourcePort, state: .established,
                                       initialSequence: initialSequence, mtu: mtu,
                                       timestampOffset: timestampOffset, configuration: configuration)
        connection.initialReceiveSequence = ack.sequenceNumber - 1
        connection.receiveNext = ack.sequenceNumber
        connection.sendUnacknowledged = initialSequence + 1
        connection.sendNext = initialSequence + 1
        connection.sendMaximum = initialSequence + 1
        connection.negotiate(peerMSS: peerMSS, peerScale: peerScale, peerSACK: peerSACK,
                             peerTimestamps: ack.header.options.timestamps)
        connection.timestampRecentSet = now
        connection.updateSendWindow(ack.header)
        connection.advertisedEdge = connection.receiveNext + connection.receiveWindowToAdvertise()
        return connection
    }

    init(localPort: UInt16, remotePort: UInt16, state: State, initialSequence: SequenceNumber, mtu: Int,
         timestampOffset: UInt32, configuration: TCPConfiguration) {
        self.localPort = localPort
        self.remotePort = remotePort
        self.state = state
        self.configuration = configuration
        self.timestampOffset = timestampOffset
        initialSendSequence = initialSequence
        sendUnacknowledged = initialSequence
        sendNext = initialSequence
        sendMaximum = initialSequence
        sendQueue = SendQueue(capacity: configuration.sendBufferSize)
        announcedMSS = Swift.max(mtu - 40, 88)
        sendMSS = Swift.min(configuration.defaultMSS, announcedMSS)
        rto = RetransmissionTimeout(configuration: configuration)
        congestion = CongestionControl(algorithm: configuration.congestionAlgorithm, mss: sendMSS)
        receiveScale = configuration.offersWindowScale ? configuration.receiveWindowScale : 0
    }

    // MARK: What the shell asks

    /// Moves the segments to send, in order, to the end of `queue`; the connection's queue keeps
    /// its storage for the next ones.
    public mutating func moveSegments(into queue: inout [TCPSegment]) {
        guard !outbox.isEmpty else { return }
        queue.append(contentsOf: outbox)
        outbox.removeAll(keepingCapacity: true)
    }

    /// Segments to send, in order; the queue is emptied.
    public mutating func takeSegments() -> [TCPSegment] {
        let taken = outbox
        outbox = []
        return taken
    }

    /// Whether the handshake is over (the connection may have closed since).
    public var isSynchronized: Bool { state != .synSent && state != .synReceived }
    /// In-order octets the application may read now.
    public var readableCount: Int { receiveQueue.readableCount }
    /// The memory the receive queue holds for the peer, at the buffers' real size (in-order and
    /// out-of-order data alike); at most ``TCPConfiguration/receiveMemoryLimit``.
    public var receiveMemoryCharged: Int { receiveQueue.chargedBytes }
    /// Whether the peer has closed its side and everything before its FIN has been read.
    public var isAtEndOfStream: Bool { finReceived && receiveQueue.readableCount == 0 }
    /// Octets ``write(_:now:)`` would accept now (0 once writing is shut down or the connection ended).
    public var sendSpace: Int {
        switch state {
        case .established, .closeWait: finRequested ? 0 : sendQueue.freeSpace
        default: 0
        }
    }
    /// Octets written and not yet acknowledged.
    public var unacknowledgedCount: Int { sendQueue.count }
    /// The congestion window, for tests and benchmarks.
    public var congestionWindow: Int { congestion.window }
    /// The MSS used for sending.
    public var maximumSegmentSize: Int { sendMSS }

    /// The earliest instant at which ``handleTimers(now:)`` has work.
    public var nextDeadline: Instant? {
        retransmissionDeadline.earliest(delayedACKDeadline).earliest(persistDeadline)
            .earliest(keepAliveDeadline).earliest(closeDeadline)
    }

    // MARK: Application calls

    /// Queues as much of `data` as the send buffer takes and, unless `corked`, sends what the
    /// windows allow. A corked write waits for ``push(now:)`` (or an ACK, or a timer), so that
    /// several writes can leave as one large segment.
    /// - Returns: the octets accepted (0 when the buffer is full or writing is shut down).
    public mutating func write(_ data: PacketBuffer, corked: Bool = false, now: Instant) -> Int {
        guard sendSpace > 0 else { return 0 }
        let accepted = sendQueue.append(data)
        if !corked { sendPending(now: now) }
        return accepted
    }

    /// Sends what corked writes left queued, as the windows allow.
    public mutating func push(now: Instant) {
        sendPending(now: now)
    }

    /// Whether sent data is still unacknowledged: an ACK is then on its way and will send more.
    public var hasDataInFlight: Bool { sendNext > sendUnacknowledged }

    /// Takes up to `maximum` in-order octets, and sends a window update when reading opened the
    /// window enough (RFC 9293 section 3.8.6.2.2), so a slow reader never leaves the peer stuck.
    public mutating func read(maximum: Int, now: Instant) -> PacketBuffer? {
        guard let data = receiveQueue.read(maximum: maximum) else { return nil }
        let promised = Swift.max(advertisedEdge - receiveNext, 0)
        let possible = receiveSpace
        let threshold = Swift.min(configuration.receiveBufferSize / 2, 2 * announcedMSS)
        if isSynchronized, !finReceived, possible - promised >= threshold {
            ackNow = true
            sendPending(now: now)
        }
        return data
    }

    /// Closes the sending side: a FIN follows the queued data (RFC 9293 section 3.10.4).
    public mutating func shutdownWrite(now: Instant) {
        switch state {
        case .established: state = .finWait1
        case .closeWait: state = .lastAck
        case .synSent, .synReceived:
            abort(now: now)
            return
        default: return
        }
        finRequested = true
        sendPending(now: now)
    }

    /// Closes both directions. Unread data makes it a reset (RFC 2525 section 2.17); otherwise
    /// the FIN goes out and the connection finishes on its own, answering later data with a reset.
    public mutating func close(now: Instant) {
        applicationClosed = true
        if receiveQueue.readableCount > 0 {
            abort(now: now)
        } else {
            shutdownWrite(now: now)
            switch state {
            case .finWait2: closeDeadline = now + configuration.maximumSegmentLifetime * 2
            case .finWait1, .closing, .lastAck: closeDeadline = now + configuration.orphanTimeout
            default: break
            }
        }
    }

    /// Ends the connection at once, with a reset when synchronized (RFC 9293 section 3.10.5).
    public mutating func abort(now: Instant) {
        switch state {
        case .closed, .timeWait, .synSent: break
        default: emitReset(sequence: sendMaximum)
        }
        enterClosed(error: nil)
    }

    mutating func enterClosed(error: FlowError?) {
        if self.error == nil { self.error = error }
        state = .closed
        retransmissionDeadline = nil
        delayedACKDeadline = nil
        persistDeadline = nil
        keepAliveDeadline = nil
        closeDeadline = nil
    }

    mutating func enterTimeWait(now: Instant) {
        state = .timeWait
        retransmissionDeadline = nil
        persistDeadline = nil
        keepAliveDeadline = nil
        delayedACKDeadline = nil
        closeDeadline = now + configuration.maximumSegmentLifetime * 2
    }
}
