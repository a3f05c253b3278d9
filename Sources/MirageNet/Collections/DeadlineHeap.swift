import MirageCore

/// The deadlines of many timers, earliest first: a binary min-heap (CLRS chapter 6), so that
/// finding the next deadline costs O(1) and scheduling one O(log n), however many timers there
/// are, where scanning every timer on each pass cost O(n).
///
/// Removal is lazy: a timer that moves is pushed again, and its owner knows which deadline is
/// current (the heap's user checks each entry against it, ``first`` and ``removeFirst()``).
/// ``compact(keeping:)`` sweeps out what is stale when the heap has grown past its live timers.
/// Where the keys are the slots of a table, ``SlotDeadlineHeap`` moves entries in place instead.
struct DeadlineHeap<Key: Hashable> {
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

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].deadline < items[parent].deadline else { return }
            items.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < items.count else { return }
            let right = left + 1
            let smaller = right < items.count && items[right].deadline < items[left].deadline ? right : left
            guard items[smaller].deadline < items[parent].deadline else { return }
            items.swapAt(parent, smaller)
            parent = smaller
        }
    }
}
