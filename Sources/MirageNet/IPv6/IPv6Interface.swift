import MirageCore

/// IPv6 on one interface (RFC 8200; RFC 4861 host side; RFC 4862) as a pure core: its
/// addresses and their duplicate address detection, the prefix list and default router list
/// learnt from router advertisements, which packets are ours, where packets go, and path MTUs
/// (RFC 8201). It takes messages and the time and says what to do (``Event``); it reads no clock
/// and sends nothing itself.
///
/// Bounds: advertised prefixes, addresses formed from them, and default routers are capped
/// (``IPv6Configuration/prefixLimit``, ``IPv6Configuration/autoconfiguredAddressLimit``,
/// ``IPv6Configuration/routerLimit``); so are path MTU entries (``pathMTUEntryLimit``).
public struct IPv6Interface {
    /// What the stack must do for the interface.
    public enum Event: Hashable, Sendable {
        /// A new tentative address: join its solicited-node group (an MLD report).
        case added(IPv6Address)
        /// Report its solicited-node group again, as its first probe goes: RFC 3810 section 6.1
        /// sends an unsolicited report more than once, as one may be lost.
        case reportAgain(IPv6Address)
        /// Send a duplicate address detection solicitation for it (RFC 4862 section 5.4.2).
        case probe(IPv6Address)
        /// Detection passed: the address is in use.
        case ready(IPv6Address)
        /// Another node has this tentative address of ours; ``removed(_:)`` follows.
        case duplicate(IPv6Address)
        /// The address was removed (its lifetime ran out, or another node has it).
        case removed(IPv6Address)
        /// Send a router solicitation (RFC 4861 section 6.3.7).
        case solicitRouters
    }

    /// Where a packet goes: our source address for it, the neighbour it goes to (nil for a
    /// multicast destination, which maps to a link-layer group) and the MTU towards it.
    public struct Route: Hashable {
        public var source: IPv6Address
        public var hop: IPv6Address?
        public var mtu: Int
    }

    /// How a received packet's destination is ours.
    public enum Reception: Hashable {
        case unicast, multicast
    }

    public let configuration: IPv6Configuration
    public let interfaceIdentifier: UInt64
    /// The device's MTU; a router may announce a smaller one for the link.
    public let deviceMTU: Int
    public internal(set) var linkMTU: Int
    /// The hop limit of packets we send (a router advertisement may change it).
    public internal(set) var hopLimit: UInt8 = 64
    public internal(set) var addresses: [IPv6InterfaceAddress] = []
    /// On-link prefixes: the fixed address's, and those advertised with the L flag, until they
    /// expire (nil: never).
    public internal(set) var prefixes: [(prefix: IPv6Prefix, expires: Instant?)] = []
    /// Default routers, until their lifetime runs out (nil: given by hand), with the preference
    /// each advertises (RFC 4191 section 2.2: 1 high, 0 medium, -1 low; medium for one given by
    /// hand).
    public internal(set) var routers: [(address: IPv6Address, expires: Instant?, preference: Int8)] = []
    /// Recursive DNS servers from advertisements' RDNSS options (RFC 8106), newest first, until
    /// their lifetime runs out (nil: infinity).
    public internal(set) var dnsServers: [(address: IPv6Address, expires: Instant?)] = []
    /// Path MTUs learnt from Packet Too Big (RFC 8201), per destination, until they expire.
    var pathMTU: PathMTUTable<IPv6Address>
    public var pathMTUEntryLimit: Int { pathMTU.limit }
    var events: [Event] = []
    /// Draws the delays before first probes.
    var random: SplitMix64
    var routerSolicitationsSent = 0
    var nextRouterSolicitation: Instant?
    /// Addresses found in use by another node (RFC 4862 section 5.4.5).
    public internal(set) var duplicateAddresses: UInt64 = 0
    /// Advertised prefixes or routers not taken because their list was full.
    public internal(set) var refusedAdvertisements: UInt64 = 0

