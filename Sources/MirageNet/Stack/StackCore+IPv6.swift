import MirageCore

extension StackCore {
    /// IPv6 input (RFC 8200): the header, our addresses and groups only
    /// (``IPv6Interface/reception(of:)``), no multicast sources, the extension headers walked
    /// (``IPv6ExtensionHeaders/walk(_:nextHeader:destinationIsMulticast:)``, refusals answered
    /// with Parameter Problem), then the upper layer.
    mutating func receiveIPv6(_ packet: PacketBuffer, now: Instant) {
        guard ipv6.isEnabled else {
            statistics.unsupported += 1
            return
        }
        let header: IPv6Header
        do {
            header = try packet.withUnsafeBytes { (bytes) throws(WireError) in try IPv6Header.parse(bytes) }
        } catch {
            count(error)
            return
        }
        guard let reception = ipv6.reception(of: header.destination) else {
            statistics.notForUs += 1
            return
        }
        guard !header.source.isMulticast, !header.source.isLoopback else {
            statistics.malformed += 1
            return
        }
        statistics.ipv6PacketsReceived += 1
        let payload = packet.slice(header.payloadRange)
        let extensions: IPv6ExtensionHeaders
        do {
            extensions = try payload.withUnsafeBytes { (bytes) throws(IPv6ExtensionHeaders.Refusal) in
                try IPv6ExtensionHeaders.walk(bytes, nextHeader: header.nextHeader, destinationIsMulticast: reception == .multicast)
            }
        } catch {
            switch error {
            case let .parameterProblem(code, pointer):
                statistics.malformed += 1
                sendICMPv6Error(.parameterProblem(code: code, pointer: pointer), about: packet, header: header, now: now)
            case let .truncated(wire): count(wire)
            case .discarded, .tooManyHeaders: statistics.unsupported += 1
            }
            return
        }
        if let fragment = extensions.fragment {
            let data = payload.slice(extensions.upperLayerOffset ..< payload.count)
            if fragment.offset == 0,
               !data.withUnsafeBytes({ IPv6ExtensionHeaders.holdsHeaderChain($0, nextHeader: fragment.nextHeader) }) {
                // RFC 7112 section 5; no error to a multicast destination (RFC 4443 section 2.4 e).
                statistics.fragmentsDropped += 1
                if reception == .unicast {
                    sendICMPv6Error(.parameterProblem(code: IPv6ExtensionHeaders.ProblemCode.incompleteHeaderChain, pointer: 0),
                                    about: packet, header: header, now: now)
                }
                return
            }
            reassembleIPv6(IPv6Fragment(header: header, fragment: fragment),
                           payload: data, reception: reception, now: now)
            return
        }
        let upper = payload.slice(extensions.upperLayerOffset ..< payload.count)
        deliverIPv6(header, upperLayer: extensions.upperLayer, payload: upper, packet: packet,
                    reception: reception, extensionHeaders: extensions.count, now: now)
    }

    /// A fragment (RFC 8200 section 4.5): reassembled under the memory budget IPv4's reassembly
    /// shares; a whole datagram's remaining extension headers are walked, then it is delivered.
    private mutating func reassembleIPv6(_ fragment: IPv6Fragment, payload: PacketBuffer, reception: IPv6Interface.Reception, now: Instant) {
        switch ipv6Reassembler.receive(fragment, payload: payload, now: now, charged: ipv4.reassembler.statistics.chargedBytes) {
        case let .complete(whole, data):
            let extensions: IPv6ExtensionHeaders
            do {
                extensions = try data.withUnsafeBytes { (bytes) throws(IPv6ExtensionHeaders.Refusal) in
                    try IPv6ExtensionHeaders.walk(bytes, nextHeader: whole.fragment.nextHeader, destinationIsMulticast: reception == .multicast)
                }
            } catch {
                statistics.malformed += 1
                return
            }
            guard extensions.fragment == nil else {
                statistics.fragmentsDropped += 1 // a fragment inside a fragment
                return
            }
            deliverIPv6(whole.header, upperLayer: extensions.upperLayer, payload: data.slice(extensions.upperLayerOffset ..< data.count),
                        packet: nil, reception: reception, extensionHeaders: extensions.count + 1, now: now)
        case .incomplete:
            break
        case .dropped:
            statistics.fragmentsDropped += 1
        }
    }

