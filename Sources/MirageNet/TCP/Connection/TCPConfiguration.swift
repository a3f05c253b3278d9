/// Tunables of the TCP implementation. The defaults follow the RFCs and common practice (Linux's
/// where the RFCs leave a range).
public struct TCPConfiguration: Sendable {
    /// Octets the receive buffer holds; the advertised window never exceeds it. Nothing is
    /// allocated for it ahead: it bounds what a connection keeps while the application has not
    /// read. A megabyte keeps a fast sender on this host busy (measured with Benchmarks/tcp: a
    /// quarter of it costs about 15% of bulk receiving).
    public var receiveBufferSize = 1024 * 1024
    /// Bytes of memory the receive queue may hold, counted at the buffers' real size
    /// (``MirageCore/PacketBuffer/trueSize``), not by payload: by default twice
    /// ``receiveBufferSize`` and 64 KiB, room for a full buffer of segments kept as they came. The
    /// advertised window shrinks as memory fills (``TCPConnection/receiveSpace``), and a segment
    /// that would pass the limit is dropped, out-of-order data first.
    public var receiveMemoryLimit: Int {
        get { receiveMemoryLimitOverride ?? 2 * receiveBufferSize + 64 * 1024 }
        set { receiveMemoryLimitOverride = newValue }
    }
    private var receiveMemoryLimitOverride: Int?
    /// Bytes of receive memory a connection may hold however full the stack's budget
    /// (``StackConfiguration/tcpReceiveMemoryLimit``) is, as Linux guarantees `tcp_rmem[0]`: a
    /// connection whose application reads is never starved by others that do not. The stack's
    /// total may pass its budget by at most this much per connection.
    public var receiveMemoryGuaranteed = 16 * 1024
    /// Octets the send buffer holds; writers wait while it is full. Its memory grows with use, so
    /// this is a bound, not what every connection takes. A megabyte keeps a device that cuts
    /// 64 KiB segments busy (measured with Benchmarks/tcp: a quarter of it halves bulk sending).
    public var sendBufferSize = 1024 * 1024
    /// The MSS assumed when the peer sends none (RFC 9293 section 3.7.1: 536 for IPv4).
    public var defaultMSS = 536
    public var congestionAlgorithm = CongestionAlgorithm.cubic
    /// Whether to offer SACK (RFC 2018), timestamps and window scaling (RFC 7323).
    public var offersSACK = true
    public var offersTimestamps = true
    public var offersWindowScale = true
    /// The smallest and largest retransmission timeout (RFC 6298 section 2.4 asks for at least one
    /// second; like Linux we allow 200 ms, which RFC 6298 section 4 permits for fine clocks).
    public var minimumRTO = Duration.milliseconds(200)
    public var maximumRTO = Duration.seconds(60)
    /// The RTO before any RTT sample (RFC 6298 section 2.1).
    public var initialRTO = Duration.seconds(1)
    /// Consecutive timeouts after which a connection is given up (RFC 9293 section 3.8.3's R2),
    /// and the count for SYNs (R2 for SYN).
    public var maximumRetransmissions = 12
    public var maximumSYNRetransmissions = 6
    /// How long an ACK may be delayed (RFC 9293 section 3.8.6.3: less than 0.5 s).
    public var delayedACKTimeout = Duration.milliseconds(40)
    /// The maximum segment lifetime; TIME-WAIT lasts twice this (RFC 9293 section 3.4.2).
    public var maximumSegmentLifetime = Duration.seconds(30)
    /// Disables Nagle's algorithm (RFC 9293 section 3.7.4) when true.
    public var noDelay = false
    /// Keepalive (RFC 9293 section 3.8.4): off unless set; idle time, interval and probe count.
    public var keepAliveIdle: Duration? = nil
    public var keepAliveInterval = Duration.seconds(75)
    public var keepAliveProbes = 9
    /// How long the peer may keep its window closed while data waits to be sent before the
    /// connection is given up with ``MirageCore/FlowError/timedOut``: RFC 9293 section 3.8.6.1
    /// lets a sender probe a zero window forever, which lets a peer pin the data (and the
    /// connection) for good; RFC 5482's user timeout bounds it, as Linux bounds its probes.
    public var zeroWindowTimeout = Duration.seconds(120)
    /// How long a connection the application has closed may take to send what it still holds
    /// and its FIN (FIN-WAIT-1, CLOSING, LAST-ACK) before it is reset (Linux's orphan retries).
    public var orphanTimeout = Duration.seconds(60)

    public init() {}

    /// The window scale shift that lets the receive buffer be advertised whole (RFC 7323 section
    /// 2.3: at most 14).
    var receiveWindowScale: UInt8 {
        var scale: UInt8 = 0
        while scale < 14, receiveBufferSize >> Int(scale) > 65535 { scale += 1 }
        return scale
    }
}
