import MirageCore

extension StackCore {
    /// Ethernet demultiplexing (RFC 894, RFC 2464): ARP and IPv4 to us or to broadcast, IPv6 to
    /// us or to a group we joined; the rest is counted and dropped.
    mutating func receiveFrame(_ frame: consuming PacketBuffer, now: Instant) {
        let header: EthernetHeader
        do {
            header = try frame.withUnsafeBytes { (bytes) throws(WireError) in try EthernetHeader.parse(bytes) }
        } catch {
            count(error)
            return
        }
        guard header.destination == mac || header.destination == .broadcast
            || header.destination.isMulticast && header.etherType == .ipv6 && ipv6.acceptsMulticast(header.destination) else {
            statistics.notForUs += 1
            return
        }
        guard header.vlanTag == nil else {
            statistics.unsupported += 1
            return
        }
        var payload = consume frame
        payload.removeFirst(header.length)
        switch header.etherType {
        case .arp: receiveARP(payload, now: now)
        case .ipv4: receiveIPv4(payload, now: now)
        case .ipv6: receiveIPv6(payload, now: now)
        default: statistics.unsupported += 1
        }
    }

    /// Counts input that failed to parse, by what was wrong with it.
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
            if watchedAddress != nil { watchForConflict(packet) }
            for action in arp.receive(packet, now: now) { perform(action) }
            countARP()
        } catch {
            count(error)
        }
    }

    /// Copies the ARP cache's counters into ``statistics``.
    mutating func countARP() {
        statistics.arpEntriesEvicted = arp.evictedEntries
        statistics.arpOffLinkSenders = arp.offLinkSenders
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
        let headroom = EthernetHeader.untaggedLength
        var buffer = PacketBuffer(capacity: headroom + ARPPacket.length, headroom: headroom)
        buffer.appendZeros(ARPPacket.length)
        buffer.withUnsafeMutableBytes { packet.emit(into: $0) }
        sendFrame(buffer, etherType: .arp, to: destination)
    }

    /// Puts `payload` in an untagged Ethernet frame from us to `destination` and queues it.
    mutating func sendFrame(_ payload: consuming PacketBuffer, etherType: EtherType, to destination: MACAddress) {
        var frame = consume payload
        frame.prepend(EthernetHeader.untaggedLength)
        let header = EthernetHeader(destination: destination, source: mac, etherType: etherType)
        frame.withUnsafeMutableBytes { header.emit(into: $0) }
        statistics.framesSent += 1
        frames.append(consume frame)
    }
}
