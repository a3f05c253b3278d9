import MirageCore

/// Why a master file or a set of records does not make a zone (RFC 1035 section 5; RFC 1034
/// section 4.2; RFC 2181 section 10.1): the problem and the line of the file it is on.
public struct DNSZoneError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The line of the master file, counting from 1; nil for a problem of the whole zone (no
    /// SOA) or of records not read from a file.
    public var line: Int?
    public var problem: Problem

    public init(line: Int?, _ problem: Problem) {
        self.line = line
        self.problem = problem
    }

    /// `line N: problem`.
    public var description: String {
        guard let line else { return problem.description }
        return "line " + String(line) + ": " + problem.description
    }

    /// What is wrong. Cases that quote the file carry the offending text.
    public enum Problem: Error, Hashable, Sendable, CustomStringConvertible {
        /// A word where a type must be that is no type's mnemonic nor `TYPEnnn`.
        case unknownType(String)
        /// A `$` directive other than `$ORIGIN`, `$TTL` and `$INCLUDE`.
        case unknownDirective(String)
        /// `$INCLUDE`, which this parser does not read: a unikernel has no files to include.
        case includeNotSupported
        case badIPv4Address(String, AddressParseError)
        case badIPv6Address(String, AddressParseError)
        /// A name that is not one: a label over 63 bytes, a name over 255, an empty label, a bad
        /// escape, or a relative name with no origin.
        case badName(String, DNSNameError)
        /// A TTL that is not a number of seconds from 0 to 2^31 - 1 (RFC 2181 section 8),
        /// optionally with units `s`, `m`, `h`, `d` and `w`.
        case badTTL(String)
        /// A field that must be a decimal number in a range and is not.
        case badNumber(String)
        /// A backslash not followed by a character or by three digits of at most 255.
        case badEscape
        /// A character-string over 255 bytes (RFC 1035 section 3.3).
        case stringTooLong
        /// A `"` without its closing `"` on the same line.
        case unterminatedString
        /// A `)` without a `(`, or a `(` not closed by the end of the file (reported at its
        /// line).
        case unbalancedParentheses
        /// The entry ends where a field must come; the field is named.
        case missingField(String)
        /// More fields than the type's data has.
        case extraField(String)
        /// Generic RDATA (`\# length hex`, RFC 3597 section 5) that is malformed or, for a
        /// known type, not valid data of that type.
        case badGenericData(String)
        /// A type this library has no presentation form for, written other than in the
        /// generic form.
        case genericFormRequired(DNSRecordType)
        /// A type that is never zone data: OPT, AXFR, IXFR, MAILA, MAILB, ANY.
        case metaType(DNSRecordType)
        /// A CAA tag that is not 1 to 15 ASCII letters and digits (RFC 8659 section 4.1).
        case badCAATag(String)
        /// RDATA over 65535 bytes.
        case recordDataTooLong
        /// An entry that starts with a blank, so takes the previous owner, with none before it.
        case noOwner
        /// A record without a TTL, with no `$TTL` and no earlier TTL to use.
        case noTTL
        /// A record of another class than the zone's SOA.
        case classMismatch(expected: DNSClass, found: DNSClass)
        /// The zone has no SOA record.
        case missingSOA
        /// A second SOA record.
        case multipleSOA
        /// An SOA record below the zone's apex.
        case soaNotAtApex(DNSName)
        /// A record whose owner is not the origin or below it.
        case outsideZone(DNSName)
        /// A CNAME at a name with other data, or other data at a CNAME (RFC 1034 section 3.6.2,
        /// RFC 2181 section 10.1).
        case cnameAndOtherData(DNSName)
        /// Two CNAME records at one name (RFC 2181 section 10.1).
        case multipleCNAMEs(DNSName)

        public var description: String {
            switch self {
            case let .unknownType(word): "unknown type '\(word)'"
            case let .unknownDirective(word): "unknown directive '\(word)'"
            case .includeNotSupported: "$INCLUDE is not supported"
            case let .badIPv4Address(text, error): "bad IPv4 address '\(text)': " + error.description
            case let .badIPv6Address(text, error): "bad IPv6 address '\(text)': " + error.description
            case let .badName(text, error): "bad name '\(text)': " + error.description
            case let .badTTL(text): "bad TTL '\(text)'"
            case let .badNumber(text): "bad number '\(text)'"
            case .badEscape: "bad escape (\\c or \\DDD with DDD at most 255)"
            case .stringTooLong: "a character-string longer than 255 bytes"
            case .unterminatedString: "unterminated quoted string"
            case .unbalancedParentheses: "unbalanced parentheses"
            case let .missingField(field): "missing " + field
            case let .extraField(text): "unexpected '\(text)' after the record data"
            case let .badGenericData(reason): "bad generic (\\#) data: " + reason
            case let .genericFormRequired(type): "type " + type.description + " must be written in the generic form \\# (RFC 3597)"
            case let .metaType(type): "type " + type.description + " cannot appear in a zone"
            case let .badCAATag(text): "bad CAA tag '\(text)'"
            case .recordDataTooLong: "record data longer than 65535 bytes"
            case .noOwner: "no owner name: the first record starts with a blank"
            case .noTTL: "no TTL, no $TTL and no earlier TTL"
            case let .classMismatch(expected, found): "class " + found.description + " in a zone of class " + expected.description
            case .missingSOA: "the zone has no SOA record"
            case .multipleSOA: "a second SOA record"
            case let .soaNotAtApex(name): "an SOA record at " + name.description + ", below the zone's apex"
            case let .outsideZone(name): name.description + " is outside the zone"
            case let .cnameAndOtherData(name): "a CNAME and other data at " + name.description
            case let .multipleCNAMEs(name): "two CNAME records at " + name.description
            }
        }
    }
}
