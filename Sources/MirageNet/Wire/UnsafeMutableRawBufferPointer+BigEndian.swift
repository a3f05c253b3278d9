import MirageCore

/// Big-endian field stores into raw bytes, for the wire formats' `emit`. Callers check the length
/// first (each `emit` has a precondition), so these trap only on a bug.
extension UnsafeMutableRawBufferPointer {
    @inlinable
    func storeBigEndian<Value: FixedWidthInteger>(_ value: Value, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: Value.self)
    }

    @inlinable
    func store(_ address: MACAddress, at offset: Int) {
        address.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: self[offset..<offset + 6]))
    }

    @inlinable
    func store(_ address: IPv4Address, at offset: Int) {
        storeBigEndian(address.value, at: offset)
    }

    @inlinable
    func store(_ address: IPv6Address, at offset: Int) {
        storeBigEndian(address.high, at: offset)
        storeBigEndian(address.low, at: offset + 8)
    }
}