    /// Hands a whole packet to its upper layer; an unknown one is answered with Parameter
    /// Problem, code 1, pointing at the Next Header field that named it (RFC 8200 section 4).
    /// - Parameter packet: the packet it came in, for an ICMPv6 error to quote; nil when reassembled.
    private mutating func deliverIPv6(_ header: IPv6Header, upperLayer: IPProtocol, payload: PacketBuffer, packet: PacketBuffer?,
                                      reception: IPv6Interface.Reception, extensionHeaders: Int, now: Instant) {
        // Only neighbour discovery and MLD may come from the unspecified address (RFC 4862 section 5.4).
        guard !header.source.isUnspecified || upperLayer == .icmpv6 else {
            statistics.malformed += 1
            return
        }
        switch upperLayer {
        case .icmpv6:
            receiveICMPv6(header, payload: payload, reception: reception, now: now)
        case .udp:
            let pseudo = IPv6Header.pseudoHeaderChecksum(source: header.source, destination: header.destination,
                                                         protocol: .udp, length: UInt32(payload.count))
            receiveUDP(payload, source: .v6(header.source), destination: .v6(header.destination), pseudoHeader: pseudo,
                       packet: reception == .unicast ? packet : nil, now: now) { core, packet in
                core.sendICMPv6Error(.destinationUnreachable(code: 4), about: packet, header: header, now: now)
            }
        case .tcp:
            guard reception == .unicast else {
                statistics.notForUs += 1
                return
            }
            let pseudo = IPv6Header.pseudoHeaderChecksum(source: header.source, destination: header.destination,
                                                         protocol: .tcp, length: UInt32(payload.count))
            receiveTCP(payload, from: .v6(header.source), pseudoHeader: pseudo, now: now)
        case .noNextHeader:
            break
        default:
            statistics.unsupported += 1
            if extensionHeaders == 0, let packet {
                sendICMPv6Error(.parameterProblem(code: IPv6ExtensionHeaders.ProblemCode.unrecognizedNextHeader,
                                                  pointer: UInt32(IPv6Header.Field.nextHeader)),
                                about: packet, header: header, now: now)
            }
        }
    }

    // MARK: Output

    /// IPv6 output: the route (``IPv6Interface/route(to:now:)``: our source address, the next
    /// hop, the MTU), the header, fragmentation of what may be fragmented and is too long for
    /// the path (RFC 8200 section 4.5), then neighbour resolution or a multicast group's
    /// link-layer address.
    /// - Parameters:
    ///   - transport: the upper-layer packet, ideally with 58 octets of headroom.
    ///   - source: the source address when the caller chose it (neighbour discovery).
    ///   - hopLimit: 255 for neighbour discovery, 1 for MLD; else the interface's.
    /// - Returns: false when there is no route.
    @discardableResult @inline(never)
    mutating func sendIPv6(_ transport: consuming PacketBuffer, protocol: IPProtocol, to destination: IPv6Address,
                           source: IPv6Address? = nil, hopLimit: UInt8? = nil, now: Instant) -> Bool {
        let route: IPv6Interface.Route
        if let source {
            // The caller chose the source (neighbour discovery, or a transport that computed it
            // for its pseudo-header): only the next hop is left to find.
            let hop = destination.isMulticast ? nil : ipv6.nextHop(for: destination)
            guard destination.isMulticast || hop != nil else {
                statistics.unroutable += 1
                return false
            }
            route = IPv6Interface.Route(source: source, hop: hop, mtu: destination.isMulticast ? ipv6.linkMTU : ipv6.mtu(towards: destination))
        } else if let found = ipv6.route(to: destination, now: now) {
            route = found
        } else {
            statistics.unroutable += 1
            return false
        }
        var header = IPv6Header(payloadLength: 0, nextHeader: `protocol`, source: route.source, destination: destination)
        header.hopLimit = hopLimit ?? ipv6.hopLimit
        if IPv6Header.length + transport.count <= route.mtu || `protocol` == .tcp {
            var packet = consume transport
            header.payloadLength = UInt16(truncatingIfNeeded: packet.count)
            packet.prepend(IPv6Header.length)
            packet.withUnsafeMutableBytes { header.emit(into: $0) }
            transmitIPv6(consume packet, hop: route.hop, destination: destination, now: now)
            return true
        }
        guard transport.count <= 65535 - IPv6Fragmenter.fragmentHeaderLength else {
            statistics.unroutable += 1
            return false
        }
        nextIPv6Identification &+= 1
        for fragment in IPv6Fragmenter.fragments(of: transport, header: header, mtu: route.mtu,
                                                 identification: nextIPv6Identification, headroom: EthernetHeader.untaggedLength) {
            transmitIPv6(fragment, hop: route.hop, destination: destination, now: now)
        }
        return true
    }

    /// Hands a finished IPv6 packet to Ethernet: to the multicast group's address, or to the
    /// neighbour `hop` once resolved.
    mutating func transmitIPv6(_ packet: consuming PacketBuffer, hop: IPv6Address?, destination: IPv6Address, now: Instant) {
        guard let hop else {
            sendFrame(consume packet, etherType: .ipv6, to: destination.multicastMAC)
            return
        }
        if let mac = neighbors.use(hop, now: now) {
            sendFrame(consume packet, etherType: .ipv6, to: mac)
        } else {
            for action in neighbors.send(consume packet, to: hop, now: now) { perform(action, now: now) }
        }
    }
}
