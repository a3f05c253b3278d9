import MirageCore

/// The whole IPv4 stack of one interface as a pure core: Ethernet frames and the time go in
/// (``receive(_:now:)``, ``handleTimers(now:)``, and the socket calls), frames to transmit come
/// out of ``takeFrames()``, and ``drainChanges(_:)`` names the connections, listeners and ports whose
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
    /// The work the network device does for us: completing checksums, cutting large TCP segments.
    public let offloads: NetworkOffloads
    /// With ``NetworkOffloads/tcpSegmentation``, the most payload one TCP segment may carry.
    let offloadedSegmentLimit: Int
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
    /// Segments on their way from a connection to IPv4, kept between uses for their storage.
    var segmentScratch: [TCPSegment] = []
    var changes = Changes()
    /// Whether connections hold the ACKs they owe (see ``holdAcknowledgments()``).
    var holdingAcknowledgments = false
    /// Connections that held an ACK, for ``sendHeldAcknowledgments(now:)``.
    var heldAcknowledgments: [ConnectionID] = []

    /// - Parameters:
    ///   - key: 16 random bytes' worth of secret for ISNs, SYN cookies and ports.
    ///   - offloads: what the device does for us (``NetworkDevice/offloads``).
    ///   - largestOffloadedFrame: with ``NetworkOffloads/tcpSegmentation``, the longest frame the
    ///     device takes to segment (``NetworkDevice/largestOffloadedFrame``).
    public init(configuration: StackConfiguration, mac: MACAddress, mtu: Int, key: (UInt64, UInt64), now: Instant,
                offloads: NetworkOffloads = [], largestOffloadedFrame: Int = 0) {
        self.configuration = configuration
        self.mac = mac
        self.mtu = mtu
        self.offloads = offloads
        // Room for the largest headers: Ethernet, IPv4 without options and TCP with 40 octets of
        // options; and an IPv4 packet ends at 65,535 octets.
        offloadedSegmentLimit = offloads.contains(.tcpSegmentation)
            ? Swift.max(Swift.min(largestOffloadedFrame - EthernetHeader.untaggedLength, 65535) - IPv4Header.minimumLength - 60, 0)
            : 0
        arp = ARPCache(address: configuration.address.address, mac: mac, configuration: configuration.arp)
        reassembler = IPv4Reassembler(configuration: configuration.reassembly)
        secrets = ConnectionSecrets(key: key, local: configuration.address.address)
        nextIdentification = UInt16(truncatingIfNeeded: key.0 >> 48)
        icmpTokens = Double(configuration.icmpErrorBurst)
        icmpTokensUpdated = now
    }

    public var address: IPv4Address { configuration.address.address }

    /// Moves the frames to transmit, in order, to the end of `queue`; the core's queue keeps its
    /// storage for the next ones.
    public mutating func moveFrames(into queue: inout [PacketBuffer]) {
        guard !frames.isEmpty else { return }
        queue.append(contentsOf: frames)
        frames.removeAll(keepingCapacity: true)
    }

    /// Frames to transmit, in order; the queue is emptied.
    public mutating func takeFrames() -> [PacketBuffer] {
        // Hands the array over instead of copying it out and clearing the original.
        let taken = frames
        frames = []
        return taken
    }

    /// Passes what changed since the last call to `body`, then empties it keeping its storage, so
    /// that noting the next changes allocates nothing.
    public mutating func drainChanges(_ body: (borrowing Changes) -> Void) {
        guard !changes.isEmpty else { return }
        body(changes)
        changes.connections.removeAll(keepingCapacity: true)
        changes.listeners.removeAll(keepingCapacity: true)
        changes.udpPorts.removeAll(keepingCapacity: true)
    }

    /// Has connections hold the ACKs without data that received segments make them owe, until
    /// ``sendHeldAcknowledgments(now:)``. The shell holds them while it takes a batch of frames
    /// and lets the applications read before it sends them: a read that reopens the window sends
    /// the ACK with it, one segment where there would be an ACK and then a window update
    /// (RFC 9293 section 3.8.6.3 lets a receiver delay its ACKs; this delays them within one
    /// scheduler round).
    public mutating func holdAcknowledgments() {
        holdingAcknowledgments = true
    }

    /// Whether a connection holds an ACK.
    public var holdsAcknowledgments: Bool { !heldAcknowledgments.isEmpty }

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
        var due: [ConnectionID] = []
        forEachConnectionInPlace { id, entry in
            if let deadline = entry.tcp.nextDeadline, deadline <= now { due.append(id) }
        }
        for id in due {
            updateConnection(id, now: now) { $0.handleTimers(now: now) }
        }
    }

    /// When ``handleTimers(now:)`` next has work.
    /// (A mutating getter: the connections are read in place, where iterating over them would
    /// copy each one and retain every buffer it holds.)
    public var nextDeadline: Instant? {
        mutating get {
            var earliest = arp.nextDeadline.earliest(reassembler.nextDeadline)
            forEachConnectionInPlace { _, entry in earliest = earliest.earliest(entry.tcp.nextDeadline) }
            return earliest
        }
    }

    /// Calls `body` with each connection through an inout access, so that none is copied.
    private mutating func forEachConnectionInPlace(_ body: (ConnectionID, inout ConnectionEntry) -> Void) {
        var index = connections.startIndex
        while index != connections.endIndex {
            let id = connections.keys[index]
            Self.inPlace(&connections.values[index]) { body(id, &$0) }
            connections.formIndex(after: &index)
        }
    }

    /// Takes one received Ethernet frame.
    public mutating func receive(_ frame: PacketBuffer, now: Instant) {
        statistics.framesReceived += 1
        receiveFrame(frame, now: now)
    }
}
