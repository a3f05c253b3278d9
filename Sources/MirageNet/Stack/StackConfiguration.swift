import MirageCore

/// How a direct stack is set up: its addresses and limits (MirageOS's `Ipv4.connect` arguments and
/// `Tcp` tunables). Boot arguments `--ipv4=ADDRESS/PREFIX` and `--ipv4-gateway=ADDRESS` fill the
/// addresses.
public struct StackConfiguration: Sendable {
    /// Our address and the on-link network.
    public var address: IPv4Prefix
    /// Where packets for other networks go; without one, only the on-link network is reachable.
    public var gateway: IPv4Address?
    public var tcp = TCPConfiguration()
    public var arp = ARPCache.Configuration()
    public var reassembly = IPv4Reassembler.Configuration()
    /// Established connections waiting for `accept` per listener (the listen backlog).
    public var listenBacklog = 128
    /// Connections in SYN-RECEIVED per listener; beyond this, SYN cookies answer (RFC 4987).
    public var halfOpenLimit = 256
    /// Datagrams queued per UDP port before new ones are dropped.
    public var udpQueueLimit = 256
    /// ICMP errors we send: a token bucket of this many, refilled at ``icmpErrorsPerSecond``
    /// (RFC 1812 section 4.3.2.8 asks for rate limiting).
    public var icmpErrorBurst = 10
    public var icmpErrorsPerSecond = 100

    public init(address: IPv4Prefix, gateway: IPv4Address? = nil) {
        self.address = address
        self.gateway = gateway
    }
}

/// What a direct stack counted: drops by reason, and the work it did.
public struct StackStatistics: Hashable, Sendable {
    public var framesReceived: UInt64 = 0
    public var framesSent: UInt64 = 0
    /// Frames or packets that failed to parse: too short, bad lengths, bad fields.
    public var malformed: UInt64 = 0
    public var badChecksums: UInt64 = 0
    /// Valid frames of kinds we do not handle (802.3 lengths, IPv6, VLAN-tagged, other protocols).
    public var unsupported: UInt64 = 0
    /// Frames or packets addressed to someone else.
    public var notForUs: UInt64 = 0
    public var fragmentsDropped: UInt64 = 0
    public var echoRepliesSent: UInt64 = 0
    public var icmpErrorsSent: UInt64 = 0
    public var icmpErrorsRateLimited: UInt64 = 0
    public var pathMTUUpdates: UInt64 = 0
    public var udpDatagramsReceived: UInt64 = 0
    public var udpNoPort: UInt64 = 0
    public var udpQueueFull: UInt64 = 0
    public var tcpResetsSent: UInt64 = 0
    public var tcpSegmentsToClosedPorts: UInt64 = 0
    public var synCookiesSent: UInt64 = 0
    public var synCookiesAccepted: UInt64 = 0
    public var listenOverflows: UInt64 = 0
    /// Packets we had no route for.
    public var unroutable: UInt64 = 0

    public init() {}

    /// The drop counters in one line, for the log.
    public var dropSummary: String {
        "malformed \(malformed), bad checksums \(badChecksums), unsupported \(unsupported), "
            + "fragments \(fragmentsDropped), not for us \(notForUs)"
    }

    /// Everything dropped as malformed, corrupt or unsupported.
    public var droppedInput: UInt64 { malformed + badChecksums + unsupported + fragmentsDropped }
}
