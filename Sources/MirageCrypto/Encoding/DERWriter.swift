/// Builds DER (X.690 section 10): each element its tag, its length in the shortest form and its
/// contents, for keys this library writes.
public enum DER {
    /// One element: `tag`, the length of `contents`, `contents`.
    public static func element(_ tag: UInt8, _ contents: [UInt8]) -> [UInt8] {
        var encoded = [tag]
        let count = contents.count
        if count < 0x80 {
            encoded.append(UInt8(count))
        } else {
            var length: [UInt8] = []
            var remaining = count
            while remaining > 0 {
                length.insert(UInt8(remaining & 0xFF), at: 0)
                remaining >>= 8
            }
            encoded.append(0x80 | UInt8(length.count))
            encoded += length
        }
        return encoded + contents
    }

    public static func sequence(_ parts: [[UInt8]]) -> [UInt8] { element(0x30, parts.flatMap { $0 }) }

    /// A non-negative INTEGER from a big-endian magnitude: leading zeros dropped, a zero byte put
    /// in front when the top bit is set.
    public static func unsignedInteger(_ magnitude: [UInt8]) -> [UInt8] {
        var value = Array(magnitude.drop { $0 == 0 })
        if value.isEmpty { value = [0] }
        if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
        return element(0x02, value)
    }

    public static func octetString(_ bytes: [UInt8]) -> [UInt8] { element(0x04, bytes) }
    public static func bitString(_ bytes: [UInt8]) -> [UInt8] { element(0x03, [0] + bytes) }
    public static func objectIdentifier(_ encoded: [UInt8]) -> [UInt8] { element(0x06, encoded) }
    public static let null: [UInt8] = [0x05, 0x00]
}
