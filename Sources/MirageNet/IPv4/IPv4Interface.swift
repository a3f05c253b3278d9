import MirageCore

/// IPv4 on one interface (RFC 791; RFC 1122 section 3) as a pure core: which packets are ours,
/// reassembly, where packets go, and the path MTUs learnt (RFC 1191). It takes packets and the
/// time and says what to do; it reads no clock and sends nothing itself.
///
/// - Input (``receive(_:now:)``): the header is checked, only packets to our address or to a
///   broadcast address are taken, broadcast and multicast sources are refused (RFC 1122 section
///   3.2.1.3), and fragments are reassembled (``IPv4Reassembler``).
/// - Output (``route(_:to:dontFragment:)``): the next hop (RFC 1122 section 3.3.1), the MTU towards
///   the destination and a header with the next identification (RFC 791 section 3.2); the stack
///   fragments and hands the packets to the link.
public struct IPv4Interface {
    /// What became of a received packet.
    public enum Input: Equatable {
        /// A whole datagram for the transport named in `header`: `payload` is its data, and
        /// `isReassembled` says it came in fragments (so there is no single packet an ICMP error
        /// could quote).
        case deliver(IPv4Header, payload: PacketBuffer, isBroadcast: Bool, isReassembled: Bool)
        /// A fragment, kept until its datagram is whole.
        case held
        /// Dropped, for `Drop`'s reason.
        case dropped(Drop)
    }

    /// Why a received packet was dropped.
    public enum Drop: Hashable, Sendable {
        /// The header did not parse or its checksum is wrong.
        case invalid(WireError)
        /// It is for another address.
        case notForUs
        /// Its source is a broadcast or multicast address (RFC 1122 section 3.2.1.3).
        case badSource
        /// The reassembler refused the fragment.
        case fragment(ReassemblyDrop)
    }

    /// Where a datagram goes: its header (without total length), the next hop, the MTU towards
    /// the destination, and whether the link's broadcast address is the next hop.
    public struct Route: Hashable {
        public var header: IPv4Header
        public var hop: IPv4Address
        public var mtu: Int
        public var isBroadcast: Bool
    }

    /// Our address and the on-link network; 0.0.0.0/32 before DHCP gives one.
    public private(set) var network: IPv4Prefix
    /// Where packets for other networks go; without one, only the on-link network is reachable.
    public private(set) var gateway: IPv4Address?
    /// The link's MTU.
    public let mtu: Int
    var reassembler: IPv4Reassembler
    /// Path MTUs learnt from ICMP "fragmentation needed" (RFC 1191), per destination, until
    /// they expire.
    private var pathMTU: PathMTUTable<IPv4Address>
    /// Destinations with a learnt path MTU held at most.
    public var pathMTUEntryLimit: Int { pathMTU.limit }
    private var nextIdentification: UInt16

    /// - Parameter firstIdentification: the identification of the first datagram sent; from the
    ///   stack's secret, so that identifications do not reveal how much it sent.
    ///   - pathMTUEntryLimit: destinations with a learnt path MTU held at most.
    public init(network: IPv4Prefix, gateway: IPv4Address?, mtu: Int, reassembly: IPv4Reassembler.Configuration,
                firstIdentification: UInt16, pathMTUEntryLimit: Int = 256) {
        pathMTU = PathMTUTable(limit: pathMTUEntryLimit, lifetime: Self.pathMTULifetime)
        self.network = network
        self.gateway = gateway
        self.mtu = mtu
        reassembler = IPv4Reassembler(configuration: reassembly)
        nextIdentification = firstIdentification
    }

    public var address: IPv4Address { network.address }

    /// Whether the interface has an address: until DHCP binds one it has 0.0.0.0, takes packets to
    /// any address (a DHCP server may send its offer to the address it offers, RFC 2131 section
    /// 4.1) and routes only to the broadcast address.
    public var isConfigured: Bool { !network.address.isUnspecified }

    /// Moves the interface to another address and network, forgetting the path MTUs learnt.
    public mutating func changeNetwork(to network: IPv4Prefix, gateway: IPv4Address?) {
        self.network = network
        self.gateway = gateway
        pathMTU.removeAll()
    }

    /// Whether `destination` is the limited broadcast address or the network's.
    public func isBroadcast(_ destination: IPv4Address) -> Bool {
        destination == .broadcast || isConfigured && destination == network.broadcast
    }

    // MARK: Input

