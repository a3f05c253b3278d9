/// What the peer has reported holding above SND.UNA through SACK blocks (RFC 2018), and the loss
/// estimates of RFC 6675 built on it: which octets are lost, and the "pipe" (octets in flight).
///
/// The scoreboard holds at most ``rangeLimit`` ranges, so that the work an ACK costs is bounded
/// whatever the peer reports: a peer SACKing a thousand one-octet islands (the pattern of the 2019
/// "SACK Panic" attacks on Linux) fills it once and then only replaces its smallest range.
/// Forgetting a SACKed range is always safe: the octets are at worst sent again, and RFC 2018
/// section 8 lets the receiver discard SACKed data anyway.
struct SACKScoreboard {
    /// Ranges held at most: the scans of ``lossBoundary(mss:unacknowledged:)``, ``pipe(unacknowledged:next:mss:)``
    /// and ``nextHole(from:limit:maximum:)`` visit at most this many (FreeBSD keeps at most 128
    /// holes by default; 64 ranges describe more loss than any path this side of an attack shows).
    static let rangeLimit = 64

    /// Disjoint SACKed ranges, sorted, all above SND.UNA; at most ``rangeLimit``.
    private(set) var ranges: [(start: SequenceNumber, end: SequenceNumber)] = []
    /// HighRxt: the highest octet retransmitted in this recovery (RFC 6675 section 2).
    var highestRetransmitted: SequenceNumber?
    /// SACK blocks ignored for lying outside SND.UNA ..< SND.MAX (or being empty).
    private(set) var blocksIgnored = 0
    /// Ranges forgotten to keep within ``rangeLimit``.
    private(set) var rangesForgotten = 0

    var isEmpty: Bool { ranges.isEmpty }
    var highestSACKed: SequenceNumber? { ranges.last?.end }

    /// Adds the blocks of one ACK. A block is ignored unless its end lies in
    /// `unacknowledged + 1 ... next` (RFC 2018 section 3 and RFC 6675 section 5: blocks below
    /// SND.UNA are D-SACKs, blocks above SND.MAX bogus); its part below SND.UNA is cut off.
    mutating func add(_ blocks: [(SequenceNumber, SequenceNumber)], unacknowledged: SequenceNumber, next: SequenceNumber) {
        for (start, end) in blocks {
            guard unacknowledged < end, end <= next, start < end else {
                blocksIgnored += 1
                continue
            }
            insert(start: later(start, unacknowledged), end: end)
        }
    }

    /// Forgets what SND.UNA has passed.
    mutating func acknowledge(upTo unacknowledged: SequenceNumber) {
        let passed = firstIndex { $0.end > unacknowledged }
        if passed > 0 { ranges.removeSubrange(0..<passed) }
        if let first = ranges.first, first.start < unacknowledged { ranges[0].start = unacknowledged }
        if let high = highestRetransmitted, high < unacknowledged { highestRetransmitted = unacknowledged }
    }

    mutating func removeAll() {
        ranges.removeAll()
        highestRetransmitted = nil
    }

    /// Whether `sequence` is SACKed.
    func isSACKed(_ sequence: SequenceNumber) -> Bool {
        let index = firstIndex { $0.end > sequence }
        return index < ranges.count && ranges[index].start <= sequence
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
        for range in ranges[firstIndex { $0.end > from }...] {
            if cursor < range.start {
                let end = earlier(range.start, limit)
                return end > cursor ? (cursor, Swift.min(end - cursor, maximum)) : nil
            }
            cursor = later(cursor, range.end)
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
        for range in ranges[firstIndex { $0.end > from }...] {
            if range.start >= to { break }
            let start = later(range.start, from)
            let end = earlier(range.end, to)
            if start < end { total -= end - start }
        }
        return total
    }

    /// Merges `start ..< end` with the ranges it touches; a range that touches none, in a full
    /// scoreboard, takes the place of the smallest (itself, when it is the smallest).
    private mutating func insert(start: SequenceNumber, end: SequenceNumber) {
        let first = firstIndex { $0.end >= start }
        var last = first
        while last < ranges.count, ranges[last].start <= end { last += 1 }
        if first < last {
            let merged = (start: earlier(start, ranges[first].start), end: later(end, ranges[last - 1].end))
            ranges.replaceSubrange(first..<last, with: CollectionOfOne(merged))
            return
        }
        if ranges.count >= Self.rangeLimit {
            rangesForgotten += 1
            guard let smallest = ranges.indices.min(by: { ranges[$0].end - ranges[$0].start < ranges[$1].end - ranges[$1].start }),
                  ranges[smallest].end - ranges[smallest].start < end - start else { return }
            ranges.remove(at: smallest)
            insert(start: start, end: end)
            return
        }
        ranges.insert((start, end), at: first)
    }

    /// The index of the first range for which `isAbove` holds, by binary search (it must hold of
    /// every range after one it holds of); `ranges.count` when none.
    private func firstIndex(where isAbove: ((start: SequenceNumber, end: SequenceNumber)) -> Bool) -> Int {
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if isAbove(ranges[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
