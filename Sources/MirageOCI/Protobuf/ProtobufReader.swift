/// Protocol Buffers' wire format, read: a message's fields in order, each a number and a value
/// (protobuf's "Encoding" page). Malformed input (a truncated varint or field, a wire type of the
/// deprecated groups, a varint over ten bytes) throws; unknown fields are there to be skipped.
public struct ProtobufReader {
    public struct Malformed: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// One field: its number and its value.
    public enum Value: Equatable, Sendable {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(ArraySlice<UInt8>)
        case fixed32(UInt32)
    }

    let bytes: ArraySlice<UInt8>
    var index: Int

    public init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        index = bytes.startIndex
    }

    public init(_ bytes: [UInt8]) {
        self.init(bytes[...])
    }

    mutating func readVarint() throws(Malformed) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < bytes.endIndex else { throw Malformed(description: "a varint runs past the end of the message") }
            let byte = bytes[index]
            index += 1
            guard shift < 64 else { throw Malformed(description: "a varint is longer than ten bytes") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return value }
            shift += 7
        }
    }

    mutating func take(_ count: Int) throws(Malformed) -> ArraySlice<UInt8> {
        guard count >= 0, bytes.endIndex - index >= count else { throw Malformed(description: "a field runs past the end of the message") }
        defer { index += count }
        return bytes[index ..< index + count]
    }

    /// The next field; nil at the end of the message.
    public mutating func next() throws(Malformed) -> (field: Int, value: Value)? {
        guard index < bytes.endIndex else { return nil }
        let tag = try readVarint()
        let field = tag >> 3
        guard field >= 1, field <= 536_870_911 else { throw Malformed(description: "field number \(field) is out of range") }
        switch tag & 7 {
        case 0: return (Int(field), .varint(try readVarint()))
        case 1: return (Int(field), .fixed64(try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) }))
        case 2:
            let length = try readVarint()
            guard length <= UInt64(bytes.endIndex - index) else { throw Malformed(description: "a field runs past the end of the message") }
            return (Int(field), .bytes(try take(Int(length))))
        case 5: return (Int(field), .fixed32(try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }))
        default: throw Malformed(description: "wire type \(tag & 7) is not supported")
        }
    }

    /// Calls `body` with each field of `bytes`.
    public static func fields(of bytes: ArraySlice<UInt8>, _ body: (Int, Value) throws(Malformed) -> Void) throws(Malformed) {
        var reader = ProtobufReader(bytes)
        while let (field, value) = try reader.next() {
            try body(field, value)
        }
    }
}

extension ProtobufReader.Value {
    /// A `string` field's text (not validated beyond UTF-8 repair: the peer is containerd).
    public var string: String? {
        guard case let .bytes(bytes) = self else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    public var bytes: ArraySlice<UInt8>? {
        guard case let .bytes(bytes) = self else { return nil }
        return bytes
    }

    public var integer: UInt64? {
        guard case let .varint(value) = self else { return nil }
        return value
    }
}
