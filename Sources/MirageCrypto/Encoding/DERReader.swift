/// A reader of DER (ITU-T X.690 section 10), strict: definite lengths in their shortest form,
/// single-byte tags, and nothing read past the end of the element that holds it. Each read
/// consumes one element; a constructed element is read by a reader of its own contents.
///
/// Outside bytes (keys from files, later certificates from peers) come through here, so every
/// length is checked against what is left before it is used.
public struct DERReader {
    /// Universal tags (X.690 section 8) this library reads.
    public enum Tag: UInt8 {
        case boolean = 0x01, integer = 0x02, bitString = 0x03, octetString = 0x04, null = 0x05
        case objectIdentifier = 0x06, utf8String = 0x0C, printableString = 0x13, ia5String = 0x16
        case utcTime = 0x17, generalizedTime = 0x18, sequence = 0x30, set = 0x31
    }

    private let bytes: [UInt8]
    private var position: Int
    private let end: Int
    /// What the reader is reading, for errors.
    public let context: String

    public init(_ bytes: [UInt8], context: String) {
        self.bytes = bytes
        position = 0
        end = bytes.count
        self.context = context
    }

    private init(_ bytes: [UInt8], from start: Int, to end: Int, context: String) {
        self.bytes = bytes
        position = start
        self.end = end
        self.context = context
    }

    public var isAtEnd: Bool { position == end }

    /// The tag of the next element, without reading it.
    public var nextTag: UInt8? { position < end ? bytes[position] : nil }

    /// Reads the next element, which must have `tag`, and returns its contents' bounds.
    private mutating func element(_ tag: UInt8) throws(CryptoError) -> Range<Int> {
        guard position + 2 <= end, bytes[position] == tag, tag & 0x1F != 0x1F else { throw .malformedEncoding(what: context) }
        var cursor = position + 1
        let first = bytes[cursor]
        cursor += 1
        var length = Int(first)
        if first & 0x80 != 0 {
            let octets = Int(first & 0x7F)
            // 0x80 is the indefinite form, which DER forbids; four octets reach 4 GiB.
            guard (1...4).contains(octets), cursor + octets <= end, bytes[cursor] != 0 else { throw .malformedEncoding(what: context) }
            length = 0
            for _ in 0..<octets {
                length = length << 8 | Int(bytes[cursor])
                cursor += 1
            }
            guard length >= 0x80 else { throw .malformedEncoding(what: context) }  // the short form would do
        }
        guard length <= end - cursor else { throw .malformedEncoding(what: context) }
        position = cursor + length
        return cursor..<cursor + length
    }

    /// The contents of the next element, which must have `tag` (a universal tag or any other
    /// byte, such as a context-specific `0xA0`).
    public mutating func read(_ tag: UInt8) throws(CryptoError) -> [UInt8] {
        Array(bytes[try element(tag)])
    }

    /// The contents of the next element with universal tag `tag`.
    public mutating func read(_ tag: Tag) throws(CryptoError) -> [UInt8] { try read(tag.rawValue) }

    /// A reader of the next element's contents (a SEQUENCE, SET or constructed context tag).
    public mutating func nested(_ tag: UInt8) throws(CryptoError) -> DERReader {
        let range = try element(tag)
        return DERReader(bytes, from: range.lowerBound, to: range.upperBound, context: context)
    }

    /// A reader of the next SEQUENCE's contents.
    public mutating func sequence() throws(CryptoError) -> DERReader { try nested(Tag.sequence.rawValue) }

    /// The next element when its tag is `tag`, else nil (an OPTIONAL field).
    public mutating func optional(_ tag: UInt8) throws(CryptoError) -> DERReader? {
        nextTag == tag ? try nested(tag) : nil
    }

    /// A non-negative INTEGER's magnitude, big-endian, without the sign byte. Refuses negative
    /// and non-minimal encodings.
    public mutating func unsignedInteger() throws(CryptoError) -> [UInt8] {
        let contents = try read(.integer)
        guard let first = contents.first, first & 0x80 == 0 else { throw .malformedEncoding(what: context) }
        if first == 0, contents.count > 1 {
            guard contents[1] & 0x80 != 0 else { throw .malformedEncoding(what: context) }
            return Array(contents.dropFirst())
        }
        return contents
    }

    /// A small non-negative INTEGER, such as a version.
    public mutating func smallInteger() throws(CryptoError) -> Int {
        let magnitude = try unsignedInteger()
        guard magnitude.count <= 4 else { throw .malformedEncoding(what: context) }
        return magnitude.reduce(0) { $0 << 8 | Int($1) }
    }

    /// A BIT STRING whose bits fill whole bytes (no unused bits), as keys are.
    public mutating func bitStringBytes() throws(CryptoError) -> [UInt8] {
        let contents = try read(.bitString)
        guard contents.first == 0 else { throw .malformedEncoding(what: context) }
        return Array(contents.dropFirst())
    }

    /// Reads a NULL.
    public mutating func null() throws(CryptoError) {
        guard try read(.null).isEmpty else { throw .malformedEncoding(what: context) }
    }

    /// Throws unless everything has been read.
    public func finish() throws(CryptoError) {
        guard isAtEnd else { throw .malformedEncoding(what: context) }
    }
}
