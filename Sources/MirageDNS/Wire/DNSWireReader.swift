/// A bounds-checked cursor over a message's bytes (RFC 1035 section 4.1). Every read checks
/// the bytes are there and throws ``DNSWireError/truncated(offset:)`` otherwise; names follow
/// compression pointers only backwards (see ``readName()``).
struct DNSWireReader {
    /// The whole message: compression pointers are offsets into it.
    let bytes: [UInt8]
    /// Where the next read starts.
    var offset: Int
    /// Where reads must stop: the end of the message, or of the RDATA being decoded.
    var end: Int
    /// Whether names may contain compression pointers: in a message yes, in RDATA read on its
    /// own (from a master file's generic form) no.
    let allowsCompression: Bool

    /// More pointers than any name needs: a name of 255 bytes has at most 127 labels, and no
    /// encoder points to a pointer more than once or twice.
    static let maximumPointers = 64

    init(_ bytes: [UInt8], allowsCompression: Bool = true) {
        self.bytes = bytes
        offset = 0
        end = bytes.count
        self.allowsCompression = allowsCompression
    }

    var remaining: Int { end - offset }

    mutating func readUInt8() throws(DNSWireError) -> UInt8 {
        guard offset < end else { throw .truncated(offset: offset) }
        offset += 1
        return bytes[offset - 1]
    }

    mutating func readUInt16() throws(DNSWireError) -> UInt16 {
        guard end - offset >= 2 else { throw .truncated(offset: offset) }
        offset += 2
        return UInt16(bytes[offset - 2]) << 8 | UInt16(bytes[offset - 1])
    }

    mutating func readUInt32() throws(DNSWireError) -> UInt32 {
        guard end - offset >= 4 else { throw .truncated(offset: offset) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            value = value << 8 | UInt32(bytes[offset])
            offset += 1
        }
        return value
    }

    mutating func readBytes(_ count: Int) throws(DNSWireError) -> [UInt8] {
        guard count >= 0, end - offset >= count else { throw .truncated(offset: offset) }
        offset += count
        return Array(bytes[(offset - count)..<offset])
    }

    /// A character-string: a length byte and that many bytes (RFC 1035 section 3.3).
    mutating func readCharacterString() throws(DNSWireError) -> [UInt8] {
        let length = try readUInt8()
        return try readBytes(Int(length))
    }

    /// A name (RFC 1035 sections 3.1 and 4.1.4), following compression pointers.
    ///
    /// A pointer must point before every byte of the name read so far, which makes each jump
    /// go strictly backwards and rules out loops of any length; jumps are also bounded by
    /// ``maximumPointers``. After a pointer the reader continues after the pointer's two bytes.
    /// Labels and the pointer read in place must lie before ``end``; the bytes a pointer leads
    /// to may lie anywhere before it in the message.
    mutating func readName() throws(DNSWireError) -> DNSName {
        let start = offset
        var storage: [UInt8] = []
        var position = offset
        var limit = end
        // The earliest byte of the name read so far: a pointer must point before it.
        var earliest = offset
        var pointers = 0
        while true {
            guard position < limit else { throw .truncated(offset: position) }
            let length = bytes[position]
            switch length >> 6 {
            case 0:
                if length == 0 {
                    if pointers == 0 { offset = position + 1 }
                    return DNSName(storage: storage)
                }
                let labelEnd = position + 1 + Int(length)
                guard labelEnd <= limit else { throw .truncated(offset: position) }
                guard storage.count + 1 + Int(length) + 1 <= DNSName.maximumWireLength else {
                    throw .nameTooLong(offset: start)
                }
                storage.append(contentsOf: bytes[position..<labelEnd])
                position = labelEnd
            case 3:
                guard allowsCompression else { throw .compressionNotAllowed(offset: position) }
                guard position + 2 <= limit else { throw .truncated(offset: position) }
                let target = Int(length & 0x3f) << 8 | Int(bytes[position + 1])
                guard target < bytes.count else { throw .pointerOutOfBounds(offset: position, target: target) }
                guard target < earliest else { throw .pointerNotBackward(offset: position, target: target) }
                pointers += 1
                guard pointers <= Self.maximumPointers else { throw .tooManyPointers(offset: start) }
                if pointers == 1 { offset = position + 2 }
                position = target
                earliest = target
                limit = bytes.count
            default:
                throw .labelTooLong(lengthByte: length, offset: position)
            }
        }
    }
}
