import MirageCore

/// How a ``DNSStubResolver`` asks, and what it keeps.
public struct DNSResolverConfiguration: Hashable, Sendable {
    /// How long to wait for each answer over UDP before asking again; doubled for each later
    /// attempt (RFC 1035 section 4.2.1 leaves it to the resolver; glibc waits 5 s, we ask sooner).
    public var timeout: Duration = .seconds(2)
    /// How often each resolver is asked over UDP before the next is tried (glibc's `attempts`).
    public var attempts = 2
    /// How long an exchange over TCP may take once connected.
    public var tcpTimeout: Duration = .seconds(5)
    /// The UDP payload offered in the OPT record (RFC 6891 section 6.2.5): 1232, so that answers
    /// are not fragmented (as the DNS flag day of 2020 chose); past it answers come truncated
    /// and are asked for again over TCP.
    public var udpPayloadSize: UInt16 = 1232
    /// Bounds on the cache of answers.
    public var cache = DNSResolverCache.Limits()
    /// How long a query waits for a resolver to be known when none is (the network's may come
    /// a moment after boot, in a router advertisement) before failing with
    /// ``DNSResolverError/noServers``.
    public var serverWait: Duration = .seconds(5)
    /// Queries under way at once; more wait for one to finish. Each holds a UDP port, or a
    /// TCP connection and its buffer of at most 65,537 bytes.
    public var concurrentQueries = 16

    public init() {}
}

/// What a ``DNSStubResolver`` has done so far.
public struct DNSResolverStatistics: Hashable, Sendable {
    /// Queries sent over UDP and over TCP.
    public var udpQueries: UInt64 = 0
    public var tcpQueries: UInt64 = 0
    /// Answers taken from the cache.
    public var cacheHits: UInt64 = 0
    /// Truncated answers asked for again over TCP.
    public var truncated: UInt64 = 0
    /// Datagrams that came back and were not the answer: another identifier, question or
    /// source, or malformed (RFC 5452).
    public var mismatched: UInt64 = 0
    /// Waits for an answer that ran out.
    public var timeouts: UInt64 = 0

    public init() {}
}
