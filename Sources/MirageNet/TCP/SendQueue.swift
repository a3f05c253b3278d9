import MirageCore

/// The octets a connection has accepted from the application and not yet seen acknowledged: a ring
/// of fixed capacity, from SND.UNA onwards (RFC 9293 section 3.3.1's send sequence space without
/// the SYN and FIN).
///
/// Data is copied in once when written and copied out into a fresh segment buffer, with room for
/// the headers in front, each time it is sent or resent.
struct SendQueue {
    let capacity: Int
    private var storage: [UInt8]
    private var head = 0
    /// Octets queued.
    private(set) var count = 0

    init(capacity: Int) {
        precondition(capacity > 0, "the send buffer needs room")
        self.capacity = capacity
        storage = []
    }

    var freeSpace: Int { capacity - count }

    /// Appends as much of `data` as fits and returns how many octets that was.
    mutating func append(_ data: PacketBuffer) -> Int {
        if storage.isEmpty { storage = [UInt8](repeating: 0, count: capacity) }
        let accepted = Swift.min(data.count, freeSpace)
        guard accepted > 0 else { return 0 }
        let tail = (head + count) % capacity
        let first = Swift.min(accepted, capacity - tail)
        storage.withUnsafeMutableBytes { ring in
            data.withUnsafeBytes { source in
                ring.baseAddress!.advanced(by: tail).copyMemory(from: source.baseAddress!, byteCount: first)
                if accepted > first {
                    ring.baseAddress!.copyMemory(from: source.baseAddress! + first, byteCount: accepted - first)
                }
            }
        }
        count += accepted
        return accepted
    }

    /// Copies `length` octets starting `offset` octets after SND.UNA into a new buffer with
    /// `headroom` free octets in front.
    func copy(offset: Int, length: Int, headroom: Int) -> PacketBuffer {
        precondition(offset >= 0 && length >= 0 && offset + length <= count, "range outside the send queue")
        var buffer = PacketBuffer(capacity: headroom + length, headroom: headroom)
        guard length > 0 else { return buffer }
        let start = (head + offset) % capacity
        let first = Swift.min(length, capacity - start)
        buffer.appendZeros(length)
        buffer.withUnsafeMutableBytes { destination in
            storage.withUnsafeBytes { ring in
                destination.baseAddress!.copyMemory(from: ring.baseAddress! + start, byteCount: first)
                if length > first {
                    (destination.baseAddress! + first).copyMemory(from: ring.baseAddress!, byteCount: length - first)
                }
            }
        }
        return buffer
    }

    /// Forgets the first `n` octets, now acknowledged.
    mutating func removeFirst(_ n: Int) {
        precondition(n >= 0 && n <= count, "acknowledging more than was queued")
        head = (head + n) % capacity
        count -= n
    }
}
