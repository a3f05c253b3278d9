import MirageCore
import MirageNet

extension FuzzTargets {
    /// IPv4 reassembly (RFC 791 section 3.2) with small limits: fragments whose identification,
    /// offset, flag, length and arrival time come from the input, some slices of a large buffer.
    /// The memory charged must stay under the limit, and every datagram handed out must be whole.
    static let reassembly = FuzzTarget("reassembly", "IPv4Reassembler: fragments, time, limits") { bytes in
        var input = FuzzInput(bytes)
        var configuration = IPv4Reassembler.Configuration()
        configuration.memoryLimit = 16 * 1024
        configuration.maximumDatagrams = 4
        configuration.maximumFragmentsPerDatagram = 8
        configuration.minimumFragmentPayload = 16
        var reassembler = IPv4Reassembler(configuration: configuration)
        var large = PacketBuffer(capacity: 4096)
        large.append(contentsOf: [UInt8](repeating: 0xAB, count: 4096))
        var now = Instant.zero
        while !input.isAtEnd {
            var header = IPv4Header(totalLength: 0, protocol: input.byte() % 2 == 0 ? .udp : .tcp,
                                    source: IPv4Address(10, 0, 0, 1 + input.byte() % 2), destination: IPv4Address(10, 0, 0, 2))
            header.identification = UInt16(input.byte() % 4)
            header.fragmentOffset = input.uint16() & 0x1FFF
            header.moreFragments = input.byte() % 3 != 0
            let length = input.below(1500)
            let payload = input.byte() % 2 == 0 ? PacketBuffer(input.bytes(length)) : large.slice(0..<Swift.min(length, 4096))
            header.totalLength = UInt16(20 + payload.count)
            now = now + .milliseconds(Int(input.byte()) * 50)
            if case let .complete(whole, data) = reassembler.receive(header, payload: payload, now: now) {
                require(!whole.isFragment && Int(whole.totalLength) == whole.length + data.count, "a datagram handed out whole is not")
            }
            if input.byte() == 0 { reassembler.tick(now: now) }
            let statistics = reassembler.statistics
            require(statistics.chargedBytes >= 0 && statistics.chargedBytes <= configuration.memoryLimit,
                    "reassembly holds \(statistics.chargedBytes) bytes, limit \(configuration.memoryLimit)")
            require(statistics.datagramsInProgress <= configuration.maximumDatagrams, "too many datagrams")
        }
    }
}
