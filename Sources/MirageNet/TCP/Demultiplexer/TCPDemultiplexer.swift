import MirageCore
import MirageRuntime

/// TCP above the connections (RFC 9293 sections 3.5 and 3.10.7.1) as a pure core: the table of
/// connections and who holds each, the listeners with their accept queues and half-open counts,
/// SYN cookies once a listener's half-open queue is full (RFC 4987 section 3.6), and the resets
/// that answer segments no one wants. It reads no clock; the secret that keys sequence numbers
/// and cookies comes in at creation.
///
/// A received segment goes to its connection when one exists (``index(of:)``, then
/// ``update(_:at:holdingAcknowledgment:now:segments:_:)``); otherwise ``arrive(_:id:mtu:now:)``
/// says what it asks for (``Arrival``). Every change to a connection goes through
/// ``update(_:at:holdingAcknowledgment:now:segments:_:)``, which changes it in place in the
/// table, moves the segments it made into the caller's buffer, and moves it between listener,
/// application and nobody as its state demands (``Outcome``).
///
/// The parts: `TCPDemultiplexer+Arrival.swift` (segments for no connection: SYNs, cookies,
/// resets), `+Update.swift` (changing connections in place), `+Application.swift` (listen,
/// accept, open, close).
struct TCPDemultiplexer {
    /// Who holds a connection: a listener until it is accepted, the application, or nobody (the
    /// application closed it; it finishes on its own and is then forgotten).
    enum Owner: Equatable {
        case listener(UInt16)
        case application
        case orphan
    }

    /// A connection in the table.
    struct Entry {
        var tcp: TCPConnection
        var owner: Owner
        /// The deadline the timer heap holds for it (``TCPConnection/nextDeadline`` when last
        /// changed); nil when none.
        var scheduled: Instant? = nil
        /// The shell's queue of the tasks waiting for the connection to change, made at the first
        /// wait (``waitQueue(of:making:)``) and kept: a change hands it over in
        /// ``Update/waiters`` while it holds tasks, so that waking them costs no second lookup of
        /// the connection's identifier. The core never calls it.
        var waiters: WaitQueue? = nil
    }

    /// What a segment that no connection holds asks of the stack.
    enum Arrival: Equatable {
        /// A SYN made a half-open connection, whose SYN-ACK waits in it to be sent.
        case opened
        /// The listener's half-open queue is full: send `synACK`, a SYN cookie's SYN-ACK; no state
        /// was kept (RFC 4987 section 3.6).
        case cookie(synACK: TCPSegment)
        /// The ACK of a SYN cookie made an established connection, queued for `accept` on `port`;
        /// a segment carrying data is then for the connection to take.
        case cookieAccepted(port: UInt16)
        /// The listener's accept queue is full: the segment is dropped (the peer retries, as with
        /// Linux).
        case listenOverflow
        /// The stack holds ``ConnectionLimits/connections``: the segment is dropped (the peer
        /// retries).
        case connectionLimit
        /// No connection or listener wants the segment: send `reset`, unless nil (the segment was
        /// a reset itself; RFC 9293 section 3.10.7.1).
        case closedPort(reset: TCPSegment?)
    }

    /// What a change did to a connection besides the segments it made.
    struct Update {
        /// Whether the connection owes an ACK that it holds (``TCPConnection/holdsAcknowledgment``).
        var owesAcknowledgment: Bool
        var outcome: Outcome
        /// The tasks waiting for the connection to change, to wake; nil when none waits.
        var waiters: WaitQueue? = nil
    }

    /// Where a connection went after a change.
    enum Outcome: Equatable {
        /// Nowhere: it stays with its owner.
        case kept
        /// Its handshake completed and it waits for `accept` on `port`.
        case queuedForAccept(port: UInt16)
        /// Its handshake completed but the listener's accept queue was full: it was reset and
        /// forgotten.
        case listenOverflow
        /// It closed and, held by a listener or by nobody, was forgotten.
        case forgotten
        /// It entered TIME-WAIT past ``ConnectionLimits/timeWait`` and was forgotten at once.
        case timeWaitDropped
    }

