/// Why a text could not be read as an address or a prefix.
///
/// Offsets count UTF-8 bytes from the start of the text, so a caller can point at the mistake.
public enum AddressParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text is empty.
    case empty
    /// A byte that cannot stand at this place: a sign, a space, a zone index (`%`), a non-ASCII
    /// byte, or a separator where a digit must come.
    case badCharacter(UInt8, offset: Int)
    /// A field is missing between two separators or at either end, as in `1..2.3`, `1.2.3.`,
    /// `:1::` or `10.0.0.0/`.
    case emptyField(offset: Int)
    /// A decimal field starts with a zero and has more digits, as in `01.2.3.4` or `/08`.
    case leadingZero(offset: Int)
    /// A decimal field is too large: an IPv4 octet above 255, or a prefix length above the
    /// address width.
    case outOfRange(offset: Int)
    /// A hexadecimal field has the wrong number of digits: an IPv6 group of more than four, or a
    /// MAC address byte of other than two.
    case wrongDigitCount(offset: Int)
    /// The text ends before the address has all its fields.
    case tooFewFields
    /// The address has more fields than it can hold.
    case tooManyFields
    /// An IPv6 address uses `::` more than once (RFC 4291, section 2.2).
    case repeatedCompression(offset: Int)
    /// A prefix has no `/length` part.
    case missingPrefixLength

    public var description: String {
        switch self {
        case .empty:
            return "empty address"
        case .badCharacter(let byte, let offset):
            if byte >= 0x21 && byte <= 0x7e {
                let character = String(decoding: CollectionOfOne(byte), as: UTF8.self)
                return "unexpected character '\(character)' at offset \(offset)"
            }
            let hex = (byte < 0x10 ? "0" : "") + String(byte, radix: 16)
            return "unexpected byte 0x\(hex) at offset \(offset)"
        case .emptyField(let offset):
            return "empty field at offset \(offset)"
        case .leadingZero(let offset):
            return "leading zero in the number at offset \(offset)"
        case .outOfRange(let offset):
            return "number out of range at offset \(offset)"
        case .wrongDigitCount(let offset):
            return "wrong number of digits in the field at offset \(offset)"
        case .tooFewFields:
            return "too few fields"
        case .tooManyFields:
            return "too many fields"
        case .repeatedCompression(let offset):
            return "second '::' at offset \(offset)"
        case .missingPrefixLength:
            return "missing '/length'"
        }
    }
}
