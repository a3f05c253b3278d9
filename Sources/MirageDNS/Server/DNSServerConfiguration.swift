/// What a ``DNSServer`` allows its clients, and how long it waits for them.
public struct DNSServerConfiguration: Sendable {
    /// Whether clients may have the zones by AXFR or IXFR over TCP (RFC 5936): any client
    /// that asks, as there is no access list yet. Off by default; over UDP transfers are always
    /// refused.
    public var allowsZoneTransfers = false
    /// How long a TCP connection may sit without a whole query arriving or an answer being
    /// taken before the server closes it (RFC 7766 section 6.2.3 asks for seconds, not
    /// minutes; Knot's default is 10 s).
    public var idleTimeout = Duration.seconds(10)
    /// The most TCP connections served at once; a connection beyond them is closed at once
    /// (RFC 7766 section 6.2.2), so a flood of idle connections cannot take all the memory.
    public var maximumTCPConnections = 100
    /// The most bytes of encoded UDP responses kept to answer a query asked again without
    /// working it out again (``DNSResponseCache``: each entry charged its query and response
    /// lengths plus 96 bytes; a response is kept the second time its query is seen); 0 keeps
    /// none.
    public var udpResponseCacheSize = 262_144

    public init() {}
}

/// What a ``DNSServer`` has done since it started.
public struct DNSServerStatistics: Hashable, Sendable {
    /// Datagrams received.
    public var udpQueries = 0
    /// Datagrams answered (FORMERR, REFUSED and the like included).
    public var udpAnswered = 0
    /// Of ``udpAnswered``, those answered with a response kept from an earlier, identical query.
    public var udpAnsweredFromCache = 0
    /// Datagrams dropped without an answer: responses, fragments of headers.
    public var udpDropped = 0
    /// Messages received over TCP.
    public var tcpQueries = 0
    /// Messages over TCP answered (a zone transfer counts once).
    public var tcpAnswered = 0
    /// Messages over TCP dropped without an answer.
    public var tcpDropped = 0
    /// TCP connections accepted and served.
    public var tcpConnections = 0
    /// TCP connections closed at once because ``DNSServerConfiguration/maximumTCPConnections``
    /// were being served.
    public var tcpConnectionsOverLimit = 0
    /// TCP connections closed by the server after ``DNSServerConfiguration/idleTimeout``.
    public var tcpIdleTimeouts = 0
    /// Answers that could not be sent: the network failed or the client went away.
    public var sendFailures = 0

    public init() {}
}
