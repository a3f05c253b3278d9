import MirageCore

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
    /// Datagrams to us given up on at the reassembly timeout with their first fragment in hand,
    /// each answered with Time Exceeded, code 1 (RFC 792, RFC 8200 section 4.5), when the rate
    /// limit allowed.
    public var reassemblyTimeExceeded: UInt64 = 0
    public var pathMTUUpdates: UInt64 = 0
    /// ICMP "fragmentation needed" messages not believed: they quote no connection of ours, or
    /// data it does not have in flight (RFC 5927 section 4.1).
    public var pathMTUReportsIgnored: UInt64 = 0
    /// TCP segments longer than the path MTU allows, cut to fit before sending (never dropped).
    public var segmentsCutToPathMTU: UInt64 = 0
    public var udpDatagramsReceived: UInt64 = 0
    public var udpNoPort: UInt64 = 0
    public var udpQueueFull: UInt64 = 0
    public var tcpResetsSent: UInt64 = 0
    public var tcpSegmentsToClosedPorts: UInt64 = 0
    public var synCookiesSent: UInt64 = 0
    public var synCookiesAccepted: UInt64 = 0
    public var listenOverflows: UInt64 = 0
    /// SYNs left unanswered and active opens refused at ``ConnectionLimits/connections``.
    public var connectionLimitRefusals: UInt64 = 0
    /// Connections forgotten on entering TIME-WAIT past ``ConnectionLimits/timeWait``.
    public var timeWaitDropped: UInt64 = 0
    /// Closes that reset the connection at once past ``ConnectionLimits/orphans``.
    public var orphanLimitResets: UInt64 = 0
    /// Packets we had no route for.
    public var unroutable: UInt64 = 0
    /// IPv6 packets taken (to our addresses or groups).
    public var ipv6PacketsReceived: UInt64 = 0
    /// Neighbour discovery messages that failed its checks (RFC 4861 sections 6.1 and 7.1: hop
    /// limit not 255, router advertisements from a global source, ...), dropped.
    public var ndpInvalid: UInt64 = 0
    /// Router advertisements taken.
    public var routerAdvertisements: UInt64 = 0
    public var redirectsIgnored: UInt64 = 0
    public var neighborAdvertisementsSent: UInt64 = 0
    /// Advertisements from another node for an address we use.
    public var ipv6AddressConflicts: UInt64 = 0
    /// ARP entries replaced because the cache was full (``ARPCache/Configuration/entryLimit``).
    public var arpEntriesEvicted: UInt64 = 0
    /// ARP requests for us from senders off our network, answered but not learnt.
    public var arpOffLinkSenders: UInt64 = 0

    public init() {}

    /// The drop counters in one line, for the log.
    public var dropSummary: String {
        "malformed \(malformed), bad checksums \(badChecksums), unsupported \(unsupported), "
            + "fragments \(fragmentsDropped), not for us \(notForUs)"
    }

    /// Everything dropped as malformed, corrupt or unsupported.
    public var droppedInput: UInt64 { malformed + badChecksums + unsupported + fragmentsDropped + ndpInvalid }
}