    let configuration: TCPConfiguration
    /// Established connections waiting for `accept` per listener.
    let listenBacklog: Int
    /// Connections in SYN-RECEIVED per listener before SYN cookies answer.
    let halfOpenLimit: Int
    /// With TCP segmentation offload, the most payload one segment may carry (0 without).
    let offloadedSegmentLimit: Int
    let secrets: ConnectionSecrets
    var connections: [ConnectionID: Entry] = [:]
    var listeners: [UInt16: TCPListenQueue] = [:]
    /// Every connection's next deadline, earliest first (each entry current while it matches
    /// ``Entry/scheduled``).
    var timers = DeadlineHeap<ConnectionID>()
    /// Whether the timer heap's first entry is known to be current, so that ``nextDeadline``,
    /// read several times a scheduler round, looks its connection up only once after a change.
    /// Cleared by whatever may make that entry stale: a reschedule of its connection, a removal,
    /// the heap's entries taken or compacted.
    var firstTimerIsCurrent = false
    /// Bytes of receive memory every connection together may hold (``StackConfiguration/tcpReceiveMemoryLimit``).
    let receiveMemoryLimit: Int
    /// The caps on connections by state.
    let limits: ConnectionLimits
    /// The connections held, by state.
    var census = ConnectionCensus()

    /// Bytes of receive memory the connections hold together (``TCPConnection/receiveMemoryCharged``).
    var receiveMemoryCharged = 0

    init(configuration: TCPConfiguration, listenBacklog: Int, halfOpenLimit: Int, offloadedSegmentLimit: Int,
         secrets: ConnectionSecrets, receiveMemoryLimit: Int = .max, limits: ConnectionLimits = ConnectionLimits()) {
        self.configuration = configuration
        self.receiveMemoryLimit = receiveMemoryLimit
        self.limits = limits
        self.listenBacklog = listenBacklog
        self.halfOpenLimit = halfOpenLimit
        self.offloadedSegmentLimit = offloadedSegmentLimit
        self.secrets = secrets
    }

    /// Where connection `id` is in the table, if it is there.
    func index(of id: ConnectionID) -> Dictionary<ConnectionID, Entry>.Index? { connections.index(forKey: id) }

    /// Connections in the table, in any state.
    var connectionCount: Int { connections.count }

    /// The connection's state machine, copied out of the table (with every buffer it holds).
    func connection(_ id: ConnectionID) -> TCPConnection? { connections[id]?.tcp }

    /// The queue of the tasks waiting for connection `id` to change (``Entry/waiters``), made
    /// with `making` at the first wait; nil when there is no such connection (it was forgotten:
    /// nothing will change it again).
    mutating func waitQueue(of id: ConnectionID, making: () -> WaitQueue) -> WaitQueue? {
        guard let index = connections.index(forKey: id) else { return nil }
        return connections.modifyValue(at: index) { entry in
            if let queue = entry.waiters { return queue }
            let queue = making()
            entry.waiters = queue
            return queue
        }
    }

    /// What a socket needs to know of connection `id`, read in place.
    mutating func status(of id: ConnectionID) -> TCPConnection.Status? {
        guard let index = connections.index(forKey: id) else { return nil }
        return status(at: index)
    }

    /// What a socket needs to know of the connection at `index`, read in place.
    mutating func status(at index: Dictionary<ConnectionID, Entry>.Index) -> TCPConnection.Status {
        connections.modifyValue(at: index) { $0.tcp.status }
    }

    /// Whether connection `id` has `sequence` in flight (``TCPConnection/hasInFlight(_:)``),
    /// read in place; false when there is no such connection.
    mutating func hasInFlight(_ id: ConnectionID, sequence: SequenceNumber) -> Bool {
        guard let index = connections.index(forKey: id) else { return false }
        return connections.modifyValue(at: index) { $0.tcp.hasInFlight(sequence) }
    }

    /// Whether the connection at `index` has data in flight, read in place.
    mutating func hasDataInFlight(at index: Dictionary<ConnectionID, Entry>.Index) -> Bool {
        connections.modifyValue(at: index) { $0.tcp.hasDataInFlight }
    }

