import MirageCore

/// The buffer that `recv` fills for a connection of ``SocketStack``: 64 KiB, a good share of a TCP
/// receive window (UDP sockets receive in batches: ``DatagramReceiveBatch``).
///
/// What arrives is handed out without a copy when it fills more than a quarter of the buffer;
/// less is copied into a buffer of its own size and the big one kept for the next call, as it is
/// when nothing arrived. So a trickle of small reads neither allocates 64 KiB each time nor pins
/// 64 KiB per few bytes held by the application.
struct SocketReceiveBuffer {
    /// The bytes one call may receive.
    static let capacity = 65_536
    /// Received data up to this length is copied out and the buffer reused.
    static let copyLimit = capacity / 4

    /// A buffer a call filled too little to hand out, or found nothing for.
    private var spare: PacketBuffer?

    /// Calls `receive` with room for ``capacity`` bytes and returns the first `n` as a buffer,
    /// `n` being what `receive` returns.
    /// - Throws: what `receive` throws; the buffer is then kept for the next call.
    mutating func fill<Failure: Error>(
        _ receive: (UnsafeMutableRawBufferPointer) throws(Failure) -> Int
    ) throws(Failure) -> PacketBuffer {
        var buffer = spare.take() ?? Self.fresh()
        let count: Int
        do {
            count = try buffer.withUnsafeMutableBytes(receive)
        } catch {
            spare = buffer
            throw error
        }
        precondition(count >= 0 && count <= Self.capacity, "received more bytes than there was room for")
        if count <= Self.copyLimit {
            let copy = buffer.withUnsafeBytes { PacketBuffer(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            spare = buffer
            return copy
        }
        buffer.removeLast(Self.capacity - count)
        return buffer
    }

    /// A buffer of ``capacity`` readable bytes without headroom (`PacketBuffer` has no way to
    /// read into its tailroom, so the bytes are made readable and the unused ones dropped after).
    private static func fresh() -> PacketBuffer {
        var buffer = PacketBuffer(capacity: capacity)
        buffer.appendZeros(capacity)
        return buffer
    }
}
