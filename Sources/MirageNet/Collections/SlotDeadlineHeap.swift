import MirageCore

/// One deadline per slot (a small integer: an index into its owner's table), earliest first: a
/// binary min-heap (CLRS chapter 6) that knows where each slot's entry is, so a deadline that
/// moves is moved in place and one that goes is taken out (CLRS section 6.5's
/// `HEAP-INCREASE-KEY`, both ways). Finding the next deadline costs O(1), moving or removing one
/// O(log n); the heap never holds more entries than slots with a deadline.
///
/// ``DeadlineHeap`` leaves stale entries behind for its user to recognise; this one has none, for
/// owners (the TCP connections' table) whose timers move at every segment.
struct SlotDeadlineHeap: BinaryMinHeap {
    private(set) var items: [(deadline: Instant, slot: Int)] = []
    /// Where each slot's entry is in ``items``; -1 for a slot without a deadline.
    private var positions: [Int] = []

    var count: Int { items.count }
    var first: (deadline: Instant, slot: Int)? { items.first }

    /// The deadline held for `slot`, if any.
    func deadline(of slot: Int) -> Instant? {
        guard slot < positions.count, positions[slot] >= 0 else { return nil }
        return items[positions[slot]].deadline
    }

    /// Sets `slot`'s deadline: adds, moves or (for nil) removes its entry.
    mutating func set(_ slot: Int, _ deadline: Instant?) {
        guard let deadline else { return remove(slot) }
        if slot >= positions.count { positions.append(contentsOf: repeatElement(-1, count: slot + 1 - positions.count)) }
        let position = positions[slot]
        if position < 0 {
            items.append((deadline, slot))
            positions[slot] = items.count - 1
            siftUp(items.count - 1)
            return
        }
        let old = items[position].deadline
        guard deadline != old else { return }
        items[position].deadline = deadline
        if deadline < old { siftUp(position) } else { siftDown(position) }
    }

    /// Takes `slot`'s entry out, if it has one.
    mutating func remove(_ slot: Int) {
        guard slot < positions.count else { return }
        let position = positions[slot]
        guard position >= 0 else { return }
        positions[slot] = -1
        let last = items.removeLast()
        guard position < items.count else { return }
        let old = items[position].deadline
        items[position] = last
        positions[last.slot] = position
        if last.deadline < old { siftUp(position) } else { siftDown(position) }
    }

    /// Removes the earliest entry.
    @discardableResult
    mutating func removeFirst() -> (deadline: Instant, slot: Int) {
        let first = items[0]
        remove(first.slot)
        return first
    }

    func deadline(at index: Int) -> Instant { items[index].deadline }

    mutating func swapEntries(_ a: Int, _ b: Int) {
        items.swapAt(a, b)
        positions[items[a].slot] = a
        positions[items[b].slot] = b
    }
}
