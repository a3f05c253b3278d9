// The byte scanner the address parsers share. It is internal, and works on UTF-8 bytes only, so
// parsing needs no Unicode tables.

/// A cursor over the UTF-8 bytes of an address text, with the field readers the parsers share.
///
/// Each reader either consumes a whole field or throws; the parsers stop where their address
/// ends, so a prefix parser can read the address and then the `/length` with one scanner.
struct AddressScanner<Text: Collection> where Text.Element == UInt8 {
    private let text: Text
    private var index: Text.Index
    /// The number of bytes consumed so far: the offset errors report.
    private(set) var offset = 0

    /// Starts at the first byte of `text`.
    ///
    /// - Throws: `.empty` if `text` has no bytes.
    init(_ text: Text) throws(AddressParseError) {
        guard !text.isEmpty else { throw .empty }
        self.text = text
        self.index = text.startIndex
    }

    /// The byte at the cursor, or `nil` at the end of the text.
    var current: UInt8? { index == text.endIndex ? nil : text[index] }

    var isAtEnd: Bool { index == text.endIndex }

    /// Whether the current byte is a hexadecimal digit.
    var isAtHexadecimalDigit: Bool { current.flatMap(ASCIIDigit.hexadecimalValue) != nil }

    /// Moves past the current byte. Does nothing at the end.
    mutating func advance() {
        guard index != text.endIndex else { return }
        text.formIndex(after: &index)
        offset += 1
    }

    /// Moves past `byte` if it is the current byte.
    ///
    /// - Returns: whether it did.
    mutating func consume(_ byte: UInt8) -> Bool {
        guard current == byte else { return false }
        advance()
        return true
    }

    /// Reads a decimal number written without a leading zero and at most `maximum`.
    ///
    /// - Throws: `.emptyField`, `.badCharacter`, `.leadingZero` or `.outOfRange`.
    mutating func decimal(maximum: Int) throws(AddressParseError) -> Int {
        let start = offset
        guard let first = current, let firstDigit = ASCIIDigit.decimalValue(first) else {
            throw missingField()
        }
        var value = Int(firstDigit)
        advance()
        while let byte = current, let digit = ASCIIDigit.decimalValue(byte) {
            if value == 0 { throw .leadingZero(offset: start) }
            value = value * 10 + Int(digit)
            if value > maximum { throw .outOfRange(offset: start) }
            advance()
        }
        return value
    }

    /// Reads a hexadecimal number of `digits.lowerBound` to `digits.upperBound` digits, either case.
    ///
    /// - Throws: `.emptyField`, `.badCharacter` or `.wrongDigitCount`.
    mutating func hexadecimal(digits: ClosedRange<Int>) throws(AddressParseError) -> UInt16 {
        let start = offset
        guard isAtHexadecimalDigit else { throw missingField() }
        var value: UInt16 = 0
        var count = 0
        while let byte = current, let digit = ASCIIDigit.hexadecimalValue(byte) {
            count += 1
            if count > digits.upperBound { throw .wrongDigitCount(offset: start) }
            value = value << 4 | UInt16(digit)
            advance()
        }
        if count < digits.lowerBound {
            // `a:bb` has a short field; `fg` has a bad character.
            if let byte = current, !isAtFieldBoundary, byte != UInt8(ascii: "-") {
                throw .badCharacter(byte, offset: offset)
            }
            throw .wrongDigitCount(offset: start)
        }
        return value
    }

    /// Succeeds at the end of the text and otherwise throws what the leftover byte means.
    ///
    /// - Parameter fieldSeparator: the byte that would start one more field of the address just
    ///   read, reported as `.tooManyFields`; `nil` reports every leftover byte as a bad character.
    func expectEnd(fieldSeparator: UInt8? = nil) throws(AddressParseError) {
        guard let byte = current else { return }
        if byte == fieldSeparator { throw .tooManyFields }
        throw .badCharacter(byte, offset: offset)
    }

    /// The error for a field that should start at the cursor but does not: an empty field at the
    /// end or at a separator, and a bad character otherwise.
    func missingField() -> AddressParseError {
        guard let byte = current, !isAtFieldBoundary else { return .emptyField(offset: offset) }
        return .badCharacter(byte, offset: offset)
    }

    /// Whether the cursor is at the end or at `.`, `:` or `/`, where a field ends. (`-` is left
    /// out so that a sign reads as a bad character; it only separates MAC address bytes.)
    private var isAtFieldBoundary: Bool {
        switch current {
        case nil, UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "/"): return true
        default: return false
        }
    }
}
