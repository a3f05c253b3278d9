import MirageCore

/// Cuts a packet too long for the path MTU into fragments (RFC 8200 section 4.5), as only its
/// source may: each fragment carries the IPv6 header, a Fragment header and a piece of the
/// payload, a multiple of 8 octets but for the last.
public enum IPv6Fragmenter {
    public static let fragmentHeaderLength = 8

    /// The fragments of `payload` (everything after the IPv6 header, which has no extension
    /// headers here), each at most `mtu` octets.
    /// - Parameters:
    ///   - header: the header of the whole packet; its next header goes into each Fragment header.
    ///   - headroom: room left in front of each fragment for the link's header.
    public static func fragments(of payload: PacketBuffer, header: IPv6Header, mtu: Int, identification: UInt32,
                                 headroom: Int) -> [PacketBuffer] {
        let piece = (Swift.max(mtu, IPv6Interface.minimumMTU) - IPv6Header.length - fragmentHeaderLength) / 8 * 8
        var fragments: [PacketBuffer] = []
        var offset = 0
        while offset < payload.count {
            let length = Swift.min(piece, payload.count - offset)
            let more = offset + length < payload.count
            var fragment = PacketBuffer(capacity: headroom + IPv6Header.length + fragmentHeaderLength + length, headroom: headroom)
            fragment.appendZeros(IPv6Header.length + fragmentHeaderLength)
            fragment.append(contentsOf: payload.slice(offset ..< offset + length).bytes)
            var fragmentHeader = header
            fragmentHeader.nextHeader = .fragment
            fragmentHeader.payloadLength = UInt16(fragmentHeaderLength + length)
            fragment.withUnsafeMutableBytes { bytes in
                fragmentHeader.emit(into: bytes)
                bytes[IPv6Header.length] = header.nextHeader.rawValue
                bytes[IPv6Header.length + 1] = 0
                bytes.storeBigEndian(UInt16(offset / 8) << 3 | (more ? 1 : 0), at: IPv6Header.length + 2)
                bytes.storeBigEndian(identification, at: IPv6Header.length + 4)
            }
            fragments.append(fragment)
            offset += length
        }
        return fragments
    }
}
