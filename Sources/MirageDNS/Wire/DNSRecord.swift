/// A resource record (RFC 1035 section 3.2.1, 4.1.3): an owner name, a class, a TTL and data
/// of some type.
public struct DNSRecord: Hashable, Sendable {
    /// The owner name.
    public var name: DNSName
    public var recordClass: DNSClass
    /// Seconds the record may be cached (RFC 2181 section 8: 0 to 2^31 - 1).
    public var ttl: UInt32
    public var data: DNSRecordData

    public init(name: DNSName, recordClass: DNSClass = .in, ttl: UInt32, data: DNSRecordData) {
        self.name = name
        self.recordClass = recordClass
        self.ttl = ttl
        self.data = data
    }

    /// The TYPE, from the data.
    public var type: DNSRecordType { data.type }
}
