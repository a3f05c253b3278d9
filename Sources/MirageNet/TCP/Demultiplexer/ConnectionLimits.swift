/// The caps on a stack's TCP connections by state (``StackConfiguration/connectionLimits``). At
/// each, the least valuable is given up and counted in ``StackStatistics``; nothing grows past it.
public struct ConnectionLimits: Sendable, Equatable {
    /// Connections in any state but TIME-WAIT, orphans included: at the cap a SYN gets no answer
    /// (the peer retries, as when a listen queue is full) and an active open fails with
    /// ``MirageCore/FlowError/tooManyConnections``. Each idle connection holds about 2 KiB; what
    /// their buffers may hold is bounded apart (``StackConfiguration/tcpReceiveMemoryLimit``).
    public var connections = 1024
    /// Connections in TIME-WAIT: past it a connection that would wait is forgotten at once, as
    /// Linux does past `tcp_max_tw_buckets` (RFC 6191 and timestamps protect the next
    /// incarnation as well as TIME-WAIT would).
    public var timeWait = 1024
    /// Connections the application closed that are still sending (FIN-WAIT-1, FIN-WAIT-2,
    /// CLOSING, LAST-ACK): past it a close resets the connection at once, as Linux does past
    /// `tcp_max_orphans`.
    public var orphans = 256

    public init() {}
}

/// How many connections a demultiplexer holds, by the states ``ConnectionLimits`` caps.
struct ConnectionCensus: Equatable {
    private(set) var active = 0
    private(set) var timeWait = 0
    private(set) var orphans = 0

    /// Counts `entry` in (`delta` 1) or out (-1).
    mutating func count(_ entry: TCPDemultiplexer.Entry, _ delta: Int) {
        count(Self.category(state: entry.tcp.state, owner: entry.owner), delta)
    }

    enum Category { case active, timeWait, orphan }

    static func category(state: TCPConnection.State, owner: TCPDemultiplexer.Owner) -> Category {
        if state == .timeWait { return .timeWait }
        return owner == .orphan ? .orphan : .active
    }

    mutating func count(_ category: Category, _ delta: Int) {
        switch category {
        case .active: active += delta
        case .timeWait: timeWait += delta
        case .orphan: orphans += delta
        }
    }
}
