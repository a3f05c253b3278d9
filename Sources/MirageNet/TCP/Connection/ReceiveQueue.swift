import MirageCore

/// What a connection has received: in-order octets the application has not read yet, and
/// out-of-order segments held until the gap before them fills (RFC 9293 section 3.10.7.4, seventh
/// step), from which the SACK blocks are made (RFC 2018 section 4).
struct ReceiveQueue {
    /// A run of octets received ahead of RCV.NXT.
    struct OutOfOrder {
        var start: SequenceNumber
        var data: PacketBuffer
        /// Higher is more recent: SACK reports the most recent block first.
        var arrival: UInt64
        var end: SequenceNumber { start + data.count }
    }

    private var readable: [PacketBuffer] = []
    private var readableHead = 0
    /// In-order octets not yet read.
    private(set) var readableCount = 0
    private(set) var outOfOrder: [OutOfOrder] = []
    private var arrivals: UInt64 = 0
    /// Out-of-order runs kept at most; more are dropped (the sender retransmits them), so that
    /// scattered tiny segments cannot pin many frames' worth of memory.
    static let outOfOrderLimit = 64

    var outOfOrderCount: Int { outOfOrder.reduce(0) { $0 + $1.data.count } }

    /// Takes `data` starting at `start` when RCV.NXT is `next`; returns how many octets became
    /// in order (RCV.NXT advances by that much). `data` must already be trimmed to the window.
    mutating func insert(_ data: PacketBuffer, at start: SequenceNumber, next: SequenceNumber) -> Int {
        var data = data
        var start = start
        if start < next {
            let skip = next - start
            guard skip < data.count else { return 0 }
            data.removeFirst(skip)
            start = next
        }
        guard !data.isEmpty else { return 0 }
        if start == next {
            appendReadable(data)
            var advanced = data.count
            var cursor = next + data.count
            while let first = outOfOrder.first, first.start <= cursor {
                outOfOrder.removeFirst()
                if first.end > cursor {
                    appendReadable(first.data.slice((cursor - first.start)..<first.data.count))
                    advanced += first.end - cursor
                    cursor = first.end
                }
            }
            return advanced
        }
        storeOutOfOrder(data, at: start)
        return 0
    }

    /// Removes and returns up to `maximum` in-order octets (one stored run at most, not copied).
    mutating func read(maximum: Int) -> PacketBuffer? {
        guard readableHead < readable.count, maximum > 0 else { return nil }
        var chunk = readable[readableHead]
        if chunk.count > maximum {
            readable[readableHead].removeFirst(maximum)
            chunk = chunk.slice(0..<maximum)
        } else {
            readable[readableHead] = PacketBuffer(capacity: 0)
            readableHead += 1
            if readableHead == readable.count {
                readable.removeAll(keepingCapacity: true)
                readableHead = 0
            } else if readableHead > 64, readableHead * 2 > readable.count {
                readable.removeFirst(readableHead)
                readableHead = 0
            }
        }
        readableCount -= chunk.count
        return chunk
    }

    /// The SACK blocks to report, most recent first (RFC 2018 section 4), at most `limit`.
    func sackBlocks(limit: Int) -> [(SequenceNumber, SequenceNumber)] {
        var blocks: [(start: SequenceNumber, end: SequenceNumber, arrival: UInt64)] = []
        for segment in outOfOrder {
            if let last = blocks.last, last.end == segment.start {
                blocks[blocks.count - 1].end = segment.end
                blocks[blocks.count - 1].arrival = Swift.max(last.arrival, segment.arrival)
            } else {
                blocks.append((segment.start, segment.end, segment.arrival))
            }
        }
        blocks.sort { $0.arrival > $1.arrival }
        return blocks.prefix(limit).map { ($0.start, $0.end) }
    }

    /// Drops everything (the connection reset).
    mutating func removeAll() {
        readable.removeAll()
        readableHead = 0
        readableCount = 0
        outOfOrder.removeAll()
    }

    private mutating func appendReadable(_ data: PacketBuffer) {
        readable.append(data)
        readableCount += data.count
    }

    /// Keeps `data` at `start`, trimmed against what is already held: existing octets win, runs
    /// the new data covers entirely are replaced.
    private mutating func storeOutOfOrder(_ data: PacketBuffer, at start: SequenceNumber) {
        var newStart = start
        var newEnd = start + data.count
        arrivals += 1
        outOfOrder.removeAll { $0.start >= newStart && $0.end <= newEnd }
        for index in outOfOrder.indices {
            let existing = outOfOrder[index]
            if existing.start <= newStart, existing.end > newStart {
                newStart = existing.end
                outOfOrder[index].arrival = arrivals
            }
            if existing.start < newEnd, existing.end >= newEnd, existing.start > newStart {
                newEnd = existing.start
            }
        }
        guard newStart < newEnd else { return }
        guard outOfOrder.count < Self.outOfOrderLimit else { return }
        let piece = data.slice((newStart - start)..<(newEnd - start))
        let position = outOfOrder.firstIndex { $0.start > newStart } ?? outOfOrder.count
        outOfOrder.insert(OutOfOrder(start: newStart, data: piece, arrival: arrivals), at: position)
    }
}
