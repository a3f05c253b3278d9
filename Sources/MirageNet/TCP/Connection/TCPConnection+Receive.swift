import MirageCore

extension TCPConnection {
    /// Takes a segment for this connection (RFC 9293 section 3.10.7) and sends what it calls for.
    public mutating func receive(_ segment: TCPSegment, now: Instant) {
        statistics.segmentsReceived += 1
        switch state {
        case .closed: return
        case .synSent: receiveInSYNSent(segment, now: now)
        default: receiveSynchronized(segment, now: now)
        }
        if state != .closed {
            if configuration.keepAliveIdle != nil { keepAliveProbesSent = 0 }
            sendPending(now: now)
        }
    }

    // MARK: SYN-SENT (RFC 9293 section 3.10.7.3)

    private mutating func receiveInSYNSent(_ segment: TCPSegment, now: Instant) {
        let header = segment.header
        let ack = segment.acknowledgmentNumber
        if header.flags.contains(.ack), ack <= initialSendSequence || ack > sendMaximum {
            if !header.flags.contains(.rst) { emitReset(sequence: ack) }
            return
        }
        if header.flags.contains(.rst) {
            if header.flags.contains(.ack) { enterClosed(error: .refused) }
            return
        }
        guard header.flags.contains(.syn) else { return }
        takeSYN(segment, now: now)
        if header.flags.contains(.ack) {
            sendUnacknowledged = ack
            if consecutiveTimeouts == 0, let probe = rttProbe { rto.sample(sent: probe.sent, now: now) }
            if consecutiveTimeouts > 0 { rto.restartAfterSYNTimeout() }
            rttProbe = nil
            consecutiveTimeouts = 0
            retransmissionDeadline = nil
            // RFC 7323 section 2.2: the window in a SYN is never scaled.
            sendWindow = Int(header.window)
            maximumSendWindow = sendWindow
            sendWindowUpdateSequence = segment.sequenceNumber
            sendWindowUpdateAcknowledgment = ack
            state = .established
            ackNow = true
            if !segment.payload.isEmpty { takeData(segment.payload, at: segment.sequenceNumber + 1, now: now) }
        } else {
            // Simultaneous open (RFC 9293 figure 8): answer with a SYN-ACK.
            state = .synReceived
            sendSYN(acknowledging: true, now: now)
        }
    }

    /// Records the peer's SYN: IRS, RCV.NXT and the options (RFC 9293 section 3.7.1, RFC 7323
    /// section 2.2, RFC 2018 section 2).
    mutating func takeSYN(_ syn: TCPSegment, now: Instant) {
        timestampRecentSet = now
        initialReceiveSequence = syn.sequenceNumber
        receiveNext = syn.sequenceNumber + 1
        let options = syn.header.options
        negotiate(peerMSS: options.maximumSegmentSize.map(Int.init) ?? configuration.defaultMSS,
                  peerScale: options.windowScale, peerSACK: options.sackPermitted,
                  peerTimestamps: options.timestamps)
        if state == .synReceived {
            sendWindow = Int(syn.header.window)
            maximumSendWindow = sendWindow
            sendWindowUpdateSequence = syn.sequenceNumber
        }
        advertisedEdge = receiveNext + receiveWindowToAdvertise(initial: true)
    }

    /// Settles the options both sides offered.
    mutating func negotiate(peerMSS: Int, peerScale: UInt8?, peerSACK: Bool, peerTimestamps: TCPTimestamps?) {
        if configuration.offersWindowScale, let peerScale {
            sendScale = Swift.min(peerScale, 14)
            windowScalingEnabled = true
        } else {
            sendScale = 0
            receiveScale = 0
        }
        sackEnabled = configuration.offersSACK && peerSACK
        if configuration.offersTimestamps, let peerTimestamps {
            timestampsEnabled = true
            timestampRecent = peerTimestamps.value
        }
        // RFC 9293 section 3.7.1: the effective MSS leaves room for the options every segment carries.
        let optionLength = timestampsEnabled ? 12 : 0
        sendMSS = Swift.max(Swift.min(peerMSS, announcedMSS) - optionLength, 64)
        congestion = CongestionControl(algorithm: configuration.congestionAlgorithm, mss: sendMSS)
    }

    // MARK: Synchronized states (RFC 9293 section 3.10.7.4)

