import CMirageHVTGuest
import MirageRuntime

/// A block device the tender serves from a host file (`mirage-hvt --block:NAME=FILE`). Its requests
/// go through a ring the tender's I/O thread serves (mirage_hvt_abi.h, "Block ring"), without a VM
/// exit each; with a tender that refuses the ring, or one that asks the guest not to spin
/// (`--poll-spin=0`, for a host packed with guests), through the block hypercalls, a VM exit each.
/// Transfers are checked here, with the same errors as every implementation, and again by the
/// tender.
///
/// A request is served while its caller waits, as a hypercall's is: the guest looks at the ring
/// for its end up to the tender's `--poll-spin` (the I/O thread takes the next request of a
/// reader going through a file within microseconds, while it looks for more), then sleeps in the
/// poll hypercall until the I/O thread wakes it (a flush's `fsync` can take milliseconds).
public final class HVTBlockDevice: BlockDevice {
    public let name: String
    public let info: BlockInfo
    private let index: UInt32
    /// The ring the tender's I/O thread serves, or nil when the tender refused it.
    private let ring: UnsafeMutablePointer<mirage_hvt_block_ring>?
    /// Requests put in the ring so far.
    private var submitted: UInt32 = 0
    /// How long to look at the ring for a request's end before sleeping (nanoseconds).
    private let spinLimit: UInt64

    private init(name: String, index: UInt32, info: BlockInfo, ring: UnsafeMutablePointer<mirage_hvt_block_ring>?, spinLimit: UInt64) {
        self.name = name
        self.index = index
        self.info = info
        self.ring = ring
        self.spinLimit = spinLimit
    }

    /// The block device the tender attached as `name`.
    /// - Throws: ``BlockError/cannotOpen(name:reason:)`` when the tender attached none of that name.
    public static func connect(name: String) throws(BlockError) -> HVTBlockDevice {
        let boot = bootInfo()
        let count = Int(boot.pointee.device_count)
        let found: HVTBlockDevice? = withUnsafeBytes(of: boot.pointee.devices) { raw in
            let table = raw.bindMemory(to: mirage_hvt_device.self)
            for index in 0..<min(count, table.count) where table[index].kind == MIRAGE_HVT_DEVICE_BLOCK.rawValue {
                let entry = table[index]
                let entryName = withUnsafeBytes(of: entry.name) { bytes in
                    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
                }
                if entryName.hasSameSpelling(as: name) {
                    let info = BlockInfo(sectorSize: Int(entry.sector_size), sectorCount: entry.sector_count, isWritable: entry.writable != 0)
                    // Without a spin (--poll-spin=0) every request would wait in the poll
                    // hypercall and for the I/O thread's wake-up: a hypercall, which the vCPU
                    // thread serves itself, costs the exit alone.
                    let spinLimit = boot.pointee.poll_spin_ns
                    return HVTBlockDevice(name: name, index: UInt32(index), info: info,
                                          ring: spinLimit > 0 ? handOver(device: UInt32(index)) : nil, spinLimit: spinLimit)
                }
            }
            return nil
        }
        guard let found else { throw .cannotOpen(name: name, reason: "the tender attached no block device of that name") }
        return found
    }

    public func read(at sector: UInt64, into buffer: inout [UInt8]) async throws(BlockError) {
        _ = try info.checkTransfer(at: sector, length: buffer.count)
        let status = buffer.withUnsafeMutableBytes { bytes in
            transfer(MIRAGE_HVT_BLOCK_READ, sector: sector, address: bytes.baseAddress, length: bytes.count)
        }
        try check(status)
    }

    public func write(at sector: UInt64, from buffer: [UInt8]) async throws(BlockError) {
        guard info.isWritable else { throw .readOnly }
        _ = try info.checkTransfer(at: sector, length: buffer.count)
        let status = buffer.withUnsafeBytes { bytes in
            transfer(MIRAGE_HVT_BLOCK_WRITE, sector: sector, address: bytes.baseAddress, length: bytes.count)
        }
        try check(status)
    }

    public func flush() async throws(BlockError) {
        try check(transfer(MIRAGE_HVT_BLOCK_FLUSH, sector: 0, address: nil, length: 0))
    }

