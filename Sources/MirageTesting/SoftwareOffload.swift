import MirageCore

/// What a network card, or the Linux kernel behind a tap device, does with the work a frame's
/// ``FrameOffload`` asks for: completes a partial TCP or UDP checksum, and cuts a large TCP/IPv4
/// segment into pieces (fixing each piece's IPv4 length, identification and header checksum, its
/// TCP sequence number, flags and checksum), as Linux's `tcp_gso_segment` does. For simulated
/// devices that announce offloads, so the stack's side of them is tested without a kernel.
public enum SoftwareOffload {
    /// The frames that go on the wire for `frame`.
    public static func apply(_ frame: PacketBuffer) -> [PacketBuffer] {
        let offload = frame.offload
        if offload.tcpSegmentSize != 0 { return segment(frame) }
        guard offload.checksumStart != 0 else { return [frame] }
        var complete = frame
        complete.offload = FrameOffload()
        complete.withUnsafeMutableBytes { bytes in
            completeChecksum(bytes, start: Int(offload.checksumStart), field: Int(offload.checksumStart + offload.checksumOffset))
        }
        return [complete]
    }

    /// Sums the bytes from `start` to the end, the checksum field holding the pseudo-header's
    /// sum, and stores the complement in the field.
    static func completeChecksum(_ bytes: UnsafeMutableRawBufferPointer, start: Int, field: Int) {
        var sum: UInt32 = 0
        var index = start
        while index + 1 < bytes.count {
            sum += UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1])
            index += 2
        }
        if index < bytes.count { sum += UInt32(bytes[index]) << 8 }
        store(~fold(sum), in: bytes, at: field)
    }

    static func segment(_ frame: PacketBuffer) -> [PacketBuffer] {
        let offload = frame.offload
        let ip = 14, tcp = Int(offload.checksumStart), headers = Int(offload.headerLength)
        let size = Int(offload.tcpSegmentSize)
        let bytes = frame.bytes
        let payload = bytes.count - headers
        let totalTCPLength = bytes.count - tcp
        // The field holds the pseudo-header's sum over the whole segment's length: each piece's
        // takes that length out and its own in (RFC 1624's incremental update).
        let partial = UInt32(load(bytes, at: tcp + 16))
        let sequence = UInt32(load(bytes, at: tcp + 4)) << 16 | UInt32(load(bytes, at: tcp + 6))
        let identification = load(bytes, at: ip + 4)
        var pieces: [PacketBuffer] = []
        var offset = 0
        while offset < payload {
            let length = min(size, payload - offset)
            let isLast = offset + length == payload
            var piece = [UInt8](bytes[0..<headers]) + bytes[headers + offset..<headers + offset + length]
            let pieceLength = piece.count, pieceNumber = pieces.count
            piece.withUnsafeMutableBytes { out in
                store(UInt16(pieceLength - ip), in: out, at: ip + 2)
                store(identification &+ UInt16(pieceNumber), in: out, at: ip + 4)
                store(0, in: out, at: ip + 10)
                let ipHeaderLength = Int(out[ip] & 0x0F) * 4
                var ipSum: UInt32 = 0
                for word in stride(from: ip, to: ip + ipHeaderLength, by: 2) { ipSum += UInt32(load(out, at: word)) }
                store(~fold(ipSum), in: out, at: ip + 10)
                let pieceSequence = sequence &+ UInt32(offset)
                store(UInt16(pieceSequence >> 16), in: out, at: tcp + 4)
                store(UInt16(truncatingIfNeeded: pieceSequence), in: out, at: tcp + 6)
                if !isLast { out[tcp + 13] &= ~0x09 } // FIN and PSH only on the last piece
                let pieceTCPLength = UInt32(pieceLength - tcp)
                let adjusted = fold(partial + UInt32(~UInt16(totalTCPLength)) + pieceTCPLength)
                store(adjusted, in: out, at: tcp + 16)
                completeChecksum(out, start: tcp, field: tcp + 16)
            }
            pieces.append(PacketBuffer(piece))
            offset += length
        }
        return pieces
    }

    static func fold(_ sum: UInt32) -> UInt16 {
        var folded = sum
        while folded > 0xFFFF { folded = (folded & 0xFFFF) + (folded >> 16) }
        return UInt16(folded)
    }

    static func load(_ bytes: [UInt8], at offset: Int) -> UInt16 { UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]) }
    static func load(_ bytes: UnsafeMutableRawBufferPointer, at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
    static func store(_ value: UInt16, in bytes: UnsafeMutableRawBufferPointer, at offset: Int) {
        bytes[offset] = UInt8(value >> 8)
        bytes[offset + 1] = UInt8(truncatingIfNeeded: value)
    }
}