    private mutating func receiveSynchronized(_ segment: TCPSegment, now: Instant) {
        let header = segment.header
        let flags = header.flags
        if rejectedByPAWS(segment, now: now) {
            statistics.pawsRejected += 1
            if !flags.contains(.rst) { ackNow = true }
            return
        }
        if state == .synReceived, flags.contains(.syn), flags.contains(.ack),
           segment.sequenceNumber == initialReceiveSequence, segment.acknowledgmentNumber == sendNext {
            // Simultaneous open (RFC 9293 figure 8, line 6): the peer's SYN-ACK. Its SYN we took
            // already; its ACK of ours completes the handshake, with no segment more. A SYN's
            // window is never scaled (RFC 7323 section 2.2): it is taken in scaled units.
            var header = segment.header
            header.flags.remove(.syn)
            header.sequenceNumber = (segment.sequenceNumber + 1).rawValue
            header.window = UInt16(Int(header.window) >> Int(sendScale))
            receiveSynchronized(TCPSegment(header: header, payload: segment.payload), now: now)
            return
        }
        if state == .synReceived, flags.contains(.syn), !flags.contains(.ack),
           segment.sequenceNumber == initialReceiveSequence {
            // Our SYN-ACK was lost: send it again.
            sendSYN(acknowledging: true, now: now)
            return
        }
        guard isAcceptable(segment) else {
            // RFC 9293 section 3.10.7.4: with a zero window no segment is acceptable, "but special
            // allowance should be made to accept valid ACKs" (a zero-window probe carries one).
            if advertisedEdge - receiveNext <= 0, segment.sequenceNumber == receiveNext,
               flags.contains(.ack), !flags.contains(.rst), !flags.contains(.syn), state != .synReceived {
                _ = takeAcknowledgment(segment, now: now)
            }
            if !flags.contains(.rst) {
                ackNow = true
                if state == .timeWait, flags.contains(.fin) {
                    closeDeadline = now + configuration.maximumSegmentLifetime * 2
                }
            }
            return
        }
        if flags.contains(.rst) {
            receiveReset(segment)
            return
        }
        if flags.contains(.syn) {
            // RFC 5961 section 4: a SYN in a synchronized state gets a challenge ACK.
            sendChallengeACK()
            return
        }
        guard flags.contains(.ack) else { return }
        if state == .synReceived {
            let ack = segment.acknowledgmentNumber
            guard sendUnacknowledged < ack, ack <= sendMaximum else {
                emitReset(sequence: ack)
                return
            }
            state = .established
            if consecutiveTimeouts > 0 { rto.restartAfterSYNTimeout() }
            sendWindow = Int(header.window) << Int(sendScale)
            maximumSendWindow = Swift.max(maximumSendWindow, sendWindow)
            sendWindowUpdateSequence = segment.sequenceNumber
            sendWindowUpdateAcknowledgment = ack
        }
        guard takeAcknowledgment(segment, now: now) else { return }
        updateTimestampRecent(segment, now: now)
        if state == .closed || state == .timeWait { return }

        var payloadEnd = segment.sequenceNumber + segment.payload.count
        if !segment.payload.isEmpty {
            if applicationClosed {
                // Nobody will read this (RFC 9293 section 3.10.7.4 on closed receivers; Linux too).
                abort(now: now)
                return
            }
            switch state {
            case .established, .finWait1, .finWait2:
                payloadEnd = takeData(segment.payload, at: segment.sequenceNumber, now: now)
            default:
                break
            }
        }
        if flags.contains(.fin), payloadEnd == segment.sequenceNumber + segment.payload.count {
            if payloadEnd == receiveNext {
                takeFIN(now: now)
            } else if receiveNext < payloadEnd {
                pendingFINSequence = payloadEnd
                ackNow = true
            }
        }
    }

    /// PAWS (RFC 7323 section 5.3): a segment whose TSval is older than TS.Recent is a duplicate
    /// from an earlier wrap of the sequence space.
    private func rejectedByPAWS(_ segment: TCPSegment, now: Instant) -> Bool {
        guard timestampsEnabled, !segment.flags.contains(.rst),
              let timestamps = segment.header.options.timestamps, !timestampRecentExpired(now: now) else { return false }
        return Int32(bitPattern: timestamps.value &- timestampRecent) < 0
    }

    /// Whether TS.Recent is older than 24 days, so says nothing about a segment's age: PAWS then
    /// lets the segment by and takes its timestamp (RFC 7323 section 5.5).
    private func timestampRecentExpired(now: Instant) -> Bool {
        timestampRecentSet.map { now - $0 > Self.timestampRecentLifetime } ?? false
    }

