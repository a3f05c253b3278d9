/// The DER form of an ECDSA signature (RFC 5480 section 2.2, SEC 1 appendix C.8):
/// `SEQUENCE { r INTEGER, s INTEGER }`. Parsed strictly (X.690 section 10): definite minimal
/// lengths, minimal non-negative integers, nothing after the sequence; anything else is refused,
/// so that a signature has one encoding only.
public enum ECDSASignatureDER {
    /// The raw signature (r then s, each `scalarLength` bytes), or nil when `der` is not a
    /// strict DER signature whose integers fit.
    public static func raw(fromDER der: [UInt8], scalarLength: Int) -> [UInt8]? {
        var position = 0
        guard der.count >= 2, der[0] == 0x30, let sequenceLength = length(der, &position, after: 1),
              position + sequenceLength == der.count else { return nil }
        var raw: [UInt8] = []
        for _ in 0..<2 {
            guard position < der.count, der[position] == 0x02,
                  let integerLength = length(der, &position, after: position + 1), integerLength > 0,
                  position + integerLength <= der.count else { return nil }
            var value = Array(der[position..<position + integerLength])
            position += integerLength
            guard value[0] & 0x80 == 0 else { return nil }  // negative
            if value[0] == 0 {
                guard value.count > 1, value[1] & 0x80 != 0 else { return nil }  // not minimal
                value.removeFirst()
            }
            guard value.count <= scalarLength else { return nil }
            raw += [UInt8](repeating: 0, count: scalarLength - value.count) + value
        }
        return position == der.count ? raw : nil
    }

    /// The DER form of the raw signature `raw` (r then s, of equal lengths).
    public static func der(fromRaw raw: [UInt8]) -> [UInt8] {
        let half = raw.count / 2
        var body: [UInt8] = []
        for part in [raw[..<half], raw[half...]] {
            var value = Array(part.drop { $0 == 0 })
            if value.isEmpty { value = [0] }
            if value[0] & 0x80 != 0 { value.insert(0, at: 0) }
            body += [0x02] + encodeLength(value.count) + value
        }
        return [0x30] + encodeLength(body.count) + body
    }

    /// Reads the length octets at `start`, leaving `position` after them. Short form, or the long
    /// form with one or two octets, each only when the shorter form could not hold the value.
    private static func length(_ der: [UInt8], _ position: inout Int, after start: Int) -> Int? {
        guard start < der.count else { return nil }
        let first = der[start]
        if first < 0x80 {
            position = start + 1
            return Int(first)
        }
        let octets = Int(first & 0x7F)
        guard octets == 1 || octets == 2, start + octets < der.count, der[start + 1] != 0 else { return nil }
        var value = 0
        for index in 1...octets { value = value << 8 | Int(der[start + index]) }
        guard value >= (octets == 1 ? 0x80 : 0x100) else { return nil }
        position = start + 1 + octets
        return value
    }

    private static func encodeLength(_ length: Int) -> [UInt8] {
        length < 0x80 ? [UInt8(length)] : length < 0x100 ? [0x81, UInt8(length)] : [0x82, UInt8(length >> 8), UInt8(length & 0xFF)]
    }
}
