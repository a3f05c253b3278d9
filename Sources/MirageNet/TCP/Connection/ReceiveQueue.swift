import MirageCore

/// What a connection has received: in-order octets the application has not read yet, and
/// out-of-order segments held until the gap before them fills (RFC 9293 section 3.10.7.4, seventh
/// step), from which the SACK blocks are made (RFC 2018 section 4).
///
/// Memory is counted as held, not by payload (``chargedBytes``): each run is charged its buffer's
/// real size (``PacketBuffer/trueSize``) and its slot. Small segments are copied together into
/// shared buffers as they arrive (Linux collapses its queues for the same reason), so a peer that
/// sends one-octet segments costs about an octet of memory per octet, not a frame buffer each;
/// what is kept as it came holds at most about twice its payload.
struct ReceiveQueue {
    /// A run of octets and the memory charged for it.
    struct Run {
        var data: PacketBuffer
        var charge: Int
        /// Whether `data` is a buffer this queue made to gather small segments into.
        var gathers: Bool
    }

    /// A run of octets received ahead of RCV.NXT.
    struct OutOfOrder {
        var start: SequenceNumber
        var data: PacketBuffer
        /// Higher is more recent: SACK reports the most recent block first.
        var arrival: UInt64
        var charge: Int
        var end: SequenceNumber { start + data.count }
    }

    private var readable: [Run] = []
    private var readableHead = 0
    /// In-order octets not yet read.
    private(set) var readableCount = 0
    private(set) var outOfOrder: [OutOfOrder] = []
    private var arrivals: UInt64 = 0
    /// The memory held for the peer: every run's ``Run/charge`` and ``OutOfOrder/charge``.
    private(set) var chargedBytes = 0
    /// Out-of-order runs kept at most; more are dropped (the sender retransmits them), so that
    /// scattered tiny segments cannot pin many frames' worth of memory.
    static let outOfOrderLimit = 64
    /// Segments shorter than this are copied into a gathering buffer rather than kept in their
    /// own: kept as they came, longer ones hold at most about twice their payload.
    static let gatherBelow = 512
    /// The capacity of a gathering buffer.
    static let gatherCapacity = 4096

    /// The most keeping `data` can add to ``chargedBytes``: its buffer as it is, or a new
    /// gathering buffer, and a slot.
    static func worstCharge(of data: PacketBuffer) -> Int {
        Swift.max(data.trueSize, gatherCapacity + PacketBuffer.storageOverhead) + MemoryLayout<OutOfOrder>.stride
    }

    /// The most one segment of a full-sized frame can add to ``chargedBytes``: the window leaves
    /// this much memory spare, so that data inside it is never refused for memory.
    static let largestCharge = gatherCapacity + PacketBuffer.storageOverhead + MemoryLayout<OutOfOrder>.stride

    var outOfOrderCount: Int { outOfOrder.reduce(0) { $0 + $1.data.count } }

    /// The memory `data` is charged when kept as it is, with its slot of `Element`.
    static func charge<Element>(of data: PacketBuffer, in _: Element.Type) -> Int {
        data.trueSize + MemoryLayout<Element>.stride
    }

    /// Takes `data` starting at `start` when RCV.NXT is `next`; returns how many octets became
    /// in order (RCV.NXT advances by that much). `data` must already be trimmed to the window.
    mutating func insert(_ data: consuming PacketBuffer, at start: SequenceNumber, next: SequenceNumber) -> Int {
        var start = start
        if start < next {
            let skip = next - start
            guard skip < data.count else { return 0 }
            data.removeFirst(skip)
            start = next
        }
        guard !data.isEmpty else { return 0 }
        if start == next {
            var advanced = data.count
            var cursor = next + data.count
            appendReadable(data)
            while let first = outOfOrder.first, first.start <= cursor {
                outOfOrder.removeFirst()
                chargedBytes -= first.charge
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
        var chunk = readable[readableHead].data
        if chunk.count > maximum {
            readable[readableHead].data.removeFirst(maximum)
            chunk = chunk.slice(0..<maximum)
        } else {
            chargedBytes -= readable[readableHead].charge
            readable[readableHead] = Run(data: PacketBuffer(capacity: 0), charge: 0, gathers: false)
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

    /// Drops the out-of-order runs (the peer still has them: it retransmits what was not
    /// acknowledged), to make room when memory is short. - Returns: whether any were held.
    @discardableResult
    mutating func dropOutOfOrder() -> Bool {
        guard !outOfOrder.isEmpty else { return false }
        for run in outOfOrder { chargedBytes -= run.charge }
        outOfOrder.removeAll()
        return true
    }

    /// Drops everything (the connection reset).
    mutating func removeAll() {
        readable.removeAll()
        readableHead = 0
        readableCount = 0
        outOfOrder.removeAll()
        chargedBytes = 0
    }

    /// Queues in-order `data`. While the application keeps up (nothing else queued) it is kept as
    /// it came, copying nothing; once runs pile up, a short one goes into the last gathering
    /// buffer while that has room (or into a new one), and a long one is kept as it came.
    private mutating func appendReadable(_ data: consuming PacketBuffer) {
        readableCount += data.count
        guard readable.count > readableHead, data.count < Self.gatherBelow || data.isWasteful else {
            let charge = Self.charge(of: data, in: Run.self)
            readable.append(Run(data: data, charge: charge, gathers: false))
            chargedBytes += charge
            return
        }
        let last = readable.count - 1
        if readable[last].gathers, readable[last].data.tailroom >= data.count {
            // Appending may reallocate (when a partial read still shares the buffer): charge the
            // difference.
            let before = readable[last].data.trueSize
            data.withUnsafeBytes { bytes in
                _ = readable[last].data.append(upTo: bytes.count) { destination in
                    destination.copyMemory(from: bytes)
                    return bytes.count
                }
            }
            let change = readable[last].data.trueSize - before
            readable[last].charge += change
            chargedBytes += change
            return
        }
        var gathered = PacketBuffer(capacity: Swift.max(Self.gatherCapacity, data.count))
        data.withUnsafeBytes { bytes in
            _ = gathered.append(upTo: bytes.count) { destination in
                destination.copyMemory(from: bytes)
                return bytes.count
            }
        }
        let charge = Self.charge(of: gathered, in: Run.self)
        readable.append(Run(data: gathered, charge: charge, gathers: true))
        chargedBytes += charge
    }

    /// Keeps `data` at `start`, trimmed against what is already held: existing octets win, runs
    /// the new data covers entirely are replaced. A piece that would hold much more memory than
    /// its octets is copied into a buffer of its own size first.
    private mutating func storeOutOfOrder(_ data: PacketBuffer, at start: SequenceNumber) {
        var newStart = start
        var newEnd = start + data.count
        arrivals += 1
        outOfOrder.removeAll { run in
            guard run.start >= newStart, run.end <= newEnd else { return false }
            chargedBytes -= run.charge
            return true
        }
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
        var piece = data.slice((newStart - start)..<(newEnd - start))
        if piece.isWasteful { piece = piece.compacted() }
        let charge = Self.charge(of: piece, in: OutOfOrder.self)
        let position = outOfOrder.firstIndex { $0.start > newStart } ?? outOfOrder.count
        outOfOrder.insert(OutOfOrder(start: newStart, data: piece, arrival: arrivals, charge: charge), at: position)
        chargedBytes += charge
    }
}