    /// RTR_SOLICITATION_INTERVAL and MAX_RTR_SOLICITATIONS (RFC 4861 section 10).
    static let routerSolicitationInterval = Duration.seconds(4)
    static let maximumRouterSolicitations = 3
    /// The least MTU of an IPv6 link (RFC 8200 section 5).
    public static let minimumMTU = 1280
    /// How long a learnt path MTU holds (RFC 8201 section 4: at least 5 minutes; 10 suggested).
    public static let pathMTULifetime = Duration.seconds(600)

    /// - Parameter seed: 64 random bits, from which the delays before first probes are drawn.
    public init(configuration: IPv6Configuration, mac: MACAddress, mtu: Int, now: Instant, seed: UInt64, pathMTUEntryLimit: Int = 256) {
        self.configuration = configuration
        random = SplitMix64(seed: seed)
        interfaceIdentifier = mac.interfaceIdentifier
        deviceMTU = mtu
        linkMTU = mtu
        pathMTU = PathMTUTable(limit: pathMTUEntryLimit, lifetime: Self.pathMTULifetime)
        guard configuration.mode != .disabled else { return }
        add(IPv6Prefix(address: IPv6Address(linkLocalWith: interfaceIdentifier), length: 64), origin: .linkLocal, now: now)
        if case let .fixed(prefix) = configuration.mode {
            add(prefix, origin: .fixed, now: now)
            prefixes.append((IPv6Prefix(address: prefix.network, length: prefix.length), nil))
        }
        if let gateway = configuration.gateway { routers.append((gateway, nil, 0)) }
    }

    public var isEnabled: Bool { configuration.mode != .disabled }

    /// The events since the last call.
    public mutating func takeEvents() -> [Event] {
        let taken = events
        events = []
        return taken
    }

    // MARK: Addresses

    /// The link-local address, once duplicate address detection has passed.
    public var linkLocalAddress: IPv6Address? {
        addresses.first { $0.origin == .linkLocal && !$0.isTentative }?.address
    }

    /// Whether `address` is one of ours, tentative ones included when asked.
    public func owns(_ address: IPv6Address, includingTentative: Bool = false) -> Bool {
        addresses.contains { $0.address == address && (includingTentative || !$0.isTentative) }
    }

    /// Whether `address` is ours but still tentative.
    public func isTentative(_ address: IPv6Address) -> Bool {
        addresses.contains { $0.address == address && $0.isTentative }
    }

    /// The multicast groups joined, besides all-nodes: the solicited-node group of every address
    /// (RFC 4861 section 7.2.1), each once.
    public var solicitedNodeGroups: [IPv6Address] {
        var groups: [IPv6Address] = []
        for entry in addresses where !groups.contains(entry.address.solicitedNode) { groups.append(entry.address.solicitedNode) }
        return groups
    }

    mutating func add(_ prefix: IPv6Prefix, origin: IPv6InterfaceAddress.Origin, now: Instant,
                              preferredUntil: Instant? = nil, validUntil: Instant? = nil) {
        var entry = IPv6InterfaceAddress(prefix: prefix, origin: origin)
        entry.nextProbe = now + random.duration(below: configuration.firstProbeDelayLimit)
        entry.preferredUntil = preferredUntil
        entry.validUntil = validUntil
        if configuration.duplicateAddressProbes == 0 {
            entry.isTentative = false
            entry.nextProbe = nil
        }
        addresses.append(entry)
        events.append(.added(prefix.address))
        if !entry.isTentative { becameReady(entry, now: now) }
    }

    mutating func becameReady(_ entry: IPv6InterfaceAddress, now: Instant) {
        events.append(.ready(entry.address))
        if entry.origin == .linkLocal, configuration.mode == .automatic {
            nextRouterSolicitation = now
        }
    }

