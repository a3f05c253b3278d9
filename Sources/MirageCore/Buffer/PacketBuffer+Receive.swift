extension PacketBuffer {
    /// The frame a device has just read into this buffer: the `length` bytes after `prefix`
    /// readable bytes (a header of the device's own), with `headroom` free bytes in front.
    ///
    /// A frame filling at least half of `room` (what the read could have filled) is handed over in
    /// this buffer's storage, nothing copied. A shorter one is copied into a buffer of its own size
    /// and this buffer is emptied, to be read into again: a short frame then does not hold storage
    /// sized for the longest one.
    /// - Returns: the frame, and whether this buffer may be read into again.
    public mutating func takeReceivedFrame(length: Int, after prefix: Int, room: Int, headroom: Int)
        -> (frame: PacketBuffer, reusable: Bool) {
        precondition(prefix >= 0 && length >= 0 && prefix + length <= count, "the frame lies outside the bytes read")
        if (prefix + length) * 2 >= room {
            var frame = self
            frame.removeFirst(prefix)
            frame.removeLast(frame.count - length)
            return (consume frame, false)
        }
        var frame = PacketBuffer(capacity: headroom + length, headroom: headroom)
        withUnsafeBytes { bytes in
            _ = frame.append(upTo: length) { destination in
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[prefix..<prefix + length]))
                return length
            }
        }
        removeLast(count)
        return (consume frame, true)
    }
}
