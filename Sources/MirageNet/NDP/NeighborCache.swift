import MirageCore

/// The neighbour cache of IPv6 (RFC 4861 sections 7.2 and 7.3) as a pure core: address
/// resolution and neighbour unreachability detection. Packets to send, received solicitations
/// and advertisements, and the time go in; what to transmit and solicit comes out
/// (``NeighborAction``). It reads no clock; ``nextDeadline`` says when ``tick(now:)`` must run.
///
/// Each entry is in one of the states of section 7.3.2: INCOMPLETE (resolving, packets waiting),
/// REACHABLE (confirmed within ``Configuration/reachableTime``), STALE (not confirmed lately;
/// still used), DELAY (used while STALE: probe in ``Configuration/delayFirstProbeTime`` unless
/// confirmed) and PROBE (unicast solicitations every ``Configuration/retransmitTimer``).
///
/// Bounds: at most ``Configuration/entryLimit`` entries; entries learnt only from other hosts'
/// solicitations (never used by us) take at most half of them, so that a flood of forged
/// solicitations cannot crowd out the neighbours we talk to; at most
/// ``Configuration/queueLimit`` packets wait per address; a STALE entry is forgotten after
/// ``Configuration/staleLifetime`` (Linux's `gc_stale_time`).
public struct NeighborCache {
    public struct Configuration: Sendable {
        /// REACHABLE_TIME (section 6.3.2; a router advertisement may change it).
        public var reachableTime: Duration = .seconds(30)
        /// RetransTimer: between solicitations.
        public var retransmitTimer: Duration = .seconds(1)
        /// MAX_MULTICAST_SOLICIT and MAX_UNICAST_SOLICIT (section 10).
        public var maximumMulticastSolicitations = 3
        public var maximumUnicastSolicitations = 3
        /// DELAY_FIRST_PROBE_TIME (section 10).
        public var delayFirstProbeTime: Duration = .seconds(5)
        /// How long an unused STALE entry is kept.
        public var staleLifetime: Duration = .seconds(60)
        /// Packets waiting per address being resolved (section 7.2.2: at least one).
        public var queueLimit = 4
        /// Entries held at most.
        public var entryLimit = 1024
        public init() {}
    }

    /// The states of section 7.3.2.
    public enum State: Hashable, Sendable {
        case incomplete, reachable, stale, delay, probe
    }

    struct Entry {
        var state: State
        var mac: MACAddress?
        var isRouter = false
        /// We sent to it (or are resolving it), rather than learnt it from its solicitation alone.
        var used: Bool
        /// Solicitations sent in INCOMPLETE or PROBE.
        var solicitations = 0
        var waiting: [PacketBuffer] = []
        /// When ``tick(now:)`` has work for it.
        var deadline: Instant
    }

    public var configuration: Configuration
    private var entries: [IPv6Address: Entry] = [:]
    private var deadlines = DeadlineHeap<IPv6Address>()
    /// Entries learnt from solicitations and never used.
    private var learntCount = 0
    /// Packets dropped: their address did not resolve, too many waited, or the cache was full.
    public private(set) var droppedPackets: UInt64 = 0
    /// New neighbours not entered because the cache (or its share for learnt entries) was full.
    public private(set) var refusedEntries: UInt64 = 0

    public init(configuration: Configuration = Configuration()) {
        precondition(configuration.entryLimit > 1, "a neighbour cache needs room for two entries")
        self.configuration = configuration
    }

    /// How many entries the cache holds.
    public var count: Int { entries.count }

    /// The state of the entry for `address`, if any.
    public func state(of address: IPv6Address) -> State? { entries[address]?.state }

    /// The link-layer address known for `address` (in any state but INCOMPLETE).
    public func lookup(_ address: IPv6Address) -> MACAddress? { entries[address]?.mac }

    /// Whether `address` advertised itself as a router.
    public func isRouter(_ address: IPv6Address) -> Bool { entries[address]?.isRouter ?? false }

