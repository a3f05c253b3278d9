import MirageCore

/// What a DHCP server hands out (RFC 2131 section 4.3, as charrua's server and dnsmasq's
/// `--dhcp-range` and `--dhcp-host` describe it): a pool of addresses in one network, static
/// leases by MAC, the options every lease carries, and the times.
public struct DHCPServerConfiguration: Sendable {
    /// The server's own address on the network: its identifier (option 54).
    public var address: IPv4Address
    /// The network served: the subnet mask (option 1) and the broadcast address (option 28).
    public var network: IPv4Prefix
    /// The addresses given to clients without a static lease.
    public var pool: ClosedRange<IPv4Address>
    /// Addresses reserved for clients by MAC (dnsmasq's `--dhcp-host=MAC,ADDRESS`); they may lie
    /// outside the pool but not outside the network.
    public var staticLeases: [MACAddress: IPv4Address] = [:]
    /// Option 3.
    public var routers: [IPv4Address] = []
    /// Option 6.
    public var domainNameServers: [IPv4Address] = []
    /// Option 15.
    public var domainName: String?
    /// Option 26.
    public var interfaceMTU: UInt16?
    /// The lease time given when a client asks for none (option 51).
    public var leaseTime = Duration.seconds(3600)
    /// The longest lease a client may ask for.
    public var maximumLeaseTime = Duration.seconds(86_400)
    /// How long an offered address stays reserved for the client it was offered to.
    public var offerTime = Duration.seconds(30)
    /// How long an address a client declined (it found it in use, RFC 2131 section 3.1 step 5)
    /// is kept out of the pool.
    public var declineQuarantine = Duration.seconds(600)
    /// Whether this is the only server of the network: it refuses (DHCPNAK) requests for
    /// addresses that are not the client's or not on the network, as RFC 2131 section 4.3.2
    /// asks; a server that is not authoritative stays silent instead.
    public var authoritative = true

    /// The most addresses a pool may hold: the lease table has an entry per address in use,
    /// and finding a free one scans at most the pool.
    public static let maximumPoolSize = 65_536

    public init(address: IPv4Address, network: IPv4Prefix, pool: ClosedRange<IPv4Address>) {
        self.address = address
        self.network = network
        self.pool = pool
    }

    /// The number of addresses in the pool.
    public var poolSize: Int { Int(pool.upperBound.value - pool.lowerBound.value) + 1 }

    /// Why the configuration cannot serve, or nil when it can.
    public var problem: String? {
        let network = IPv4Prefix(address: self.network.network, length: self.network.length)
        guard network.contains(address) else { return "the server's address \(address) is not in \(network)" }
        guard network.contains(pool.lowerBound), network.contains(pool.upperBound) else {
            return "the pool \(pool.lowerBound)-\(pool.upperBound) is not inside \(network)"
        }
        guard pool.lowerBound != network.network, pool.upperBound != network.broadcast else {
            return "the pool \(pool.lowerBound)-\(pool.upperBound) holds the network's own or broadcast address"
        }
        guard !pool.contains(address) else { return "the pool \(pool.lowerBound)-\(pool.upperBound) holds the server's address \(address)" }
        guard poolSize <= Self.maximumPoolSize else {
            return "the pool holds \(poolSize) addresses, more than \(Self.maximumPoolSize)"
        }
        for (mac, reserved) in staticLeases.sorted(by: { $0.key < $1.key }) {
            guard network.contains(reserved), reserved != network.network, reserved != network.broadcast, reserved != address else {
                return "the static lease of \(mac), \(reserved), is not a host address of \(network) other than the server's"
            }
        }
        guard leaseTime <= maximumLeaseTime, leaseTime >= .seconds(60) else {
            return "the lease time \(leaseTime.components.seconds) s is not between 60 s and the maximum \(maximumLeaseTime.components.seconds) s"
        }
        return nil
    }
}
