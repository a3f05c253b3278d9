/// A bounds-checked cursor over a TLS structure (RFC 8446 section 3): integers in network order
/// and vectors behind a length of one, two or three bytes. Every read checks the bytes are there
/// and that a vector's length is within its declared range; a failure is `decode_error`
/// (RFC 8446 section 6.2), so a truncated or overlong field never reads past its message.
public struct TLSWireReader {
    /// The message; reads stay within `offset..<end`.
    let bytes: [UInt8]
    /// Where the next read starts.
    public private(set) var offset: Int
    /// Where reads must stop: the end of the message or of the vector being read.
    let end: Int

    public init(_ bytes: [UInt8]) {
        self.init(bytes, from: 0, to: bytes.count)
    }

    init(_ bytes: [UInt8], from start: Int, to end: Int) {
        self.bytes = bytes
        offset = start
        self.end = end
    }

    /// Bytes left to read.
    public var remaining: Int { end - offset }
    public var isAtEnd: Bool { offset == end }

    public mutating func readUInt8() throws(TLSError) -> UInt8 {
        guard offset < end else { throw .decode("truncated at byte \(offset)") }
        offset += 1
        return bytes[offset - 1]
    }

    public mutating func readUInt16() throws(TLSError) -> UInt16 {
        UInt16(try readInteger(2))
    }

    public mutating func readUInt24() throws(TLSError) -> Int {
        Int(try readInteger(3))
    }

    public mutating func readUInt32() throws(TLSError) -> UInt32 {
        UInt32(try readInteger(4))
    }

    public mutating func readUInt64() throws(TLSError) -> UInt64 {
        try readInteger(8)
    }

    private mutating func readInteger(_ width: Int) throws(TLSError) -> UInt64 {
        guard remaining >= width else { throw .decode("truncated at byte \(offset)") }
        var value: UInt64 = 0
        for index in offset..<offset + width { value = value << 8 | UInt64(bytes[index]) }
        offset += width
        return value
    }

    /// The next `count` bytes.
    public mutating func readBytes(_ count: Int) throws(TLSError) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw .decode("\(count) bytes wanted at byte \(offset), \(remaining) left") }
        offset += count
        return Array(bytes[offset - count..<offset])
    }

    /// A reader over the next vector (`opaque name<minimum..maximum>`), whose length takes
    /// `lengthBytes` bytes; this reader moves past it.
    /// - Throws: `decode_error` when the length is outside `minimum...maximum` or overruns.
    public mutating func readVector(lengthBytes: Int, minimum: Int = 0, maximum: Int) throws(TLSError) -> TLSWireReader {
        let length = Int(try readInteger(lengthBytes))
        guard length >= minimum, length <= maximum else {
            throw .decode("a vector of \(length) bytes where \(minimum)...\(maximum) are allowed")
        }
        guard remaining >= length else { throw .decode("a vector of \(length) bytes at byte \(offset), \(remaining) left") }
        let vector = TLSWireReader(bytes, from: offset, to: offset + length)
        offset += length
        return vector
    }

    /// The bytes of the next vector (see ``readVector(lengthBytes:minimum:maximum:)``).
    public mutating func readOpaque(lengthBytes: Int, minimum: Int = 0, maximum: Int) throws(TLSError) -> [UInt8] {
        var vector = try readVector(lengthBytes: lengthBytes, minimum: minimum, maximum: maximum)
        return try vector.readBytes(vector.remaining)
    }

    /// The rest of this reader's bytes.
    public mutating func readRest() -> [UInt8] {
        defer { offset = end }
        return Array(bytes[offset..<end])
    }

    /// Checks that nothing is left: trailing bytes in a structure are `decode_error`.
    public func expectEnd(_ what: String) throws(TLSError) {
        guard isAtEnd else { throw .decode("\(remaining) bytes after \(what)") }
    }
}
