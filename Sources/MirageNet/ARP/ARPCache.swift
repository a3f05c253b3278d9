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
public struct ARPCache {
    public struct Configuration: Sendable {
        public var entryLifetime: Duration = .seconds(60)
        public var retryInterval: Duration = .seconds(1)
        public var maximumRequests = 3
        public var queueLimit = 4
        public init() {}
    }

    enum Entry {
        case resolved(MACAddress, expires: Instant)
        case pending(nextRequest: Instant, requestsSent: Int, waiting: [PacketBuffer])
    }

    public let configuration: Configuration
    public let address: IPv4Address
    public let mac: MACAddress
    private var entries: [IPv4Address: Entry] = [:]
    /// Packets dropped because their address did not resolve or too many were waiting.
    public private(set) var droppedPackets: UInt64 = 0

    public init(address: IPv4Address, mac: MACAddress, configuration: Configuration = Configuration()) {
        self.address = address
        self.mac = mac
        self.configuration = configuration
    }

    /// The hardware address known for `ip`, if resolved and not expired.
    public func lookup(_ ip: IPv4Address, now: Instant) -> MACAddress? {
        if case let .resolved(mac, expires) = entries[ip], now < expires { return mac }
        return nil
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
        if let mac = lookup(ip, now: now) { return [.transmit(packet, to: mac)] }
        if case .pending(let next, let sent, var waiting) = entries[ip] {
            waiting.append(packet)
            if waiting.count > configuration.queueLimit {
                waiting.removeFirst()
                droppedPackets += 1
            }
            entries[ip] = .pending(nextRequest: next, requestsSent: sent, waiting: waiting)
            return []
        }
        entries[ip] = .pending(nextRequest: now + configuration.retryInterval, requestsSent: 1, waiting: [packet])
        return [.request(ip)]
    }

    /// Takes a received ARP packet: learns or refreshes the sender (RFC 826's merge: an entry is
    /// updated when present, added when the packet is for us), answers requests for our address,
    /// and releases the packets that were waiting for the sender.
    public mutating func receive(_ packet: ARPPacket, now: Instant) -> [ARPAction] {
        var actions: [ARPAction] = []
        let sender = packet.senderProtocol
        let forUs = packet.targetProtocol == address
        let valid = sender != .any && !packet.senderHardware.isMulticast && sender != address
        if valid, entries[sender] != nil || forUs {
            if case let .pending(_, _, waiting) = entries[sender] {
                actions += waiting.map { .transmit($0, to: packet.senderHardware) }
            }
            entries[sender] = .resolved(packet.senderHardware, expires: now + configuration.entryLifetime)
        }
        if forUs, packet.operation == .request, valid {
            let reply = ARPPacket(operation: .reply, senderHardware: mac, senderProtocol: address,
                                  targetHardware: packet.senderHardware, targetProtocol: sender)
            actions.append(.send(reply, to: packet.senderHardware))
        }
        return actions
    }

    /// Retries requests that are due, gives up on addresses that did not answer, and forgets
    /// expired entries.
    public mutating func tick(now: Instant) -> [ARPAction] {
        var actions: [ARPAction] = []
        for (ip, entry) in entries {
            switch entry {
            case let .resolved(_, expires) where expires <= now:
                entries[ip] = nil
            case let .pending(next, sent, waiting) where next <= now:
                if sent >= configuration.maximumRequests {
                    droppedPackets += UInt64(waiting.count)
                    entries[ip] = nil
                } else {
                    entries[ip] = .pending(nextRequest: now + configuration.retryInterval, requestsSent: sent + 1, waiting: waiting)
                    actions.append(.request(ip))
                }
            default:
                break
            }
        }
        return actions
    }

    /// When ``tick(now:)`` next has work: the earliest retry or expiry.
    public var nextDeadline: Instant? {
        var earliest: Instant?
        for entry in entries.values {
            switch entry {
            case let .resolved(_, expires): earliest = earliest.earliest(expires)
            case let .pending(next, _, _): earliest = earliest.earliest(next)
            }
        }
        return earliest
    }
}
