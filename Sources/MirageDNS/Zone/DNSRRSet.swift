/// The records of one owner name, class and type: the unit DNS answers in (RFC 2181 section 5).
/// One TTL for all of them, and no data twice.
public struct DNSRRSet: Hashable, Sendable {
    public var name: DNSName
    public var type: DNSRecordType
    public var recordClass: DNSClass
    public var ttl: UInt32
    /// The data of each record, in the order first added, each once.
    public private(set) var data: [DNSRecordData]

    /// An RRset holding `record` alone.
    public init(_ record: DNSRecord) {
        name = record.name
        type = record.type
        recordClass = record.recordClass
        ttl = record.ttl
        data = []
        data.append(record.data)
    }

    /// Adds a record's data unless the set has it already. The set keeps the smallest TTL of
    /// its records: RFC 2181 section 5.2 makes differing TTLs an error, and the smallest never
    /// lets a cache keep a record longer than its owner asked.
    ///
    /// - Precondition: the record has this set's owner, class and type.
    public mutating func add(_ record: DNSRecord) {
        precondition(record.name == name && record.type == type && record.recordClass == recordClass, "a record of another RRset")
        ttl = Swift.min(ttl, record.ttl)
        if !data.contains(record.data) { data.append(record.data) }
    }

    /// The records, owned by `owner` (a wildcard's RRset answers for the name asked, RFC 4592
    /// section 2.2.1; an answer repeats the query's spelling), or by ``name``.
    public func records(owner: DNSName? = nil) -> [DNSRecord] {
        let owner = owner ?? name
        return data.map { DNSRecord(name: owner, recordClass: recordClass, ttl: ttl, data: $0) }
    }
}
