import MirageCore
import MirageRuntime

/// Our TCP/IP stack over a network device: the async shell around ``StackCore`` (MirageOS's
/// `Tcpip_stack_direct`). One task receives frames, one runs the core's timers; application calls
/// go into the core and wait on its changes. It implements ``TCPStack`` and ``UDPStack``, as the
/// host-socket stack does, so an application runs on either.
public final class DirectStack<Device: NetworkDevice, Clock: MonotonicClock>: TCPStack, UDPStack, IPv4AddressedStack {
    public typealias Connection = DirectTCPConnection<Device, Clock>
    public typealias Listener = DirectTCPListener<Device, Clock>
    public typealias Socket = DirectUDPSocket<Device, Clock>

    public static var log: LogSource { netLog }

    public let device: Device
    let clock: Clock
    // The stack's state is touched only on the scheduler's thread, several times a segment. The
    // core's mutating calls take closures (`drainChanges`' wakes the waiters, never the core), so
    // debug builds, which the tests run, keep the run-time exclusivity check on it; release builds
    // go without it, as they do for the rest of this state, no access to which encloses another
    // (each check is a call into the runtime's access set, about 80 instructions; Embedded Swift
    // makes none).
    #if DEBUG
    var core: StackCore
    #else
    @exclusivity(unchecked) var core: StackCore
    #endif
    private let alarm = Alarm()
    @exclusivity(unchecked) private var pendingFrames: [PacketBuffer] = []
    /// Connections with corked writes, pushed at the next flush.
    @exclusivity(unchecked) private var corked: [ConnectionID] = []
    @exclusivity(unchecked) private var pendingHead = 0
    @exclusivity(unchecked) private var transmitting = false
    @exclusivity(unchecked) private var listenerWaiters: [UInt16: WaitQueue] = [:]
    @exclusivity(unchecked) private var udpWaiters: [UInt16: WaitQueue] = [:]
    /// Frames the device refused to send. (Unchecked: its access is opened around the flush's
    /// sending loop.)
    @exclusivity(unchecked) public private(set) var transmitErrors: UInt64 = 0
    /// What the debug log last said (drops, SYN cookies, holdings) and when: it says what
    /// changed at most once a second, so that a flood does not become a flood of log lines.
    private var logged = (dropped: UInt64(0), cookies: UInt64(0), holdings: StackHoldings())
    private var loggedAt: Instant? = nil
    /// When the timer task must run to log changes held back by the once-a-second rule.
    /// (Both read at every flush: unchecked, as the state above.)
    @exclusivity(unchecked) private var pendingLogAt: Instant? = nil
    /// The DHCP client, when the address comes from DHCP (``acquireAddress(_:seed:)``).
    @exclusivity(unchecked) var dhcp: DHCPClient?
    /// The lease in use, when the address came from DHCP.
    public internal(set) var lease: DHCPLease?
    /// Tasks waiting for the first lease.
    let dhcpBound = WaitQueue()
    /// DHCP messages that could not be parsed.
    public internal(set) var dhcpMalformed: UInt64 = 0

    /// Creates the stack and starts it: announces the address and starts receiving.
    public init(device: Device, clock: Clock, entropy: any EntropySource, configuration: StackConfiguration) {
        self.device = device
        self.clock = clock
        core = StackCore(configuration: configuration, mac: device.mac, mtu: device.mtu,
                         key: (entropy.next(), entropy.next()), now: clock.now(),
                         offloads: device.offloads, largestOffloadedFrame: device.largestOffloadedFrame)
        core.start(now: clock.now())
        Task { await self.receiveLoop() }
        Task { await self.timerLoop() }
        Self.log.info((configuration.address == StackCore.unconfigured ? "IPv4 from DHCP" : "IPv4 \(configuration.address)")
            + " on \(device.mac), MTU \(device.mtu)"
            + (configuration.gateway.map { ", gateway \($0)" } ?? "")
            + (device.offloads.contains(.tcpSegmentation) ? ", TCP segmentation offload" : ""))
        Self.log.debug(configuration.capsSummary)
        requestFlush()
    }

