import MirageCore

extension TCPConnection {
    /// Sends what is due now: retransmissions during loss recovery, new data and the FIN as the
    /// windows, Nagle and silly-window avoidance allow, else an ACK when one is owed; then sets
    /// the timers the sending left running.
    mutating func sendPending(now: Instant) {
        switch state {
        case .established, .closeWait, .finWait1, .closing, .lastAck:
            sendRetransmissions(now: now)
            while sendNewSegment(now: now) {}
        default:
            break
        }
        if ackNow, !holdsAcknowledgment, state != .closed, state != .synSent {
            // SND.MAX, not SND.NXT: after a timeout SND.NXT goes back, and an ACK carrying an old
            // sequence number would be unacceptable to the peer (RFC 9293 section 3.10.7.4).
            // An empty buffer with room for the headers: they go in without another allocation.
            emit(sequence: sendMaximum, flags: .ack, payload: PacketBuffer(capacity: Self.headroom, headroom: Self.headroom), now: now)
        }
        armTimers(now: now)
    }

    /// The end of the data in the sequence space (the FIN, when requested, sits here).
    var dataEnd: SequenceNumber { sendUnacknowledged + sendQueue.count }

    /// Octets considered in the network: RFC 6675's pipe during SACK recovery, RFC 6582's flight
    /// less the duplicate ACKs during NewReno recovery, else everything unacknowledged.
    var inFlight: Int {
        if recoveryPoint != nil {
            if sackEnabled {
                return scoreboard.pipe(unacknowledged: sendUnacknowledged, next: sendNext, mss: sendMSS)
            }
            return Swift.max(sendNext - sendUnacknowledged - duplicateACKs * sendMSS, 0)
        }
        return sendNext - sendUnacknowledged
    }

    private mutating func sendRetransmissions(now: Instant) {
        if retransmitFirstUnacknowledged {
            retransmitFirstUnacknowledged = false
            if let length = retransmit(from: sendUnacknowledged, maximum: sendMSS, now: now) {
                scoreboard.highestRetransmitted = later(scoreboard.highestRetransmitted ?? sendUnacknowledged,
                                                        sendUnacknowledged + length)
            }
        }
        guard sackEnabled, recoveryPoint != nil else { return }
        // RFC 6675 section 5, NextSeg rule 1: holes below the loss boundary, while the pipe allows
        // and at most retransmissionBurstLimit segments for this event. Each goes out a whole MSS
        // long from the start of its hole, SACKed octets after a short hole included (as Linux
        // resends whole segments): a peer reporting one-octet holes gets full segments, as many
        // as for real loss, never one per hole.
        let boundary = earlier(scoreboard.lossBoundary(mss: sendMSS, unacknowledged: sendUnacknowledged), sendNext)
        var burst = 0
        while burst < Self.retransmissionBurstLimit, congestion.window - inFlight >= sendMSS {
            let from = later(scoreboard.highestRetransmitted ?? sendUnacknowledged, sendUnacknowledged)
            guard let (start, _) = scoreboard.nextHole(from: from, limit: boundary, maximum: sendMSS) else { break }
            guard let sent = retransmit(from: start, maximum: sendMSS, now: now), sent > 0 else { break }
            scoreboard.highestRetransmitted = start + sent
            burst += 1
        }
    }

    /// Segments SACK recovery sends again for one event (an ACK or a timer) at most, whatever the
    /// congestion window allows: the ACKs those segments bring clock out the rest (RFC 6675
    /// section 5 sends per ACK what the pipe allows; the cap bounds the work a forged ACK buys).
    static let retransmissionBurstLimit = 16

    /// Sends again up to `maximum` octets from `start` (which must be below SND.NXT), with the FIN
    /// when they reach it. - Returns: the sequence space sent again (payload and FIN), or nil when
    /// there was nothing to send.
    @discardableResult
    private mutating func retransmit(from start: SequenceNumber, maximum: Int, now: Instant) -> Int? {
        guard start < sendNext else { return nil }
        let offset = start - sendUnacknowledged
        // SACK blocks this segment carries take room from its payload, as in new segments.
        let length = Swift.min(maximum, sendMSS - sackOptionLength, sendQueue.count - offset, sendNext - start)
        let withFIN = finSequence.map { start + Swift.max(length, 0) == $0 && $0 < sendNext } ?? false
        guard length > 0 || withFIN else { return nil }
        statistics.retransmissions += 1
        rttProbe = nil
        let payload = sendQueue.copy(offset: offset, length: Swift.max(length, 0), headroom: Self.headroom)
        emit(sequence: start, flags: withFIN ? [.ack, .fin] : .ack, payload: payload, now: now)
        return Swift.max(length, 0) + (withFIN ? 1 : 0)
    }

