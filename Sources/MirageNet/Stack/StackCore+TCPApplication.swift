import MirageCore
import MirageRuntime

extension StackCore {
    // MARK: Listeners

    /// Starts listening on `port`. - Throws: ``FlowError/addressInUse(port:)``.
    public mutating func listen(port: UInt16) throws(FlowError) {
        try tcp.listen(port: port)
    }

    /// Stops listening; connections not yet accepted are reset.
    public mutating func closeListener(port: UInt16, now: Instant) {
        guard let pending = tcp.closeListener(port: port) else { return }
        for id in pending {
            sendSegments(to: id.remoteAddress, now: now) { tcp, segments in
                tcp.abortAndForget(id, now: now, segments: &segments)
            }
        }
        changes.listeners.insert(port)
    }

    public func isListening(port: UInt16) -> Bool { tcp.isListening(port: port) }

    /// The next established connection on `port`, now the application's.
    public mutating func accept(port: UInt16) -> ConnectionID? {
        tcp.accept(port: port)
    }

    // MARK: Connections

    /// Opens a connection to `remote`:`port` from an ephemeral port; the SYN goes out at once.
    /// - Throws: ``FlowError/unreachable`` without a route, ``FlowError/addressInUse(port:)`` when
    ///   no ephemeral port is free.
    public mutating func connect(to remote: IPv4Address, port: UInt16, now: Instant) throws(FlowError) -> ConnectionID {
        try connect(to: .v4(remote), port: port, now: now)
    }

    /// Opens a connection to `remote`:`port`, IPv4 or IPv6, from an ephemeral port.
    public mutating func connect(to remote: IPAddress, port: UInt16, now: Instant) throws(FlowError) -> ConnectionID {
        switch remote {
        case let .v4(address):
            guard ipv4.nextHop(for: address) != nil, !ipv4.isBroadcast(address) else { throw .unreachable }
        case let .v6(address):
            guard !address.isMulticast, ipv6.route(to: address, now: now) != nil else { throw .unreachable }
        }
        let start = tcp.secrets.portOffset(remote: remote, remotePort: port) &+ nextEphemeralProbe
        guard let free = EphemeralPorts.search(from: start, isFree: {
            tcp.isFree(ConnectionID(remoteAddress: remote, remotePort: port, localPort: $0))
        }) else { throw .addressInUse(port: 0) }
        nextEphemeralProbe &+= free.step + 1
        let id = ConnectionID(remoteAddress: remote, remotePort: port, localPort: free.port)
        do {
            try tcp.open(id, mtu: transportMTU(towards: remote), now: now)
        } catch {
            statistics.connectionLimitRefusals += 1
            throw error
        }
        flushSegments(of: id, now: now)
        return id
    }

    /// The connection's state machine, for the shell to read.
    public func connection(_ id: ConnectionID) -> TCPConnection? { tcp.connection(id) }

    /// The queue of the tasks waiting for connection `id` to change, kept with the connection
    /// (made with `making` at the first wait) and handed back in ``Changes/connectionWaiters``
    /// when it changes; nil when the connection is gone. `slotHint` is where the connection was
    /// found last (any value at first), kept by the caller and updated here: with it the
    /// connection is found by comparing one identifier rather than hashing it.
    public mutating func waitQueue(of id: ConnectionID, slotHint: inout Int, making: () -> WaitQueue) -> WaitQueue? {
        tcp.waitQueue(of: id, slotHint: &slotHint, making: making)
    }

    /// What a socket needs to know of its connection, read in place (``connection(_:)`` copies
    /// the whole state machine, retaining every buffer it holds).
    public mutating func status(of id: ConnectionID) -> TCPConnection.Status? {
        tcp.status(of: id)
    }

    /// Sends what corked writes left queued on the connection.
    public mutating func push(_ id: ConnectionID, now: Instant) {
        updateConnection(id, now: now) { $0.push(now: now) }
    }

    /// Reads up to `maximum` octets into `data` when the connection has any to read, with one
    /// lookup of the connection where a status and then a read took two (`slotHint` as in
    /// ``waitQueue(of:slotHint:making:)``).
    /// - Returns: the connection's status before the read; nil when it is gone.
    public mutating func readIfReadable(from id: ConnectionID, slotHint: inout Int, maximum: Int, now: Instant,
                                        into data: inout PacketBuffer?) -> TCPConnection.Status? {
        guard let slot = tcp.slot(of: id, hint: &slotHint) else { return nil }
        let status = tcp.status(at: slot)
        if status.readableCount > 0 {
            updateConnection(id, at: slot, now: now) { data = $0.read(maximum: maximum, now: now) }
        }
        return status
    }

    /// Queues `data` on the connection when it may send (no error, established or CLOSE-WAIT,
    /// room in its send buffer), with one lookup of the connection where a status, the cork's
    /// question and the write took three. The write is corked when the device cuts large
    /// segments and data is in flight: an ACK, or the end of this scheduler round, comes soon to
    /// send it, so small writes gather into large segments (Linux's autocorking). `slotHint` as
    /// in ``waitQueue(of:slotHint:making:)``.
    /// - Returns: the connection's status before the write, the octets it accepted and whether
    ///   it was corked; nil when the connection is gone.
    public mutating func writeIfOpen(_ data: PacketBuffer, to id: ConnectionID, slotHint: inout Int,
                                     now: Instant) -> (status: TCPConnection.Status, accepted: Int, corked: Bool)? {
        guard let slot = tcp.slot(of: id, hint: &slotHint) else { return nil }
        let status = tcp.status(at: slot)
        guard status.error == nil, status.state == .established || status.state == .closeWait, status.sendSpace > 0 else {
            return (status, 0, false)
        }
        let corked = tcp.offloadedSegmentLimit > 0 && tcp.hasDataInFlight(at: slot)
        var accepted = 0
        updateConnection(id, at: slot, now: now) { accepted = $0.write(data, corked: corked, now: now) }
        return (status, accepted, corked)
    }

    public mutating func shutdownWrite(_ id: ConnectionID, now: Instant) {
        updateConnection(id, now: now) { $0.shutdownWrite(now: now) }
    }

    /// The application is done with the connection: it closes (or resets, with unread data) and
    /// is forgotten once finished.
    public mutating func release(_ id: ConnectionID, now: Instant) {
        guard let status = tcp.status(of: id) else { return }
        if status.state != .closed, status.state != .timeWait, !tcp.mayOrphan {
            statistics.orphanLimitResets += 1
            abort(id, now: now)
            return
        }
        guard tcp.orphan(id) else { return }
        updateConnection(id, now: now) { if $0.state != .closed { $0.close(now: now) } }
    }

    /// Resets the connection and forgets it.
    public mutating func abort(_ id: ConnectionID, now: Instant) {
        tcp.orphan(id)
        updateConnection(id, now: now) { $0.abort(now: now) }
    }

    /// Connections in the table (any state), for tests and statistics.
    public var connectionCount: Int { tcp.connectionCount }
}
