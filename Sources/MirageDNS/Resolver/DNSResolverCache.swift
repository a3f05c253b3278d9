import MirageCore

/// The answers a stub resolver keeps while their TTLs last (RFC 1034 section 4.3.4; RFC 2308
/// section 5 for negative ones), bounded in entries and in bytes.
///
/// Pure: time is passed in. Names are compared without regard to case. A TTL is capped at
/// ``Limits/maximumTTL``; an answer with TTL 0 is not kept. When full, expired entries go
/// first, then the ones closest to expiring. An answer larger than a quarter of the byte budget
/// is never kept, so that one response cannot empty the cache.
public struct DNSResolverCache: Sendable {
    /// Bounds on what the cache holds.
    public struct Limits: Hashable, Sendable {
        /// The most answers kept.
        public var entries: Int = 128
        /// The most bytes of records kept, counted as their wire length plus ``entryOverhead``
        /// per answer.
        public var bytes: Int = 64 * 1024
        /// The longest an answer is kept, whatever its TTL says (a day, as Unbound's
        /// `cache-max-ttl` is by default).
        public var maximumTTL: UInt32 = 86_400

        public init() {}
    }

    /// The bytes an answer is charged beyond its records: the entry, its key and its arrays.
    public static let entryOverhead = 128

    struct Entry: Sendable {
        var answer: DNSAnswer
        var expires: Instant
        var cost: Int
    }

    public let limits: Limits
    private var entries: [DNSQuestion: Entry] = [:]
    /// The bytes charged for what is held.
    public private(set) var bytes = 0

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// The answers held, expired or not.
    public var count: Int { entries.count }

    /// The answer to `question` if it is held and has not expired, its TTL counted down to
    /// `now` (RFC 1035 section 7.4: a cached TTL is the time left).
    public mutating func answer(to question: DNSQuestion, now: Instant) -> DNSAnswer? {
        guard let entry = entries[question] else { return nil }
        guard now < entry.expires else {
            remove(question)
            return nil
        }
        var answer = entry.answer
        let left = UInt32(clamping: (entry.expires.nanoseconds - now.nanoseconds + 999_999_999) / 1_000_000_000)
        answer.ttl = Swift.min(answer.ttl, left)
        for index in answer.records.indices { answer.records[index].ttl = Swift.min(answer.records[index].ttl, left) }
        for index in answer.aliases.indices { answer.aliases[index].ttl = Swift.min(answer.aliases[index].ttl, left) }
        return answer
    }

    /// Keeps `answer` for its TTL from `now`; returns whether it was kept.
    @discardableResult
    public mutating func insert(_ answer: DNSAnswer, now: Instant) -> Bool {
        let ttl = Swift.min(answer.ttl, limits.maximumTTL)
        guard ttl > 0, limits.entries > 0 else { return false }
        let cost = Self.cost(of: answer)
        guard cost <= limits.bytes / 4 else { return false }
        remove(answer.question)
        while !entries.isEmpty, entries.count >= limits.entries || bytes + cost > limits.bytes {
            evictOne(now: now)
        }
        entries[answer.question] = Entry(answer: answer, expires: now + .seconds(Int64(ttl)), cost: cost)
        bytes += cost
        return true
    }

    /// Forgets every answer.
    public mutating func removeAll() {
        entries.removeAll()
        bytes = 0
    }

    private mutating func remove(_ question: DNSQuestion) {
        guard let entry = entries.removeValue(forKey: question) else { return }
        bytes -= entry.cost
    }

    /// Drops an expired entry, or else the one that expires first.
    private mutating func evictOne(now: Instant) {
        var victim: (question: DNSQuestion, expires: Instant)?
        for (question, entry) in entries {
            if entry.expires <= now {
                victim = (question, entry.expires)
                break
            }
            if victim == nil || entry.expires < victim!.expires { victim = (question, entry.expires) }
        }
        if let victim { remove(victim.question) }
    }

    /// The bytes `answer` is charged: its records' and aliases' wire lengths (uncompressed) and
    /// the entry's overhead.
    static func cost(of answer: DNSAnswer) -> Int {
        var total = entryOverhead + answer.question.name.wireLength + answer.canonicalName.wireLength
        for record in answer.records + answer.aliases {
            total += record.name.wireLength + 10 + record.data.wireBytes.count
        }
        return total
    }
}
