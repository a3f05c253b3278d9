/// A zone's tables being filled, record by record, with the checks of ``DNSZone``.
struct DNSZoneBuilder {
    let origin: DNSName
    let recordClass: DNSClass
    let originLabelCount: Int
    private(set) var nodes = DNSNameTable<DNSZone.Node>()
    private(set) var ownerNames: [DNSName] = []

    init(origin: DNSName, recordClass: DNSClass) {
        self.origin = origin
        self.recordClass = recordClass
        originLabelCount = origin.labelCount
    }

    /// Adds a record to its RRset, checking it belongs in this zone.
    mutating func add(_ record: DNSRecord) throws(DNSZoneError.Problem) {
        let name = record.name
        guard name.isSubdomain(of: origin) else { throw .outsideZone(name) }
        guard !record.type.isMetaType else { throw .metaType(record.type) }
        guard record.recordClass == recordClass else { throw .classMismatch(expected: recordClass, found: record.recordClass) }
        let existing = nodes.index(of: name)
        var rrsets = existing.map { nodes.values[$0].rrsets } ?? []
        if record.type == .soa {
            guard name == origin else { throw .soaNotAtApex(name) }
            guard !rrsets.contains(where: { $0.type == .soa }) else { throw .multipleSOA }
        }
        let wasEmpty = rrsets.isEmpty
        if let index = rrsets.firstIndex(where: { $0.type == record.type }) {
            if record.type == .cname, !rrsets[index].data.contains(record.data) { throw .multipleCNAMEs(name) }
            rrsets[index].add(record)
        } else {
            let hasCNAME = rrsets.contains { $0.type == .cname }
            guard rrsets.isEmpty || (record.type != .cname && !hasCNAME) else { throw .cnameAndOtherData(name) }
            rrsets.append(DNSRRSet(record))
        }
        if wasEmpty { ownerNames.append(name) }
        if let existing {
            nodes.values[existing].rrsets = rrsets
        } else {
            addNode(name, rrsets: rrsets)
        }
    }

    /// Adds the node of `name`, and those of its ancestors down to the origin not yet known
    /// (empty non-terminals); a wildcard is linked from its parent.
    @discardableResult
    private mutating func addNode(_ name: DNSName, rrsets: [DNSRRSet]) -> Int {
        let index = nodes.append(name, DNSZone.Node(rrsets: rrsets))
        if name.labelCount > originLabelCount, let parent = name.parent {
            let parentIndex = nodes.index(of: parent) ?? addNode(parent, rrsets: [])
            if name.isWildcard { nodes.values[parentIndex].wildcard = index }
        }
        return index
    }
}
