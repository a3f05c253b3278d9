import MirageCore

/// Big-endian field access over raw bytes, for the wire formats. Callers check the length first
/// (each format's `parse` does), so these trap only on a bug, never on network input.
extension UnsafeRawBufferPointer {
    @inlinable
    func bigEndian<Value: FixedWidthInteger>(_: Value.Type, at offset: Int) -> Value {
        Value(bigEndian: loadUnaligned(fromByteOffset: offset, as: Value.self))
    }

    @inlinable
    func macAddress(at offset: Int) -> MACAddress {
        MACAddress(loadingFrom: self, at: offset)
    }

    @inlinable
    func ipv4Address(at offset: Int) -> IPv4Address {
        IPv4Address(value: bigEndian(UInt32.self, at: offset))
    }

    @inlinable
    func ipv6Address(at offset: Int) -> IPv6Address {
        IPv6Address(high: bigEndian(UInt64.self, at: offset), low: bigEndian(UInt64.self, at: offset + 8))
    }
}
