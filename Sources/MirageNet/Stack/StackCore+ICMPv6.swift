import MirageCore

extension StackCore {
    /// ICMPv6 input (RFC 4443): echo requests answered, Packet Too Big believed only when it
    /// quotes a segment one of our connections has in flight (RFC 8201 section 4, RFC 5927), and
    /// neighbour discovery and MLD messages passed on (`StackCore+NDP.swift`).
    mutating func receiveICMPv6(_ header: IPv6Header, payload: PacketBuffer, reception: IPv6Interface.Reception, now: Instant) {
        let message: ICMPv6Message
        do {
            message = try payload.withUnsafeBytes { (bytes) throws(WireError) in
                try ICMPv6Message.parse(bytes, source: header.source, destination: header.destination)
            }
        } catch {
            count(error)
            return
        }
        switch message.kind {
        case let .echoRequest(identifier, sequence):
            guard !header.source.isUnspecified,
                  let source = reception == .unicast ? header.destination : ipv6.sourceAddress(for: header.source, now: now) else { return }
            let reply = ICMPv6Message(.echoReply(identifier: identifier, sequence: sequence), body: message.body)
            statistics.echoRepliesSent += 1
            sendICMPv6(reply, from: source, to: header.source, now: now)
        case let .packetTooBig(mtu):
            receivePacketTooBig(quoting: message.body, mtu: Int(Swift.min(mtu, 65535)), now: now)
        case .routerSolicitation, .routerAdvertisement, .neighborSolicitation, .neighborAdvertisement, .redirect:
            receiveNDP(message, header: header, reception: reception, now: now)
        case let .other(type, _, rest) where type == MLD.query:
            receiveMLDQuery(header, maximumResponseCode: UInt16(truncatingIfNeeded: rest >> 16), now: now)
        default:
            break
        }
    }

    /// A Packet Too Big: the quoted packet must be a TCP segment from us that its connection
    /// has in flight; then the path MTU towards its destination drops (not below 1280) and with
    /// it the connections' MSS.
    private mutating func receivePacketTooBig(quoting quoted: [UInt8], mtu: Int, now: Instant) {
        guard quoted.count >= IPv6Header.length + 8,
              quoted[IPv6Header.Field.nextHeader] == IPProtocol.tcp.rawValue else {
            statistics.pathMTUReportsIgnored += 1
            return
        }
        let (source, destination, ports, sequence) = quoted.withUnsafeBytes { bytes in
            (bytes.ipv6Address(at: IPv6Header.Field.source), bytes.ipv6Address(at: IPv6Header.Field.destination),
             bytes.bigEndian(UInt32.self, at: IPv6Header.length), bytes.bigEndian(UInt32.self, at: IPv6Header.length + 4))
        }
        let id = ConnectionID(remoteAddress: .v6(destination), remotePort: UInt16(truncatingIfNeeded: ports),
                              localPort: UInt16(truncatingIfNeeded: ports >> 16))
        guard ipv6.owns(source), tcp.hasInFlight(id, sequence: SequenceNumber(sequence)),
              let pathMTU = ipv6.learnPathMTU(mtu, towards: destination, now: now) else {
            statistics.pathMTUReportsIgnored += 1
            return
        }
        statistics.pathMTUUpdates += 1
        for connection in tcp.connections(to: .v6(destination)) {
            updateConnection(connection, now: now) {
                $0.reducePathMTU(pathMTU - (IPv6Header.length - IPv4Header.minimumLength), now: now)
            }
        }
    }

    /// Sends `message` from `source` to `destination`.
    mutating func sendICMPv6(_ message: ICMPv6Message, from source: IPv6Address, to destination: IPv6Address,
                             hopLimit: UInt8? = nil, linkLayer: MACAddress? = nil, now: Instant) {
        let bytes = message.encoded(source: source, destination: destination)
        var buffer = PacketBuffer(capacity: 64 + bytes.count, headroom: 64)
        buffer.append(contentsOf: bytes)
        if let linkLayer {
            var header = IPv6Header(payloadLength: UInt16(bytes.count), nextHeader: .icmpv6, source: source, destination: destination)
            header.hopLimit = hopLimit ?? ipv6.hopLimit
            buffer.prepend(IPv6Header.length)
            buffer.withUnsafeMutableBytes { header.emit(into: $0) }
            sendFrame(consume buffer, etherType: .ipv6, to: linkLayer)
        } else {
            sendIPv6(buffer, protocol: .icmpv6, to: destination, source: source, hopLimit: hopLimit, now: now)
        }
    }

    /// The largest ICMPv6 error: as much of the offending packet as fits in 1280 octets
    /// (RFC 4443 section 2.4 c).
    static let largestICMPv6ErrorBody = IPv6Interface.minimumMTU - IPv6Header.length - ICMPv6Message.headerLength

    /// Sends an ICMPv6 error about `packet` (its header is `header`), when the rate limit allows
    /// (RFC 4443 section 2.4 f) and its source may be answered (section 2.4 e: not the
    /// unspecified or a multicast address).
    mutating func sendICMPv6Error(_ kind: ICMPv6Message.Kind, about packet: PacketBuffer, header: IPv6Header, now: Instant) {
        guard !header.source.isUnspecified, !header.source.isMulticast else { return }
        guard icmpv6Errors.take(now: now) else {
            statistics.icmpErrorsRateLimited += 1
            return
        }
        let source = header.destination.isMulticast ? ipv6.sourceAddress(for: header.source, now: now) : header.destination
        guard let source else { return }
        let quoted = Array(packet.slice(0 ..< Swift.min(packet.count, Self.largestICMPv6ErrorBody)).bytes)
        statistics.icmpErrorsSent += 1
        sendICMPv6(ICMPv6Message(kind, body: quoted), from: source, to: header.source, now: now)
    }

    /// RFC 8200 section 4.5: a datagram whose first fragment came but that did not complete in
    /// time is answered with Time Exceeded, code 1, quoting that first fragment as it came: its
    /// header, its Fragment header and its data (a first fragment with other extension headers
    /// before its Fragment header is not quoted, as they were not kept). Not to a multicast
    /// destination's fragments (RFC 4443 section 2.4 e); under the ICMPv6 error rate limit.
    mutating func reportReassemblyTimeout(_ abandoned: IPv6Reassembler.Abandoned, now: Instant) {
        let fragment = abandoned.header.fragment
        guard fragment.headerOffset == 0, !abandoned.header.header.destination.isMulticast else { return }
        let dataLength = Swift.min(abandoned.payload.count, Self.largestICMPv6ErrorBody)
        var header = abandoned.header.header
        header.nextHeader = .fragment
        header.payloadLength = UInt16(IPv6Fragmenter.fragmentHeaderLength + abandoned.payload.count)
        var packet = PacketBuffer(capacity: IPv6Header.length + IPv6Fragmenter.fragmentHeaderLength + dataLength)
        packet.appendZeros(IPv6Header.length)
        packet.withUnsafeMutableBytes { header.emit(into: $0) }
        let identification = fragment.identification
        packet.append(contentsOf: [fragment.nextHeader.rawValue, 0, 0, 1,  // offset 0, more fragments
                                   UInt8(truncatingIfNeeded: identification >> 24), UInt8(truncatingIfNeeded: identification >> 16),
                                   UInt8(truncatingIfNeeded: identification >> 8), UInt8(truncatingIfNeeded: identification)])
        packet.append(contentsOf: abandoned.payload.slice(0 ..< dataLength).bytes)
        statistics.reassemblyTimeExceeded += 1
        sendICMPv6Error(.timeExceeded(code: 1), about: packet, header: abandoned.header.header, now: now)
    }
}