    /// Another node has `address`, which is ours and tentative: it is given up (RFC 4862 section
    /// 5.4.5). A duplicate link-local address leaves the interface without one; a human must
    /// look.
    /// - Returns: whether it was ours and tentative.
    @discardableResult
    public mutating func duplicateDetected(_ address: IPv6Address) -> Bool {
        guard let index = addresses.firstIndex(where: { $0.address == address && $0.isTentative }) else { return false }
        addresses.remove(at: index)
        duplicateAddresses += 1
        events.append(.duplicate(address))
        events.append(.removed(address))
        return true
    }

    /// How a packet to `destination` is ours: one of our addresses (not tentative), all-nodes, or
    /// the solicited-node group of one of our addresses; nil when it is not.
    public func reception(of destination: IPv6Address) -> Reception? {
        if destination.isMulticast {
            if destination == .allNodes { return .multicast }
            return addresses.contains { $0.address.solicitedNode == destination } ? .multicast : nil
        }
        return owns(destination) ? .unicast : nil
    }

    /// Whether frames to the Ethernet group `mac` may carry packets for us.
    public func acceptsMulticast(_ mac: MACAddress) -> Bool {
        mac == IPv6Address.allNodes.multicastMAC || addresses.contains { $0.address.solicitedNode.multicastMAC == mac }
    }

    // MARK: Output

    /// Our source address for `destination` (RFC 6724 section 5, in short): the link-local
    /// address for destinations of link scope, else a preferred address whose prefix holds the
    /// destination, else any preferred address of wider scope, else the link-local one.
    public func sourceAddress(for destination: IPv6Address, now: Instant) -> IPv6Address? {
        if destination.hasLinkScope { return linkLocalAddress }
        var candidate: IPv6Address?
        for entry in addresses where entry.origin != .linkLocal && entry.isPreferred(at: now) {
            if entry.prefix.contains(destination) { return entry.address }
            if candidate == nil { candidate = entry.address }
        }
        if candidate == nil {
            // A deprecated address still serves when there is no other (RFC 4862 section 5.5.4).
            candidate = addresses.first { $0.origin != .linkLocal && !$0.isTentative }?.address
        }
        return candidate ?? linkLocalAddress
    }

    /// The neighbour a packet to `destination` goes to (RFC 4861 section 5.2): itself when on
    /// the link (link-local, or in an on-link prefix), else a default router; nil when
    /// unreachable. Multicast destinations need none (they map to a link-layer group).
    public func nextHop(for destination: IPv6Address) -> IPv6Address? {
        if destination.isMulticast || destination.isLinkLocal { return destination }
        if prefixes.contains(where: { $0.prefix.contains(destination) }) { return destination }
        // RFC 4191 section 3.2 (a type B host): the most preferred default router, the first
        // learnt among equals.
        return routers.max { $0.preference < $1.preference }?.address
    }

    /// Where a packet to `destination` goes; nil when there is no route or no source address.
    public func route(to destination: IPv6Address, now: Instant) -> Route? {
        guard isEnabled, !destination.isUnspecified, let source = sourceAddress(for: destination, now: now) else { return nil }
        if destination.isMulticast { return Route(source: source, hop: nil, mtu: linkMTU) }
        guard let hop = nextHop(for: destination) else { return nil }
        return Route(source: source, hop: hop, mtu: mtu(towards: destination))
    }

    /// The MTU towards `destination`: the path MTU when one was learnt, else the link's.
    public func mtu(towards destination: IPv6Address) -> Int {
        pathMTU.mtu(towards: destination, otherwise: linkMTU)
    }

    /// Takes the MTU of a Packet Too Big the stack has checked against a connection to
    /// `destination` (RFC 8201 section 4), raised to 1280. One not below the current MTU is
    /// ignored. At ``pathMTUEntryLimit`` entries, the one that expires first makes room.
    /// - Returns: the new path MTU, or nil when it did not shrink.
    public mutating func learnPathMTU(_ reported: Int, towards destination: IPv6Address, now: Instant) -> Int? {
        pathMTU.learn(Swift.max(reported, Self.minimumMTU), towards: destination, current: mtu(towards: destination), now: now)
    }

    public var pathMTUCount: Int { pathMTU.count }
}