    /// The link-layer address to send to `address` with, when known (any state but INCOMPLETE),
    /// as ``send(_:to:now:)`` would use it, a STALE entry moving to DELAY; nil otherwise. The
    /// fast path of every packet out: no array of actions.
    public mutating func use(_ address: IPv6Address, now: Instant) -> MACAddress? {
        guard var entry = entries[address], let mac = entry.mac else { return nil }
        if entry.used, entry.state != .stale { return mac } // nothing to change: no write back
        markUsed(&entry)
        if entry.state == .stale {
            entry.state = .delay
            entry.deadline = now + configuration.delayFirstProbeTime
            deadlines.push(entry.deadline, address)
        }
        entries[address] = entry
        return mac
    }

    /// Sends `packet` to the neighbour `address` (section 7.2.2 and 7.3.3): at once when its
    /// link-layer address is known (a STALE entry moves to DELAY), else after resolving it.
    public mutating func send(_ packet: PacketBuffer, to address: IPv6Address, now: Instant) -> [NeighborAction] {
        if let mac = use(address, now: now) { return [.transmit(packet, to: mac)] }
        if var entry = entries[address] { // INCOMPLETE
            entry.waiting.append(packet)
            if entry.waiting.count > configuration.queueLimit {
                entry.waiting.removeFirst()
                droppedPackets += 1
            }
            entries[address] = entry
            return []
        }
        guard entries.count < configuration.entryLimit else {
            refusedEntries += 1
            droppedPackets += 1
            return []
        }
        insert(Entry(state: .incomplete, used: true, solicitations: 1, waiting: [packet],
                     deadline: now + configuration.retransmitTimer), for: address)
        return [.solicit(address, unicast: nil)]
    }

    /// Takes the source link-layer address of a solicitation, redirect or router advertisement
    /// from `address` (section 7.2.3, 6.3.4): a new neighbour is entered STALE, a changed
    /// link-layer address makes the entry STALE, and an INCOMPLETE entry sends what waited.
    /// - Parameter isRouter: the message was a router advertisement (its sender is a router).
    public mutating func learn(_ address: IPv6Address, mac: MACAddress, isRouter: Bool = false, now: Instant) -> [NeighborAction] {
        guard !address.isUnspecified, !address.isMulticast, !mac.isMulticast else { return [] }
        guard var entry = entries[address] else {
            guard entries.count < configuration.entryLimit, isRouter || learntCount < configuration.entryLimit / 2 else {
                refusedEntries += 1
                return []
            }
            insert(Entry(state: .stale, mac: mac, isRouter: isRouter, used: isRouter,
                         deadline: now + configuration.staleLifetime), for: address)
            return []
        }
        if isRouter { entry.isRouter = true }
        var actions: [NeighborAction] = []
        if entry.state == .incomplete {
            actions = entry.waiting.map { .transmit($0, to: mac) }
            entry.waiting = []
        }
        if entry.mac != mac {
            entry.mac = mac
            entry.state = .stale
            entry.deadline = now + configuration.staleLifetime
            deadlines.push(entry.deadline, address)
        }
        entries[address] = entry
        return actions
    }

    /// Takes a neighbour advertisement for `target` (section 7.2.5): completes a resolution,
    /// confirms reachability when solicited, and changes the link-layer address only as the
    /// Override flag allows. Advertisements for addresses not in the cache are ignored.
    public mutating func receiveAdvertisement(target: IPv6Address, mac: MACAddress?, router: Bool, solicited: Bool,
                                              override: Bool, now: Instant) -> [NeighborAction] {
        guard var entry = entries[target], mac?.isMulticast != true else { return [] }
        var actions: [NeighborAction] = []
        if entry.state == .incomplete {
            guard let mac else { return [] }
            entry.mac = mac
            actions = entry.waiting.map { .transmit($0, to: mac) }
            entry.waiting = []
            entry.solicitations = 0
            entry.isRouter = router
            setState(&entry, solicited ? .reachable : .stale, now: now, address: target)
            entries[target] = entry
            return actions
        }
        let changed = mac != nil && mac != entry.mac
        if !override, changed {
            // Section 7.2.5: a different address without Override only casts doubt.
            if entry.state == .reachable { setState(&entry, .stale, now: now, address: target) }
            entries[target] = entry
            return []
        }
        if let mac { entry.mac = mac }
        entry.isRouter = router
        if solicited {
            entry.solicitations = 0
            setState(&entry, .reachable, now: now, address: target)
        } else if changed {
            setState(&entry, .stale, now: now, address: target)
        }
        entries[target] = entry
        return []
    }

