import MirageCore

/// ASCII helpers for HTTP's grammar (RFC 9110 section 5.6, RFC 5234 appendix B).
enum HTTPText {
    static func lower(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }

    static func lowercased(_ text: Substring) -> String {
        String(decoding: text.utf8.map(lower), as: UTF8.self)
    }

    /// `text` without leading and trailing spaces and tabs (OWS).
    static func trimmed(_ text: Substring) -> Substring {
        var result = text
        while let first = result.utf8.first, first == 32 || first == 9 { result = result.dropFirst() }
        while let last = result.utf8.last, last == 32 || last == 9 { result = result.dropLast() }
        return result
    }

    /// A run of 1 to 18 decimal digits as a number (so it cannot overflow), as in
    /// `Content-Length` and byte ranges; nil for anything else, signs and spaces included.
    static func decimal(_ text: Substring) -> Int? {
        guard text.utf8.count <= 18 else { return nil }
        return ASCIIDigit.decimalNumber(text.utf8, maximum: UInt64(Int.max)).map(Int.init)
    }

    /// tchar (RFC 9110 section 5.6.2): the characters of a token, such as a method or field name.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case 48...57, 65...90, 97...122: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): true
        default: false
        }
    }
}