    /// Counters of the whole stack.
    public var statistics: StackStatistics { core.statistics }
    /// What the stack holds on its peers' behalf now, each beside its cap.
    public var holdings: StackHoldings { core.holdings }
    public var address: IPv4Address { core.address }
    /// The address and its network (``StackCore/unconfigured`` while DHCP has bound none).
    public var ipv4Network: IPv4Prefix { core.configuration.address }

    public func learnNeighbor(_ address: IPv4Address, at hardware: MACAddress) {
        core.learnNeighbor(address, at: hardware, now: clock.now())
        requestFlush()
    }

    // MARK: Tasks

    private func receiveLoop() async {
        while true {
            do {
                // ACKs are held from the batch's first frame (not while waiting for it: a read's
                // window update must leave at once then).
                try await device.receive { frame in
                    self.core.holdAcknowledgments()
                    self.core.receive(consume frame, now: self.clock.now())
                }
            } catch {
                core.sendHeldAcknowledgments(now: clock.now())
                Self.log.error("network device: \(error)")
                return
            }
            if core.holdsAcknowledgments {
                // Readers first: one that takes the data sends the ACK with the reopened window.
                core.drainChanges { changes in wake(changes) }
                await Task.yield()
            }
            core.sendHeldAcknowledgments(now: clock.now())
            logChanges()
            await flush()
        }
    }

    private func timerLoop() async {
        while true {
            await alarm.wait()
            core.handleTimers(now: clock.now())
            logChanges()
            await flush()
        }
    }

    /// At debug level, logs what changed since the last time: bad frames dropped, SYNs answered
    /// with cookies, ``holdings``; at most once a second (a flood changes them with every frame),
    /// the changes held back meanwhile logged when the second is up.
    private func logChanges() {
        guard Self.log.isEnabled(.debug) else { return }
        let now = clock.now()
        let statistics = core.statistics
        let holdings = core.holdings
        guard statistics.droppedInput != logged.dropped || statistics.synCookiesSent != logged.cookies
            || holdings != logged.holdings else { return }
        if let last = loggedAt, now < last + .seconds(1) {
            pendingLogAt = last + .seconds(1)
            return
        }
        if statistics.droppedInput != logged.dropped {
            Self.log.debug("dropped \(statistics.droppedInput - logged.dropped) bad frames; so far \(statistics.dropSummary)")
        }
        if statistics.synCookiesSent != logged.cookies {
            Self.log.debug("answered \(statistics.synCookiesSent - logged.cookies) SYNs with SYN cookies: a half-open queue is full")
        }
        if holdings != logged.holdings { Self.log.debug(holdings.summary) }
        logged = (statistics.droppedInput, statistics.synCookiesSent, holdings)
        loggedAt = now
        pendingLogAt = nil
    }

    /// Wakes the tasks whose connections, listeners or ports changed, transmits the frames the
    /// core queued (in order, one transmitter at a time), and re-arms the timer; waits only while
    /// the device has no room for a frame (``flushIfReady()`` does the rest, with no task frame).
    @inline(__always)
    func flush() async {
        if !flushIfReady() { await transmitWaiting() }
    }

    /// Does what ``flush()`` does as far as it can without waiting: the frames go to the device
    /// while it takes them at once (``NetworkDevice/transmitIfReady(_:)``). False when frames
    /// are left that only a wait for the device will send (``flush()`` waits for them, the
    /// timer task after ``requestFlush()``).
    func flushIfReady() -> Bool {
        if dhcp != nil { serviceDHCP() }
        if !corked.isEmpty {
            let now = clock.now()
            for id in corked { core.push(id, now: now) }
            corked.emptyFromEnd()
        }
        core.drainChanges { changes in wake(changes) }
        for duplicate in core.takeIPv6Duplicates() {
            Self.log.warning("IPv6 address \(duplicate) is in use by another node on the link: not used (duplicate address detection)")
        }
        if core.takeIPv6AddressChange() { logIPv6Addresses() }
        core.moveFrames(into: &pendingFrames)
        alarm.set(core.nextDeadline.earliest(pendingLogAt).earliest(dhcp?.nextDeadline))
        // A task waiting for the device sends them after its frame, in order.
        guard !transmitting else { return true }
        while pendingHead < pendingFrames.count {
            do {
                guard try device.transmitIfReady(pendingFrames[pendingHead]) else { return false }
            } catch {
                transmitErrors += 1
            }
            takePendingFrame()
        }
        return true
    }

