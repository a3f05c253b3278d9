/// The values of ASCII digits in UTF-8 bytes, for every parser of text from outside (addresses,
/// HTTP, DNS master files), without `Character` and its Unicode tables.
public enum ASCIIDigit {
    /// Whether `byte` is `0`–`9` (DIGIT, RFC 5234 appendix B.1).
    @inlinable
    public static func isDecimal(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// The value of `0`–`9`, or `nil`.
    @inlinable
    public static func decimalValue(_ byte: UInt8) -> UInt8? {
        isDecimal(byte) ? byte - UInt8(ascii: "0") : nil
    }

    /// The value of `0`–`9`, `a`–`f` or `A`–`F` (HEXDIG, RFC 5234 appendix B.1, either case), or
    /// `nil`.
    @inlinable
    public static func hexadecimalValue(_ byte: UInt8) -> UInt8? {
        if let value = decimalValue(byte) { return value }
        let lowercased = byte | 0x20
        guard lowercased >= UInt8(ascii: "a") && lowercased <= UInt8(ascii: "f") else { return nil }
        return lowercased - UInt8(ascii: "a") + 10
    }

    /// `bytes` spelled as two lowercase hexadecimal digits each (key logs, digests in text).
    public static func lowercaseHex(_ bytes: some Collection<UInt8>) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// The number that all of `bytes` spell in decimal, or `nil` when they are empty, hold
    /// anything but digits (signs and spaces included) or spell more than `maximum`. It never
    /// overflows, however many digits there are.
    @inlinable
    public static func decimalNumber(_ bytes: some Collection<UInt8>, maximum: UInt64) -> UInt64? {
        guard !bytes.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard let digit = decimalValue(byte), value <= (maximum - UInt64(digit)) / 10 else { return nil }
            value = value * 10 + UInt64(digit)
        }
        return value
    }
}
