import MirageCore

/// The ARP cache and resolver (RFC 826; RFC 1122 section 2.3.2): a pure core that takes packets,
/// the time and the packets waiting for an address, and returns what to send. It never reads a
/// clock; ``nextDeadline`` says when ``tick(now:)`` must run.
///
/// - Requests for an address are retried every ``retryInterval`` up to ``maximumRequests`` times;
///   then the packets waiting for it are dropped and counted (RFC 1122 2.3.2.2: at most one
///   request per second per address).
/// - At most ``queueLimit`` packets wait per address; older ones are dropped and counted
///   (RFC 1122 2.3.2.2 asks to keep at least the latest).
/// - Entries expire ``entryLifetime`` after they were last confirmed by a packet from the host.
/// - Only hosts on our network are learnt or answered, as Linux does with `arp_ignore=2`: we
///   reach a sender off it only through the gateway, never on this link, and answering its
///   requests would cost a frame each. The cache holds at most ``Configuration/entryLimit``
///   entries, so that forged senders cannot grow it. A sender learnt only because it asked for us
///   ranks below a host we resolved or sent to: when the cache is full, a new entry replaces the
///   least recently confirmed of the lowest rank, and a host that merely asked is not learnt when
///   only higher-ranked entries are left.
public struct ARPCache {
    public struct Configuration: Sendable {
        public var entryLifetime: Duration = .seconds(60)
        public var retryInterval: Duration = .seconds(1)
        public var maximumRequests = 3
        public var queueLimit = 4
        /// Entries held at most, resolved and pending (RFC 1122 section 2.3.2.1 leaves the size to
        /// the implementation). 1,024 entries of about 100 bytes each.
        public var entryLimit = 1024
        public init() {}
    }

    enum Entry {
        /// `used`: we resolved it or sent to it, rather than learnt it from its request alone.
        case resolved(MACAddress, expires: Instant, used: Bool)
        case pending(nextRequest: Instant, requestsSent: Int, waiting: [PacketBuffer])

        /// When ``tick(now:)`` has work for it.
        var deadline: Instant {
            switch self {
            case let .resolved(_, expires, _): expires
            case let .pending(next, _, _): next
            }
        }

        /// How much the entry is worth keeping when the cache is full: 0 for a host learnt from
        /// its request alone, 1 for one we resolved or sent to, 2 for one we are resolving.
        var rank: Int {
            switch self {
            case let .resolved(_, _, used): used ? 1 : 0
            case .pending: 2
            }
        }
    }

    public let configuration: Configuration
    public private(set) var address: IPv4Address
    /// Our network: only senders on it are learnt.
    public private(set) var network: IPv4Prefix
    public let mac: MACAddress
    private var entries: [IPv4Address: Entry] = [:]
    /// The resolved, used entry ``use(_:now:)`` found last, until any entry changes: a host
    /// sending to one neighbour after another (a server answering through its gateway) finds it
    /// without hashing the address (a SipHash, about 180 instructions a packet).
    private var lastUsed: (ip: IPv4Address, mac: MACAddress, expires: Instant)? = nil
    /// Each entry's expiry or next request, earliest first; an item is current while it equals
    /// its entry's ``Entry/deadline`` (stale ones are swept lazily).
    private var deadlines = DeadlineHeap<IPv4Address>()
    /// For each ``Entry/rank``, its entries by deadline, least recently confirmed (or asked
    /// about) first: the order in which a full cache gives them up. Stale items are swept lazily,
    /// as in ``deadlines``; an item is current while its entry has that rank and deadline.
    private var evictionOrder = [DeadlineHeap<IPv4Address>](repeating: DeadlineHeap(), count: 3)
    /// Packets dropped because their address did not resolve or too many were waiting.
    public private(set) var droppedPackets: UInt64 = 0
    /// Entries replaced because the cache was full.
    public private(set) var evictedEntries: UInt64 = 0
    /// Packets for us from senders off our network, which were neither learnt nor answered.
    public private(set) var offLinkSenders: UInt64 = 0

    /// A cache for the interface with address and network `interface`.
    public init(interface: IPv4Prefix, mac: MACAddress, configuration: Configuration = Configuration()) {
        precondition(configuration.entryLimit > 0, "an ARP cache needs room for one entry")
        self.address = interface.address
        self.network = interface
        self.mac = mac
        self.configuration = configuration
    }

    /// How many entries the cache holds, resolved and pending.
    public var count: Int { entries.count }

    /// The hardware address known for `ip`, if resolved and not expired.
    public func lookup(_ ip: IPv4Address, now: Instant) -> MACAddress? {
        if case let .resolved(mac, expires, _) = entries[ip], now < expires { return mac }
        return nil
    }

