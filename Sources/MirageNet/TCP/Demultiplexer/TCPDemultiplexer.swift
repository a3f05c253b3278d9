import MirageCore
import MirageRuntime

/// TCP above the connections (RFC 9293 sections 3.5 and 3.10.7.1) as a pure core: the table of
/// connections and who holds each, the listeners with their accept queues and half-open counts,
/// SYN cookies once a listener's half-open queue is full (RFC 4987 section 3.6), and the resets
/// that answer segments no one wants. It reads no clock; the secret that keys sequence numbers
/// and cookies comes in at creation.
///
/// Connections live in an array of slots, found by identifier through one dictionary
/// (``slot(of:)``); everything after that first lookup, the timer heap included, goes by slot.
///
/// A received segment goes to its connection when one exists (``slot(of:)``, then
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

    /// Where a connection is in the table: an index into ``slots``, its own while it is there
    /// (a slot freed is given to a later connection).
    typealias Slot = Int

    /// A connection in the table.
    struct Entry {
        let id: ConnectionID
        var tcp: TCPConnection
        var owner: Owner
        /// The shell's queue of the tasks waiting for the connection to change, made at the first
        /// wait (``waitQueue(of:slotHint:making:)``) and kept: a change hands it over in
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
    /// The connections, each in its slot; nil in a free slot.
    var slots: [Entry?] = []
    /// The free slots, the last freed last.
    private var freeSlots: [Slot] = []
    /// The slot of each connection.
    private(set) var slotsByID: [ConnectionID: Slot] = [:]
    var listeners: [UInt16: TCPListenQueue] = [:]
    /// Every connection's next deadline (``TCPConnection/nextDeadline`` when last changed),
    /// earliest first, by slot: moved in place when a change moves it, taken out with its
    /// connection.
    var timers = SlotDeadlineHeap()
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
    func slot(of id: ConnectionID) -> Slot? { slotsByID[id] }

    /// Where connection `id` is in the table, trying `hint` (where the caller found it last; any
    /// value at first) before the dictionary, and updating it: a socket finds its connection by
    /// comparing one identifier rather than hashing it.
    func slot(of id: ConnectionID, hint: inout Slot) -> Slot? {
        if hint >= 0, hint < slots.count, slots[hint]?.id == id { return hint }
        guard let slot = slotsByID[id] else { return nil }
        hint = slot
        return slot
    }

    /// Connections in the table, in any state.
    var connectionCount: Int { slotsByID.count }

    /// The identifiers of the connections in the table.
    var connectionIDs: [ConnectionID] { Array(slotsByID.keys) }

    /// The connection's state machine, copied out of the table (with every buffer it holds).
    func connection(_ id: ConnectionID) -> TCPConnection? { slotsByID[id].flatMap { slots[$0]?.tcp } }

    /// The queue of the tasks waiting for connection `id` to change (``Entry/waiters``), made
    /// with `making` at the first wait (`slotHint` as in ``slot(of:hint:)``); nil when there is no such connection (it was forgotten:
    /// nothing will change it again).
    mutating func waitQueue(of id: ConnectionID, slotHint: inout Slot, making: () -> WaitQueue) -> WaitQueue? {
        guard let slot = slot(of: id, hint: &slotHint) else { return nil }
        return slots.modify(slot) { entry in
            if let queue = entry.waiters { return queue }
            let queue = making()
            entry.waiters = queue
            return queue
        }
    }

    /// What a socket needs to know of connection `id`, read in place.
    mutating func status(of id: ConnectionID) -> TCPConnection.Status? {
        guard let slot = slotsByID[id] else { return nil }
        return status(at: slot)
    }

    /// What a socket needs to know of the connection in `slot`, read in place.
    mutating func status(at slot: Slot) -> TCPConnection.Status {
        slots.modify(slot) { $0.tcp.status }
    }

    /// Whether connection `id` has `sequence` in flight (``TCPConnection/hasInFlight(_:)``),
    /// read in place; false when there is no such connection.
    mutating func hasInFlight(_ id: ConnectionID, sequence: SequenceNumber) -> Bool {
        guard let slot = slotsByID[id] else { return false }
        return slots.modify(slot) { $0.tcp.hasInFlight(sequence) }
    }

    /// Whether the connection in `slot` has data in flight, read in place.
    mutating func hasDataInFlight(at slot: Slot) -> Bool {
        slots.modify(slot) { $0.tcp.hasDataInFlight }
    }

    /// The connections to `remote`, for a path MTU that shrank.
    func connections(to remote: IPAddress) -> [ConnectionID] {
        slotsByID.keys.filter { $0.remoteAddress == remote }
    }

    /// `connection`, allowed to make segments for the device to cut when it can.
    func offloading(_ connection: TCPConnection) -> TCPConnection {
        var connection = connection
        connection.offloadedSegmentLimit = offloadedSegmentLimit
        return connection
    }

    // MARK: Timers

    /// When a connection's timers next have work: the timer heap's first deadline, O(1).
    var nextDeadline: Instant? { timers.first?.deadline }

    /// The connections whose timers are due at `now`, each once, taken off the timer heap: the
    /// caller runs their timers through ``update(_:at:holdingAcknowledgment:now:segments:_:)``,
    /// which schedules them again.
    mutating func connectionsDue(at now: Instant) -> [ConnectionID] {
        var due: [ConnectionID] = []
        while let (deadline, slot) = timers.first, deadline <= now {
            timers.removeFirst()
            due.append(slots[slot]!.id)
        }
        return due
    }

    /// Moves the connection in `slot` on the timer heap to its next deadline.
    mutating func reschedule(at slot: Slot) {
        let deadline = slots.modify(slot) { $0.tcp.nextDeadline }
        timers.set(slot, deadline)
    }

    /// Adds connection `id` to the table in a free slot, counted, and its timers to the heap.
    mutating func insert(_ connection: TCPConnection, for id: ConnectionID, owner: Owner) {
        let entry = Entry(id: id, tcp: offloading(connection), owner: owner)
        census.count(entry, 1)
        let slot: Slot
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = entry
        } else {
            slot = slots.count
            slots.append(entry)
        }
        slotsByID[id] = slot
        reschedule(at: slot)
    }

    /// Takes the connection out of `slot`, freeing it.
    mutating func free(_ slot: Slot) {
        guard let entry = slots[slot] else { return }
        slotsByID.removeValue(forKey: entry.id)
        slots[slot] = nil
        freeSlots.append(slot)
        timers.remove(slot)
    }

    /// Whether a new connection may be made: ``ConnectionLimits/connections`` not reached.
    var mayOpenConnection: Bool { census.active + census.orphans < limits.connections }
}

extension Array where Element == TCPDemultiplexer.Entry? {
    /// Runs `body` on the connection in `slot`, in place.
    /// - Precondition: a connection is in `slot`.
    @inline(__always)
    mutating func modify<Result>(_ slot: TCPDemultiplexer.Slot, _ body: (inout TCPDemultiplexer.Entry) -> Result) -> Result {
        body(&self[slot]!)
    }
}
