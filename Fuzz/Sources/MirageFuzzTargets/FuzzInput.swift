/// The fuzzer's bytes read as a program of choices and values: each read takes what is left, and
/// reads past the end give zeros (and an empty tail), so every input means something.
public struct FuzzInput {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var isAtEnd: Bool { offset >= bytes.count }
    public var remaining: Int { Swift.max(bytes.count - offset, 0) }

    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func uint16() -> UInt16 { UInt16(byte()) << 8 | UInt16(byte()) }
    public mutating func uint32() -> UInt32 { UInt32(uint16()) << 16 | UInt32(uint16()) }

    /// A number below `bound` (0 when `bound` is 0).
    public mutating func below(_ bound: Int) -> Int {
        bound <= 0 ? 0 : Int(uint16()) % bound
    }

    /// The next `count` bytes, or fewer at the end.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        let taken = Swift.min(Swift.max(count, 0), remaining)
        defer { offset += taken }
        return Array(bytes[offset..<offset + taken])
    }

    /// A length-prefixed piece: a 16-bit length (taken modulo `maximum + 1`), then that many bytes.
    public mutating func piece(maximum: Int) -> [UInt8] {
        bytes(Int(uint16()) % (maximum + 1))
    }

    /// Everything left.
    public mutating func rest() -> [UInt8] { bytes(remaining) }
}
