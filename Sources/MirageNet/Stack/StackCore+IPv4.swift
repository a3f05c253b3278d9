import MirageCore

extension StackCore {
    /// Ethernet demultiplexing (RFC 894): ARP and IPv4 to us or to broadcast; the rest is counted
    /// and dropped.
    mutating func receiveFrame(_ frame: PacketBuffer, now: Instant) {
        let header: EthernetHeader
        do {
            header = try frame.withUnsafeBytes { (bytes) throws(WireError) in try EthernetHeader.parse(bytes) }
        } catch {
            count(error)
            return
        }
        guard header.destination == mac || header.destination == .broadcast else {
            statistics.notForUs += 1
            return
        }
        guard header.vlanTag == nil else {
            statistics.unsupported += 1
            return
        }
        var payload = frame
        payload.removeFirst(header.length)
        switch header.etherType {
        case .arp: receiveARP(payload, now: now)
        case .ipv4: receiveIPv4(payload, now: now)
        default: statistics.unsupported += 1
        }
    }

    mutating func count(_ error: WireError) {
        switch error {
        case .truncated, .malformed: statistics.malformed += 1
        case .badChecksum: statistics.badChecksums += 1
        case .unsupported: statistics.unsupported += 1
        }
    }

    private mutating func receiveARP(_ payload: PacketBuffer, now: Instant) {
        do {
            let packet = try payload.withUnsafeBytes { (bytes) throws(WireError) in try ARPPacket.parse(bytes) }
            for action in arp.receive(packet, now: now) { perform(action) }
        } catch {
            count(error)
        }
    }

    /// IPv4 input (RFC 791; RFC 1122 section 3.2.1): header checks, our address or broadcast only,
    /// no broadcast or multicast sources, reassembly, then the transport.
    private mutating func receiveIPv4(_ packet: PacketBuffer, now: Instant) {
        let header: IPv4Header
        do {
            header = try packet.withUnsafeBytes { (bytes) throws(WireError) in try IPv4Header.parse(bytes) }
        } catch {
            count(error)
            return
        }
        let destination = header.destination
        let isBroadcast = destination == .broadcast || destination == configuration.address.broadcast
        guard destination == address || isBroadcast else {
            statistics.notForUs += 1
            return
        }
        guard !header.source.isBroadcast, !header.source.isMulticast,
              header.source != configuration.address.broadcast || configuration.address.length >= 31 else {
            statistics.malformed += 1
            return
        }
        let payload = packet.slice(header.payloadRange)
        switch reassembler.receive(header, payload: payload, now: now) {
        case let .complete(whole, data):
            deliver(whole, payload: data, packet: header.isFragment ? nil : packet, isBroadcast: isBroadcast, now: now)
        case .incomplete:
            break
        case .dropped:
            statistics.fragmentsDropped += 1
        }
    }

    private mutating func deliver(_ header: IPv4Header, payload: PacketBuffer, packet: PacketBuffer?,
                                  isBroadcast: Bool, now: Instant) {
        switch header.protocol {
        case .icmp: receiveICMP(header, payload: payload, isBroadcast: isBroadcast, now: now)
        case .udp: receiveUDP(header, payload: payload, packet: packet, isBroadcast: isBroadcast, now: now)
        case .tcp:
            if !isBroadcast { receiveTCP(header, payload: payload, now: now) } else { statistics.notForUs += 1 }
        default:
            statistics.unsupported += 1
            if !isBroadcast, let packet {
                sendICMPError(.destinationUnreachable(code: 2, nextHopMTU: 0), about: packet, to: header.source, now: now)
            }
        }
    }

    /// Carries out what the ARP cache asks for.
    mutating func perform(_ action: consuming ARPAction) {
        switch action {
        case let .transmit(packet, destination):
            sendFrame(packet, etherType: .ipv4, to: destination)
        case let .request(target):
            let request = ARPPacket(operation: .request, senderHardware: mac, senderProtocol: address,
                                    targetHardware: .zero, targetProtocol: target)
            sendARP(request, to: .broadcast)
        case let .send(packet, destination):
            sendARP(packet, to: destination)
        }
    }

