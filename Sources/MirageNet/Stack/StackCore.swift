import MirageCore

/// The whole IPv4 stack of one interface as a pure core: Ethernet frames and the time go in
/// (``receive(_:now:)``, ``handleTimers(now:)``, and the socket calls), frames to transmit come
/// out of ``takeFrames()``, and ``takeChanges()`` names the connections, listeners and ports whose
/// waiters the shell (``DirectStack``) should wake. It owns the ARP cache, the reassembler, the TCP
/// connections and the UDP queues; it reads no clock and draws no randomness (the secret key comes
/// in at creation).
///
/// The layers are in extensions: `StackCore+IPv4.swift` (Ethernet, ARP, IPv4, routing),
/// `+ICMP.swift`, `+UDP.swift`, `+TCP.swift`.
public struct StackCore {
    /// What the shell must look at after a call.
    public struct Changes {
        public var connections: Set<ConnectionID> = []
        public var listeners: Set<UInt16> = []
        public var udpPorts: Set<UInt16> = []
        public var isEmpty: Bool { connections.isEmpty && listeners.isEmpty && udpPorts.isEmpty }
    }

    /// Who holds a connection: a listener until it is accepted, the application, or nobody (the
    /// application closed it; it finishes on its own and is then forgotten).
    enum Owner: Equatable {
        case listener(UInt16)
        case application
        case orphan
    }

    struct ConnectionEntry {
        var tcp: TCPConnection
        var owner: Owner
    }

    struct Listener {
        var acceptQueue: [ConnectionID] = []
        var halfOpen = 0
    }

    struct UDPPort {
        var queue: [Datagram] = []
        var head = 0
        var count: Int { queue.count - head }
    }

    public let configuration: StackConfiguration
    public let mac: MACAddress
    public let mtu: Int
    public internal(set) var statistics = StackStatistics()
    var arp: ARPCache
    var reassembler: IPv4Reassembler
    var secrets: ConnectionSecrets
    var nextIdentification: UInt16
    /// Path MTUs learnt from ICMP "fragmentation needed" (RFC 1191), per destination.
    var pathMTU: [IPv4Address: Int] = [:]
    var icmpTokens: Double
    var icmpTokensUpdated: Instant
    var connections: [ConnectionID: ConnectionEntry] = [:]
    var listeners: [UInt16: Listener] = [:]
    var udpPorts: [UInt16: UDPPort] = [:]
    var nextEphemeralProbe: UInt32 = 0
    var frames: [PacketBuffer] = []
    var changes = Changes()

    /// - Parameters:
    ///   - key: 16 random bytes' worth of secret for ISNs, SYN cookies and ports.
    public init(configuration: StackConfiguration, mac: MACAddress, mtu: Int, key: (UInt64, UInt64), now: Instant) {
        self.configuration = configuration
        self.mac = mac
        self.mtu = mtu
        arp = ARPCache(address: configuration.address.address, mac: mac, configuration: configuration.arp)
        reassembler = IPv4Reassembler(configuration: configuration.reassembly)
        secrets = ConnectionSecrets(key: key, local: configuration.address.address)
        nextIdentification = UInt16(truncatingIfNeeded: key.0 >> 48)
        icmpTokens = Double(configuration.icmpErrorBurst)
        icmpTokensUpdated = now
    }

    public var address: IPv4Address { configuration.address.address }

    /// Frames to transmit, in order; the queue is emptied.
    public mutating func takeFrames() -> [PacketBuffer] {
        // Hands the array over instead of copying it out and clearing the original.
        let taken = frames
        frames = []
        return taken
    }

    /// What changed since the last call; emptied.
    public mutating func takeChanges() -> Changes {
        defer { changes = Changes() }
        return changes
    }

    /// Announces our address (gratuitous ARP, RFC 5227 section 3): call once at start.
    public mutating func start(now: Instant) {
        perform(arp.announcement)
    }

    /// Runs every timer that has expired: ARP retries and expiry, reassembly timeouts, and each
    /// connection's timers.
    public mutating func handleTimers(now: Instant) {
        if let deadline = arp.nextDeadline, deadline <= now {
            for action in arp.tick(now: now) { perform(action) }
        }
        if let deadline = reassembler.nextDeadline, deadline <= now { reassembler.tick(now: now) }
        let due = connections.compactMap { id, entry in entry.tcp.nextDeadline.flatMap { $0 <= now ? id : nil } }
        for id in due {
            updateConnection(id, now: now) { $0.handleTimers(now: now) }
        }
    }

    /// When ``handleTimers(now:)`` next has work.
    public var nextDeadline: Instant? {
        var earliest = [arp.nextDeadline, reassembler.nextDeadline].compactMap { $0 }.min()
        for entry in connections.values {
            if let deadline = entry.tcp.nextDeadline, earliest == nil || deadline < earliest! { earliest = deadline }
        }
        return earliest
    }

    /// Takes one received Ethernet frame.
    public mutating func receive(_ frame: PacketBuffer, now: Instant) {
        statistics.framesReceived += 1
        receiveFrame(frame, now: now)
    }
}
