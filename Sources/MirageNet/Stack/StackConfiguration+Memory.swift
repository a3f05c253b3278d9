import MirageCore

extension StackConfiguration {
    /// The guest memory the default caps are sized for: 32 MiB (docs/ARCHITECTURE.md, "What a
    /// peer can make the stack hold").
    public static let typicalGuestMemory = 32 * 1024 * 1024

    /// Scales the caps on what peers can make the stack hold, from defaults sized for
    /// ``typicalGuestMemory``, to a guest of `memory` bytes: each in proportion, with a floor that
    /// keeps a small guest usable (a 8 MiB guest gets a quarter of the defaults, a 256 MiB one
    /// eight times them). The hvt stack does this with the memory the tender gave the guest; a
    /// unix process, whose memory is the host's, keeps the defaults.
    public mutating func scaleLimits(toMemory memory: Int) {
        // In MiB, at most 1 TiB: the products below stay far from overflowing.
        let mebibytes = Swift.min(Swift.max(memory, 0), 1 << 40) >> 20
        func scaled(_ value: Int, floor: Int) -> Int {
            Swift.max(value * mebibytes / (Self.typicalGuestMemory >> 20), floor)
        }
        tcpReceiveMemoryLimit = scaled(tcpReceiveMemoryLimit, floor: 256 * 1024)
        reassembly.memoryLimit = scaled(reassembly.memoryLimit, floor: 64 * 1024)
        udpQueueMemoryLimit = scaled(udpQueueMemoryLimit, floor: 64 * 1024)
        connectionLimits.connections = scaled(connectionLimits.connections, floor: 64)
        connectionLimits.timeWait = scaled(connectionLimits.timeWait, floor: 64)
        connectionLimits.orphans = scaled(connectionLimits.orphans, floor: 16)
        halfOpenLimit = scaled(halfOpenLimit, floor: 16)
        arp.entryLimit = scaled(arp.entryLimit, floor: 64)
        ipv6.neighbors.entryLimit = scaled(ipv6.neighbors.entryLimit, floor: 64)
        pathMTUEntryLimit = scaled(pathMTUEntryLimit, floor: 16)
    }

    /// The caps in one line, for the debug log at start.
    public var capsSummary: String {
        "caps: TCP \(connectionLimits.connections) connections, \(connectionLimits.timeWait) in TIME-WAIT, "
            + "\(connectionLimits.orphans) orphans, \(halfOpenLimit) half-open per listener, "
            + "\(tcpReceiveMemoryLimit / 1024) KiB received unread; reassembly \(reassembly.memoryLimit / 1024) KiB; "
            + "UDP \(udpQueueMemoryLimit / 1024) KiB per port; ARP \(arp.entryLimit) entries; path MTU \(pathMTUEntryLimit) entries"
    }
}
