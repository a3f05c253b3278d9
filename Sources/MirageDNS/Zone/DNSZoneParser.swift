import MirageCore

/// Reads the records of a master file (RFC 1035 section 5.1; RFC 2308 section 4 for `$TTL`;
/// RFC 3597 section 5 for unknown types).
///
/// An entry is a directive or a record. `$ORIGIN name` sets the origin relative names are
/// completed with; `$TTL ttl` sets the TTL of records that omit theirs; `$INCLUDE` is refused.
/// A record is `[owner] [TTL] [class] type RDATA`, TTL and class in either order: an entry
/// starting with a blank takes the previous record's owner; without a TTL a record takes the
/// `$TTL`, or without one the previous record's TTL; without a class, the previous record's
/// class, or IN.
struct DNSZoneParser {
    private(set) var origin: DNSName?
    private var defaultTTL: UInt32?
    private var previousTTL: UInt32?
    private var previousOwner: DNSName?
    private var previousClass = DNSClass.in
    /// The records read, each with its line.
    private(set) var records: [(record: DNSRecord, line: Int)] = []

    init(origin: DNSName?) {
        self.origin = origin
    }

    /// The largest TTL (RFC 2181 section 8).
    static let maximumTTL: UInt64 = 0x7fff_ffff

    mutating func parse(_ text: [UInt8]) throws(DNSZoneError) {
        for entry in try DNSZoneLexer.entries(text) {
            do {
                try parse(entry, line: entry.line)
            } catch {
                throw DNSZoneError(line: entry.line, error)
            }
        }
    }

    private mutating func parse(_ entry: DNSZoneEntry, line: Int) throws(DNSZoneError.Problem) {
        var fields = DNSZoneFields(entry.tokens, origin: origin)
        let owner: DNSName
        if entry.startsWithOwner {
            let first = try fields.next("an owner name")
            if !first.isQuoted, first.bytes.first == UInt8(ascii: "$") {
                return try directive(first, &fields)
            }
            owner = try DNSZoneFields.name(first, origin: origin)
        } else {
            guard let previousOwner else { throw .noOwner }
            owner = previousOwner
        }
        previousOwner = owner

        var ttl: UInt32?
        var recordClass: DNSClass?
        var type: DNSRecordType?
        while type == nil {
            let token = try fields.next("a type")
            if let first = token.bytes.first, ASCIIDigit.isDecimal(first), !token.isQuoted, ttl == nil {
                guard let value = DNSZoneFields.duration(token, maximum: Self.maximumTTL) else { throw .badTTL(token.text) }
                ttl = value
            } else if !token.isQuoted, recordClass == nil, let value = DNSClass(mnemonic: token.bytes) {
                recordClass = value
            } else if !token.isQuoted, let value = DNSRecordType(mnemonic: token.bytes) {
                type = value
            } else {
                throw .unknownType(token.text)
            }
        }
        guard let type else { throw .missingField("a type") }
        guard !type.isMetaType else { throw .metaType(type) }
        let data = try DNSRecordData.parse(type: type, from: &fields)
        guard data.wireBytes.count <= 0xffff else { throw .recordDataTooLong }

        if let ttl {
            previousTTL = ttl
        }
        guard let recordTTL = ttl ?? defaultTTL ?? previousTTL else { throw .noTTL }
        let resolvedClass = recordClass ?? previousClass
        previousClass = resolvedClass
        records.append((DNSRecord(name: owner, recordClass: resolvedClass, ttl: recordTTL, data: data), line))
    }

    /// `$ORIGIN`, `$TTL` or `$INCLUDE` (RFC 1035 section 5.1; RFC 2308 section 4).
    private mutating func directive(_ word: DNSZoneToken, _ fields: inout DNSZoneFields) throws(DNSZoneError.Problem) {
        if word.isWord("$ORIGIN") {
            let token = try fields.next("the origin")
            // A relative origin is completed by the current one; the first may omit its dot.
            do {
                origin = try DNSName(parsing: token.bytes, origin: origin)
            } catch {
                throw .badName(token.text, error)
            }
        } else if word.isWord("$TTL") {
            defaultTTL = try fields.duration("the TTL", maximum: Self.maximumTTL)
        } else if word.isWord("$INCLUDE") {
            throw .includeNotSupported
        } else {
            throw .unknownDirective(word.text)
        }
        try fields.expectEnd()
    }
}