    /// Sends one segment of new data (and the FIN after the last), when allowed.
    /// - Returns: whether a segment went out.
    private mutating func sendNewSegment(now: Instant) -> Bool {
        let available = dataEnd - sendNext
        let finDue = finRequested && (finSequence.map { sendNext <= $0 } ?? true)
        guard available > 0 || finDue else { return false }
        let windowRoom = sendUnacknowledged + sendWindow - sendNext
        let congestionRoom = congestion.window - inFlight
        let piece = sendMSS - sackOptionLength
        let largest = offloadedSegmentLimit > piece ? offloadedSegmentLimit / piece * piece : piece
        var length = Swift.min(available, largest, windowRoom, congestionRoom)
        length = Swift.max(length, 0)
        if available > 0 {
            guard length > 0, mayTransmit(length: length, available: available) else { return false }
            if length > piece, length % piece != 0, !mayTransmitShortPiece(length: length, available: available) {
                length -= length % piece // the short last piece waits, as it would alone (Nagle)
            }
        } else if windowRoom < 0 {
            return false
        }
        let withFIN = finDue && length == available
        let payload = sendQueue.copy(offset: sendNext - sendUnacknowledged, length: length, headroom: Self.headroom)
        if rttProbe == nil, !timestampsEnabled, length > 0, sendNext == sendMaximum { rttProbe = (sendNext + length, now) }
        overrideSWS = false
        emit(sequence: sendNext, flags: withFIN ? [.ack, .fin, .psh] : (length == available ? [.ack, .psh] : .ack),
             payload: payload, pieceSize: length > piece ? piece : 0, now: now)
        sendNext += length
        if withFIN {
            finSequence = sendNext
            sendNext += 1
        }
        sendMaximum = later(sendMaximum, sendNext)
        return true
    }

    /// Nagle's algorithm (RFC 9293 section 3.7.4) and sender-side silly-window avoidance
    /// (section 3.8.6.2.1): full segments go; a short one only when it is all there is and nothing
    /// is unacknowledged (or no-delay is set, or a FIN follows), or when it fills half the largest
    /// window the peer ever offered.
    private func mayTransmit(length: Int, available: Int) -> Bool {
        if length >= sendMSS - sackOptionLength || overrideSWS { return true }
        if length == available, configuration.noDelay || finRequested || sendNext == sendUnacknowledged { return true }
        return maximumSendWindow > 0 && length >= maximumSendWindow / 2
    }

    /// Whether a segment for the device to cut (longer than one MSS) may end with a short piece:
    /// when that piece would go on its own, being the end of the data with no-delay, a FIN or
    /// nothing unacknowledged; else the segment stops at its last full piece.
    private func mayTransmitShortPiece(length: Int, available: Int) -> Bool {
        length == available && (configuration.noDelay || finRequested || sendNext == sendUnacknowledged)
    }

    /// The SYN or SYN-ACK with our options (RFC 9293 section 3.10.1; RFC 7323; RFC 2018).
    mutating func sendSYN(acknowledging: Bool, now: Instant) {
        var header = TCPHeader(sourcePort: localPort, destinationPort: remotePort,
                               sequenceNumber: initialSendSequence.rawValue,
                               acknowledgmentNumber: acknowledging ? receiveNext.rawValue : 0,
                               flags: acknowledging ? [.syn, .ack] : .syn,
                               window: UInt16(Swift.min(configuration.receiveBufferSize, 65535)))
        header.options.maximumSegmentSize = UInt16(Swift.min(announcedMSS, 65535))
        if acknowledging ? windowScalingEnabled : configuration.offersWindowScale {
            header.options.windowScale = receiveScale
        }
        if configuration.offersSACK && (!acknowledging || sackEnabled) { header.options.sackPermitted = true }
        if configuration.offersTimestamps && (!acknowledging || timestampsEnabled) {
            header.options.timestamps = TCPTimestamps(value: timestampValue(now: now),
                                                      echoReply: acknowledging ? timestampRecent : 0)
        }
        if consecutiveTimeouts == 0 { rttProbe = (initialSendSequence + 1, now) } else { rttProbe = nil }
        sendNext = initialSendSequence + 1
        sendMaximum = later(sendMaximum, sendNext)
        if acknowledging { lastAcknowledgmentSent = receiveNext }
        statistics.segmentsSent += 1
        outbox.append(TCPSegment(header: header))
        retransmissionDeadline = rto.deadline(from: now)
    }

