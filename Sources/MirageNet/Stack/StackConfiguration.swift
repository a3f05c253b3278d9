import MirageCore

/// How a direct stack is set up: its addresses and limits (MirageOS's `Ipv4.connect` arguments and
/// `Tcp` tunables). Boot arguments `--ipv4=ADDRESS/PREFIX` and `--ipv4-gateway=ADDRESS` fill the
/// addresses.
public struct StackConfiguration: Sendable {
    /// Our address and the on-link network.
    public var address: IPv4Prefix
    /// Where packets for other networks go; without one, only the on-link network is reachable.
    public var gateway: IPv4Address?
    /// IPv6 beside IPv4: addresses (link-local and SLAAC by default), the neighbour cache.
    public var ipv6 = IPv6Configuration()
    public var tcp = TCPConfiguration()
    public var arp = ARPCache.Configuration()
    public var reassembly = IPv4Reassembler.Configuration()
    /// Established connections waiting for `accept` per listener (the listen backlog).
    public var listenBacklog = 128
    /// Connections in SYN-RECEIVED per listener; beyond this, SYN cookies answer (RFC 4987).
    public var halfOpenLimit = 256
    /// The caps on connections by state: all but TIME-WAIT, TIME-WAIT, orphans.
    public var connectionLimits = ConnectionLimits()
    /// Destinations whose path MTU is remembered (RFC 1191), at most; only connections in flight
    /// teach one, and each expires after 10 minutes.
    public var pathMTUEntryLimit = 256
    /// Bytes of memory all TCP connections' receive queues may hold together, at the buffers'
    /// real size: a quarter of a 32 MiB guest. Each connection also keeps to its own
    /// ``TCPConfiguration/receiveMemoryLimit``; as the total nears this limit every connection's
    /// window shrinks, and past it segments are dropped (``TCPConnectionStatistics/receiveMemoryDrops``),
    /// except into a connection's ``TCPConfiguration/receiveMemoryGuaranteed``.
    public var tcpReceiveMemoryLimit = 8 * 1024 * 1024
    /// Datagrams queued per UDP port before new ones are dropped.
    public var udpQueueLimit = 256
    /// Bytes of memory queued per UDP port (the buffers' real size) before new datagrams are
    /// dropped.
    public var udpQueueMemoryLimit = 256 * 1024
    /// ICMP errors we send: a token bucket of this many, refilled at ``icmpErrorsPerSecond``
    /// (RFC 1812 section 4.3.2.8 asks for rate limiting).
    public var icmpErrorBurst = 10
    public var icmpErrorsPerSecond = 100

    public init(address: IPv4Prefix, gateway: IPv4Address? = nil) {
        self.address = address
        self.gateway = gateway
    }
}
