extension PacketBuffer {
    /// What a buffer's storage costs beyond its bytes: the storage object's header (32 octets),
    /// the padding that aligns the bytes to 16 (up to 15) and the allocator's own header and
    /// rounding (about 16).
    public static let storageOverhead = 64

    /// The memory this buffer's storage holds, whatever part of it is readable: its capacity plus
    /// ``storageOverhead`` (Linux's `truesize`). What the stack charges to a memory budget for a
    /// buffer it keeps on a peer's behalf; slices sharing storage are each charged in full, which
    /// errs on the safe side. An empty buffer that never had storage of its own costs nothing.
    public var trueSize: Int {
        storage === Storage.empty ? 0 : storage.byteCapacity + Self.storageOverhead
    }

    /// Whether keeping the buffer holds much more memory than its readable bytes: over twice
    /// their count plus ``storageOverhead`` (a small slice of a large receive buffer).
    public var isWasteful: Bool { trueSize > 2 * count + Self.storageOverhead }

    /// The readable bytes in storage of their own, exactly as large, with the offload facts kept.
    public func compacted() -> PacketBuffer {
        var copy = PacketBuffer(capacity: count)
        withUnsafeBytes { bytes in
            _ = copy.append(upTo: bytes.count) { destination in
                destination.copyMemory(from: bytes)
                return bytes.count
            }
        }
        copy.offload = offload
        return copy
    }
}
