import MirageCore

/// Splits an IPv4 datagram into packets that fit a link's MTU (RFC 791 section 3.2, "An Example
/// Fragmentation Procedure"; RFC 1122 section 3.3.2).
///
/// Every packet carries a 20-byte header without options, emitted with its checksum, and keeps the
/// requested headroom free in front for the link header, so the Ethernet layer can prepend without
/// copying. Each fragment's payload is copied once from the datagram's payload.
public enum IPv4Fragmenter {
    /// The smallest MTU an IPv4 link may have is 68 (RFC 791 section 3.2); this fragmenter needs
    /// only room for a header and one 8-byte block.
    public static let minimumMTU = IPv4Header.minimumLength + 8

    /// The largest payload a datagram can carry: a 16-bit total length less the minimum header.
    public static let maximumPayload = Int(UInt16.max) - IPv4Header.minimumLength

    /// The packets that carry `payload` under `header` across a link of `mtu` bytes.
    ///
    /// When header and payload fit in `mtu`, the result is one unfragmented packet (built in the
    /// payload's own headroom when it has room, without copying). Otherwise each fragment but the
    /// last carries the largest multiple of 8 bytes that fits, all share ``IPv4Header/identification``,
    /// offsets count 8-byte units (RFC 791 section 3.1, "Fragment Offset") and every fragment but
    /// the last has more-fragments set. Fragmenting a fragment works as RFC 791 section 3.2
    /// describes: offsets are relative to `header.fragmentOffset`, and the last piece keeps
    /// `header.moreFragments`.
    ///
    /// Programmer errors (preconditions): `mtu` below ``minimumMTU``, a payload that does not fit
    /// when `header.dontFragment` is set (the caller must send ICMP "fragmentation needed", RFC
    /// 1191, or let the transport lower its segment size instead), or a payload no datagram can
    /// carry.
    ///
    /// - Parameters:
    ///   - payload: the datagram's payload (the transport segment).
    ///   - header: the datagram's header; ``IPv4Header/totalLength`` and the fragment fields are
    ///     filled in per packet, options are not carried.
    ///   - mtu: the link's maximum transmission unit, in bytes of IP packet.
    ///   - headroom: the free bytes each packet keeps in front, for the link header.
    /// - Returns: complete IPv4 packets, in offset order, each at most `mtu` bytes.
    public static func fragments(of payload: PacketBuffer, header: IPv4Header, mtu: Int, headroom: Int) -> [PacketBuffer] {
        precondition(mtu >= minimumMTU, "an IPv4 MTU must hold a header and 8 bytes of payload")
        precondition(headroom >= 0, "headroom cannot be negative")
        precondition(Int(header.fragmentOffset) * 8 + payload.count <= maximumPayload,
                     "the payload is larger than an IPv4 datagram can carry")
        if IPv4Header.minimumLength + payload.count <= mtu {
            return [unfragmentedPacket(payload, header: header, headroom: headroom)]
        }
        precondition(!header.dontFragment, "the datagram does not fit the MTU and may not be fragmented")
        return splitPackets(payload, header: header, blockBytes: largestFragmentPayload(mtu: mtu), headroom: headroom)
    }

    /// The largest fragment payload a packet of `mtu` bytes holds: a multiple of 8 (RFC 791
    /// section 3.2: "the data must be broken on an 8 octet boundary").
    static func largestFragmentPayload(mtu: Int) -> Int {
        (mtu - IPv4Header.minimumLength) & ~7
    }

    /// One packet for the whole payload, written into the payload's headroom when there is room
    /// for both our header and the link's, else copied into a fresh buffer.
    static func unfragmentedPacket(_ payload: PacketBuffer, header: IPv4Header, headroom: Int) -> PacketBuffer {
        var packetHeader = header
        packetHeader.totalLength = UInt16(IPv4Header.minimumLength + payload.count)
        guard payload.headroom >= headroom + IPv4Header.minimumLength else {
            return payload.withUnsafeBytes { copiedPacket(header: packetHeader, payload: $0, headroom: headroom) }
        }
        var packet = payload
        packet.prepend(IPv4Header.minimumLength)
        packet.withUnsafeMutableBytes { packetHeader.emit(into: $0) }
        return packet
    }

    /// The fragments of `payload`, each carrying `blockBytes` bytes of it (the last fewer).
    static func splitPackets(_ payload: PacketBuffer, header: IPv4Header, blockBytes: Int, headroom: Int) -> [PacketBuffer] {
        payload.withUnsafeBytes { bytes in
            var packets: [PacketBuffer] = []
            packets.reserveCapacity((bytes.count + blockBytes - 1) / blockBytes)
            var start = 0
            while start < bytes.count {
                let end = Swift.min(start + blockBytes, bytes.count)
                let isLast = end == bytes.count
                var fragmentHeader = header
                fragmentHeader.totalLength = UInt16(IPv4Header.minimumLength + end - start)
                fragmentHeader.fragmentOffset = header.fragmentOffset + UInt16(start / 8)
                fragmentHeader.moreFragments = isLast ? header.moreFragments : true
                let piece = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                packets.append(copiedPacket(header: fragmentHeader, payload: piece, headroom: headroom))
                start = end
            }
            return packets
        }
    }

    /// A fresh buffer holding `header` (emitted, 20 bytes) followed by a copy of `payload`, with
    /// `headroom` free bytes in front.
    static func copiedPacket(header: IPv4Header, payload: UnsafeRawBufferPointer, headroom: Int) -> PacketBuffer {
        let length = IPv4Header.minimumLength + payload.count
        var packet = PacketBuffer(capacity: headroom + length, headroom: headroom)
        packet.appendZeros(length)
        packet.withUnsafeMutableBytes { bytes in
            header.emit(into: bytes)
            if let source = payload.baseAddress, let destination = bytes.baseAddress {
                (destination + IPv4Header.minimumLength).copyMemory(from: source, byteCount: payload.count)
            }
        }
        return packet
    }
}
