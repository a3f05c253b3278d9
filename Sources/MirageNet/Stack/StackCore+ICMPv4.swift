import MirageCore

extension StackCore {
    /// ICMP input (RFC 792; RFC 1122 section 3.2.2): the responder answers echo requests, and
    /// "fragmentation needed" lowers the path MTU (RFC 1191 section 4) and with it the MSS of the
    /// TCP connections to that destination (section 6.4), but only when it quotes a segment one
    /// of our connections has in flight (RFC 5927 section 4.1): off-path messages are ignored.
    mutating func receiveICMP(_ header: IPv4Header, payload: PacketBuffer, isBroadcast: Bool, now: Instant) {
        switch icmp.receive(payload, isBroadcast: isBroadcast) {
        case let .reply(reply):
            statistics.echoRepliesSent += 1
            sendIPv4(reply, protocol: .icmp, to: header.source, dontFragment: false, now: now)
        case let .fragmentationNeeded(quoted, nextHopMTU):
            guard quoted.source == address, let segment = quoted.tcp,
                  tcp.hasInFlight(ConnectionID(remoteAddress: quoted.destination, remotePort: segment.destinationPort,
                                               localPort: segment.sourcePort), sequence: segment.sequence),
                  let pathMTU = ipv4.learnPathMTU(nextHopMTU, towards: quoted.destination, now: now) else {
                statistics.pathMTUReportsIgnored += 1
                return
            }
            statistics.pathMTUUpdates += 1
            for id in tcp.connections(to: .v4(quoted.destination)) {
                updateConnection(id, now: now) { $0.reducePathMTU(pathMTU, now: now) }
            }
        case .none:
            break
        case let .invalid(error):
            count(error)
        }
    }

    /// Sends an ICMP error about `packet` (the whole offending IP packet), when the responder's
    /// rate limit allows (``ICMPv4Responder/error(_:about:now:)``).
    mutating func sendICMPError(_ message: ICMPv4Header.Message, about packet: PacketBuffer,
                                to destination: IPv4Address, now: Instant) {
        guard let error = icmp.error(message, about: packet, now: now) else {
            statistics.icmpErrorsRateLimited += 1
            return
        }
        statistics.icmpErrorsSent += 1
        sendIPv4(error, protocol: .icmp, to: destination, dontFragment: false, now: now)
    }

    /// RFC 792 and RFC 1122 section 3.3.2: a datagram to us whose first fragment came but that
    /// did not complete in time is answered with Time Exceeded, code 1 ("fragment reassembly time
    /// exceeded"), quoting that fragment's header and first data (a header with options is not
    /// quoted, as they were not kept); under the ICMP error rate limit.
    mutating func reportReassemblyTimeout(_ abandoned: IPv4Reassembler.Abandoned, now: Instant) {
        var header = abandoned.header
        guard header.length == IPv4Header.minimumLength, header.destination == address,
              !header.source.isUnspecified, !header.source.isBroadcast, !header.source.isMulticast else { return }
        let dataLength = Swift.min(abandoned.payload.count, 8)
        header.totalLength = UInt16(IPv4Header.minimumLength + abandoned.payload.count)
        header.moreFragments = true
        header.fragmentOffset = 0
        var packet = PacketBuffer(capacity: IPv4Header.minimumLength + dataLength)
        packet.appendZeros(IPv4Header.minimumLength)
        packet.withUnsafeMutableBytes { header.emit(into: $0) }
        packet.append(contentsOf: abandoned.payload.slice(0 ..< dataLength).bytes)
        statistics.reassemblyTimeExceeded += 1
        sendICMPError(.timeExceeded(code: 1), about: packet, to: header.source, now: now)
    }
}
