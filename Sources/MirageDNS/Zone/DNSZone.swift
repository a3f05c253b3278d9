/// The data of one zone (RFC 1034 section 4.2): its origin, its SOA and its records grouped by
/// owner name and type into RRsets, checked to make a zone.
///
/// Checks: exactly one SOA, at the origin; every owner at or below the origin; one class, the
/// SOA's; at a CNAME's owner no other data and no second CNAME (RFC 1034 section 3.6.2, RFC 2181
/// section 10.1); no meta types. Data below a delegation (NS records at a name other than the
/// origin) is kept: the addresses there are glue.
///
/// A zone never changes once made, and is shared rather than copied: an authority passes one
/// to every lookup, and a struct of this many arrays would be retained array by array each time.
public final class DNSZone: Sendable {
    /// The name of the apex.
    public let origin: DNSName
    /// The class of every record, the SOA's.
    public let recordClass: DNSClass
    /// The SOA RRset at the origin.
    public let soa: DNSRRSet
    /// Every name that exists in the zone (RFC 4592 section 2.2.2): the owners, and every name
    /// between an owner and the origin, the empty non-terminals. A lookup walks down it from
    /// the origin hashing each byte of the name once (``DNSNameHash``).
    let nodes: DNSNameTable<Node>
    /// The origin's node in ``nodes``.
    let originIndex: Int
    /// The origin's hash, where a lookup's starts.
    let originHash: DNSNameHash
    /// The origin's number of labels.
    let originLabelCount: Int

    /// What the zone holds at one name.
    struct Node {
        /// The RRsets at the name, in the order their types first appeared; none for an empty
        /// non-terminal.
        var rrsets: [DNSRRSet]
        /// The node of the name's wildcard child (`*.` and the name, RFC 4592 section 2.1.1),
        /// when it exists: where a lookup that ends here without a match goes.
        var wildcard: Int?
    }
    /// The owner names in the order they first appear, the origin first.
    public let ownerNames: [DNSName]

    /// A zone of `records`, whose origin is `origin`.
    ///
    /// - Throws: ``DNSZoneError`` without a line for records that do not make a zone.
    public convenience init(origin: DNSName, records: [DNSRecord]) throws(DNSZoneError) {
        try self.init(origin: origin, numberedRecords: records.map { ($0, nil) })
    }

    /// Reads a master file (RFC 1035 section 5) and makes a zone of its records.
    ///
    /// - Parameters:
    ///   - text: the file, in UTF-8.
    ///   - origin: the zone's name and the initial origin of relative names; when nil, the file
    ///     must set one with `$ORIGIN` before its first relative name, and the zone is that of
    ///     the SOA record's owner.
    /// - Throws: ``DNSZoneError`` with the line of the problem.
    public convenience init(parsing text: some StringProtocol, origin: DNSName? = nil) throws(DNSZoneError) {
        var parser = DNSZoneParser(origin: origin)
        try parser.parse(Array(text.utf8))
        let soaOwner = parser.records.first { $0.record.type == .soa }?.record.name
        guard let apex = origin ?? soaOwner else { throw DNSZoneError(line: nil, .missingSOA) }
        try self.init(origin: apex, numberedRecords: parser.records.map { ($0.record, $0.line) })
    }

    private init(origin: DNSName, numberedRecords: [(record: DNSRecord, line: Int?)]) throws(DNSZoneError) {
        guard let soaRecord = numberedRecords.first(where: { $0.record.type == .soa }) else {
            throw DNSZoneError(line: nil, .missingSOA)
        }
        var builder = DNSZoneBuilder(origin: origin, recordClass: soaRecord.record.recordClass)
        for (record, line) in numberedRecords {
            do {
                try builder.add(record)
            } catch {
                throw DNSZoneError(line: line, error)
            }
        }
        guard let originIndex = builder.nodes.index(of: origin) else { preconditionFailure("the SOA's node is the origin's") }
        self.origin = origin
        recordClass = builder.recordClass
        soa = DNSRRSet(soaRecord.record)
        nodes = builder.nodes
        self.originIndex = originIndex
        originHash = origin.storage.withUnsafeBytes { DNSNameHash(labels: $0) }
        originLabelCount = builder.originLabelCount
        ownerNames = builder.ownerNames
    }

    /// The RRsets at `name`, in the order their types first appeared; empty for a name without
    /// data.
    public func rrsets(at name: DNSName) -> [DNSRRSet] {
        node(at: name) ?? []
    }

    /// The RRset of `type` at `name`, or nil.
    public func rrset(at name: DNSName, type: DNSRecordType) -> DNSRRSet? {
        node(at: name)?.first { $0.type == type }
    }

    /// Whether `name` exists in the zone: it owns records, or names below it do (an empty
    /// non-terminal, RFC 4592 section 2.2.2).
    public func contains(_ name: DNSName) -> Bool {
        nodes.index(of: name) != nil
    }

    /// The RRsets at `name` when it exists in the zone (none for an empty non-terminal); nil
    /// when it does not: ``contains(_:)`` and ``rrsets(at:)`` with one lookup.
    func node(at name: DNSName) -> [DNSRRSet]? {
        nodes.index(of: name).map { nodes.values[$0].rrsets }
    }

    /// The SOA's data.
    public var soaData: DNSSOA {
        guard case let .soa(data) = soa.data[0] else { preconditionFailure("the SOA RRset holds SOA data") }
        return data
    }

    /// The SOA record that goes in the authority section of a negative answer, with the TTL
    /// of RFC 2308 section 3: the smaller of the SOA's TTL and its minimum field.
    public var negativeAnswerSOA: DNSRecord {
        DNSRecord(name: origin, recordClass: recordClass, ttl: Swift.min(soa.ttl, soaData.minimum), data: soa.data[0])
    }

    /// The SOA RRset with the TTL of ``negativeAnswerSOA``.
    var negativeAnswerSOARRset: DNSRRSet {
        var rrset = soa
        rrset.ttl = Swift.min(soa.ttl, soaData.minimum)
        return rrset
    }

    /// Every record of the zone: the SOA first, then the others by owner in the order they
    /// first appeared, an owner's RRsets in the order their types first appeared.
    public var records: [DNSRecord] {
        var records = soa.records()
        for name in ownerNames {
            for rrset in rrsets(at: name) where rrset.type != .soa { records += rrset.records() }
        }
        return records
    }
}
