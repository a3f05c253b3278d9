/// Protocol Buffers' wire format, written (protobuf's "Encoding" page: varints, tags of field
/// number and wire type, length-delimited fields). Enough for the few messages the containerd shim
/// exchanges; fields are written in the order given, zero values left out as proto3 does.
public struct ProtobufWriter {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Wire types (protobuf "Message Structure").
    public enum WireType: UInt8, Sendable {
        case varint = 0
        case fixed64 = 1
        case lengthDelimited = 2
        case fixed32 = 5
    }

    mutating func appendVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func appendTag(_ field: Int, _ type: WireType) {
        appendVarint(UInt64(field) << 3 | UInt64(type.rawValue))
    }

    /// An unsigned or non-negative integer field (`uint32`, `uint64`, an enum); 0 is left out.
    public mutating func integer(_ field: Int, _ value: UInt64) {
        guard value != 0 else { return }
        appendTag(field, .varint)
        appendVarint(value)
    }

    /// A signed `int32`/`int64` field (two's complement, ten bytes when negative); 0 is left out.
    public mutating func signedInteger(_ field: Int, _ value: Int64) {
        integer(field, UInt64(bitPattern: value))
    }

    public mutating func bool(_ field: Int, _ value: Bool) {
        integer(field, value ? 1 : 0)
    }

    /// A `bytes` field or an embedded message; empty is left out unless `always`.
    public mutating func bytes(_ field: Int, _ value: [UInt8], always: Bool = false) {
        guard always || !value.isEmpty else { return }
        appendTag(field, .lengthDelimited)
        appendVarint(UInt64(value.count))
        bytes += value
    }

    public mutating func string(_ field: Int, _ value: String) {
        bytes(field, Array(value.utf8))
    }

    /// An embedded message, written even when empty (its presence can mean something).
    public mutating func message(_ field: Int, _ value: ProtobufWriter) {
        bytes(field, value.bytes, always: true)
    }
}
