import CMirageHVTABI
import Glibc
@testable import MirageHVTHost

extension FuzzTargets {
    /// Where the block ring target puts the ring in its 1 MiB of guest memory (page-aligned, as
    /// the hand-over requires); its good buffers lie below.
    static let blockRingRegion: UInt64 = 0xC0000
    static let blockRingSectors: UInt64 = 128
    /// The device: a file of 64 KiB, made once (the fuzzer runs the target many times a second).
    nonisolated(unsafe) static let blockRingBackend: BlockBackend? = {
        let path = "/tmp/mirage-fuzz-block-ring-\(getpid()).img"
        let file = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard file >= 0, ftruncate(file, off_t(blockRingSectors * 512)) == 0 else { return nil }
        close(file)
        defer { unlink(path) }  // the backend keeps it open
        return try? BlockBackend(name: "storage", path: path)
    }()

    /// The tender's end of the block ring (`BlockRingPort`) against a hostile guest: the input is a
    /// script of guest moves over 1 MiB of guest memory. The guest puts requests of any operation,
    /// sector, address and length in the next slot, sets the ring's count to anything and
    /// scribbles over the ring; the tender serves. Every serve must end in requests served or a
    /// violation (the guest ends), never a trap or an access outside guest memory (the
    /// sanitizers' build watches every access; a request's bytes may be the ring itself, which is
    /// guest memory too, so what the statuses say is left to BlockRingPortTests).
    static let blockRing = FuzzTarget("block-ring", "BlockRingPort: the tender's end of the hvt block ring, driven by a hostile guest") { bytes in
        guard let backend = blockRingBackend else { return }
        var input = FuzzInput(bytes)
        let memoryBytes = guestBytes
        UnsafeMutableRawBufferPointer(rebasing: memoryBytes[Int(blockRingRegion)..<Int(blockRingRegion + BlockRingPort.regionLength)])
            .initializeMemory(as: UInt8.self, repeating: 0)
        let memory = GuestMemory(bytes: memoryBytes)
        let region = memory.range(at: blockRingRegion, length: BlockRingPort.regionLength)!
        let port = BlockRingPort(device: 0, backend: backend, memory: memory, region: region)
        let ring = region.baseAddress!.bindMemory(to: mirage_hvt_block_ring.self, capacity: 1)
        for _ in 0..<64 where !input.isAtEnd {
            switch input.byte() % 4 {
            case 0:  // the guest puts a request in the next slot and submits it
                let submitted = mirage_hvt_block_ring_submitted(ring)
                let slot = mirage_hvt_block_ring_slot(ring, submitted)!
                let operation = UInt32(input.byte() % 9)  // the block calls (5, 6, 7) and others
                let sector = input.byte() == 0xFF ? UInt64(input.uint32()) << 32 | UInt64(input.uint32()) : UInt64(input.byte())
                let data = input.byte() == 0xFF ? UInt64(input.uint32()) << 32 | UInt64(input.uint32()) : UInt64(input.uint16()) << 2
                let length = input.byte() == 0xFF ? UInt64(input.uint32()) << 32 | UInt64(input.uint32()) : UInt64(input.uint16())
                slot.pointee = mirage_hvt_block_request(operation: operation, status: 99, sector: sector, data: data, length: length)
                mirage_hvt_block_ring_set_submitted(ring, submitted &+ 1)
            case 1:  // the guest sets the ring's count to anything
                mirage_hvt_block_ring_set_submitted(ring, input.uint32())
            case 2:  // the guest scribbles over the ring (slots, counts, flags)
                let offset = input.below(MemoryLayout<mirage_hvt_block_ring>.stride)
                let piece = input.piece(maximum: 64)
                piece.withUnsafeBytes { _ = memory.copy($0, to: blockRingRegion + UInt64(offset)) }
            default:  // the I/O thread serves (a read may land on the ring itself: guest memory)
                guard case .success = port.serve() else { return }
            }
        }
    }
}
