import MirageCore

extension TCPConnection {
    /// Runs the timers that have expired by `now`: retransmission (RFC 6298 section 5), persist
    /// (RFC 9293 section 3.8.6.1), delayed ACK, keepalive (section 3.8.4), TIME-WAIT and the
    /// orphaned FIN-WAIT-2 limit.
    public mutating func handleTimers(now: Instant) {
        if let deadline = closeDeadline, deadline <= now {
            switch state {
            case .finWait1, .closing, .lastAck:
                // An orphan that could not finish in time (TCPConfiguration.orphanTimeout).
                statistics.orphansExpired += 1
                abort(now: now)
                error = .timedOut
            default:
                enterClosed(error: nil)
            }
            return
        }
        if let deadline = retransmissionDeadline, deadline <= now {
            retransmissionDeadline = nil
            retransmissionTimeout(now: now)
            if state == .closed { return }
        }
        if let deadline = persistDeadline, deadline <= now {
            persistDeadline = nil
            persistBackoffs += 1
            if let since = zeroWindowSince, now - since >= configuration.zeroWindowTimeout {
                statistics.zeroWindowTimeouts += 1
                abort(now: now)
                error = .timedOut
                return
            }
            if sendUnacknowledged + sendWindow - sendNext > 0 {
                overrideSWS = true // a window too small to fill: send into it anyway
            } else {
                sendProbe(now: now) // elicits an ACK carrying the current window
            }
        }
        if let deadline = keepAliveDeadline, deadline <= now {
            keepAliveDeadline = nil
            if keepAliveProbesSent >= configuration.keepAliveProbes {
                abort(now: now)
                error = .timedOut
                return
            }
            keepAliveProbesSent += 1
            sendProbe(now: now)
        }
        if let deadline = delayedACKDeadline, deadline <= now {
            delayedACKDeadline = nil
            ackNow = true
        }
        sendPending(now: now)
    }

    /// RFC 6298 section 5.4 to 5.7 and RFC 5681 section 3.1: back off, collapse the window to one
    /// segment and resend from SND.UNA; give up after too many timeouts in a row.
    private mutating func retransmissionTimeout(now: Instant) {
        consecutiveTimeouts += 1
        statistics.timeouts += 1
        rto.backOff()
        switch state {
        case .synSent, .synReceived:
            if consecutiveTimeouts > configuration.maximumSYNRetransmissions {
                enterClosed(error: .timedOut)
                return
            }
            statistics.retransmissions += 1
            sendSYN(acknowledging: state == .synReceived, now: now)
        default:
            if consecutiveTimeouts > configuration.maximumRetransmissions {
                abort(now: now)
                error = .timedOut
                return
            }
            if consecutiveTimeouts == 1 {
                congestion.onTimeout(flight: sendMaximum - sendUnacknowledged)
            } else {
                congestion.onTimeout(flight: 2 * congestion.slowStartThreshold)
            }
            recoveryPoint = nil
            retransmitFirstUnacknowledged = false
            duplicateACKs = 0
            scoreboard.removeAll()
            rttProbe = nil
            statistics.retransmissions += 1
            sendNext = sendUnacknowledged // go back N: resend from the first unacknowledged octet
        }
    }

    /// A segment below SND.UNA with no data: the peer answers with an ACK showing its window (the
    /// zero-window probe and the keepalive of Linux, which RFC 9293 section 3.8.4 allows).
    private mutating func sendProbe(now: Instant) {
        emit(sequence: sendUnacknowledged - 1, flags: .ack, payload: PacketBuffer(capacity: 0), now: now)
    }

    /// Sets or clears the retransmission, persist and keepalive timers after sending.
    mutating func armTimers(now: Instant) {
        switch state {
        case .closed, .timeWait, .synSent, .synReceived:
            return
        default:
            break
        }
        let outstanding = sendMaximum != sendUnacknowledged && sendNext != sendUnacknowledged
        if outstanding {
            if retransmissionDeadline == nil { retransmissionDeadline = rto.deadline(from: now) }
            persistDeadline = nil
        } else {
            retransmissionDeadline = nil
            let waiting = dataEnd - sendNext > 0 || (finRequested && finSequence == nil)
            // Nothing in flight and data waiting: either the window is closed (persist probes) or it
            // is too small to send into without silly windows (the override timer); both need a
            // timer, or nothing would ever happen unless the peer spoke.
            if waiting {
                if sendUnacknowledged + sendWindow - sendNext <= 0 {
                    if zeroWindowSince == nil { zeroWindowSince = now }
                } else {
                    zeroWindowSince = nil
                }
                if persistDeadline == nil {
                    persistDeadline = now + persistInterval
                    // The zero window's time limit falls on a probe, however far backed off.
                    if let since = zeroWindowSince {
                        persistDeadline = Swift.min(persistDeadline!, since + configuration.zeroWindowTimeout)
                    }
                }
            } else {
                persistDeadline = nil
                zeroWindowSince = nil
            }
        }
        if let idle = configuration.keepAliveIdle, state == .established || state == .closeWait {
            if keepAliveDeadline == nil || keepAliveProbesSent == 0 {
                keepAliveDeadline = now + (keepAliveProbesSent == 0 ? idle : configuration.keepAliveInterval)
            }
        }
    }

    private var persistInterval: Duration {
        var interval = rto.current
        for _ in 0..<persistBackoffs where interval < configuration.maximumRTO { interval = interval * 2 }
        return Swift.min(interval, configuration.maximumRTO)
    }
}

extension TCPConnection {
    /// The path MTU towards the peer shrank (RFC 1191 section 6.4): smaller segments from now on,
    /// and what was in flight is sent again at the new size, without a congestion response.
    /// Whether `sequence` numbers data this side sent and the peer has not acknowledged
    /// (SND.UNA <= sequence < SND.MAX): an ICMP error quoting it can be about this connection
    /// (RFC 5927 section 4.1).
    public func hasInFlight(_ sequence: SequenceNumber) -> Bool {
        sequence.isWithin(sendUnacknowledged, sendMaximum)
    }

    public mutating func reducePathMTU(_ mtu: Int, now: Instant) {
        let optionLength = timestampsEnabled ? 12 : 0
        let newMSS = Swift.max(mtu - 40 - optionLength, 64)
        guard newMSS < sendMSS else { return }
        sendMSS = newMSS
        congestion.setMSS(newMSS)
        guard isSynchronized, sendNext != sendUnacknowledged else { return }
        rttProbe = nil
        sendNext = sendUnacknowledged
        sendPending(now: now)
    }
}
