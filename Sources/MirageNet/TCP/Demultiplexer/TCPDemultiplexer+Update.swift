import MirageCore
import MirageRuntime

extension TCPDemultiplexer {
    /// Applies `change` to connection `id` in place, moves the segments it made to the end of
    /// `segments`, and moves the connection between listener, application and nobody as its state
    /// demands: a listener's connection that completes its handshake joins the accept queue (or,
    /// with the queue full, is reset: its reset follows in `segments`), and a closed connection
    /// that no application holds is forgotten.
    ///
    /// No copy of the connection, or of the segments it queued, stays behind, so each segment's
    /// buffer leaves unshared and the lower layers' headers go into its headroom.
    /// - Parameters:
    ///   - slot: where `id` is in the table (``slot(of:)``).
    ///   - holding: whether the connection is to hold the ACKs it owes
    ///     (``TCPConnection/holdsAcknowledgment``).
    /// - Returns: whether it holds an ACK, where it went, and the tasks waiting for it to change.
    mutating func update(_ id: ConnectionID, at slot: Slot,
                         holdingAcknowledgment holding: Bool, now: Instant, segments: inout [TCPSegment],
                         _ change: (inout TCPConnection) -> Void) -> Update {
        let (ownCharged, before) = slots.modify(slot) { entry in
            (entry.tcp.receiveMemoryCharged, ConnectionCensus.category(state: entry.tcp.state, owner: entry.owner))
        }
        let othersCharged = receiveMemoryCharged - ownCharged
        let allowance = Swift.max(receiveMemoryLimit - othersCharged, configuration.receiveMemoryGuaranteed)
        let (wasSynchronized, owesAcknowledgment, owner, state, isSynchronized, charged, waiters) = slots.modify(slot) { entry in
            let wasSynchronized = entry.tcp.isSynchronized
            entry.tcp.holdsAcknowledgment = holding
            entry.tcp.receiveMemoryAllowance = allowance
            change(&entry.tcp)
            let owesAcknowledgment = entry.tcp.ackNow
            entry.tcp.moveSegments(into: &segments)
            let waiters = entry.waiters.flatMap { $0.isEmpty ? nil : $0 }
            return (wasSynchronized, owesAcknowledgment, entry.owner, entry.tcp.state, entry.tcp.isSynchronized,
                    entry.tcp.receiveMemoryCharged, waiters)
        }
        receiveMemoryCharged = othersCharged + charged
        let after = ConnectionCensus.category(state: state, owner: owner)
        if after != before {
            census.count(before, -1)
            census.count(after, 1)
        }
        if after == .timeWait, before != .timeWait, census.timeWait > limits.timeWait {
            // Past the TIME-WAIT cap: forgotten at once rather than kept waiting.
            remove(at: slot)
            return Update(owesAcknowledgment: owesAcknowledgment, outcome: .timeWaitDropped, waiters: waiters)
        }
        reschedule(at: slot)
        var outcome = Outcome.kept
        if case let .listener(port) = owner {
            if state == .closed {
                remove(at: slot)
                if !wasSynchronized { listeners[port]?.halfOpen -= 1 }
                outcome = .forgotten
            } else if isSynchronized, !wasSynchronized {
                listeners[port]?.halfOpen -= 1
                if let listener = listeners.index(forKey: port), listeners.values[listener].acceptQueue.count < listenBacklog {
                    listeners.values[listener].acceptQueue.append(id)
                    slots[slot]!.owner = .application
                    outcome = .queuedForAccept(port: port)
                } else {
                    abortAndRemove(at: slot, now: now, segments: &segments)
                    outcome = .listenOverflow
                }
            }
        } else if owner == .orphan, state == .closed {
            remove(at: slot)
            outcome = .forgotten
        }
        return Update(owesAcknowledgment: owesAcknowledgment, outcome: outcome, waiters: waiters)
    }

    /// Has connection `id` stop holding ACKs and send the one it still owes, if any, moving the
    /// segment to the end of `segments`.
    mutating func releaseHeldAcknowledgment(of id: ConnectionID, now: Instant, segments: inout [TCPSegment]) {
        guard let slot = slotsByID[id] else { return }
        slots.modify(slot) { entry in
            entry.tcp.holdsAcknowledgment = false
            guard entry.tcp.ackNow else { return }
            entry.tcp.sendPending(now: now)
            entry.tcp.moveSegments(into: &segments)
        }
        reschedule(at: slot)
    }

    /// Moves the segments connection `id` queued to the end of `segments`.
    mutating func moveSegments(of id: ConnectionID, into segments: inout [TCPSegment]) {
        guard let slot = slotsByID[id] else { return }
        slots.modify(slot) { $0.tcp.moveSegments(into: &segments) }
    }

    /// Resets connection `id` (RFC 9293 section 3.10.5), moves its reset to the end of
    /// `segments`, and forgets it.
    mutating func abortAndForget(_ id: ConnectionID, now: Instant, segments: inout [TCPSegment]) {
        guard let slot = slotsByID[id] else { return }
        abortAndRemove(at: slot, now: now, segments: &segments)
    }

    /// Forgets the connection in `slot`, and the receive memory it was charged.
    mutating func remove(at slot: Slot) {
        receiveMemoryCharged -= slots.modify(slot) { entry in
            census.count(entry, -1)
            return entry.tcp.receiveMemoryCharged
        }
        free(slot)
    }

    /// Resets the connection in `slot`, moves its reset to the end of `segments`, and forgets
    /// it with the receive memory it was charged.
    private mutating func abortAndRemove(at slot: Slot, now: Instant,
                                         segments: inout [TCPSegment]) {
        receiveMemoryCharged -= slots.modify(slot) { entry in
            census.count(entry, -1)
            let charged = entry.tcp.receiveMemoryCharged
            entry.tcp.abort(now: now)
            entry.tcp.moveSegments(into: &segments)
            return charged
        }
        free(slot)
    }
}
