import MirageCore

/// A binary min-heap over an array of deadlines (CLRS chapter 6), as ``DeadlineHeap`` and
/// ``SlotDeadlineHeap`` keep theirs: they say how to compare and swap two entries, and share the
/// sifting.
protocol BinaryMinHeap {
    /// How many entries the heap holds.
    var count: Int { get }
    /// The deadline of the entry at `index`.
    func deadline(at index: Int) -> Instant
    /// Swaps the entries at `a` and `b` (and whatever records where they are).
    mutating func swapEntries(_ a: Int, _ b: Int)
}

extension BinaryMinHeap {
    /// Moves the entry at `start` up while it is earlier than its parent.
    mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard deadline(at: child) < deadline(at: parent) else { return }
            swapEntries(child, parent)
            child = parent
        }
    }

    /// Moves the entry at `start` down while a child is earlier.
    mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            guard left < count else { return }
            let right = left + 1
            let smaller = right < count && deadline(at: right) < deadline(at: left) ? right : left
            guard deadline(at: smaller) < deadline(at: parent) else { return }
            swapEntries(parent, smaller)
            parent = smaller
        }
    }
}
