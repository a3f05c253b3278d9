import MirageCore

/// What a recursive resolver said of one question, read from its response as a stub reads it
/// (RFC 1034 section 5.3.3; RFC 2308): the records of the asked type at the end of the CNAME
/// chain, the chain itself, and how long all of it may be kept.
public struct DNSAnswer: Hashable, Sendable {
    /// What was asked.
    public var question: DNSQuestion
    /// The name the records belong to: the question's, or the end of its CNAME chain.
    public var canonicalName: DNSName
    /// The aliases followed from the question's name to ``canonicalName``, in order.
    public var aliases: [DNSRecord]
    /// The records of the asked type owned by ``canonicalName``; empty for a name that exists
    /// without such records (NODATA, RFC 2308 section 2.2) or for one that does not exist.
    public var records: [DNSRecord]
    /// Whether the name does not exist (NXDOMAIN, RFC 2308 section 2.1; RFC 8020).
    public var nameDoesNotExist: Bool
    /// Seconds all of it may be kept: the smallest TTL of the records used, or for a negative
    /// answer the SOA's TTL or its MINIMUM, whichever is smaller (RFC 2308 section 5); 0 when a
    /// negative answer carries no SOA.
    public var ttl: UInt32
    /// Whether the chain ends in a CNAME whose target the response did not answer for, so that
    /// the target must be asked about itself (RFC 1034 section 5.3.3 step 4).
    public var needsTarget: Bool

    /// The chain of aliases a response may hold, past which the rest is not followed (RFC 1034
    /// section 3.6.2 warns of loops; resolvers cut chains at about this length).
    public static let maximumChainLength = 8

    public init(question: DNSQuestion, canonicalName: DNSName, aliases: [DNSRecord] = [], records: [DNSRecord] = [],
                nameDoesNotExist: Bool = false, ttl: UInt32, needsTarget: Bool = false) {
        self.question = question
        self.canonicalName = canonicalName
        self.aliases = aliases
        self.records = records
        self.nameDoesNotExist = nameDoesNotExist
        self.ttl = ttl
        self.needsTarget = needsTarget
    }

    /// Reads the answer to `question` from a NOERROR or NXDOMAIN `response` (checked by
    /// ``DNSStubQuery/check(_:from:)``). Records for other names, classes or types are
    /// ignored; a CNAME loop or a chain longer than ``maximumChainLength`` throws.
    public init(question: DNSQuestion, response: DNSMessage) throws(DNSResolverError) {
        self.question = question
        var name = question.name
        var aliases: [DNSRecord] = []
        var ttl = UInt32.max
        // Follow the chain through the answer section: each step is the one CNAME owned by the
        // current name (RFC 2181 section 10.1: a name with a CNAME has no other data).
        while question.type != .cname, question.type != .any,
              let alias = response.answers.first(where: { $0.name == name && $0.recordClass == question.recordClass && $0.type == .cname }),
              case let .cname(target) = alias.data {
            guard aliases.count < Self.maximumChainLength else { throw .aliasChainTooLong(question.name) }
            guard target != question.name, !aliases.contains(where: { $0.name == target }) else {
                throw .aliasLoop(question.name)
            }
            aliases.append(alias)
            ttl = Swift.min(ttl, alias.ttl)
            name = target
        }
        let records = response.answers.filter {
            $0.name == name && $0.recordClass == question.recordClass && (question.type == .any || $0.type == question.type)
        }
        for record in records { ttl = Swift.min(ttl, record.ttl) }
        canonicalName = name
        self.aliases = aliases
        self.records = records
        nameDoesNotExist = response.responseCode == .nameError
        needsTarget = records.isEmpty && !aliases.isEmpty && !nameDoesNotExist && !Self.isNegative(response, for: name)
        if records.isEmpty {
            // RFC 2308 section 5: a negative answer lives as long as its SOA says.
            let soa = response.authorities.first { $0.type == .soa }
            var negative: UInt32 = 0
            if let soa, case let .soa(fields) = soa.data { negative = Swift.min(soa.ttl, fields.minimum) }
            ttl = Swift.min(ttl, negative)
        }
        // RFC 2181 section 8: a TTL with the top bit set is read as 0.
        self.ttl = ttl == .max || ttl > 0x7fff_ffff ? 0 : ttl
    }

    /// Whether `response` says, by an SOA in its authority section, that `name` has no
    /// records of the type (NODATA for the target, RFC 2308 section 2.2).
    private static func isNegative(_ response: DNSMessage, for name: DNSName) -> Bool {
        response.authorities.contains { $0.type == .soa && name.isSubdomain(of: $0.name) }
    }

    /// The addresses among ``records``: A as IPv4, AAAA as IPv6.
    public var addresses: [IPAddress] {
        records.compactMap { record in
            switch record.data {
            case let .a(address): .v4(address)
            case let .aaaa(address): .v6(address)
            default: nil
            }
        }
    }
}
