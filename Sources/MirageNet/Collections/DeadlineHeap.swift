import MirageCore

/// The deadlines of many timers, earliest first: a binary min-heap (CLRS chapter 6), so that
/// finding the next deadline costs O(1) and scheduling one O(log n), however many timers there
/// are, where scanning every timer on each pass cost O(n).
///
/// Removal is lazy: a timer that moves is pushed again, and its owner knows which deadline is
/// current (the heap's user checks each entry against it, ``first`` and ``removeFirst()``).
/// ``compact(keeping:)`` sweeps out what is stale when the heap has grown past its live timers.
/// Where the keys are the slots of a table, ``SlotDeadlineHeap`` moves entries in place instead.
struct DeadlineHeap<Key: Hashable>: BinaryMinHeap {
    private(set) var items: [(deadline: Instant, key: Key)] = []

    var count: Int { items.count }
    var first: (deadline: Instant, key: Key)? { items.first }

    /// Adds `key`'s timer at `deadline`.
    mutating func push(_ deadline: Instant, _ key: Key) {
        items.append((deadline, key))
        siftUp(items.count - 1)
    }

    /// Removes the earliest entry.
    @discardableResult
    mutating func removeFirst() -> (deadline: Instant, key: Key) {
        let first = items[0]
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            siftDown(0)
        }
        return first
    }

    /// Keeps only the entries `isCurrent` accepts, one per key, in O(n).
    mutating func compact(keeping isCurrent: (Instant, Key) -> Bool) {
        var seen = Set<Key>(minimumCapacity: items.count)
        items.removeAll { !isCurrent($0.deadline, $0.key) || !seen.insert($0.key).inserted }
        var index = items.count / 2
        while index > 0 {
            index -= 1
            siftDown(index)
        }
    }

    func deadline(at index: Int) -> Instant { items[index].deadline }

    mutating func swapEntries(_ a: Int, _ b: Int) { items.swapAt(a, b) }
}
