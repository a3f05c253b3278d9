/// Writes TLS structures (RFC 8446 section 3): integers in network order and vectors whose
/// length is filled in when their body is written.
public struct TLSWireWriter {
    public private(set) var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func append(_ value: UInt8) { bytes.append(value) }

    public mutating func append(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    public mutating func appendUInt24(_ value: Int) {
        precondition(value >= 0 && value < 1 << 24, "a 24-bit length of \(value)")
        bytes.append(UInt8(value >> 16))
        bytes.append(UInt8(value >> 8 & 0xFF))
        bytes.append(UInt8(value & 0xFF))
    }

    public mutating func append(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(value >> UInt32(shift) & 0xFF)) }
    }

    public mutating func append(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(value >> UInt64(shift) & 0xFF)) }
    }

    public mutating func append(_ other: [UInt8]) { bytes += other }

    /// A vector: a length of `lengthBytes` bytes, then what `body` writes.
    /// A body too long for its length field is a programming error.
    public mutating func appendVector(lengthBytes: Int, _ body: (inout TLSWireWriter) -> Void) {
        let start = bytes.count
        bytes += [UInt8](repeating: 0, count: lengthBytes)
        body(&self)
        let length = bytes.count - start - lengthBytes
        precondition(length < 1 << (8 * lengthBytes), "a vector of \(length) bytes behind a \(lengthBytes)-byte length")
        for index in 0..<lengthBytes {
            bytes[start + index] = UInt8(length >> (8 * (lengthBytes - 1 - index)) & 0xFF)
        }
    }

    /// An opaque vector holding `value`.
    public mutating func appendOpaque(lengthBytes: Int, _ value: [UInt8]) {
        appendVector(lengthBytes: lengthBytes) { $0.append(value) }
    }
}
