import CMirageHVTABI

/// The tender's end of a block device's ring (mirage_hvt_abi.h, "Block ring"): the I/O thread
/// serves the requests the guest put in its slots, in order, and counts them served.
///
/// Only the ``RingIOThread`` calls it once the guest has handed the device over, while the guest
/// runs on its own vCPU: every value the guest writes is read once, into a local, and checked
/// there. How many requests it has served the tender keeps in its own memory, so a guest that
/// rewrites the ring can only lose its own requests: a slot whose bytes lie outside guest memory,
/// or a count that claims more than the ring holds, ends it as crashed.
final class BlockRingPort {
    let device: Int
    let backend: BlockBackend
    private let memory: GuestMemory
    private let ring: UnsafeMutablePointer<mirage_hvt_block_ring>
    /// Requests served so far.
    private var completed: UInt32

    static let slots = UInt32(MIRAGE_HVT_BLOCK_RING_SLOTS)
    /// The bytes a region must have.
    static let regionLength = UInt64(MemoryLayout<mirage_hvt_block_ring>.stride)

    /// The port over the region the guest gave, which the caller checked to lie in guest memory
    /// with ``regionLength`` bytes, page-aligned.
    init(device: Int, backend: BlockBackend, memory: GuestMemory, region: UnsafeMutableRawBufferPointer) {
        self.device = device
        self.backend = backend
        self.memory = memory
        ring = region.baseAddress!.bindMemory(to: mirage_hvt_block_ring.self, capacity: 1)
        // The guest starts from a zeroed ring; what it submitted before the hand-over is its own.
        completed = mirage_hvt_block_ring_submitted(ring)
        mirage_hvt_block_ring_set_completed(ring, completed)
    }

    /// Whether the guest has submitted requests not yet served.
    var hasRequests: Bool { mirage_hvt_block_ring_submitted(ring) != completed }

    /// Whether the guest sleeps until its requests are served.
    var guestWaits: Bool { mirage_hvt_block_ring_guest_waiting(ring) != 0 }

    /// Marks the ring: the I/O thread is going to sleep, and wants a kick for requests.
    func setSleeping(_ sleeping: Bool) {
        mirage_hvt_block_ring_set_tender_sleeping(ring, sleeping ? 1 : 0)
    }

    /// Serves the requests the guest submitted, in order, each counted in `completed` as soon as
    /// its status is written.
    /// - Returns: whether any was served, or the reason the guest must end.
    func serve() -> Result<Bool, RingViolation> {
        let submitted = mirage_hvt_block_ring_submitted(ring)
        let waiting = submitted &- completed
        guard waiting <= Self.slots else {
            return .failure(RingViolation("the guest claims \(waiting) requests in the ring of block device \(device), more than its \(Self.slots) slots"))
        }
        guard waiting > 0 else { return .success(false) }
        while completed != submitted {
            let slot = mirage_hvt_block_ring_slot(ring, completed)!
            let request = slot.pointee  // read once: the guest may rewrite it meanwhile
            switch backend.serve(UInt64(request.operation), sector: request.sector, data: request.data, length: request.length, in: memory) {
            case let .status(status): slot.pointee.status = status
            case let .outsideMemory(reason): return .failure(RingViolation(reason))
            }
            completed &+= 1
            mirage_hvt_block_ring_set_completed(ring, completed)
        }
        return .success(true)
    }
}

extension UnsafeMutablePointer where Pointee == mirage_hvt_block_ring {
    /// Whether every request submitted has been served: what the poll reports a waiting guest.
    var isDrained: Bool { mirage_hvt_block_ring_submitted(self) == mirage_hvt_block_ring_completed(self) }
}
