/// The additional section being built (RFC 1035 section 4.3.2 step 6): address RRsets of the
/// names the answer and authority lead to, each RRset once and none already in the answer.
struct DNSAdditionalSection {
    private(set) var entries: [DNSAnswerPlan.Entry] = []
    /// How many of the first RRsets are required glue (RFC 9471 section 3).
    private(set) var requiredCount = 0
    /// The RRsets already in the response; made from the answers on the first ``add(_:)``, as
    /// most responses add nothing.
    private var present: Set<DNSRRSetKey>?
    private let answers: [DNSAnswerPlan.Entry]

    init(excluding answers: [DNSAnswerPlan.Entry]) {
        self.answers = answers
    }

    mutating func add(_ rrsets: [DNSRRSet]) {
        guard !rrsets.isEmpty else { return }
        var present = self.present.take() ?? Set(answers.map { DNSRRSetKey(name: $0.owner, type: $0.rrset.type) })
        for rrset in rrsets where present.insert(DNSRRSetKey(name: rrset.name, type: rrset.type)).inserted {
            entries.append(DNSAnswerPlan.Entry(rrset))
        }
        self.present = present
    }

    /// The glue of a referral (RFC 1034 section 4.3.2 step 3b): addresses of the name servers
    /// named inside the zone. Those at or below the cut (in-domain) come first and are required:
    /// without them the referral cannot be followed (RFC 9471 section 3); the others (sibling
    /// glue) are added while they fit.
    mutating func addGlue(for cut: DNSRRSet, from zone: DNSZone) {
        let targets = cut.data.compactMap { $0.additionalTarget }.filter { $0.isSubdomain(of: zone.origin) }
        for target in targets where target.isSubdomain(of: cut.name) { add(zone.addressRRsets(at: target)) }
        requiredCount = entries.count
        for target in targets where !target.isSubdomain(of: cut.name) { add(zone.addressRRsets(at: target)) }
    }
}

/// An RRset's identity within a response: owner and type.
struct DNSRRSetKey: Hashable {
    var name: DNSName
    var type: DNSRecordType
}