    /// The ring the tender serves (nil when it refused it): for tests of the tender's checks,
    /// which write into it as a hostile guest would.
    public var sharedRing: UnsafeMutablePointer<mirage_hvt_block_ring>? { ring }

    /// Gives device `index` a ring in a page of its own (`MIRAGE_HVT_BLOCK_RING`).
    /// - Returns: the ring, or nil when the tender refused it.
    private static func handOver(device index: UInt32) -> UnsafeMutablePointer<mirage_hvt_block_ring>? {
        let length = MemoryLayout<mirage_hvt_block_ring>.stride
        let region = UnsafeMutableRawPointer.allocate(byteCount: length, alignment: 4096)
        region.initializeMemory(as: UInt8.self, repeating: 0, count: length)
        var setup = mirage_hvt_block_ring_setup(device: index, status: MIRAGE_HVT_INVALID.rawValue,
                                                region: UInt64(UInt(bitPattern: region)), region_length: UInt64(length))
        mirage_hvt_hypercall(MIRAGE_HVT_BLOCK_RING, &setup)
        guard setup.status == MIRAGE_HVT_OK.rawValue else {
            region.deallocate()
            return nil
        }
        // The region is the tender's to read and write from now on: never freed.
        return region.bindMemory(to: mirage_hvt_block_ring.self, capacity: 1)
    }

    private func transfer(_ call: mirage_hvt_hypercall, sector: UInt64, address: UnsafeRawPointer?, length: Int) -> UInt32 {
        let data = UInt64(UInt(bitPattern: address))
        guard let ring else {
            var io = mirage_hvt_block_io(device: index, status: 0, sector: sector, data: data, length: UInt64(length))
            mirage_hvt_hypercall(call, &io)
            return io.status
        }
        let slot = mirage_hvt_block_ring_slot(ring, submitted)!
        slot.pointee = mirage_hvt_block_request(operation: call.rawValue, status: MIRAGE_HVT_INVALID.rawValue,
                                                sector: sector, data: data, length: UInt64(length))
        submitted &+= 1
        mirage_hvt_block_ring_set_submitted(ring, submitted)
        mirage_hvt_ring_fence()  // the request published before the thread's flag is read
        if mirage_hvt_block_ring_tender_sleeping(ring) != 0 { mirage_hvt_hypercall(MIRAGE_HVT_NET_KICK, nil) }
        waitUntilServed(ring)
        return slot.pointee.status
    }

    /// Returns once the tender has served every request submitted: looking at the ring up to the
    /// spin limit, then sleeping in the poll hypercall, woken by the I/O thread.
    private func waitUntilServed(_ ring: UnsafeMutablePointer<mirage_hvt_block_ring>) {
        let start = mirage_hvt_monotonic_ns()
        while mirage_hvt_block_ring_completed(ring) != submitted {
            if mirage_hvt_monotonic_ns() &- start >= spinLimit {
                sleepUntilServed(ring)
                return
            }
            mirage_hvt_cpu_relax()
        }
    }

    private func sleepUntilServed(_ ring: UnsafeMutablePointer<mirage_hvt_block_ring>) {
        while true {
            mirage_hvt_block_ring_set_guest_waiting(ring, 1)
            mirage_hvt_ring_fence()  // the flag published before `completed` is read again
            if mirage_hvt_block_ring_completed(ring) == submitted { break }
            // A second at most: the poll ends sooner when the requests are served (or the host
            // asks the unikernel to stop, which the scheduler's next poll learns again).
            var poll = mirage_hvt_poll(deadline: mirage_hvt_monotonic_ns() &+ 1_000_000_000, ready: 1 << UInt64(index))
            mirage_hvt_hypercall(MIRAGE_HVT_POLL, &poll)
        }
        mirage_hvt_block_ring_set_guest_waiting(ring, 0)
    }

    private func check(_ status: UInt32) throws(BlockError) {
        switch status {
        case MIRAGE_HVT_OK.rawValue: return
        case MIRAGE_HVT_UNSUPPORTED.rawValue: throw .readOnly
        // Anything else, MIRAGE_HVT_INVALID included (the tender refused a transfer this side
        // already checked), is reported with the tender's status as the error number.
        default: throw .io(code: Int32(status))
        }
    }
}
