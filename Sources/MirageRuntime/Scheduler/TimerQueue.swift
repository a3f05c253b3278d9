/// A min-heap of timers ordered by deadline; timers with the same deadline come out in the order
/// they were added, so timers fire in deadline order and ties stay first-come, first-served.
public struct TimerQueue<Payload> {
    struct Entry {
        var deadline: Instant
        var sequence: UInt64
        var payload: Payload

        func precedes(_ other: Entry) -> Bool {
            (deadline.nanoseconds, sequence) < (other.deadline.nanoseconds, other.sequence)
        }
    }

    private var heap: [Entry] = []
    private var nextSequence: UInt64 = 0

    public init() {}

    /// The number of timers waiting.
    public var count: Int { heap.count }
    /// Whether no timer is waiting.
    public var isEmpty: Bool { heap.isEmpty }
    /// The earliest deadline, or nil when no timer is waiting.
    public var nextDeadline: Instant? { heap.first?.deadline }

    /// Adds a timer that fires at `deadline`.
    public mutating func insert(_ payload: Payload, deadline: Instant) {
        heap.append(Entry(deadline: deadline, sequence: nextSequence, payload: payload))
        nextSequence &+= 1
        siftUp(heap.count - 1)
    }

    /// Removes and returns the earliest timer whose deadline is at or before `now`.
    public mutating func popExpired(now: Instant) -> Payload? {
        guard let first = heap.first, first.deadline <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
        return first.payload
    }

    private mutating func siftUp(_ index: Int) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ index: Int) {
        var parent = index
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].precedes(heap[smallest]) { smallest = left }
            if right < heap.count && heap[right].precedes(heap[smallest]) { smallest = right }
            if smallest == parent { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
