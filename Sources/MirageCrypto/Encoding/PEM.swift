/// PEM, the textual armour of DER (RFC 7468): `-----BEGIN LABEL-----`, base64 lines, then
/// `-----END LABEL-----` with the same label. Text outside the blocks (comments, as in CA
/// bundles) is ignored; inside a block only base64 and whitespace are taken.
public enum PEM {
    /// One block: its label (such as `PRIVATE KEY` or `CERTIFICATE`) and its DER bytes.
    public struct Block: Equatable, Sendable {
        public let label: String
        public let der: [UInt8]
        public init(label: String, der: [UInt8]) {
            self.label = label
            self.der = der
        }
    }

    /// Every block of `text`, in order.
    /// - Throws: ``CryptoError/malformedEncoding(what:)`` for a block without its end line, an
    ///   end line whose label differs, or contents that are not base64.
    public static func decode(_ text: String) throws(CryptoError) -> [Block] {
        var blocks: [Block] = []
        var label: String?
        var body: [UInt8] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = trim(line)
            if let current = label {
                if let end = armour(trimmed, "-----END ") {
                    guard end == current, let der = Base64.decode(body) else { throw .malformedEncoding(what: "PEM block " + current) }
                    blocks.append(Block(label: current, der: der))
                    label = nil
                    body = []
                } else {
                    body += trimmed.utf8
                }
            } else if let begin = armour(trimmed, "-----BEGIN ") {
                label = begin
            }
        }
        if let label { throw .malformedEncoding(what: "PEM block " + label + " (no END line)") }
        return blocks
    }

    /// The PEM text of `der` under `label`, in lines of 64 characters.
    public static func encode(_ der: [UInt8], label: String) -> String {
        let encoded = Base64.encode(der)
        var text = "-----BEGIN " + label + "-----\n"
        var index = 0
        while index < encoded.count {
            let line = encoded[index..<min(index + 64, encoded.count)]
            text += String(decoding: line, as: UTF8.self) + "\n"
            index += 64
        }
        return text + "-----END " + label + "-----\n"
    }

    /// The label of an armour line `prefix` + LABEL + "-----", or nil.
    private static func armour(_ line: String, _ prefix: String) -> String? {
        guard line.hasPrefix(prefix), line.hasSuffix("-----"), line.utf8.count >= prefix.utf8.count + 5 else { return nil }
        return String(line.dropFirst(prefix.count).dropLast(5))
    }

    private static func trim(_ line: Substring) -> String {
        var bytes = Array(line.utf8)
        while let last = bytes.last, last == 0x20 || last == 0x09 || last == 0x0D { bytes.removeLast() }
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Base64 (RFC 4648 section 4), strict: padding only at the end and only as needed; the
/// whitespace PEM puts between lines is skipped.
public enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encode(_ bytes: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
            let value = (UInt32(chunk[0]) << 16) | (chunk.count > 1 ? UInt32(chunk[1]) << 8 : 0) | (chunk.count > 2 ? UInt32(chunk[2]) : 0)
            for position in 0..<4 {
                output.append(position <= chunk.count ? alphabet[Int(value >> (18 - 6 * position) & 0x3F)] : UInt8(ascii: "="))
            }
            index += 3
        }
        return output
    }

    /// The bytes `text` encodes, or nil when it is not base64.
    ///
    /// Constant time in the values (private keys come through here): each character's sextet is
    /// computed with arithmetic masks, never a table or a branch on its value, as the lookups of
    /// "Util::Lookup" (Sieck et al., USENIX Security 2021) taught. Only each character's class
    /// (alphabet, whitespace, padding, other) steers the loop; it is declared public
    /// (``ConstantTime/declassifyHook``), as the line structure of a PEM file is.
    public static func decode(_ text: [UInt8]) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.count)
        var padding = 0
        for character in text {
            let (value, inAlphabet) = sextet(character)
            if ConstantTime.declassify(inAlphabet) {
                guard padding == 0 else { return nil }
                values.append(value)
                continue
            }
            switch ConstantTime.declassify(character) {
            case 0x20, 0x09, 0x0A, 0x0D: continue
            case UInt8(ascii: "="): padding += 1
            default: return nil
            }
        }
        guard (values.count + padding) % 4 == 0, padding <= 2, values.count % 4 != 1,
              padding == (4 - values.count % 4) % 4 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(values.count * 3 / 4)
        var accumulator: UInt32 = 0, bits = 0
        for value in values {
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        // The bits left over must be zero (RFC 4648 section 3.5: canonical encoding).
        guard ConstantTime.declassify(accumulator & ((1 << UInt32(bits)) - 1)) == 0 else { return nil }
        return output
    }

    /// The value of a base64 character and whether it is one, without a branch or a lookup on
    /// it: each range test is the sign of two differences.
    static func sextet(_ character: UInt8) -> (value: UInt8, inAlphabet: Bool) {
        let c = Int32(character)
        /// All ones when low ≤ c ≤ high, else zero.
        func within(_ low: Int32, _ high: Int32) -> Int32 { ((low &- 1 &- c) & (c &- high &- 1)) >> 31 }
        let upper = within(65, 90), lower = within(97, 122), digit = within(48, 57), plus = within(43, 43), slash = within(47, 47)
        let value = (upper & (c &- 65)) | (lower & (c &- 71)) | (digit & (c &+ 4)) | (plus & 62) | (slash & 63)
        return (UInt8(truncatingIfNeeded: value), (upper | lower | digit | plus | slash) != 0)
    }
}
