import MirageCrypto

/// Distinguished names compared as RFC 5280 section 7.1 asks: attribute by attribute, a
/// PrintableString or UTF8String value (RFC 4518's string preparation, for ASCII) equal to
/// another without regard to ASCII case, leading and trailing spaces, or the length of inner runs
/// of spaces, and whichever of the two types encodes it; every other value byte for byte.
/// Non-ASCII letters are compared as they are (no Unicode case folding).
enum X509Name {
    /// The form of `name` (a Name's SEQUENCE contents, RFC 5280 section 4.1.2.4) in which names
    /// section 7.1 calls equal are equal bytes. A name that does not read stands for itself.
    static func comparable(_ name: [UInt8]) -> [UInt8] {
        do throws(CryptoError) {
            var names = DERReader(name, context: "a name")
            var result: [UInt8] = []
            while !names.isAtEnd {
                var relative = try names.nested(0x31)  // RelativeDistinguishedName: SET OF AttributeTypeAndValue
                var attributes: [UInt8] = []
                while !relative.isAtEnd {
                    var attribute = try relative.sequence()
                    let type = try attribute.read(DERReader.Tag.objectIdentifier)
                    guard let tag = attribute.nextTag else { throw .malformedEncoding(what: "an attribute without a value") }
                    let value = try attribute.read(tag)
                    try attribute.finish()
                    let isString = tag == DERReader.Tag.printableString.rawValue || tag == DERReader.Tag.utf8String.rawValue
                    attributes += DER.element(DERReader.Tag.sequence.rawValue, DER.element(DERReader.Tag.objectIdentifier.rawValue, type)
                        + (isString ? DER.element(DERReader.Tag.utf8String.rawValue, prepared(value)) : DER.element(tag, value)))
                }
                result += DER.element(0x31, attributes)
            }
            return result
        } catch {
            return [0xFF] + name  // never equal to the form of a name that reads
        }
    }

    /// ASCII letters in lower case, no leading or trailing spaces, each inner run of spaces one.
    static func prepared(_ value: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var pendingSpace = false
        for byte in value {
            if byte == UInt8(ascii: " ") {
                pendingSpace = !result.isEmpty
                continue
            }
            if pendingSpace { result.append(UInt8(ascii: " ")) }
            pendingSpace = false
            result.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte)
        }
        return result
    }
}
