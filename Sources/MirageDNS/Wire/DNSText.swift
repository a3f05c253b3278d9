import MirageCore

/// ASCII helpers for the presentation format (RFC 1035 section 5.1), comparing bytes rather
/// than Unicode text (see `UTF8Spelling.swift` in MirageCore for why).
enum DNSText {
    /// Whether `a` and `b` are the same bytes but for ASCII case.
    static func equalIgnoringCase(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { DNSName.lower($0) == DNSName.lower($1) }
    }

    /// The number `nnn` of a word `PREFIXnnn`, the prefix in either case (RFC 3597 section 5).
    static func number(afterPrefix prefix: String, in word: some Collection<UInt8>, maximum: UInt64) -> UInt64? {
        let prefixLength = prefix.utf8.count
        guard word.count > prefixLength, equalIgnoringCase(word.prefix(prefixLength), prefix.utf8) else { return nil }
        return ASCIIDigit.decimalNumber(word.dropFirst(prefixLength), maximum: maximum)
    }

    /// Appends `byte` as the escape `\DDD`, three decimal digits (RFC 1035 section 5.1).
    static func appendDecimalEscape(_ byte: UInt8, to text: inout [UInt8]) {
        text.append(UInt8(ascii: "\\"))
        text.append(48 + byte / 100)
        text.append(48 + byte / 10 % 10)
        text.append(48 + byte % 10)
    }

    /// `bytes` as two lowercase hexadecimal digits each.
    static func hex(_ bytes: some Collection<UInt8>) -> String {
        ASCIIDigit.lowercaseHex(bytes)
    }
}
