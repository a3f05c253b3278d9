import MirageCore

extension StackCore {
    /// IPv4 input: the interface checks and reassembles (``IPv4Interface/receive(_:now:)``), then
    /// the transport named in the header takes the datagram.
    mutating func receiveIPv4(_ packet: PacketBuffer, now: Instant) {
        switch ipv4.receive(packet, now: now, charged: ipv6Reassembler.statistics.chargedBytes) {
        case let .deliver(header, payload, isBroadcast, isReassembled):
            deliver(header, payload: payload, packet: isReassembled ? nil : packet, isBroadcast: isBroadcast, now: now)
        case .held:
            break
        case let .dropped(reason):
            switch reason {
            case let .invalid(error): count(error)
            case .notForUs: statistics.notForUs += 1
            case .badSource: statistics.malformed += 1
            case .fragment: statistics.fragmentsDropped += 1
            }
        }
    }

    /// Hands a whole datagram to its transport; other protocols are answered with ICMP protocol
    /// unreachable (RFC 1122 section 3.2.2.1) unless broadcast.
    /// - Parameter packet: the packet it came in, for an ICMP error to quote; nil when reassembled.
    private mutating func deliver(_ header: IPv4Header, payload: PacketBuffer, packet: PacketBuffer?,
                                  isBroadcast: Bool, now: Instant) {
        // Without an address, only the DHCP client's datagrams are taken (receiveUDP checks the port).
        guard isConfigured || header.protocol == .udp else {
            statistics.notForUs += 1
            return
        }
        switch header.protocol {
        case .icmp: receiveICMP(header, payload: payload, isBroadcast: isBroadcast, now: now)
        case .udp: receiveUDP(header, payload: payload, packet: packet, isBroadcast: isBroadcast, now: now)
        case .tcp:
            if !isBroadcast { receiveTCP(header, payload: payload, now: now) } else { statistics.notForUs += 1 }
        default:
            statistics.unsupported += 1
            if !isBroadcast, let packet {
                sendICMPError(.destinationUnreachable(code: ICMPv4Header.UnreachableCode.protocol, nextHopMTU: 0),
                              about: packet, to: header.source, now: now)
            }
        }
    }

    /// IPv4 output: the route and header (``IPv4Interface/route(_:to:dontFragment:)``),
    /// fragmentation when the packet exceeds the MTU and may be fragmented (RFC 791 section 3.2),
    /// then ARP resolution of the next hop (or the broadcast address).
    /// - Parameter transport: the transport segment, ideally with 34 octets of headroom.
    /// - Returns: false when there is no route.
    ///
    /// Out of line: it has a dozen callers, and inlined into each it cost the image kilobytes.
    @discardableResult @inline(never)
    mutating func sendIPv4(_ transport: consuming PacketBuffer, protocol: IPProtocol, to destination: IPv4Address,
                           dontFragment: Bool, now: Instant) -> Bool {
        guard let route = ipv4.route(`protocol`, to: destination, dontFragment: dontFragment) else {
            statistics.unroutable += 1
            return false
        }
        var header = route.header
        // A segment the device is to cut (``FrameOffload/tcpSegmentSize``) is sized for it already.
        if IPv4Header.minimumLength + transport.count <= route.mtu || transport.offload.tcpSegmentSize != 0 {
            var packet = consume transport // ours alone: the header goes into its headroom
            packet.prepend(IPv4Header.minimumLength)
            header.totalLength = UInt16(packet.count)
            packet.withUnsafeMutableBytes { header.emit(into: $0) }
            transmitIPv4(consume packet, hop: route.hop, isBroadcast: route.isBroadcast, now: now)
        } else if dontFragment || transport.count > IPv4Fragmenter.maximumPayload {
            statistics.unroutable += 1
            return false
        } else {
            for fragment in IPv4Fragmenter.fragments(of: transport, header: header, mtu: route.mtu, headroom: 18) {
                transmitIPv4(fragment, hop: route.hop, isBroadcast: route.isBroadcast, now: now)
            }
        }
        return true
    }

    /// Hands a finished IPv4 packet to Ethernet: to the broadcast address, to the next hop's
    /// address when ARP knows it, else to ARP to wait for the answer.
    private mutating func transmitIPv4(_ packet: consuming PacketBuffer, hop: IPv4Address, isBroadcast: Bool, now: Instant) {
        if isBroadcast {
            sendFrame(consume packet, etherType: .ipv4, to: .broadcast)
        } else if let destination = arp.use(hop, now: now) {
            sendFrame(consume packet, etherType: .ipv4, to: destination)
        } else {
            for action in arp.send(consume packet, to: hop, now: now) { perform(action) }
            countARP()
        }
    }
}
