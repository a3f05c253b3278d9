import CMirageHVTGuest
import MirageHVTGuest
import MirageRuntime

/// A guest with a block device that misuses its ring and the hypercall that hands it over, for
/// the tender's robustness tests: bytes outside its memory (past its end, or wrapping around 64
/// bits), a ring claiming more requests than it has slots, a region or an argument outside guest
/// memory, and slots rewritten while the tender's I/O thread reads them must each end it as
/// crashed (exit 70), without the tender reading or writing host memory. `refused` puts requests
/// the device's own checks would never send (past the end, a part sector, an unknown operation)
/// straight in the ring: the tender answers each INVALID and the guest runs on.
///
/// The device (`block("storage")`) is index 0 of the tender's device table; the configured
/// device has already handed its ring over, and the attacks write into it.
struct HostileBlock<Disk: BlockDevice>: Unikernel {
    let log = LogSource("application", documentation: "the hostile guest")
    let disk: Disk
    let attack: String

    init(_ disk: Disk, attack: String) {
        self.disk = disk
        self.attack = attack
    }

    func start() async {
        log.info("attack: \(attack) on a device of \(disk.info.sectorCount) sectors")
        guard let device = disk as? HVTBlockDevice, let ring = device.sharedRing else {
            log.info("no block ring")
            return
        }
        let memorySize = mirage_hvt_boot_info_pointer()!.pointee.memory_size
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        let good = UInt64(UInt(bitPattern: buffer))
        switch attack {
        case "data-pointer":
            // A read into the page just past the end of guest memory.
            _ = submit(ring, MIRAGE_HVT_BLOCK_READ, sector: 0, data: memorySize, length: 512)
        case "data-wrap":
            // A read whose bytes start inside guest memory and whose end wraps around 64 bits.
            _ = submit(ring, MIRAGE_HVT_BLOCK_READ, sector: 0, data: UInt64.max - 1023, length: 4096)
        case "ring-claim":
            // More requests submitted than the ring has slots.
            mirage_hvt_block_ring_set_submitted(ring, mirage_hvt_block_ring_completed(ring) &+ 1000)
            mirage_hvt_hypercall(MIRAGE_HVT_NET_KICK, nil)
        case "region":
            // A ring outside guest memory, for a device that exists.
            var setup = mirage_hvt_block_ring_setup(device: 0, status: 0, region: memorySize, region_length: 4096)
            mirage_hvt_hypercall(MIRAGE_HVT_BLOCK_RING, &setup)
        case "argument":
            // The argument structure itself outside guest memory.
            mirage_hvt_hypercall(MIRAGE_HVT_BLOCK_RING, UnsafeMutableRawPointer(bitPattern: UInt(memorySize + 4096)))
        case "rewrite":
            rewrite(ring, good: good, outside: memorySize)
        case "refused":
            let sectors = disk.info.sectorCount
            let statuses = [
                submit(ring, MIRAGE_HVT_BLOCK_READ, sector: sectors, data: good, length: 512),
                submit(ring, MIRAGE_HVT_BLOCK_WRITE, sector: 0, data: good, length: 100),
                submit(ring, MIRAGE_HVT_HALT, sector: 0, data: good, length: 512),
                submit(ring, MIRAGE_HVT_BLOCK_READ, sector: sectors - 1, data: good, length: 512),
            ]
            log.info("statuses: \(statuses.map { String($0) }.joined(separator: " "))")
        default:
            break
        }
        try? await sleep(for: .seconds(2))  // time for the tender's thread to see it
        log.info("survived")
    }

    /// Puts one request in the ring, kicks the tender's thread, and waits up to a second for the
    /// request's status (99 if it never came).
    private func submit(_ ring: UnsafeMutablePointer<mirage_hvt_block_ring>, _ operation: mirage_hvt_hypercall,
                        sector: UInt64, data: UInt64, length: UInt64) -> UInt32 {
        let submitted = mirage_hvt_block_ring_submitted(ring)
        let slot = mirage_hvt_block_ring_slot(ring, submitted)!
        slot.pointee = mirage_hvt_block_request(operation: operation.rawValue, status: 99, sector: sector, data: data, length: length)
        mirage_hvt_block_ring_set_submitted(ring, submitted &+ 1)
        mirage_hvt_hypercall(MIRAGE_HVT_NET_KICK, nil)
        let giveUp = mirage_hvt_monotonic_ns() + 1_000_000_000
        while mirage_hvt_block_ring_completed(ring) != submitted &+ 1, mirage_hvt_monotonic_ns() < giveUp {
            mirage_hvt_cpu_relax()
        }
        return slot.pointee.status
    }

    /// Submits a good read, kicks, and at once rewrites its bytes' address to point outside guest
    /// memory, over and over: whichever the tender's thread reads, it must serve the good read or
    /// end the guest, and never touch memory outside it.
    private func rewrite(_ ring: UnsafeMutablePointer<mirage_hvt_block_ring>, good: UInt64, outside memorySize: UInt64) {
        for round in 0..<100_000 {
            let submitted = mirage_hvt_block_ring_submitted(ring)
            // Within the ring's slots: only the rewriting is the attack.
            while submitted &- mirage_hvt_block_ring_completed(ring) >= MIRAGE_HVT_BLOCK_RING_SLOTS - 1 { mirage_hvt_cpu_relax() }
            let slot = mirage_hvt_block_ring_slot(ring, submitted)!
            slot.pointee = mirage_hvt_block_request(operation: MIRAGE_HVT_BLOCK_READ.rawValue, status: 99, sector: 0, data: good, length: 512)
            mirage_hvt_block_ring_set_submitted(ring, submitted &+ 1)
            mirage_hvt_hypercall(MIRAGE_HVT_NET_KICK, nil)
            slot.pointee.data = memorySize + UInt64(round % 4096) * 4096
        }
    }
}
