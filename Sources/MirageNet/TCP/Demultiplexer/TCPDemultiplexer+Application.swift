import MirageCore

extension TCPDemultiplexer {
    /// Starts listening on `port`.
    /// - Throws: ``FlowError/addressInUse(port:)`` when something listens there already.
    mutating func listen(port: UInt16) throws(FlowError) {
        guard listeners[port] == nil else { throw .addressInUse(port: port) }
        listeners[port] = TCPListenQueue()
    }

    /// Stops listening on `port`.
    /// - Returns: the connections the listener held, established or half-open, for the stack to
    ///   reset (``abortAndForget(_:now:segments:)``); nil when nothing listened there.
    mutating func closeListener(port: UInt16) -> [ConnectionID]? {
        guard let listener = listeners.removeValue(forKey: port) else { return nil }
        return listener.acceptQueue + slots.compactMap { $0?.owner == .listener(port) ? $0?.id : nil }
    }

    func isListening(port: UInt16) -> Bool { listeners[port] != nil }

    /// Takes the oldest established connection waiting on `port`, now the application's.
    mutating func accept(port: UInt16) -> ConnectionID? {
        guard let listener = listeners.index(forKey: port) else { return nil }
        return listeners.modifyValue(at: listener) { queue in
            queue.acceptQueue.isEmpty ? nil : queue.acceptQueue.removeFirst()
        }
    }

    /// Whether a new connection may take `id`: no connection has it, and no listener has its
    /// local port.
    func isFree(_ id: ConnectionID) -> Bool {
        slotsByID[id] == nil && listeners[id.localPort] == nil
    }

    /// Opens connection `id` (RFC 9293 section 3.5, active open): its SYN waits in it to be sent
    /// (``moveSegments(of:into:)``).
    /// - Parameter mtu: the MTU towards the peer, for the MSS it announces.
    /// - Throws: ``FlowError/tooManyConnections`` at ``ConnectionLimits/connections``.
    mutating func open(_ id: ConnectionID, mtu: Int, now: Instant) throws(FlowError) {
        precondition(slotsByID[id] == nil, "a connection with this id exists")
        guard mayOpenConnection else { throw .tooManyConnections }
        let connection = TCPConnection.connect(localPort: id.localPort, remotePort: id.remotePort,
                                               initialSequence: secrets.initialSequence(for: id, now: now),
                                               mtu: mtu, timestampOffset: secrets.timestampOffset(for: id),
                                               now: now, configuration: configuration)
        insert(connection, for: id, owner: .application)
    }

    /// The application is done with connection `id`: no one holds it any more, and it is
    /// forgotten once closed.
    /// - Returns: whether the connection exists.
    @discardableResult
    mutating func orphan(_ id: ConnectionID) -> Bool {
        guard let slot = slotsByID[id] else { return false }
        slots.modify(slot) { entry in
            census.count(entry, -1)
            entry.owner = .orphan
            census.count(entry, 1)
        }
        return true
    }

    /// Whether a connection the application closes may stay as an orphan to finish: false at
    /// ``ConnectionLimits/orphans``, and the close is then a reset.
    var mayOrphan: Bool { census.orphans < limits.orphans }
}
