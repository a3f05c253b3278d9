import MirageCore

/// What a connection counted.
public struct TCPConnectionStatistics: Hashable, Sendable {
    public var segmentsSent = 0
    public var segmentsReceived = 0
    public var retransmissions = 0
    public var timeouts = 0
    public var fastRetransmits = 0
    /// Segments dropped by PAWS (RFC 7323 section 5).
    public var pawsRejected = 0
    /// Challenge ACKs sent (RFC 5961).
    public var challengeACKs = 0
    public var outOfOrderSegments = 0
    /// Segments dropped because keeping them would pass ``TCPConfiguration/receiveMemoryLimit``.
    public var receiveMemoryDrops = 0
    /// Connections given up because the peer kept its window closed past
    /// ``TCPConfiguration/zeroWindowTimeout`` (1 at most, for one connection).
    public var zeroWindowTimeouts = 0
    /// Closed connections reset because they could not finish within ``TCPConfiguration/orphanTimeout``.
    public var orphansExpired = 0
    /// SACK blocks ignored for lying outside SND.UNA ..< SND.MAX (RFC 2018 section 3).
    public var sackBlocksIgnored = 0
    /// SACKed ranges the scoreboard forgot, or did not take, to stay within its limit
    /// (64 ranges per connection).
    public var sackRangesForgotten = 0
    public init() {}
}
