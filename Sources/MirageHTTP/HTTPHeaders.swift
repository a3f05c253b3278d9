/// The header fields of a request or response (RFC 9110 section 5), in the order received or
/// added. Names compare case-insensitively (section 5.1); values are kept as received, without
/// leading and trailing whitespace (RFC 9112 section 5.1).
public struct HTTPHeaders: Sendable, Equatable {
    public private(set) var fields: [(name: String, value: String)] = []

    public init() {}

    public init(_ fields: [(String, String)]) {
        for (name, value) in fields { add(name, value) }
    }

    public var count: Int { fields.count }

    /// Appends a field, keeping any others of the same name.
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name, value))
    }

    /// Replaces every field named `name` with one of `value`.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        add(name, value)
    }

    public mutating func remove(_ name: String) {
        fields.removeAll { Self.namesEqual($0.name, name) }
    }

    /// The values of every field named `name`, in order.
    public func values(_ name: String) -> [String] {
        fields.compactMap { Self.namesEqual($0.name, name) ? $0.value : nil }
    }

    /// The first value of the field named `name`.
    public subscript(_ name: String) -> String? {
        fields.first { Self.namesEqual($0.name, name) }?.value
    }

    /// The comma-separated list elements of every field named `name`, lowercased and trimmed,
    /// empty elements dropped (RFC 9110 section 5.6.1): for `Connection`, `Transfer-Encoding`.
    public func tokens(_ name: String) -> [String] {
        values(name).flatMap { value in
            value.split(separator: ",").map { HTTPText.lowercased(HTTPText.trimmed(Substring($0))) }.filter { !$0.isEmpty }
        }
    }

    /// ASCII case-insensitive equality of field names (RFC 9110 section 5.1).
    static func namesEqual(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { HTTPText.lower($0) == HTTPText.lower($1) }
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count && zip(lhs.fields, rhs.fields).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

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
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return text.utf8.reduce(0) { $0 * 10 + Int($1 - 48) }
    }

    /// The value of a hexadecimal digit (HEXDIG, RFC 5234 appendix B.1, either case), or nil.
    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 48...57: byte - 48
        case 65...70: byte - 55
        case 97...102: byte - 87
        default: nil
        }
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
