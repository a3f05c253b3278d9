import MirageCore

/// The encoded responses to UDP queries a ``DNSServer`` has answered, by the query's bytes after
/// its ID: a query asked again (most of what an authoritative server sees) is answered with a
/// copy and its own ID instead of being decoded, looked up and encoded.
///
/// A ``DNSAuthority``'s response is a function of the query's bytes alone (RFC 1035 section 4.1:
/// the question, the header's flags and the EDNS record with its payload size, RFC 6891 section
/// 6.2.3, are all in them; the ID is copied, section 4.1.1), and the server's authority never
/// changes, so a kept response stays right. Names are kept as the query spelled them, so a query
/// with other letter cases (RFC 4343, the 0x20 trick) is another entry.
///
/// A response is kept only for a query seen before: a doorkeeper remembers the hashes of
/// ``doorkeeperSlots`` recent queries not kept. So a query asked once costs no entry, and a
/// flood of distinct queries neither costs the work of keeping each nor pushes out the queries
/// asked again and again.
///
/// The entries hold at most ``capacity`` bytes, each charged as its query and response lengths
/// plus ``entryOverhead``; an entry that would pass it empties the cache first, so whatever
/// arrives the cache costs at most that memory, and the doorkeeper its fixed
/// `doorkeeperSlots * 8` bytes. Queries longer than ``longestQuery`` and responses longer than
/// ``longestResponse`` are not kept.
///
/// The entries are indexed by ``DNSHashSlots``, keyed by a keyed hash of the query's bytes
/// (``SipHash13``, its key secret, so that no one picks queries that collide), worked out once
/// per query for both the lookup and the keep.
struct DNSResponseCache {
    /// What an entry costs beyond its bytes: two array headers, its row and two table slots.
    static let entryOverhead = 96
    /// The longest query kept (RFC 1035's 512-byte UDP message).
    static let longestQuery = 512
    /// The longest response kept (RFC 6891's largest common EDNS payload).
    static let longestResponse = 4096
    /// The length of a message's header (RFC 1035 section 4.1.1): shorter messages are not kept.
    static let headerLength = 12
    /// How many hashes of queries seen once the doorkeeper remembers.
    static let doorkeeperSlots = 2048

    /// The most bytes the entries may be charged; 0 keeps nothing.
    let capacity: Int
    /// What the entries are charged now.
    private(set) var chargedBytes = 0

    private struct Entry {
        let hash: Int
        /// The query's bytes after its ID.
        let query: [UInt8]
        var response: [UInt8]
    }
    private var entries: [Entry] = []
    private var slots: DNSHashSlots
    /// The hashes of queries seen and not kept, each in the slot its hash picks.
    private var doorkeeper: [Int] = []
    /// The keyed hash of a query's bytes, its key secret and the same for every cache of the
    /// process (as `Hasher`'s seed is). Not a stored property: the server's closure then copied
    /// the whole cache to read it.
    private static let hasher = SipHash13(key: SipHash13.seededKey())

    /// Where a query goes in the cache: the hash of its bytes after the ID.
    struct Key {
        fileprivate let hash: Int
    }

    init(capacity: Int) {
        self.capacity = capacity
        slots = DNSHashSlots(empty: capacity == 0)
        if capacity > 0 { doorkeeper = Array(repeating: 0, count: Self.doorkeeperSlots) }
    }

    /// How many responses are kept.
    var count: Int { entries.count }

    /// The key of `query` (a whole message, ID first); nil when it is not one to keep.
    func key(for query: UnsafeRawBufferPointer) -> Key? {
        guard capacity > 0, query.count >= Self.headerLength, query.count <= Self.longestQuery else { return nil }
        return Key(hash: Int(truncatingIfNeeded: Self.hasher.hash(UnsafeRawBufferPointer(rebasing: query[2...]))))
    }

    /// Runs `body` on the response kept for `query` (a whole message, whose key is `key`), in
    /// place, with the ID of the query it answered first: the caller puts the query's own
    /// (RFC 1035 section 4.1.1). Nil, and `body` not run, when none is kept.
    func withResponse<Result>(for key: Key, to query: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Result) -> Result? {
        guard let entry = index(of: key, query: query) else { return nil }
        return entries[entry].response.withUnsafeBytes(body)
    }

    /// Keeps `response`, the authority's answer to `query` (whose key is `key`), when it is
    /// short enough and the query was seen before; empties the cache first when it would hold
    /// more than ``capacity``.
    mutating func keep(_ response: UnsafeRawBufferPointer, for key: Key, query: UnsafeRawBufferPointer) {
        guard response.count >= Self.headerLength, response.count <= Self.longestResponse else { return }
        let queryBytes = UnsafeRawBufferPointer(rebasing: query[2...])
        let charge = queryBytes.count + response.count + Self.entryOverhead
        guard charge <= capacity else { return }
        // The doorkeeper first: a query seen once (a flood of distinct ones) costs no lookup.
        let door = key.hash & (Self.doorkeeperSlots - 1)
        guard doorkeeper[door] == key.hash else {
            doorkeeper[door] = key.hash
            return
        }
        // Kept already: the response to the same bytes is the same response.
        guard index(of: key, query: query) == nil else { return }
        doorkeeper[door] = 0
        if chargedBytes + charge > capacity { empty() }
        entries.append(Entry(hash: key.hash, query: Array(queryBytes), response: Array(response)))
        slots.insert(entries.count - 1, hash: key.hash, count: entries.count) { entries[$0].hash }
        chargedBytes += charge
    }

    /// The entry of `query`, or nil.
    private func index(of key: Key, query: UnsafeRawBufferPointer) -> Int? {
        let queryBytes = UnsafeRawBufferPointer(rebasing: query[2...])
        return slots.find(hash: key.hash) { entry in
            entries[entry].hash == key.hash && entries[entry].query.withUnsafeBytes { Self.same($0, queryBytes) }
        }
    }

    /// Whether `a` and `b` are the same bytes, compared eight at a time.
    private static func same(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        var offset = 0
        while offset + 8 <= a.count {
            guard a.loadUnaligned(fromByteOffset: offset, as: UInt64.self) == b.loadUnaligned(fromByteOffset: offset, as: UInt64.self) else {
                return false
            }
            offset += 8
        }
        while offset < a.count {
            guard a[offset] == b[offset] else { return false }
            offset += 1
        }
        return true
    }

    private mutating func empty() {
        entries.removeAll(keepingCapacity: true)
        slots.removeAll()
        chargedBytes = 0
    }
}
