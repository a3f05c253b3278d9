import MirageCore

extension TCPConnection {
    /// The fifth step of RFC 9293 section 3.10.7.4: checks the ACK (RFC 5961 section 5.2), frees
    /// acknowledged data, samples the RTT, grows or cuts the congestion window, detects loss from
    /// duplicate ACKs and SACK (RFC 5681, RFC 6582, RFC 6675), and updates the send window.
    /// - Returns: false when the segment must be dropped here.
    mutating func takeAcknowledgment(_ segment: TCPSegment, now: Instant) -> Bool {
        let header = segment.header
        let ack = segment.acknowledgmentNumber
        if ack > sendMaximum {
            ackNow = true // acknowledges something not yet sent
            return false
        }
        if ack < sendUnacknowledged - Swift.max(maximumSendWindow, 1) {
            sendChallengeACK()
            return false
        }
        if sackEnabled, !header.options.sackBlocks.isEmpty {
            let blocks = header.options.sackBlocks.map { (SequenceNumber($0.left), SequenceNumber($0.right)) }
            scoreboard.add(blocks, unacknowledged: sendUnacknowledged, next: sendMaximum)
            statistics.sackBlocksIgnored = scoreboard.blocksIgnored
            statistics.sackRangesForgotten = scoreboard.rangesForgotten
        }
        let windowUnchanged = Int(header.window) << Int(sendScale) == sendWindow
        if sendUnacknowledged < ack {
            takeNewAcknowledgment(ack, segment: segment, now: now)
        } else if ack == sendUnacknowledged, segment.payload.isEmpty, !header.flags.contains(.fin),
                  windowUnchanged, sendMaximum != sendUnacknowledged {
            takeDuplicateACK()
        }
        if sendWindowUpdateSequence < segment.sequenceNumber
            || (sendWindowUpdateSequence == segment.sequenceNumber && sendWindowUpdateAcknowledgment <= ack) {
            updateSendWindow(header)
            sendWindowUpdateSequence = segment.sequenceNumber
            sendWindowUpdateAcknowledgment = ack
        }
        return true
    }

    mutating func updateSendWindow(_ header: TCPHeader) {
        sendWindow = Int(header.window) << Int(sendScale)
        maximumSendWindow = Swift.max(maximumSendWindow, sendWindow)
        if sendWindow > 0 {
            persistDeadline = nil
            persistBackoffs = 0
            zeroWindowSince = nil
        }
    }

    private mutating func takeNewAcknowledgment(_ ack: SequenceNumber, segment: TCPSegment, now: Instant) {
        if sendUnacknowledged == initialSendSequence { sendUnacknowledged += 1 } // our SYN
        let dataEnd = sendUnacknowledged + sendQueue.count
        let acknowledgedData = Swift.max(earlier(ack, dataEnd) - sendUnacknowledged, 0)
        sendQueue.removeFirst(acknowledgedData)
        let acknowledged = ack - sendUnacknowledged
        sendUnacknowledged = ack
        if sendNext < ack { sendNext = ack }
        scoreboard.acknowledge(upTo: ack)
        sampleRTT(ack: ack, segment: segment, now: now)
        rto.resetBackoff()
        consecutiveTimeouts = 0

        if let recover = recoveryPoint {
            if ack >= recover {
                // Full acknowledgment: recovery is over (RFC 6582 section 3.2 step 3).
                recoveryPoint = nil
                scoreboard.highestRetransmitted = nil
                congestion.onRecoveryEnd(flight: sendMaximum - sendUnacknowledged)
            } else if !sackEnabled {
                // Partial acknowledgment: the next hole is lost too (RFC 6582 section 3.2 step 4).
                retransmitFirstUnacknowledged = true
            }
        } else {
            congestion.onAcknowledgment(acknowledged, now: now, smoothedRTT: rto.smoothedRTT)
        }
        duplicateACKs = 0
        retransmissionDeadline = sendUnacknowledged == sendMaximum ? nil : rto.deadline(from: now)

        if let fin = finSequence, ack > fin {
            switch state {
            case .finWait1:
                state = .finWait2
                if applicationClosed { closeDeadline = now + configuration.maximumSegmentLifetime * 2 }
            case .closing: enterTimeWait(now: now)
            case .lastAck: enterClosed(error: nil)
            default: break
            }
        }
        if sackEnabled, recoveryPoint == nil, lossDetectedBySACK { enterRecovery() }
    }

    /// RTT measurement: from the echoed timestamp when timestamps are on (RFC 7323 section 4.1),
    /// else from the timed segment, never a retransmitted one (Karn's algorithm, RFC 6298 section 3).
    private mutating func sampleRTT(ack: SequenceNumber, segment: TCPSegment, now: Instant) {
        if timestampsEnabled, let echo = segment.header.options.timestamps?.echoReply, echo != 0 {
            let elapsed = timestampValue(now: now) &- echo
            if elapsed < 1 << 31 { rto.sample(nanoseconds: Int64(elapsed) * 1_000_000) }
            return
        }
        if let probe = rttProbe, probe.sequence <= ack {
            rto.sample(sent: probe.sent, now: now)
            rttProbe = nil
        }
    }

    /// RFC 5681 section 3.2: the third duplicate ACK starts fast retransmit; with SACK, enough
    /// SACKed data above SND.UNA does too (RFC 6675 section 5).
    private mutating func takeDuplicateACK() {
        duplicateACKs += 1
        guard recoveryPoint == nil else { return }
        if duplicateACKs >= 3 || (sackEnabled && lossDetectedBySACK) { enterRecovery() }
    }

    private var lossDetectedBySACK: Bool {
        !scoreboard.isEmpty && scoreboard.lossBoundary(mss: sendMSS, unacknowledged: sendUnacknowledged) > sendUnacknowledged
    }

    private mutating func enterRecovery() {
        // RFC 6582 section 3.2 step 1: no new recovery for losses from before the last one.
        recoveryPoint = sendMaximum
        statistics.fastRetransmits += 1
        congestion.onFastRetransmit(flight: sendMaximum - sendUnacknowledged)
        scoreboard.highestRetransmitted = nil
        retransmitFirstUnacknowledged = true
        rttProbe = nil
    }
}