    /// The hardware address to send to `ip` with, as ``lookup(_:now:)`` finds it; marks the entry
    /// as one we use, which a flood of requests from other senders then does not replace.
    public mutating func use(_ ip: IPv4Address, now: Instant) -> MACAddress? {
        if let last = lastUsed, last.ip == ip, now < last.expires { return last.mac }
        guard case let .resolved(mac, expires, used) = entries[ip], now < expires else { return nil }
        if !used { store(.resolved(mac, expires: expires, used: true), for: ip) } // same deadline, new rank
        lastUsed = (ip, mac, expires)
        return mac
    }

    /// The gratuitous ARP a host announces its address with at start-up (RFC 5227 section 3):
    /// a request whose sender and target protocol addresses are both ours, broadcast.
    public var announcement: ARPAction {
        .send(ARPPacket(operation: .request, senderHardware: mac, senderProtocol: address,
                        targetHardware: .zero, targetProtocol: address), to: .broadcast)
    }

    /// Sends `packet` to `ip` once its hardware address is known: at once when it is, else after
    /// resolving (a request goes out when none is under way).
    public mutating func send(_ packet: PacketBuffer, to ip: IPv4Address, now: Instant) -> [ARPAction] {
        if let mac = use(ip, now: now) { return [.transmit(packet, to: mac)] }
        if case .pending(let next, let sent, var waiting) = entries[ip] {
            waiting.append(packet)
            if waiting.count > configuration.queueLimit {
                waiting.removeFirst()
                droppedPackets += 1
            }
            entries[ip] = .pending(nextRequest: next, requestsSent: sent, waiting: waiting) // same deadline
            lastUsed = nil
            return []
        }
        _ = makeRoom(for: ip, rank: 3)
        store(.pending(nextRequest: now + configuration.retryInterval, requestsSent: 1, waiting: [packet]), for: ip)
        return [.request(ip)]
    }

    /// Before `ip` is added: when the cache is full, forgets the lowest-ranked entry (learnt from
    /// a request only, then resolved or used, then pending), the least recently confirmed (or
    /// asked about) of that rank, dropping any packets that waited for it; but only entries
    /// ranked below `rank`. The victim is the top of its rank's ``evictionOrder`` heap: O(log n)
    /// amortised, so that a flood of new senders into a full cache costs little per packet.
    /// - Returns: whether there is room for `ip`.
    private mutating func makeRoom(for ip: IPv4Address, rank: Int) -> Bool {
        guard entries[ip] == nil, entries.count >= configuration.entryLimit else { return true }
        for candidateRank in 0..<min(rank, evictionOrder.count) {
            dropStaleEvictionItems(rank: candidateRank)
            guard let (_, victim) = evictionOrder[candidateRank].first else { continue }
            if case let .pending(_, _, waiting) = entries[victim] { droppedPackets += UInt64(waiting.count) }
            store(nil, for: victim)
            evictedEntries += 1
            return true
        }
        return false
    }

    /// Takes a received ARP packet: learns or refreshes the sender (RFC 826's merge: an entry is
    /// updated when present, added when the packet is for us), answers requests for our address
    /// from senders on our network and duplicate-address probes (RFC 5227), and releases the
    /// packets that were waiting for the sender.
    public mutating func receive(_ packet: ARPPacket, now: Instant) -> [ARPAction] {
        // Without an address (before DHCP binds one) there is nothing to answer or learn for.
        guard !address.isUnspecified else { return [] }
        var actions: [ARPAction] = []
        let sender = packet.senderProtocol
        let forUs = packet.targetProtocol == address
        let valid = sender != .any && !packet.senderHardware.isMulticast && sender != address
        let onLink = network.contains(sender) && sender != network.broadcast && sender != network.network
        if valid, !onLink, forUs { offLinkSenders += 1 }
        if valid, onLink, entries[sender] != nil || forUs {
            let used: Bool
            switch entries[sender] {
            case let .pending(_, _, waiting):
                actions += waiting.map { .transmit($0, to: packet.senderHardware) }
                used = true
            case let .resolved(_, _, wasUsed): used = wasUsed
            case nil: used = false
            }
            if makeRoom(for: sender, rank: 1) {
                store(.resolved(packet.senderHardware, expires: now + configuration.entryLifetime, used: used), for: sender)
            }
        }
        // A sender on our network is answered (RFC 826), and so is a duplicate-address probe for
        // our address (sender 0.0.0.0, RFC 5227 section 2.1.1: our reply tells the prober the
        // address is taken). A sender off our network is not: we would never send it a packet
        // on this link, so it has no use for our address here, and its requests cost a reply each
        // (Linux's `arp_ignore=2`).
        let probe = sender == .any && !packet.senderHardware.isMulticast
        if forUs, packet.operation == .request, valid && onLink || probe {
            let reply = ARPPacket(operation: .reply, senderHardware: mac, senderProtocol: address,
                                  targetHardware: packet.senderHardware, targetProtocol: sender)
            actions.append(.send(reply, to: packet.senderHardware))
        }
        return actions
    }