    /// Upper-layer confirmation that `address` is reachable (section 7.3.1: new acknowledgments
    /// from a TCP peer): the entry becomes REACHABLE.
    public mutating func confirm(_ address: IPv6Address, now: Instant) {
        guard var entry = entries[address], entry.mac != nil, entry.state != .reachable else { return }
        entry.solicitations = 0
        setState(&entry, .reachable, now: now, address: address)
        entries[address] = entry
    }

    /// Forgets every entry, with the packets waiting (an address change).
    public mutating func removeAll() {
        for entry in entries.values { droppedPackets += UInt64(entry.waiting.count) }
        entries = [:]
        deadlines = DeadlineHeap()
        learntCount = 0
    }

    /// Runs the timers due (section 7.3.3): solicitations are retried or given up (the waiting
    /// packets dropped), REACHABLE entries go STALE, DELAY goes to PROBE, and unused STALE
    /// entries are forgotten.
    public mutating func tick(now: Instant) -> [NeighborAction] {
        var actions: [NeighborAction] = []
        while let (deadline, address) = deadlines.first, deadline <= now {
            deadlines.removeFirst()
            guard var entry = entries[address], entry.deadline == deadline else { continue }
            switch entry.state {
            case .incomplete:
                if entry.solicitations >= configuration.maximumMulticastSolicitations {
                    droppedPackets += UInt64(entry.waiting.count)
                    remove(address)
                    continue
                }
                entry.solicitations += 1
                actions.append(.solicit(address, unicast: nil))
                setState(&entry, .incomplete, now: now, address: address)
            case .reachable:
                setState(&entry, .stale, now: now, address: address)
            case .stale:
                remove(address)
                continue
            case .delay, .probe:
                if entry.state == .probe, entry.solicitations >= configuration.maximumUnicastSolicitations {
                    remove(address)
                    continue
                }
                entry.solicitations = entry.state == .probe ? entry.solicitations + 1 : 1
                actions.append(.solicit(address, unicast: entry.mac))
                setState(&entry, .probe, now: now, address: address)
            }
            entries[address] = entry
        }
        if deadlines.count > 2 * entries.count + 64 {
            let table = entries
            deadlines.compact { deadline, address in table[address]?.deadline == deadline }
        }
        dropStaleDeadlines()
        return actions
    }

    /// When ``tick(now:)`` next has work.
    public var nextDeadline: Instant? { deadlines.first?.deadline }

    // MARK: Bookkeeping

    private mutating func setState(_ entry: inout Entry, _ state: State, now: Instant, address: IPv6Address) {
        entry.state = state
        switch state {
        case .incomplete, .probe: entry.deadline = now + configuration.retransmitTimer
        case .reachable: entry.deadline = now + configuration.reachableTime
        case .stale: entry.deadline = now + configuration.staleLifetime
        case .delay: entry.deadline = now + configuration.delayFirstProbeTime
        }
        deadlines.push(entry.deadline, address)
    }

    private mutating func markUsed(_ entry: inout Entry) {
        if !entry.used {
            entry.used = true
            learntCount -= 1
        }
    }

    private mutating func insert(_ entry: Entry, for address: IPv6Address) {
        entries[address] = entry
        if !entry.used { learntCount += 1 }
        deadlines.push(entry.deadline, address)
    }

    private mutating func remove(_ address: IPv6Address) {
        if let entry = entries.removeValue(forKey: address), !entry.used { learntCount -= 1 }
    }

    private mutating func dropStaleDeadlines() {
        while let (deadline, address) = deadlines.first, entries[address]?.deadline != deadline { deadlines.removeFirst() }
    }
}
