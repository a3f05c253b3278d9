import MirageCore

extension StackCore {
    /// ICMP input (RFC 792; RFC 1122 section 3.2.2): echo requests are answered, "fragmentation
    /// needed" lowers the path MTU (RFC 1191 section 4), the rest is noted and dropped.
    mutating func receiveICMP(_ header: IPv4Header, payload: PacketBuffer, isBroadcast: Bool, now: Instant) {
        let icmp: ICMPv4Header
        do {
            icmp = try payload.withUnsafeBytes { (bytes) throws(WireError) in try ICMPv4Header.parse(bytes) }
        } catch {
            count(error)
            return
        }
        switch icmp.message {
        case let .echoRequest(identifier, sequence):
            // RFC 1122 section 3.2.2.6 allows ignoring broadcast echo requests; Linux does.
            guard !isBroadcast else { return }
            var reply = payload
            reply.withUnsafeMutableBytes { ICMPv4Header(.echoReply(identifier: identifier, sequence: sequence)).emit(into: $0) }
            statistics.echoRepliesSent += 1
            sendIPv4(reply, protocol: .icmp, to: header.source, dontFragment: false, now: now)
        case let .destinationUnreachable(code, nextHopMTU) where code == 4:
            takeFragmentationNeeded(payload, nextHopMTU: Int(nextHopMTU), now: now)
        default:
            break
        }
    }

    /// RFC 1191 section 4: the quoted packet names the destination whose path MTU shrank; TCP
    /// connections to it shrink their MSS (section 6.4). A missing or implausible MTU (below 68
    /// or not below the current one) is ignored.
    private mutating func takeFragmentationNeeded(_ payload: PacketBuffer, nextHopMTU: Int, now: Instant) {
        guard payload.count >= ICMPv4Header.headerLength + IPv4Header.minimumLength else { return }
        let quoted = payload.slice(ICMPv4Header.headerLength..<payload.count)
        let destination = quoted.withUnsafeBytes { $0.ipv4Address(at: 16) }
        let current = mtu(towards: destination)
        guard nextHopMTU >= 68, nextHopMTU < current else { return }
        pathMTU[destination] = nextHopMTU
        statistics.pathMTUUpdates += 1
        let ids = connections.keys.filter { $0.remoteAddress == destination }
        for id in ids {
            updateConnection(id, now: now) { $0.reducePathMTU(nextHopMTU, now: now) }
        }
    }

    /// Sends an ICMP error about `packet` (the whole offending IP packet), quoting as much of it
    /// as fits in 576 octets (RFC 1812 section 4.3.2.3), rate-limited by a token bucket (section
    /// 4.3.2.8).
    mutating func sendICMPError(_ message: ICMPv4Header.Message, about packet: PacketBuffer,
                                to destination: IPv4Address, now: Instant) {
        let elapsed = Double((now - icmpTokensUpdated).totalNanoseconds) / 1e9
        icmpTokens = Swift.min(Double(configuration.icmpErrorBurst), icmpTokens + elapsed * Double(configuration.icmpErrorsPerSecond))
        icmpTokensUpdated = now
        guard icmpTokens >= 1 else {
            statistics.icmpErrorsRateLimited += 1
            return
        }
        icmpTokens -= 1
        let quoted = Swift.min(packet.count, 576 - IPv4Header.minimumLength - ICMPv4Header.headerLength)
        var buffer = PacketBuffer(capacity: 64 + ICMPv4Header.headerLength + quoted, headroom: 64)
        buffer.appendZeros(ICMPv4Header.headerLength)
        buffer.append(contentsOf: packet.slice(0..<quoted).bytes)
        buffer.withUnsafeMutableBytes { ICMPv4Header(message).emit(into: $0) }
        statistics.icmpErrorsSent += 1
        sendIPv4(buffer, protocol: .icmp, to: destination, dontFragment: false, now: now)
    }
}
