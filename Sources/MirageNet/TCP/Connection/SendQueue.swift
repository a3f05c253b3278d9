import MirageCore

/// The octets a connection has accepted from the application and not yet seen acknowledged: a ring
/// of fixed capacity, from SND.UNA onwards (RFC 9293 section 3.3.1's send sequence space without
/// the SYN and FIN).
///
/// Data is copied in once when written and copied out into a fresh segment buffer, with room for
/// the headers in front, each time it is sent or resent. The ring's memory grows with what is
/// queued, from ``initialStorage`` up to the capacity, so an idle or lightly used connection does
/// not hold a whole send buffer.
struct SendQueue {
    let capacity: Int
    /// The ring's first size.
    static let initialStorage = 16 * 1024
    /// The ring; its size is between ``initialStorage`` (or the capacity, when smaller) and the
    /// capacity once anything was written.
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
        let accepted = Swift.min(data.count, freeSpace)
        guard accepted > 0 else { return 0 }
        if count + accepted > storage.count { grow(toHold: count + accepted) }
        let size = storage.count
        let tail = (head + count) % size
        let first = Swift.min(accepted, size - tail)
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
        let size = storage.count
        let start = (head + offset) % size
        let first = Swift.min(length, size - start)
        buffer.append(upTo: length) { destination in
            storage.withUnsafeBytes { ring in
                destination.baseAddress!.copyMemory(from: ring.baseAddress! + start, byteCount: first)
                if length > first {
                    (destination.baseAddress! + first).copyMemory(from: ring.baseAddress!, byteCount: length - first)
                }
            }
            return length
        }
        return buffer
    }

    /// Forgets the first `n` octets, now acknowledged.
    mutating func removeFirst(_ n: Int) {
        precondition(n >= 0 && n <= count, "acknowledging more than was queued")
        if n > 0 { head = (head + n) % storage.count }
        count -= n
    }

    /// Makes the ring at least `needed` octets (doubling, at most the capacity), its contents
    /// moved to the start.
    private mutating func grow(toHold needed: Int) {
        var size = Swift.max(storage.count, Swift.min(Self.initialStorage, capacity))
        while size < needed { size = Swift.min(size * 2, capacity) }
        var larger = [UInt8](repeating: 0, count: size)
        if count > 0 {
            let old = storage.count
            let first = Swift.min(count, old - head)
            larger.withUnsafeMutableBytes { destination in
                storage.withUnsafeBytes { ring in
                    destination.baseAddress!.copyMemory(from: ring.baseAddress! + head, byteCount: first)
                    if count > first {
                        (destination.baseAddress! + first).copyMemory(from: ring.baseAddress!, byteCount: count - first)
                    }
                }
            }
        }
        storage = larger
        head = 0
    }
}