    /// Takes a mapping a service on this host vouches for: the DHCP server's, whose reply to a
    /// client without an address goes to the address it hands out at the client's hardware
    /// address (RFC 2131 section 4.1), which the client cannot answer an ARP request for yet.
    /// Taken only for a host on our network, ranked as one learnt from its request (a flood of
    /// DISCOVERs replaces only such entries), and releasing what waited for it.
    public mutating func learn(_ ip: IPv4Address, at hardware: MACAddress, now: Instant) -> [ARPAction] {
        guard !address.isUnspecified, ip != address, !hardware.isMulticast,
              network.contains(ip), ip != network.broadcast, ip != network.network else { return [] }
        var actions: [ARPAction] = []
        var rank = 0
        switch entries[ip] {
        case let .pending(_, _, waiting):
            actions = waiting.map { .transmit($0, to: hardware) }
            rank = 1
        case let .resolved(_, _, used): rank = used ? 1 : 0
        case nil: break
        }
        if makeRoom(for: ip, rank: 1) {
            store(.resolved(hardware, expires: now + configuration.entryLifetime, used: rank == 1), for: ip)
        }
        return actions
    }

    /// Moves the cache to another address and network (a DHCP lease, or none: 0.0.0.0/32): every
    /// entry is forgotten, with the packets that waited for one (counted in ``droppedPackets``).
    public mutating func changeInterface(to interface: IPv4Prefix) {
        for entry in entries.values {
            if case let .pending(_, _, waiting) = entry { droppedPackets += UInt64(waiting.count) }
        }
        entries = [:]
        lastUsed = nil
        deadlines = DeadlineHeap()
        evictionOrder = [DeadlineHeap<IPv4Address>](repeating: DeadlineHeap(), count: 3)
        address = interface.address
        network = interface
    }

    /// Retries requests that are due, gives up on addresses that did not answer, and forgets
    /// expired entries.
    ///
    /// Only the entries due are visited, taken from the deadline heap.
    public mutating func tick(now: Instant) -> [ARPAction] {
        var actions: [ARPAction] = []
        while let (deadline, ip) = deadlines.first, deadline <= now {
            deadlines.removeFirst()
            guard let entry = entries[ip], entry.deadline == deadline else { continue }
            switch entry {
            case .resolved:
                entries[ip] = nil
                lastUsed = nil
            case let .pending(_, sent, waiting):
                if sent >= configuration.maximumRequests {
                    droppedPackets += UInt64(waiting.count)
                    entries[ip] = nil
                    lastUsed = nil
                } else {
                    store(.pending(nextRequest: now + configuration.retryInterval, requestsSent: sent + 1, waiting: waiting), for: ip)
                    actions.append(.request(ip))
                }
            }
        }
        dropStaleDeadlines()
        return actions
    }

    /// When ``tick(now:)`` next has work: the earliest retry or expiry, from the top of the heap.
    public var nextDeadline: Instant? { deadlines.first?.deadline }

    /// Sets (or, with nil, removes) the entry for `ip`, and puts its deadline on the heaps.
    private mutating func store(_ entry: Entry?, for ip: IPv4Address) {
        let old = entries[ip]
        entries[ip] = entry
        lastUsed = nil
        if let entry {
            if entry.deadline != old?.deadline { deadlines.push(entry.deadline, ip) }
            if entry.deadline != old?.deadline || entry.rank != old?.rank { evictionOrder[entry.rank].push(entry.deadline, ip) }
        }
        dropStaleDeadlines()
        let table = entries
        if deadlines.count > 2 * entries.count + 64 {
            deadlines.compact { deadline, ip in table[ip]?.deadline == deadline }
        }
        for rank in evictionOrder.indices where evictionOrder[rank].count > 2 * entries.count + 64 {
            evictionOrder[rank].compact { deadline, ip in table[ip].map { $0.rank == rank && $0.deadline == deadline } ?? false }
        }
    }

    /// Pops items that are no longer current off the top, so that ``nextDeadline`` is exact.
    private mutating func dropStaleDeadlines() {
        while let (deadline, ip) = deadlines.first, entries[ip]?.deadline != deadline { deadlines.removeFirst() }
    }

    /// Pops items that are no longer current off the top of `rank`'s eviction heap.
    private mutating func dropStaleEvictionItems(rank: Int) {
        while let (deadline, ip) = evictionOrder[rank].first {
            if let entry = entries[ip], entry.rank == rank, entry.deadline == deadline { return }
            evictionOrder[rank].removeFirst()
        }
    }

    /// Items held in the heaps, current and stale: at most a constant times ``count`` plus a
    /// constant, whatever the traffic (a test's view of the bookkeeping's bound).
    var heapItems: Int { deadlines.count + evictionOrder.reduce(0) { $0 + $1.count } }
}
