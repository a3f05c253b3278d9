import MirageCore

/// Path MTUs learnt per destination (RFC 1191 for IPv4, RFC 8201 for IPv6), each until it
/// expires: at most ``limit`` entries, the one that expires first making room for a new one.
struct PathMTUTable<Address: Hashable> {
    private var entries: [Address: (mtu: Int, expires: Instant)] = [:]
    /// Destinations held at most.
    let limit: Int
    /// How long a learnt MTU holds before the link's is tried again.
    let lifetime: Duration

    init(limit: Int, lifetime: Duration) {
        precondition(limit > 0, "a path MTU table needs room for one entry")
        self.limit = limit
        self.lifetime = lifetime
    }

    /// The MTU learnt towards `destination`, else `linkMTU`.
    func mtu(towards destination: Address, otherwise linkMTU: Int) -> Int {
        entries.isEmpty ? linkMTU : entries[destination]?.mtu ?? linkMTU // every segment asks: skip the hash when empty
    }

    /// Keeps `mtu` towards `destination` when it is below what is known (`current`).
    /// - Returns: `mtu`, or nil when it did not shrink.
    mutating func learn(_ mtu: Int, towards destination: Address, current: Int, now: Instant) -> Int? {
        guard mtu < current else { return nil }
        if entries[destination] == nil, entries.count >= limit,
           let oldest = entries.min(by: { $0.value.expires < $1.value.expires })?.key {
            entries[oldest] = nil
        }
        entries[destination] = (mtu, now + lifetime)
        return mtu
    }

    var count: Int { entries.count }

    /// The earliest expiry.
    var nextDeadline: Instant? { entries.isEmpty ? nil : entries.values.lazy.map { $0.expires }.min() }

    /// Forgets the MTUs that expired by `now`.
    mutating func expire(now: Instant) {
        if let due = nextDeadline, due <= now { entries = entries.filter { $0.value.expires > now } }
    }

    mutating func removeAll() { entries = [:] }
}