    /// A reset with sequence number `sequence` (RFC 9293 section 3.10.7.1 and 3.10.5).
    mutating func emitReset(sequence: SequenceNumber) {
        let header = TCPHeader(sourcePort: localPort, destinationPort: remotePort, sequenceNumber: sequence.rawValue,
                               acknowledgmentNumber: 0, flags: .rst, window: 0)
        statistics.segmentsSent += 1
        outbox.append(TCPSegment(header: header))
    }

    /// Room for Ethernet, IPv4 and TCP headers in front of every segment we make.
    static let headroom = 14 + 4 + 20 + 60

    /// Queues a segment carrying an ACK of RCV.NXT, our window, timestamps and SACK blocks.
    mutating func emit(sequence: SequenceNumber, flags: TCPFlags, payload: PacketBuffer, pieceSize: Int = 0, now: Instant) {
        let window = receiveWindowToAdvertise()
        advertisedEdge = later(advertisedEdge, receiveNext + window)
        var header = TCPHeader(sourcePort: localPort, destinationPort: remotePort, sequenceNumber: sequence.rawValue,
                               acknowledgmentNumber: receiveNext.rawValue, flags: flags,
                               window: UInt16(Swift.min(window >> Int(receiveScale), 65535)))
        if timestampsEnabled {
            header.options.timestamps = TCPTimestamps(value: timestampValue(now: now), echoReply: timestampRecent)
        }
        if sackEnabled, !receiveQueue.outOfOrder.isEmpty {
            let limit = timestampsEnabled ? 3 : 4
            header.options.sackBlocks = SACKBlocks(receiveQueue.sackBlocks(limit: limit).map {
                SACKBlock(left: $0.0.rawValue, right: $0.1.rawValue)
            })
        }
        lastAcknowledgmentSent = receiveNext
        ackNow = false
        segmentsSinceACK = 0
        delayedACKDeadline = nil
        statistics.segmentsSent += 1
        outbox.append(TCPSegment(header: header, payload: payload, pieceSize: pieceSize))
    }

    /// Option octets SACK blocks would take in the next segment (they shrink its payload).
    var sackOptionLength: Int {
        guard sackEnabled, !receiveQueue.outOfOrder.isEmpty else { return 0 }
        let blocks = Swift.min(receiveQueue.sackBlocks(limit: 4).count, timestampsEnabled ? 3 : 4)
        return (2 + 8 * blocks + 3) & ~3
    }

    /// The receive window to advertise, never moving the right edge left and moving it right only
    /// by at least min(buffer/2, MSS) (receiver silly-window avoidance, RFC 9293 section 3.8.6.2.2).
    func receiveWindowToAdvertise(initial: Bool = false) -> Int {
        let free = receiveSpace
        let maximum = 65535 << Int(receiveScale)
        let candidate = (Swift.min(free, maximum) >> Int(receiveScale)) << Int(receiveScale)
        if initial { return Swift.min(candidate, 65535) }
        let promised = Swift.max(advertisedEdge - receiveNext, 0)
        let step = Swift.min(configuration.receiveBufferSize / 2, announcedMSS)
        return candidate - promised >= step ? candidate : promised
    }

    /// Octets the connection can still take: what the receive buffer has free, and no more than
    /// half the memory left under ``TCPConfiguration/receiveMemoryLimit`` (what is kept costs at
    /// most about twice its payload: ``ReceiveQueue``), so the window follows memory, not payload.
    var receiveSpace: Int {
        let buffer = configuration.receiveBufferSize - receiveQueue.readableCount
        let memory = (receiveMemoryLimit - receiveQueue.chargedBytes - ReceiveQueue.largestCharge) / 2
        return Swift.max(Swift.min(buffer, memory), 0)
    }

    /// TSval: milliseconds on the monotonic clock plus the connection's offset (RFC 7323 section
    /// 5.4 asks for a clock between 1 ms and 1 s per tick).
    func timestampValue(now: Instant) -> UInt32 {
        UInt32(truncatingIfNeeded: now.nanoseconds / 1_000_000) &+ timestampOffset
    }
}
