import MirageCore

/// A response worked out from a zone before it is written: the zone's RRsets for each section,
/// each with the owner it goes out under, the response code and AA. Written straight into a
/// message (``write(into:)``) no record is made; ``DNSAuthority`` makes records of it only
/// for a caller that asks for a ``DNSMessage``.
struct DNSAnswerPlan: DNSSectionsSource {
    /// An RRset of the zone and the owner its records are written with: the name the query
    /// spelled (a wildcard's RRset answers for it, RFC 4592 section 2.2.1), or the RRset's own.
    struct Entry {
        var rrset: DNSRRSet
        var owner: DNSName

        init(_ rrset: DNSRRSet, owner: DNSName? = nil) {
            self.rrset = rrset
            self.owner = owner ?? rrset.name
        }
    }

    var responseCode = DNSResponseCode.noError
    var isAuthoritative = true
    var answers: [Entry] = []
    var authorities: [Entry] = []
    var additionals: [Entry] = []
    /// How many of the first additional RRsets are required glue (RFC 9471 section 3).
    var requiredAdditionalCount = 0

    /// Empties the plan for another query, keeping its sections' room: a server that plans query
    /// after query into one plan allocates no answer array for them (one of a distinct query's
    /// four allocations, Benchmarks/dns/instructions.py).
    mutating func reset() {
        responseCode = .noError
        isAuthoritative = true
        answers.emptyFromEnd()
        authorities.emptyFromEnd()
        additionals.emptyFromEnd()
        requiredAdditionalCount = 0
    }

    /// Writes the sections' records, an RRset at a time, as ``DNSSectionsWriter`` leaves out
    /// what does not fit.
    /// (By index through each array's buffer, the entries borrowed: iterating an array holds a
    /// copy of it, and an entry read from the array itself had its RRset and owner copied for the
    /// call, three retains and releases an RRset.)
    func write(into sections: inout DNSSectionsWriter) {
        answers.withUnsafeBufferPointer { entries in
            for index in entries.indices { sections.append(entries[index].rrset, owner: entries[index].owner, in: .answer) }
        }
        authorities.withUnsafeBufferPointer { entries in
            for index in entries.indices { sections.append(entries[index].rrset, owner: entries[index].owner, in: .authority) }
        }
        additionals.withUnsafeBufferPointer { entries in
            for index in entries.indices {
                sections.append(entries[index].rrset, owner: entries[index].owner, in: .additional,
                                required: index < requiredAdditionalCount)
            }
        }
    }

    /// `response` with the sections' records, the response code and AA, and how many of its
    /// first additional records are required.
    func filling(_ response: consuming DNSMessage) -> DNSResponse {
        var response = response
        response.responseCode = responseCode
        response.isAuthoritative = isAuthoritative
        for entry in answers { response.answers += entry.rrset.records(owner: entry.owner) }
        for entry in authorities { response.authorities += entry.rrset.records(owner: entry.owner) }
        var required = 0
        for (index, entry) in additionals.enumerated() {
            response.additionals += entry.rrset.records(owner: entry.owner)
            if index < requiredAdditionalCount { required = response.additionals.count }
        }
        return DNSResponse(message: response, requiredAdditionalCount: required)
    }
}
