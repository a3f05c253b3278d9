import MirageCore

/// The words of an entry still to be read, with the readers of the presentation format's field
/// kinds (RFC 1035 section 5.1): names, numbers, TTLs and character-strings. Errors are
/// problems without a line; the parser adds the entry's line.
struct DNSZoneFields {
    private let tokens: [DNSZoneToken]
    private var index = 0
    /// The origin relative names are completed with.
    let origin: DNSName?

    init(_ tokens: [DNSZoneToken], origin: DNSName?) {
        self.tokens = tokens
        self.origin = origin
    }

    var isAtEnd: Bool { index == tokens.count }

    /// The next word without taking it.
    var peek: DNSZoneToken? { isAtEnd ? nil : tokens[index] }

    /// Takes the next word, or fails naming the `field` that is missing.
    mutating func next(_ field: String) throws(DNSZoneError.Problem) -> DNSZoneToken {
        guard index < tokens.count else { throw .missingField(field) }
        index += 1
        return tokens[index - 1]
    }

    /// Fails if any word is left.
    func expectEnd() throws(DNSZoneError.Problem) {
        if let extra = peek { throw .extraField(extra.text) }
    }

    /// A name, relative ones completed with the origin, `@` for the origin.
    mutating func name(_ field: String) throws(DNSZoneError.Problem) -> DNSName {
        try Self.name(next(field), origin: origin)
    }

    static func name(_ token: DNSZoneToken, origin: DNSName?) throws(DNSZoneError.Problem) -> DNSName {
        do {
            return try DNSName(parsing: token.bytes, origin: origin, requiresOrigin: true)
        } catch {
            throw .badName(token.text, error)
        }
    }

    /// A decimal number of at most `maximum`.
    mutating func number(_ field: String, maximum: UInt64) throws(DNSZoneError.Problem) -> UInt64 {
        let token = try next(field)
        guard !token.isQuoted, let value = ASCIIDigit.decimalNumber(token.bytes, maximum: maximum) else { throw .badNumber(token.text) }
        return value
    }

    /// A TTL or another duration in seconds (SOA timers): decimal, or with units as BIND
    /// writes them (`1h30m`, `2w`), at most `maximum`; 2^31 - 1 for TTLs (RFC 2181 section 8).
    mutating func duration(_ field: String, maximum: UInt64 = 0xffff_ffff) throws(DNSZoneError.Problem) -> UInt32 {
        let token = try next(field)
        guard let value = Self.duration(token, maximum: maximum) else { throw .badTTL(token.text) }
        return value
    }

    static func duration(_ token: DNSZoneToken, maximum: UInt64) -> UInt32? {
        guard !token.isQuoted, !token.bytes.isEmpty else { return nil }
        var total: UInt64 = 0
        var number: UInt64? = nil
        for byte in token.bytes {
            if let digit = ASCIIDigit.decimalValue(byte) {
                let value = (number ?? 0) * 10 + UInt64(digit)
                guard value <= maximum else { return nil }
                number = value
                continue
            }
            let unit: UInt64
            switch DNSName.lower(byte) {
            case UInt8(ascii: "s"): unit = 1
            case UInt8(ascii: "m"): unit = 60
            case UInt8(ascii: "h"): unit = 3600
            case UInt8(ascii: "d"): unit = 86400
            case UInt8(ascii: "w"): unit = 604_800
            default: return nil
            }
            guard let value = number else { return nil }
            total += value * unit
            number = nil
            guard total <= maximum else { return nil }
        }
        total += number ?? 0
        guard total <= maximum else { return nil }
        return UInt32(total)
    }

    /// A character-string, quoted or not, escapes resolved (RFC 1035 section 5.1), of at most
    /// `maximumLength` bytes.
    mutating func characterString(_ field: String, maximumLength: Int = 255) throws(DNSZoneError.Problem) -> [UInt8] {
        try Self.characterString(next(field), maximumLength: maximumLength)
    }

    static func characterString(_ token: DNSZoneToken, maximumLength: Int) throws(DNSZoneError.Problem) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = 0
        while index < token.bytes.count {
            let byte = token.bytes[index]
            index += 1
            if byte == UInt8(ascii: "\\") {
                do {
                    bytes.append(try DNSName.unescape(token.bytes, at: &index))
                } catch {
                    throw .badEscape
                }
            } else {
                bytes.append(byte)
            }
        }
        guard bytes.count <= maximumLength else { throw .stringTooLong }
        return bytes
    }
}
