/// What the peer has reported holding above SND.UNA through SACK blocks (RFC 2018), and the loss
/// estimates of RFC 6675 built on it: which octets are lost, and the "pipe" (octets in flight).
struct SACKScoreboard {
    /// Disjoint SACKed ranges, sorted, all above SND.UNA.
    private(set) var ranges: [(start: SequenceNumber, end: SequenceNumber)] = []
    /// HighRxt: the highest octet retransmitted in this recovery (RFC 6675 section 2).
    var highestRetransmitted: SequenceNumber?

    var isEmpty: Bool { ranges.isEmpty }
    var highestSACKed: SequenceNumber? { ranges.last?.end }

    /// Adds the blocks of one ACK, ignoring any outside `unacknowledged ..< next` (RFC 2018's
    /// "D-SACK" and bogus blocks alike).
    mutating func add(_ blocks: [(SequenceNumber, SequenceNumber)], unacknowledged: SequenceNumber, next: SequenceNumber) {
        for (start, end) in blocks where unacknowledged < end && end <= next && start < end {
            insert(start: later(start, unacknowledged), end: end)
        }
    }

    /// Forgets what SND.UNA has passed.
    mutating func acknowledge(upTo unacknowledged: SequenceNumber) {
        ranges.removeAll { $0.end <= unacknowledged }
        if let first = ranges.first, first.start < unacknowledged { ranges[0].start = unacknowledged }
        if let high = highestRetransmitted, high < unacknowledged { highestRetransmitted = unacknowledged }
    }

    mutating func removeAll() {
        ranges.removeAll()
        highestRetransmitted = nil
    }

    /// Whether `sequence` is SACKed.
    func isSACKed(_ sequence: SequenceNumber) -> Bool {
        ranges.contains { sequence.isWithin($0.start, $0.end) }
    }

    /// The first octet not deemed lost: every unSACKed octet below it has more than
    /// (DupThresh - 1) * SMSS octets SACKed above it (RFC 6675 section 4, IsLost, DupThresh 3).
    func lossBoundary(mss: Int, unacknowledged: SequenceNumber) -> SequenceNumber {
        var sackedAbove = 0
        for range in ranges.reversed() {
            sackedAbove += range.end - range.start
            // Every hole below this range has more than 2*SMSS SACKed above it.
            if sackedAbove > 2 * mss { return range.start }
        }
        return unacknowledged
    }

    /// The next unSACKed octet at or after `from` and below `limit`, and how many unSACKed octets
    /// follow it contiguously (capped at `maximum`).
    func nextHole(from: SequenceNumber, limit: SequenceNumber, maximum: Int) -> (SequenceNumber, Int)? {
        var cursor = from
        for range in ranges where range.end > cursor {
            if cursor < range.start {
                let end = earlier(range.start, limit)
                return end > cursor ? (cursor, Swift.min(end - cursor, maximum)) : nil
            }
            cursor = range.end
        }
        return cursor < limit ? (cursor, Swift.min(limit - cursor, maximum)) : nil
    }

    /// The pipe of RFC 6675 section 4: unSACKed octets between SND.UNA and SND.NXT that are not
    /// lost, plus those retransmitted.
    func pipe(unacknowledged: SequenceNumber, next: SequenceNumber, mss: Int) -> Int {
        let boundary = later(earlier(lossBoundary(mss: mss, unacknowledged: unacknowledged), next), unacknowledged)
        var total = unSACKed(from: boundary, to: next)
        if let high = highestRetransmitted, high > unacknowledged {
            total += unSACKed(from: unacknowledged, to: earlier(high, next))
        }
        return total
    }

    /// UnSACKed octets in `from ..< to`.
    func unSACKed(from: SequenceNumber, to: SequenceNumber) -> Int {
        guard from < to else { return 0 }
        var total = to - from
        for range in ranges {
            let start = later(range.start, from)
            let end = earlier(range.end, to)
            if start < end { total -= end - start }
        }
        return total
    }

    private mutating func insert(start: SequenceNumber, end: SequenceNumber) {
        var start = start
        var end = end
        var kept: [(start: SequenceNumber, end: SequenceNumber)] = []
        kept.reserveCapacity(ranges.count + 1)
        var placed = false
        for range in ranges {
            if range.end < start {
                kept.append(range)
            } else if end < range.start {
                if !placed { kept.append((start, end)); placed = true }
                kept.append(range)
            } else {
                start = earlier(start, range.start)
                end = later(end, range.end)
            }
        }
        if !placed { kept.append((start, end)) }
        ranges = kept
    }
}