    /// The acceptability test of RFC 9293 section 3.10.7.4, first step, against the window we last
    /// advertised.
    private func isAcceptable(_ segment: TCPSegment) -> Bool {
        let window = Swift.max(advertisedEdge - receiveNext, 0)
        let start = segment.sequenceNumber
        let length = segment.sequenceLength
        if length == 0 {
            return window == 0 ? start == receiveNext : start.isWithin(receiveNext, receiveNext + window)
        }
        guard window > 0 else { return false }
        return start.isWithin(receiveNext, receiveNext + window)
            || (start + (length - 1)).isWithin(receiveNext, receiveNext + window)
    }

    /// RST handling with RFC 5961 section 3.2's check: only an exact match resets.
    private mutating func receiveReset(_ segment: TCPSegment) {
        guard segment.sequenceNumber == receiveNext else {
            sendChallengeACK()
            return
        }
        switch state {
        case .synReceived, .closing, .lastAck, .timeWait: enterClosed(error: state == .synReceived ? .reset : nil)
        default: enterClosed(error: .reset)
        }
        receiveQueue.removeAll()
    }

    mutating func sendChallengeACK() {
        statistics.challengeACKs += 1
        ackNow = true
    }

    /// Timestamps (RFC 7323 section 4.3): TS.Recent follows the segment that covers Last.ACK.sent.
    private mutating func updateTimestampRecent(_ segment: TCPSegment, now: Instant) {
        guard timestampsEnabled, let timestamps = segment.header.options.timestamps else { return }
        if segment.sequenceNumber <= lastAcknowledgmentSent,
           Int32(bitPattern: timestamps.value &- timestampRecent) >= 0 || timestampRecentExpired(now: now) {
            timestampRecent = timestamps.value
            timestampRecentSet = now
        }
    }

    // MARK: Data and FIN

    /// Takes payload octets starting at `start` (already checked acceptable): trims them to the
    /// advertised window, queues them, and schedules the acknowledgment (RFC 9293 section
    /// 3.10.7.4, seventh step; RFC 5681 section 4.2 for when to acknowledge at once).
    /// - Returns: where the kept octets end (before the payload's end when the window cut it).
    @discardableResult
    mutating func takeData(_ data: consuming PacketBuffer, at start: SequenceNumber, now: Instant) -> SequenceNumber {
        let room = advertisedEdge - start
        if room < data.count { data = data.slice(0..<Swift.max(room, 0)) }
        let end = start + data.count
        guard !data.isEmpty else { return end }
        guard makeRoom(for: data, inOrder: start <= receiveNext) else {
            statistics.receiveMemoryDrops += 1
            ackNow = true // tells the peer the window, and where to resume
            return start
        }
        let hadGap = !receiveQueue.outOfOrder.isEmpty
        let advanced = receiveQueue.insert(data, at: start, next: receiveNext)
        if advanced == 0 {
            if end > receiveNext { statistics.outOfOrderSegments += 1 }
            ackNow = true // out of order or duplicate: a duplicate ACK at once, with SACK
            return end
        }
        receiveNext += advanced
        if hadGap {
            ackNow = true // a gap is filling
        } else {
            // A segment the peer's device coalesced counts as the full-sized ones it was made of.
            segmentsSinceACK += Swift.max(1, advanced / Swift.max(sendMSS, 1))
            if segmentsSinceACK >= 2 {
                ackNow = true
            } else if delayedACKDeadline == nil {
                delayedACKDeadline = now + configuration.delayedACKTimeout
            }
        }
        if let fin = pendingFINSequence, fin == receiveNext {
            pendingFINSequence = nil
            takeFIN(now: now)
        }
        return end
    }

    /// Whether `data` may be kept under ``TCPConfiguration/receiveMemoryLimit``, charged at the
    /// most it can cost (its buffer's real size, or a new gathering buffer). In-order data first
    /// drops the out-of-order runs to make room, as Linux prunes its out-of-order queue: the peer
    /// still has them.
    private mutating func makeRoom(for data: PacketBuffer, inOrder: Bool) -> Bool {
        let limit = receiveMemoryLimit
        let cost = ReceiveQueue.worstCharge(of: data)
        if receiveQueue.chargedBytes + cost <= limit { return true }
        guard inOrder, receiveQueue.dropOutOfOrder() else { return false }
        return receiveQueue.chargedBytes + cost <= limit
    }

    /// The peer's FIN, in order (RFC 9293 section 3.10.7.4, eighth step).
    private mutating func takeFIN(now: Instant) {
        guard !finReceived else { return }
        finReceived = true
        receiveNext += 1
        ackNow = true
        switch state {
        case .synReceived, .established: state = .closeWait
        case .finWait1: state = .closing
        case .finWait2: enterTimeWait(now: now)
        default: break
        }
    }
}