    /// Takes a received packet (RFC 791; RFC 1122 section 3.2.1): header checks, our address or
    /// broadcast only, no broadcast or multicast sources, then reassembly.
    /// - Parameter packet: the IPv4 packet, header first (bytes past its total length, such as
    ///   Ethernet padding, are ignored).
    /// - Parameter charged: bytes IPv6's reassembly holds, counted against the shared budget.
    public mutating func receive(_ packet: PacketBuffer, now: Instant, charged: Int = 0) -> Input {
        let header: IPv4Header
        do {
            header = try packet.withUnsafeBytes { (bytes) throws(WireError) in try IPv4Header.parse(bytes) }
        } catch {
            return .dropped(.invalid(error))
        }
        let isBroadcast = isBroadcast(header.destination)
        guard header.destination == address || isBroadcast || !isConfigured else { return .dropped(.notForUs) }
        // The network's broadcast address is a host's address on a /31 or /32 (RFC 3021).
        guard !header.source.isBroadcast, !header.source.isMulticast,
              header.source != network.broadcast || network.length >= 31 else {
            return .dropped(.badSource)
        }
        switch reassembler.receive(header, payload: packet.slice(header.payloadRange), now: now, charged: charged) {
        case let .complete(whole, payload):
            return .deliver(whole, payload: payload, isBroadcast: isBroadcast, isReassembled: header.isFragment)
        case .incomplete:
            return .held
        case let .dropped(reason):
            return .dropped(.fragment(reason))
        }
    }

    // MARK: Output

    /// The next hop for `destination` (RFC 1122 section 3.3.1): itself when on-link or broadcast,
    /// else the gateway; nil when unreachable.
    public func nextHop(for destination: IPv4Address) -> IPv4Address? {
        if destination == .broadcast || isConfigured && network.contains(destination) { return destination }
        return isConfigured ? gateway : nil
    }

    /// The MTU towards `destination`: the path MTU when one was learnt, else the link's.
    public func mtu(towards destination: IPv4Address) -> Int {
        pathMTU.mtu(towards: destination, otherwise: mtu)
    }

    /// Where a datagram of `protocol` to `destination` goes, with its header (the next
    /// identification taken); nil when there is no route.
    public mutating func route(_ protocol: IPProtocol, to destination: IPv4Address, dontFragment: Bool) -> Route? {
        guard let hop = nextHop(for: destination) else { return nil }
        var header = IPv4Header(totalLength: 0, protocol: `protocol`, source: address, destination: destination)
        header.identification = nextIdentification
        nextIdentification &+= 1
        header.dontFragment = dontFragment
        return Route(header: header, hop: hop, mtu: mtu(towards: destination), isBroadcast: isBroadcast(destination))
    }

    /// The least path MTU believed, whatever a message says: Linux's `min_pmtu`. A forged
    /// "fragmentation needed" cannot push segments to a peer below it (RFC 5927 section 4.1 warns
    /// of tiny MTUs).
    public static let minimumPathMTU = 552
    /// How long a learnt path MTU holds before the link's is tried again (RFC 1191 section 6.3:
    /// "no less than 10 minutes").
    public static let pathMTULifetime = Duration.seconds(600)

    /// Takes a next-hop MTU from an ICMP "fragmentation needed" that the stack has checked
    /// against a connection to `destination` (RFC 1191 section 4), raised to
    /// ``minimumPathMTU``. A missing MTU (0) or one not below the current one is ignored. At
    /// ``Configuration/pathMTUEntryLimit`` entries, the one that expires first makes room.
    /// - Returns: the new path MTU, or nil when it did not shrink.
    public mutating func learnPathMTU(_ nextHopMTU: Int, towards destination: IPv4Address, now: Instant) -> Int? {
        guard nextHopMTU > 0 else { return nil }
        let mtu = Swift.max(nextHopMTU, Self.minimumPathMTU)
        return pathMTU.learn(mtu, towards: destination, current: self.mtu(towards: destination), now: now)
    }

    /// How many destinations have a learnt path MTU.
    public var pathMTUCount: Int { pathMTU.count }

    // MARK: Timers

    /// When ``handleTimers(now:)`` next has work: the earliest reassembly timeout or path MTU
    /// expiry.
    public var nextDeadline: Instant? {
        reassembler.nextDeadline.earliest(pathMTU.nextDeadline)
    }

    /// Forgets datagrams whose reassembly timed out and path MTUs that expired; returns the
    /// datagrams given up on whose first fragment had come, for the stack's Time Exceeded.
    @discardableResult
    public mutating func handleTimers(now: Instant) -> [IPv4Reassembler.Abandoned] {
        var abandoned: [IPv4Reassembler.Abandoned] = []
        if let deadline = reassembler.nextDeadline, deadline <= now { abandoned = reassembler.tick(now: now) }
        pathMTU.expire(now: now)
        return abandoned
    }
}
