import MirageCore

/// The whole IPv4 stack of one interface as a pure core: Ethernet frames and the time go in
/// (``receive(_:now:)``, ``handleTimers(now:)``, and the socket calls), frames to transmit come
/// out of ``takeFrames()``, and ``drainChanges(_:)`` names the connections, listeners and ports whose
/// waiters the shell (``DirectStack``) should wake. It reads no clock and draws no randomness (the
/// secret key comes in at creation).
///
/// It composes one pure core per protocol, each a stored property changed in place, and carries
/// out what they ask for:
/// - Ethernet (`Ethernet/`, wire format only) and ARP (`ARP/`, ``ARPCache``): frames in and out,
///   in `StackCore+Ethernet.swift`;
/// - IPv4 (`IPv4/`, ``IPv4Interface`` with its reassembler and fragmenter): input, routing and
///   output, in `StackCore+IPv4.swift`;
/// - ICMPv4 (`ICMPv4/`, ``ICMPv4Responder``): echo replies, path MTU, errors, in
///   `StackCore+ICMPv4.swift`;
/// - UDP (`UDP/`, ``UDPPortTable``): bound ports and their queues, in `StackCore+UDP.swift`;
/// - TCP (`TCP/`: the wire format, the ``TCPConnection`` state machine and the
///   `TCPDemultiplexer` of connections, listeners and SYN cookies): segments in and out in
///   `StackCore+TCP.swift`, the application's calls in `StackCore+TCPApplication.swift`.
///
/// The wire formats share `Wire/` (the Internet checksum, big-endian field access, ``WireError``);
/// `Capture/` records frames as pcap around any device; `Stack/` also holds the async shell
/// ``DirectStack`` with its sockets, ``StackConfiguration``, ``StackStatistics`` and
/// ``StackBootKeys``.
public struct StackCore {
    public internal(set) var configuration: StackConfiguration
    public let mac: MACAddress
    public let mtu: Int
    /// The work the network device does for us: completing checksums, cutting large TCP segments.
    public let offloads: NetworkOffloads
    public internal(set) var statistics = StackStatistics()
    var arp: ARPCache
    var ipv4: IPv4Interface
    var icmp: ICMPv4Responder
    var udp: UDPPortTable
    var tcp: TCPDemultiplexer
    var ipv6: IPv6Interface
    var neighbors: NeighborCache
    var ipv6Reassembler: IPv6Reassembler
    var icmpv6Errors: TokenBucket
    var nextIPv6Identification: UInt32
    /// Whether the IPv6 addresses changed since ``takeIPv6AddressChange()``.
    var ipv6AddressesChanged = false
    /// When the report answering the last multicast listener query goes (RFC 3810 section 6.2).
    var pendingMLDReport: Instant?
    /// Queries answered so far: each response's random delay is drawn from it.
    var mldQueries: UInt32 = 0
    /// Our tentative addresses another node turned out to have, since ``takeIPv6Duplicates()``.
    var ipv6Duplicates: [IPv6Address] = []
    /// Where the next search for an ephemeral port starts, past the offset (RFC 6056 section
    /// 3.3.3's counter).
    var nextEphemeralProbe: UInt32 = 0
    var frames: [PacketBuffer] = []
    /// Segments on their way from a connection to IPv4, kept between uses for their storage.
    var segmentScratch: [TCPSegment] = []
    var changes = Changes()
    /// Whether connections hold the ACKs they owe (see ``holdAcknowledgments()``).
    var holdingAcknowledgments = false
    /// Connections that held an ACK, for ``sendHeldAcknowledgments(now:)``.
    var heldAcknowledgments: [ConnectionID] = []
    /// The address an ARP probe asked about (``probeAddress(_:)``), and the conflicts seen on it.
    var watchedAddress: IPv4Address?
    var addressConflicts: [IPv4Address] = []

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
        // Room for the largest headers: Ethernet, IPv6 (IPv4's is shorter) and TCP with 40 octets
        // of options; and an IP packet ends at 65,535 octets.
        let offloadedSegmentLimit = offloads.contains(.tcpSegmentation)
            ? Swift.max(Swift.min(largestOffloadedFrame - EthernetHeader.untaggedLength, 65535) - IPv6Header.length - 60, 0)
            : 0
        let secrets = ConnectionSecrets(key: key, local: configuration.address.address)
        arp = ARPCache(interface: configuration.address, mac: mac, configuration: configuration.arp)
        ipv4 = IPv4Interface(network: configuration.address, gateway: configuration.gateway, mtu: mtu, reassembly: configuration.reassembly,
                             firstIdentification: UInt16(truncatingIfNeeded: secrets.seed(.ipv4Identification)),
                             pathMTUEntryLimit: configuration.pathMTUEntryLimit)
        icmp = ICMPv4Responder(errorBurst: configuration.icmpErrorBurst, errorsPerSecond: configuration.icmpErrorsPerSecond, now: now)
        udp = UDPPortTable(queueLimit: configuration.udpQueueLimit, queueMemoryLimit: configuration.udpQueueMemoryLimit)
        tcp = TCPDemultiplexer(configuration: configuration.tcp, listenBacklog: configuration.listenBacklog,
                               halfOpenLimit: configuration.halfOpenLimit, offloadedSegmentLimit: offloadedSegmentLimit,
                               secrets: secrets,
                               receiveMemoryLimit: configuration.tcpReceiveMemoryLimit,
                               limits: configuration.connectionLimits)
        ipv6 = IPv6Interface(configuration: configuration.ipv6, mac: mac, mtu: mtu, now: now, seed: secrets.seed(.ipv6Interface),
                             pathMTUEntryLimit: configuration.pathMTUEntryLimit)
        neighbors = NeighborCache(configuration: configuration.ipv6.neighbors)
        ipv6Reassembler = IPv6Reassembler(configuration: configuration.reassembly)
        icmpv6Errors = TokenBucket(burst: configuration.icmpErrorBurst, perSecond: configuration.icmpErrorsPerSecond, now: now)
        nextIPv6Identification = UInt32(truncatingIfNeeded: secrets.seed(.ipv6Identification))
    }

    public var address: IPv4Address { configuration.address.address }

    /// Moves the frames to transmit, in order, to the end of `queue`; the core's queue keeps its
    /// storage for the next ones.
    public mutating func moveFrames(into queue: inout [PacketBuffer]) {
        guard !frames.isEmpty else { return }
        if queue.isEmpty {
            // Each array keeps its storage, and no frame is retained and released.
            swap(&queue, &frames)
            return
        }
        queue.append(contentsOf: frames)
        frames.emptyFromEnd()
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
        changes.connectionWaiters.removeAll(keepingCapacity: true)
        changes.listeners.removeAll(keepingCapacity: true)
        changes.forgetUDPPorts()
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
    /// Starts IPv6 too: MLD reports and duplicate address detection for its first addresses.
    public mutating func start(now: Instant) {
        performIPv6Events(now: now)
        guard isConfigured else { return }
        perform(arp.announcement)
    }

    /// Runs every timer that has expired: ARP retries and expiry, reassembly timeouts, and each
    /// connection's timers.
    public mutating func handleTimers(now: Instant) {
        if let deadline = arp.nextDeadline, deadline <= now {
            for action in arp.tick(now: now) { perform(action) }
        }
        for abandoned in ipv4.handleTimers(now: now) { reportReassemblyTimeout(abandoned, now: now) }
        if let deadline = ipv6.nextDeadline, deadline <= now {
            ipv6.handleTimers(now: now)
            performIPv6Events(now: now)
        }
        if let deadline = ipv6Reassembler.nextDeadline, deadline <= now {
            for abandoned in ipv6Reassembler.tick(now: now) { reportReassemblyTimeout(abandoned, now: now) }
        }
        if let due = pendingMLDReport, due <= now {
            pendingMLDReport = nil
            sendMLDReport(groups: ipv6.solicitedNodeGroups, recordType: MLD.modeIsExclude, now: now)
        }
        if let deadline = neighbors.nextDeadline, deadline <= now {
            for action in neighbors.tick(now: now) { perform(action, now: now) }
        }
        for id in tcp.connectionsDue(at: now) {
            updateConnection(id, now: now) { $0.handleTimers(now: now) }
        }
    }

    /// When ``handleTimers(now:)`` next has work: read at every flush.
    /// (A mutating getter: the parts are read in place; a plain one is asked of a copy of the
    /// core, which the shell holds in a class.)
    public var nextDeadline: Instant? {
        mutating get {
            arp.nextDeadline.earliest(ipv4.nextDeadline).earliest(tcp.nextDeadline)
                .earliest(ipv6.nextDeadline).earliest(neighbors.nextDeadline).earliest(ipv6Reassembler.nextDeadline)
                .earliest(pendingMLDReport)
        }
    }

    /// Our IPv6 addresses, tentative ones marked.
    public var ipv6Addresses: [IPv6InterfaceAddress] { ipv6.addresses }
    /// The recursive DNS servers routers advertised (RFC 8106), newest first.
    public var ipv6DNSServers: [IPv6Address] { ipv6.dnsServers.map { $0.address } }

    /// Whether the IPv6 addresses changed since the last call (for the shell to log them).
    public mutating func takeIPv6AddressChange() -> Bool {
        defer { ipv6AddressesChanged = false }
        return ipv6AddressesChanged
    }

    /// The tentative addresses found in use by another node since the last call (RFC 4862
    /// section 5.4.5: given up; the shell logs them for a human to look at).
    public mutating func takeIPv6Duplicates() -> [IPv6Address] {
        defer { ipv6Duplicates = [] }
        return ipv6Duplicates
    }

    /// Takes one received Ethernet frame.
    public mutating func receive(_ frame: consuming PacketBuffer, now: Instant) {
        statistics.framesReceived += 1
        receiveFrame(consume frame, now: now)
    }
}