    private mutating func sendARP(_ packet: ARPPacket, to destination: MACAddress) {
        var buffer = PacketBuffer(capacity: 14 + ARPPacket.length, headroom: 14)
        buffer.appendZeros(ARPPacket.length)
        buffer.withUnsafeMutableBytes { packet.emit(into: $0) }
        sendFrame(buffer, etherType: .arp, to: destination)
    }

    private mutating func sendFrame(_ payload: consuming PacketBuffer, etherType: EtherType, to destination: MACAddress) {
        var frame = consume payload
        frame.prepend(EthernetHeader.untaggedLength)
        let header = EthernetHeader(destination: destination, source: mac, etherType: etherType)
        frame.withUnsafeMutableBytes { header.emit(into: $0) }
        statistics.framesSent += 1
        frames.append(frame)
    }

    /// The next hop for `destination` (RFC 1122 section 3.3.1): itself when on-link or broadcast,
    /// else the gateway; nil when unreachable.
    func nextHop(for destination: IPv4Address) -> IPv4Address? {
        if destination == .broadcast || configuration.address.contains(destination) { return destination }
        return configuration.gateway
    }

    /// The MTU towards `destination`: the path MTU when one was learnt, else the interface's.
    func mtu(towards destination: IPv4Address) -> Int { pathMTU[destination] ?? mtu }

    /// IPv4 output: header, fragmentation when the packet exceeds the MTU and may be fragmented
    /// (RFC 791 section 3.2), then ARP resolution of the next hop (or the broadcast address).
    /// - Parameter transport: the transport segment, ideally with 34 octets of headroom.
    /// - Returns: false when there is no route.
    @discardableResult
    mutating func sendIPv4(_ transport: consuming PacketBuffer, protocol: IPProtocol, to destination: IPv4Address,
                           dontFragment: Bool, now: Instant) -> Bool {
        guard let hop = nextHop(for: destination) else {
            statistics.unroutable += 1
            return false
        }
        var header = IPv4Header(totalLength: 0, protocol: `protocol`, source: address, destination: destination)
        header.identification = nextIdentification
        nextIdentification &+= 1
        header.dontFragment = dontFragment
        let linkMTU = mtu(towards: destination)
        let isBroadcast = destination == .broadcast || destination == configuration.address.broadcast
        // A segment the device is to cut (``FrameOffload/tcpSegmentSize``) is sized for it already.
        if IPv4Header.minimumLength + transport.count <= linkMTU || transport.offload.tcpSegmentSize != 0 {
            var packet = consume transport // ours alone: the header goes into its headroom
            packet.prepend(IPv4Header.minimumLength)
            header.totalLength = UInt16(packet.count)
            packet.withUnsafeMutableBytes { header.emit(into: $0) }
            transmitIPv4(consume packet, hop: hop, isBroadcast: isBroadcast, now: now)
        } else if dontFragment || transport.count > IPv4Fragmenter.maximumPayload {
            statistics.unroutable += 1
            return false
        } else {
            for fragment in IPv4Fragmenter.fragments(of: transport, header: header, mtu: linkMTU, headroom: 18) {
                transmitIPv4(fragment, hop: hop, isBroadcast: isBroadcast, now: now)
            }
        }
        return true
    }

    /// Hands a finished IPv4 packet to Ethernet: to the broadcast address, to the next hop's
    /// address when ARP knows it, else to ARP to wait for the answer.
    private mutating func transmitIPv4(_ packet: consuming PacketBuffer, hop: IPv4Address, isBroadcast: Bool, now: Instant) {
        if isBroadcast {
            sendFrame(consume packet, etherType: .ipv4, to: .broadcast)
        } else if let destination = arp.lookup(hop, now: now) {
            sendFrame(consume packet, etherType: .ipv4, to: destination)
        } else {
            for action in arp.send(consume packet, to: hop, now: now) { perform(action) }
        }
    }
}