    /// Whether frames wait for room in the device: a sender that could go on without waiting
    /// (``DirectUDPSocket/sendIfReady(count:to:writing:)``) waits instead, for backpressure.
    var isTransmitBlocked: Bool { transmitting || pendingHead < pendingFrames.count }

    /// Sends the pending frames, waiting for the device while it has no room; one task at a time.
    private func transmitWaiting() async {
        guard !transmitting else { return }
        transmitting = true
        while pendingHead < pendingFrames.count {
            let frame = pendingFrames[pendingHead]
            do {
                try await device.transmit(frame)
            } catch {
                transmitErrors += 1
            }
            takePendingFrame()
            core.moveFrames(into: &pendingFrames)
        }
        transmitting = false
    }

    /// Moves past the first pending frame, which has gone (or failed); empties the list, keeping
    /// its storage, once all have.
    private func takePendingFrame() {
        pendingHead += 1
        if pendingHead == pendingFrames.count {
            pendingFrames.emptyFromEnd()
            pendingHead = 0
        }
    }

    /// Logs the IPv6 addresses in one line when they change (one becomes usable, expires, or is
    /// found a duplicate).
    private func logIPv6Addresses() {
        let addresses = core.ipv6Addresses
        Self.log.info("IPv6 " + (addresses.isEmpty ? "without addresses" : addresses.map { $0.description }.joined(separator: ", ")))
    }

    /// Has the timer task flush soon, for callers that cannot wait (deinitialisers, `close()`).
    func requestFlush() { alarm.set(clock.now()) }

    /// Has the next flush push the corked writes of `id`; one comes in this scheduler round or the
    /// next.
    func cork(_ id: ConnectionID) {
        if !corked.contains(id) { corked.append(id) }
        requestFlush()
    }

    private func wake(_ changes: borrowing StackCore.Changes) {
        for queue in changes.connectionWaiters { queue.wakeAll() }
        for port in changes.listeners { listenerWaiters.removeValue(forKey: port)?.wakeAll() }
        for port in changes.udpPorts { udpWaiters.removeValue(forKey: port)?.wakeAll() }
    }

    /// The queue to wait in until connection `id` changes; nil when it is gone (the caller,
    /// looking again, finds it closed). The queue is kept with the connection in the core, so
    /// that a change wakes it without looking the identifier up again (a SipHash each time).
    /// Not async: the caller's slot hint is not held across the wait, where the connection's
    /// other task (a reader while a writer waits) uses it.
    func changeQueue(of id: ConnectionID, slotHint: inout Int) -> WaitQueue? {
        core.waitQueue(of: id, slotHint: &slotHint, making: { WaitQueue() })
    }

    func waitForListener(_ port: UInt16) async {
        let queue = listenerWaiters[port] ?? WaitQueue()
        listenerWaiters[port] = queue
        await queue.wait()
    }

    func waitForDatagram(_ port: UInt16) async {
        let queue = udpWaiters[port] ?? WaitQueue()
        udpWaiters[port] = queue
        await queue.wait()
    }

    // MARK: TCPStack

    public func listen(port: UInt16) throws(FlowError) -> Listener {
        try core.listen(port: port)
        return Listener(stack: self, port: port)
    }

    /// Opens a connection; fails with ``FlowError/refused`` on a reset, ``FlowError/timedOut``
    /// when the SYN retransmissions run out, ``FlowError/unreachable`` without a route.
    public func connect(to remote: Endpoint) async throws(FlowError) -> Connection {
        let id = try core.connect(to: remote.address, port: remote.port, now: clock.now())
        await flush()
        var slotHint = 0
        while true {
            guard let tcp = core.status(of: id) else { throw .refused }
            if tcp.state == .closed {
                core.abort(id, now: clock.now())
                throw tcp.error ?? .refused
            }
            if tcp.isSynchronized { return Connection(stack: self, id: id) }
            await changeQueue(of: id, slotHint: &slotHint)?.wait()
        }
    }

    // MARK: UDPStack

    public func bind(port: UInt16) throws(FlowError) -> Socket {
        Socket(stack: self, port: try core.bindUDP(port: port))
    }
}

let netLog = LogSource("net", documentation: "the direct TCP/IP stack")
