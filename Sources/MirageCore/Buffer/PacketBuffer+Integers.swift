/// Big-endian (network byte order) integer accessors. `get…(at:)` returns nil when the integer
/// does not fit inside the readable bytes; `set…(_:at:)` traps, as writing past the end is a bug.
extension PacketBuffer {
    /// The byte at `offset`, or nil when out of range.
    @inlinable
    public func getUInt8(at offset: Int) -> UInt8? {
        guard offset >= 0, offset < count else { return nil }
        return self[offset]
    }

    /// The big-endian `UInt16` at `offset`, or nil when it does not fit.
    @inlinable
    public func getUInt16(at offset: Int) -> UInt16? { getInteger(at: offset) }

    /// The big-endian `UInt32` at `offset`, or nil when it does not fit.
    @inlinable
    public func getUInt32(at offset: Int) -> UInt32? { getInteger(at: offset) }

    /// Writes `value` big-endian at `offset`.
    @inlinable
    public mutating func setUInt16(_ value: UInt16, at offset: Int) { setInteger(value, at: offset) }

    /// Writes `value` big-endian at `offset`.
    @inlinable
    public mutating func setUInt32(_ value: UInt32, at offset: Int) { setInteger(value, at: offset) }

    @inlinable
    func getInteger<Value: FixedWidthInteger>(at offset: Int) -> Value? {
        let size = MemoryLayout<Value>.size
        guard offset >= 0, offset <= count - size else { return nil }
        return withUnsafeBytes { Value(bigEndian: $0.loadUnaligned(fromByteOffset: offset, as: Value.self)) }
    }

    @inlinable
    mutating func setInteger<Value: FixedWidthInteger>(_ value: Value, at offset: Int) {
        precondition(offset >= 0 && offset <= count - MemoryLayout<Value>.size, "integer out of range")
        withUnsafeMutableBytes { $0.storeBytes(of: value.bigEndian, toByteOffset: offset, as: Value.self) }
    }
}
