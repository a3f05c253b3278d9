import MirageCore

/// What a direct stack holds on its peers' behalf at one moment, each beside its cap: the
/// figures an operator watches under attack (``DirectStack/holdings``, and a debug log line of the
/// `net` source when they change). Memory is charged at its real size (buffer capacity and
/// bookkeeping, ``PacketBuffer/trueSize``), as the caps count it.
public struct StackHoldings: Hashable, Sendable {
    /// TCP connections in any state but TIME-WAIT, orphans included
    /// (cap ``ConnectionLimits/connections``).
    public var connections = 0
    /// Connections in TIME-WAIT (cap ``ConnectionLimits/timeWait``).
    public var timeWait = 0
    /// Connections the application closed that are still sending (cap ``ConnectionLimits/orphans``).
    public var orphans = 0
    /// Connections in SYN-RECEIVED on the listeners, together (cap per listener
    /// ``StackConfiguration/halfOpenLimit``; past it, SYN cookies).
    public var halfOpen = 0
    /// Received TCP data the applications have not read (cap
    /// ``StackConfiguration/tcpReceiveMemoryLimit``).
    public var tcpReceiveBytes = 0
    /// Fragments waiting for reassembly, IPv4 and IPv6 together (cap
    /// ``ReassemblyConfiguration/memoryLimit``, one budget for both).
    public var reassemblyBytes = 0
    /// Datagrams queued on UDP ports, together (cap per port
    /// ``StackConfiguration/udpQueueMemoryLimit``).
    public var udpQueueBytes = 0
    /// ARP cache entries (cap ``ARPCache/Configuration/entryLimit``).
    public var arpEntries = 0
    /// IPv6 neighbour cache entries (cap ``NeighborCache/Configuration/entryLimit``, half of it
    /// for neighbours only heard from).
    public var neighborEntries = 0
    /// Destinations with a learnt path MTU, IPv4 and IPv6 (cap ``StackConfiguration/pathMTUEntryLimit`` each).
    public var pathMTUEntries = 0

    public init() {}

    /// The memory the stack holds for its peers' data, at real size: TCP receive queues,
    /// fragments and UDP queues.
    public var chargedBytes: Int { tcpReceiveBytes + reassemblyBytes + udpQueueBytes }

    /// One line for the log.
    public var summary: String {
        "holding TCP \(connections) connections (\(halfOpen) half-open, \(orphans) orphans), \(timeWait) in TIME-WAIT, "
            + "\(tcpReceiveBytes) bytes received unread; reassembly \(reassemblyBytes) bytes; UDP queues \(udpQueueBytes) bytes; "
            + "ARP \(arpEntries) entries; neighbours \(neighborEntries) entries; path MTU \(pathMTUEntries) entries"
    }
}

extension StackCore {
    /// What the stack holds on its peers' behalf now (counted as it goes: reading it costs time
    /// in the number of listeners only).
    public var holdings: StackHoldings {
        var holdings = StackHoldings()
        holdings.connections = tcp.census.active + tcp.census.orphans
        holdings.timeWait = tcp.census.timeWait
        holdings.orphans = tcp.census.orphans
        holdings.halfOpen = tcp.listeners.values.reduce(0) { $0 + $1.halfOpen }
        holdings.tcpReceiveBytes = tcp.receiveMemoryCharged
        holdings.reassemblyBytes = ipv4.reassembler.statistics.chargedBytes + ipv6Reassembler.statistics.chargedBytes
        holdings.udpQueueBytes = udp.chargedBytes
        holdings.arpEntries = arp.count
        holdings.neighborEntries = neighbors.count
        holdings.pathMTUEntries = ipv4.pathMTUCount + ipv6.pathMTUCount
        return holdings
    }
}
