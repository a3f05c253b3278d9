import MirageCore
import MirageRuntime

extension StackBootKeys {
    /// The stack's caps on what peers can make it hold (docs/ARCHITECTURE.md, "What a peer can
    /// make the stack hold"), each a boot argument with the default ``StackConfiguration`` has:
    /// sized for a 32 MiB guest. On hvt the caps not given are scaled to the guest's memory
    /// (``StackConfiguration/scaleLimits(toMemory:)``), so the defaults shown are a 32 MiB
    /// guest's.
    public static let limits: [BootKey] = [
        tcpConnections, tcpTimeWait, tcpOrphans, tcpHalfOpen, tcpReceiveMemory, reassemblyMemory, arpEntries,
        pathMTUEntries, udpQueueMemory,
    ]

    static let defaults = StackConfiguration(address: IPv4Prefix(address: .any, length: 0))

    /// A count key of the network group. Out of line: the generic key initialiser, inlined into
    /// each key's initialiser, cost the image kilobytes.
    @inline(never)
    static func countKey(_ name: String, default value: Int, documentation: String) -> BootKey {
        BootKey(name, of: UInt32.self, default: UInt32(value), documentation: documentation, group: .network)
    }

    public static let tcpConnections = countKey("tcp-connections", default: defaults.connectionLimits.connections,
                                                documentation: "TCP connections held at once in any state but TIME-WAIT; past it SYNs go unanswered.")
    public static let tcpTimeWait = countKey("tcp-time-wait", default: defaults.connectionLimits.timeWait,
                                                documentation: "TCP connections in TIME-WAIT; past it a closing connection is forgotten at once.")
    public static let tcpOrphans = countKey("tcp-orphans", default: defaults.connectionLimits.orphans,
                                                documentation: "Closed TCP connections still sending; past it a close resets.")
    public static let tcpHalfOpen = countKey("tcp-half-open", default: defaults.halfOpenLimit,
                                                documentation: "Half-open TCP connections per listener; past it SYN cookies answer.")
    public static let tcpReceiveMemory = countKey("tcp-receive-memory-kib", default: defaults.tcpReceiveMemoryLimit / 1024,
                                                documentation: "KiB of memory all TCP receive queues may hold together.")
    public static let reassemblyMemory = countKey("reassembly-memory-kib", default: defaults.reassembly.memoryLimit / 1024,
                                                documentation: "KiB of memory IPv4 fragments may hold while they wait to be reassembled.")
    public static let arpEntries = countKey("arp-entries", default: defaults.arp.entryLimit,
                                                documentation: "Entries the ARP cache holds.")
    public static let pathMTUEntries = countKey("path-mtu-entries", default: defaults.pathMTUEntryLimit,
                                                documentation: "Destinations whose path MTU is remembered.")
    public static let udpQueueMemory = countKey("udp-queue-memory-kib", default: defaults.udpQueueMemoryLimit / 1024,
                                                documentation: "KiB of memory the datagrams queued on one UDP port may hold.")

    /// Applies the limits of the boot arguments to `configuration` (a count of 0 is taken as 1:
    /// every table needs room for one): with `givenOnly`, only those given on the command line,
    /// leaving scaled caps alone where the key only has its default. Keys not declared leave the
    /// configuration's caps.
    static func applyLimits(_ arguments: BootArguments, to configuration: inout StackConfiguration, givenOnly: Bool = false) {
        func count(_ key: BootKey) -> Int? {
            if givenOnly, !arguments.wasGiven(key.name) { return nil }
            return arguments.optionalValue(key.name, as: UInt32.self).map { Swift.max(Int($0), 1) }
        }
        if let value = count(tcpConnections) { configuration.connectionLimits.connections = value }
        if let value = count(tcpTimeWait) { configuration.connectionLimits.timeWait = value }
        if let value = count(tcpOrphans) { configuration.connectionLimits.orphans = value }
        if let value = count(tcpHalfOpen) { configuration.halfOpenLimit = value }
        if let value = count(tcpReceiveMemory) { configuration.tcpReceiveMemoryLimit = value * 1024 }
        if let value = count(reassemblyMemory) { configuration.reassembly.memoryLimit = value * 1024 }
        if let value = count(arpEntries) { configuration.arp.entryLimit = value }
        if let value = count(pathMTUEntries) { configuration.pathMTUEntryLimit = value }
        if let value = count(udpQueueMemory) { configuration.udpQueueMemoryLimit = value * 1024 }
    }
}