    /// The connections to `remote`, for a path MTU that shrank.
    func connections(to remote: IPAddress) -> [ConnectionID] {
        connections.keys.filter { $0.remoteAddress == remote }
    }

    /// `connection`, allowed to make segments for the device to cut when it can.
    func offloading(_ connection: TCPConnection) -> TCPConnection {
        var connection = connection
        connection.offloadedSegmentLimit = offloadedSegmentLimit
        return connection
    }

    // MARK: Timers

    /// When a connection's timers next have work.
    /// (A mutating getter: the connections are read in place, where iterating over them would
    /// copy each one and retain every buffer it holds.)
    /// The earliest deadline of any connection, from the timer heap: O(1) but for the stale
    /// entries it drops on the way.
    var nextDeadline: Instant? {
        mutating get {
            while let (deadline, id) = timers.first {
                if firstTimerIsCurrent || isCurrent(deadline, id) {
                    firstTimerIsCurrent = true
                    return deadline
                }
                timers.removeFirst()
            }
            return nil
        }
    }

    /// The connections whose timers are due at `now`, each once, taken off the timer heap: the
    /// caller runs their timers through ``update(_:at:holdingAcknowledgment:now:segments:_:)``,
    /// which schedules them again.
    mutating func connectionsDue(at now: Instant) -> [ConnectionID] {
        var due: [ConnectionID] = []
        while let (deadline, id) = timers.first, deadline <= now {
            timers.removeFirst()
            firstTimerIsCurrent = false
            guard let index = connections.index(forKey: id),
                  connections.modifyValue(at: index, { entry in
                      guard entry.scheduled == deadline else { return false }
                      entry.scheduled = nil
                      return true
                  }) else { continue }
            due.append(id)
        }
        return due
    }

    /// Whether the heap's entry `deadline` for `id` is the connection's current one.
    private mutating func isCurrent(_ deadline: Instant, _ id: ConnectionID) -> Bool {
        guard let index = connections.index(forKey: id) else { return false }
        return connections.modifyValue(at: index) { $0.scheduled == deadline }
    }

    /// Puts the connection at `index` on the timer heap again when its next deadline moved;
    /// sweeps the heap when stale entries outnumber the connections.
    mutating func reschedule(at index: Dictionary<ConnectionID, Entry>.Index) {
        let moved: Instant?? = connections.modifyValue(at: index) { entry in
            let deadline = entry.tcp.nextDeadline
            guard deadline != entry.scheduled else { return .none }
            entry.scheduled = deadline
            return .some(deadline)
        }
        guard case let .some(.some(deadline)) = moved else { return }
        let id = connections.keys[index]
        if timers.first?.key == id { firstTimerIsCurrent = false }  // its entry there is stale now
        timers.push(deadline, id)
        if let first = timers.first, first.key == id, first.deadline == deadline { firstTimerIsCurrent = true }
        if timers.count > 2 * connections.count + 64 {
            firstTimerIsCurrent = false
            var current = Set<ConnectionID>() // (deadline, id) pairs, as ids: one per connection
            var scheduled: [ConnectionID: Instant] = [:]
            scheduled.reserveCapacity(connections.count)
            for index in connections.indices {
                if let deadline = connections.modifyValue(at: index, { $0.scheduled }) {
                    scheduled[connections.keys[index]] = deadline
                }
            }
            timers.compact { deadline, id in scheduled[id] == deadline && current.insert(id).inserted }
        }
    }

    /// Adds connection `id` to the table, counted, and its timers to the heap.
    mutating func insert(_ connection: TCPConnection, for id: ConnectionID, owner: Owner) {
        let entry = Entry(tcp: offloading(connection), owner: owner)
        census.count(entry, 1)
        connections[id] = entry
        if let index = connections.index(forKey: id) { reschedule(at: index) }
    }

    /// Whether a new connection may be made: ``ConnectionLimits/connections`` not reached.
    var mayOpenConnection: Bool { census.active + census.orphans < limits.connections }
}
