import MirageCore
import MirageNet

/// The IPv6 steps of the stack target: neighbour discovery (solicitations, advertisements,
/// router advertisements with prefixes), echo, UDP and TCP over IPv6, fragments and extension
/// headers, from link-local and global peers, checksums right; then the IPv6 tables' bounds.
extension StackFuzzRun {
    static let ourIPv6 = IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2)
    static let ipv6Peers = [IPv6Address(0xfe80, 0, 0, 0, 0, 0, 0, 1), IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1),
                            IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, 9), IPv6Address(0x2001, 0xdb8, 9, 0, 0, 0, 0, 1)]

    mutating func ipv6Peer() -> IPv6Address {
        let choice = Int(input.byte())
        if choice >= 250 { return IPv6Address(0xfe80, 0, 0, 0, 0, 0, input.uint16(), input.uint16()) } // a forged neighbour
        return Self.ipv6Peers[choice % Self.ipv6Peers.count]
    }

    /// Our address, a group we are in, or another one.
    mutating func ipv6Destination() -> IPv6Address {
        switch input.byte() % 5 {
        case 0: .allNodes
        case 1: Self.ourIPv6.solicitedNode
        case 2: IPv6Address(linkLocalWith: Self.ourMAC.interfaceIdentifier)
        case 3: IPv6Address(0x2001, 0xdb8, 0, 0, 0, 0, 0, input.uint16())
        default: Self.ourIPv6
        }
    }

    mutating func options() -> [NDPOption] {
        var options: [NDPOption] = []
        for _ in 0 ..< Int(input.byte() % 4) {
            switch input.byte() % 5 {
            case 0: options.append(.sourceLinkLayerAddress(MACAddress(2, 0, 0, 0, 6, input.byte())))
            case 1: options.append(.targetLinkLayerAddress(MACAddress(2, 0, 0, 0, 6, input.byte())))
            case 2: options.append(.mtu(UInt32(1200 + Int(input.uint16() % 400))))
            case 3:
                options.append(.prefixInformation(.init(prefix: IPv6Address(0x2001, 0xdb8, input.uint16() % 8, 0, 0, 0, 0, 0),
                                                        prefixLength: input.byte() % 3 == 0 ? 48 : 64, onLink: input.byte() & 1 == 0,
                                                        autonomous: input.byte() & 1 == 0, validLifetime: UInt32(input.uint16()),
                                                        preferredLifetime: UInt32(input.uint16() / 2))))
            default: options.append(.other(type: 14, value: input.bytes(Int(input.byte() % 14))))
            }
        }
        return options
    }

    mutating func receiveIPv6() {
        let source = ipv6Peer()
        let destination = ipv6Destination()
        var hopLimit: UInt8 = input.byte() % 8 == 0 ? 64 : 255
        var nextHeader = IPProtocol.icmpv6
        var payload: [UInt8]
        switch input.byte() % 8 {
        case 0:
            payload = ICMPv6Message(.neighborSolicitation(target: input.byte() & 1 == 0 ? Self.ourIPv6 : source, options: options()))
                .encoded(source: source, destination: destination)
        case 1:
            payload = ICMPv6Message(.neighborAdvertisement(.init(target: input.byte() & 1 == 0 ? Self.ourIPv6 : source, router: false,
                                                                 solicited: input.byte() & 1 == 0, override: input.byte() & 1 == 0,
                                                                 options: options()))).encoded(source: source, destination: destination)
        case 2:
            payload = ICMPv6Message(.routerAdvertisement(.init(currentHopLimit: input.byte(), routerLifetime: input.uint16(),
                                                               reachableTime: input.uint32(), retransmitTimer: input.uint32(), options: options())))
                .encoded(source: source, destination: destination)
        case 3:
            payload = ICMPv6Message(.echoRequest(identifier: 1, sequence: input.uint16()), body: input.bytes(Int(input.byte())))
                .encoded(source: source, destination: destination)
            hopLimit = 64
        case 4:
            nextHeader = .udp
            let data = input.bytes(Int(input.byte()))
            payload = [0x9c, 0x40, 0, input.byte() & 1 == 0 ? 53 : 54] + [0, 0, 0, 0] + data
            let length = UInt16(payload.count)
            payload[4] = UInt8(length >> 8)
            payload[5] = UInt8(length & 0xff)
            var sum = IPv6Header.pseudoHeaderChecksum(source: source, destination: destination, protocol: .udp, length: UInt32(length))
            payload.withUnsafeBytes { sum.add($0) }
            payload[6] = UInt8(sum.checksum >> 8)
            payload[7] = UInt8(sum.checksum & 0xff)
        case 5:
            nextHeader = .tcp
            var header = TCPHeader(sourcePort: 40000, destinationPort: 80, sequenceNumber: input.uint32(),
                                   acknowledgmentNumber: input.uint32(), flags: TCPFlags(rawValue: input.byte()),
                                   window: input.uint16())
            header.options.maximumSegmentSize = input.byte() & 1 == 0 ? 1220 : nil
            payload = [UInt8](repeating: 0, count: header.length) + input.bytes(Int(input.byte() % 64))
            let pseudo = IPv6Header.pseudoHeaderChecksum(source: source, destination: destination, protocol: .tcp, length: UInt32(payload.count))
            payload.withUnsafeMutableBytes { header.emit(into: $0, pseudoHeader: pseudo, partialChecksum: false) }
        case 6:
            // A fragment of an echo request, at an offset and with more to come as the input says.
            nextHeader = .fragment
            let offset = UInt16(input.byte() % 4) * 64
            let more = input.byte() & 1 == 0
            payload = [IPProtocol.icmpv6.rawValue, 0, UInt8(offset >> 5), UInt8(truncatingIfNeeded: offset << 3) | (more ? 1 : 0),
                       0, 0, 0, input.byte() % 3] + input.bytes(more ? 512 : Int(input.byte()))
        default:
            // Extension headers chosen by the input, then whatever comes.
            nextHeader = IPProtocol(rawValue: [0, 43, 60, 59][Int(input.byte() % 4)])
            payload = input.piece(maximum: 256)
        }
        var header = IPv6Header(payloadLength: UInt16(payload.count), nextHeader: nextHeader, source: source, destination: destination)
        header.hopLimit = hopLimit
        var bytes = [UInt8](repeating: 0, count: 14 + IPv6Header.length) + payload
        bytes.withUnsafeMutableBytes { raw in
            EthernetHeader(destination: destination.isMulticast ? destination.multicastMAC : Self.ourMAC,
                           source: MACAddress(2, 0, 0, 0, 6, UInt8(truncatingIfNeeded: source.low)), etherType: .ipv6).emit(into: raw)
            header.emit(into: UnsafeMutableRawBufferPointer(rebasing: raw[14...]))
        }
        core.receive(PacketBuffer(bytes), now: now)
    }

    /// The IPv6 tables stay within their caps.
    func checkIPv6() {
        let holdings = core.holdings
        require(holdings.neighborEntries <= configuration.ipv6.neighbors.entryLimit, "\(holdings.neighborEntries) neighbour entries")
        require(core.ipv6Addresses.count <= 2 + configuration.ipv6.autoconfiguredAddressLimit, "\(core.ipv6Addresses.count) IPv6 addresses")
        require(holdings.reassemblyBytes <= configuration.reassembly.memoryLimit + 4096, "\(holdings.reassemblyBytes) bytes in reassembly")
    }
}
