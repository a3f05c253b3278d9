import MirageCore

extension TCPSegment {
    /// The segment cut into pieces of at most `piecePayload` payload octets each, as a device
    /// doing TCP segmentation would (Linux's `tcp_gso_segment`): each piece's sequence number
    /// follows the last, and FIN and PSH stay on the last piece only (RFC 9293 section 3.4: the FIN
    /// occupies the sequence number after the last octet). Each piece's payload is its own buffer,
    /// with `headroom` octets in front for the headers.
    func cut(toPayload piecePayload: Int, headroom: Int) -> [TCPSegment] {
        precondition(piecePayload > 0, "a piece holds at least one octet")
        var pieces: [TCPSegment] = []
        pieces.reserveCapacity((payload.count + piecePayload - 1) / piecePayload)
        var offset = 0
        while offset < payload.count {
            let length = Swift.min(piecePayload, payload.count - offset)
            let isLast = offset + length == payload.count
            var pieceHeader = header
            pieceHeader.sequenceNumber = header.sequenceNumber &+ UInt32(truncatingIfNeeded: offset)
            if !isLast { pieceHeader.flags.subtract([.fin, .psh]) }
            var piece = PacketBuffer(capacity: headroom + length, headroom: headroom)
            payload.withUnsafeBytes { bytes in
                let part = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + length])
                _ = piece.append(upTo: length) { destination in
                    destination.copyMemory(from: part)
                    return length
                }
            }
            pieces.append(TCPSegment(header: pieceHeader, payload: piece))
            offset += length
        }
        return pieces
    }
}
