import MirageCore

/// An address a DHCP server gave us and what came with it (RFC 2131 section 3.1; RFC 2132's
/// options), as the client bound it.
public struct DHCPLease: Hashable, Sendable {
    /// Our address and the on-link network (option 1's mask; without one, the address's class).
    public var address: IPv4Prefix
    /// Option 3: routers, the first one the gateway.
    public var routers: [IPv4Address]
    /// Option 6: DNS resolvers, in order of preference.
    public var domainNameServers: [IPv4Address]
    /// Option 15.
    public var domainName: String?
    /// Option 12: the name the server gave us.
    public var hostName: String?
    /// Option 26.
    public var interfaceMTU: Int?
    /// Option 54: the server that gave the lease.
    public var server: IPv4Address
    /// Option 51; nil for an infinite lease (0xffffffff).
    public var leaseTime: Duration?
    /// T1 and T2 (options 58 and 59, or 1/2 and 7/8 of the lease: RFC 2131 section 4.4.5).
    public var renewalTime: Duration?
    public var rebindingTime: Duration?
    /// When the request that the server acknowledged was sent: the lease's times count from it
    /// (RFC 2131 section 4.4.1).
    public var start: Instant

    /// The gateway: the first router.
    public var gateway: IPv4Address? { routers.first }

    /// When T1, T2 and the lease end; nil for an infinite lease.
    public var renewsAt: Instant? { renewalTime.map { start + $0 } }
    public var rebindsAt: Instant? { rebindingTime.map { start + $0 } }
    public var expiresAt: Instant? { leaseTime.map { start + $0 } }

    /// The lease an acknowledgement gives, or nil when it gives none: no address, or one that
    /// cannot be a host's (unspecified, broadcast, multicast, loopback), or no server identifier.
    init?(acknowledgement message: DHCPMessage, requestedAt start: Instant) {
        let address = message.yourAddress
        let options = message.options
        guard !address.isUnspecified, !address.isBroadcast, !address.isMulticast, !address.isLoopback,
              let server = options.serverIdentifier else { return nil }
        let length = options.subnetMask.flatMap(Self.prefixLength(ofMask:)) ?? Self.classfulLength(of: address)
        self.address = IPv4Prefix(address: address, length: length)
        routers = options.routers.filter { !$0.isUnspecified && !$0.isBroadcast && !$0.isMulticast }
        domainNameServers = options.domainNameServers.filter { !$0.isUnspecified && !$0.isBroadcast && !$0.isMulticast }
        domainName = options.domainName
        hostName = options.hostName
        interfaceMTU = options.interfaceMTU.map(Int.init)
        self.server = server
        self.start = start
        guard let seconds = options.leaseTime, seconds != .max else {
            leaseTime = nil
            renewalTime = nil
            rebindingTime = nil
            return
        }
        let lease = Int64(seconds)
        // T1 and T2 as given when they are in order below the lease, else the defaults.
        var t1 = options.renewalTime.map(Int64.init) ?? lease / 2
        var t2 = options.rebindingTime.map(Int64.init) ?? lease * 7 / 8
        if !(t1 <= t2 && t2 <= lease) {
            t1 = lease / 2
            t2 = lease * 7 / 8
        }
        leaseTime = .seconds(lease)
        renewalTime = .seconds(t1)
        rebindingTime = .seconds(t2)
    }

    /// The prefix length of a contiguous mask; nil for another mask.
    static func prefixLength(ofMask mask: IPv4Address) -> Int? {
        let length = mask.value.leadingNonzeroBitCount
        return mask.value == (length == 0 ? 0 : UInt32.max << (32 - length)) ? length : nil
    }

    /// The mask of the address's class (RFC 791), for a server that sends none.
    static func classfulLength(of address: IPv4Address) -> Int {
        switch address.value >> 29 {
        case 0 ... 3: 8
        case 4, 5: 16
        default: 24
        }
    }
}

extension DHCPLease: CustomStringConvertible {
    /// One line for the log: "10.0.0.5/24 from 10.0.0.1 for 3600 s, gateway 10.0.0.1, DNS
    /// 10.0.0.1, domain example.org".
    public var description: String {
        var text = "\(address) from \(server)"
        text += leaseTime.map { " for \($0.components.seconds) s" } ?? " for ever"
        if let gateway { text += ", gateway \(gateway)" }
        if !domainNameServers.isEmpty { text += ", DNS " + domainNameServers.map { $0.description }.joined(separator: " ") }
        if let domainName { text += ", domain \(domainName)" }
        if let hostName { text += ", host name \(hostName)" }
        if let interfaceMTU { text += ", MTU \(interfaceMTU)" }
        return text
    }
}

extension UInt32 {
    /// The number of leading one bits.
    var leadingNonzeroBitCount: Int { (~self).leadingZeroBitCount }
}
