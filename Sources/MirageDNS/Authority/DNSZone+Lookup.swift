/// What a zone holds for a name and type: the outcome of step 3 of RFC 1034 section 4.3.2's
/// algorithm for one name, before any CNAME is followed.
public enum DNSLookupResult: Hashable, Sendable {
    /// The RRset that answers, to be owned by the name looked up (for a wildcard match,
    /// synthesised for it, RFC 4592 section 3.3.1). One: a query for ANY gets one RRset too.
    case answer(DNSRRSet)
    /// A CNAME at the name (or at the wildcard that matched it) while another type was asked
    /// for: the answer continues at its target (RFC 1034 section 3.6.2).
    case alias(DNSRRSet)
    /// The name exists but has no data of the type (RFC 2308 section 2.2).
    case noData
    /// The name does not exist, and no wildcard covers it (RFC 8020).
    case nameError
    /// The name lies at or below a zone cut: the NS RRset of the cut refers the client on
    /// (RFC 1034 section 4.3.2 step 3b).
    case delegation(DNSRRSet)
}

extension DNSZone {
    /// What this zone holds for `name` and `type` (RFC 1034 section 4.3.2 step 3, RFC 4592
    /// section 3.3).
    ///
    /// The name's ancestors below the origin are visited top down. An ancestor that does not
    /// exist (no data and no data below it) ends the walk: the last one that exists is the
    /// closest encloser, and its wildcard child, if it exists, answers; an empty non-terminal
    /// is a name that exists, so it blocks a wildcard above it. An ancestor or the name itself
    /// with NS records is a zone cut and gives a delegation, except a DS query at the cut
    /// itself, which the parent side answers (RFC 4035 section 3.1.4.1).
    ///
    /// A query for ANY gets one RRset, the first at the name, as RFC 8482 section 4.1 allows;
    /// a name with a CNAME answers a CNAME or ANY query with the CNAME.
    ///
    /// - Precondition: `name` is at or below the origin.
    public func lookup(_ name: DNSName, type: DNSRecordType) -> DNSLookupResult {
        precondition(name.isSubdomain(of: origin), "a name outside the zone")
        return lookup(inZone: name, type: type)
    }

    /// ``lookup(_:type:)`` for a name the caller has found at or below the origin already (the
    /// authority's zone choice, or its check of a CNAME's target): not compared with the origin
    /// again.
    func lookup(inZone name: DNSName, type: DNSRecordType) -> DNSLookupResult {
        assert(name.isSubdomain(of: origin), "a name outside the zone")
        return name.storage.withUnsafeBytes { labels in
            DNSName.withLabelStarts(of: labels) { starts in
                // Each name from the origin's child down to `name`: its hash is the last one's
                // with one label more, its bytes a suffix of the name's.
                var hash = originHash
                var closestEncloser = originIndex
                var level = originLabelCount + 1
                while level <= starts.count {
                    let start = Int(starts[starts.count - level])
                    hash.prepend(labelAt: start, in: labels)
                    guard let index = nodes.index(of: UnsafeRawBufferPointer(rebasing: labels[start...]), hash: hash.value) else {
                        // The name does not exist: the wildcard below the closest encloser
                        // answers, or NXDOMAIN (RFC 4592 section 3.3.1).
                        guard let wildcard = nodes.values[closestEncloser].wildcard else { return .nameError }
                        return Self.select(type, from: nodes.values[wildcard].rrsets)
                    }
                    let rrsets = nodes.values[index].rrsets
                    if let cut = rrsets.first(where: { $0.type == .ns }), !(level == starts.count && type == .ds) {
                        return .delegation(cut)
                    }
                    closestEncloser = index
                    level += 1
                }
                return Self.select(type, from: nodes.values[closestEncloser].rrsets)
            }
        }
    }

    /// What the RRsets of one node give for `type`.
    private static func select(_ type: DNSRecordType, from rrsets: [DNSRRSet]) -> DNSLookupResult {
        if let cname = rrsets.first(where: { $0.type == .cname }) {
            return type == .cname || type == .any ? .answer(cname) : .alias(cname)
        }
        if type == .any {
            guard let first = rrsets.first else { return .noData }
            return .answer(first)
        }
        guard let match = rrsets.first(where: { $0.type == type }) else { return .noData }
        return .answer(match)
    }

    /// The address RRsets (A, then AAAA) of `name` as stored, even below a zone cut: glue
    /// (RFC 1034 section 4.2.1).
    func addressRRsets(at name: DNSName) -> [DNSRRSet] {
        rrsets(at: name).filter { $0.type == .a || $0.type == .aaaa }
    }

    /// The address RRsets of `name` when it is authoritative data here: stored at the name, not
    /// below a zone cut and not made by a wildcard.
    func authoritativeAddressRRsets(at name: DNSName) -> [DNSRRSet] {
        guard name.isSubdomain(of: origin) else { return [] }
        var level = origin.labelCount + 1
        while level <= name.labelCount {
            if rrset(at: name.suffix(labelCount: level), type: .ns) != nil { return [] }
            level += 1
        }
        return addressRRsets(at: name)
    }
}
