import CMirageHVTABI

extension HypercallHandler {
    /// Serves `MIRAGE_HVT_BLOCK_RING` (mirage_hvt_abi.h, "Block ring"): checks the region the guest
    /// gives (page-aligned, inside its memory, long enough), then hands the block device to the
    /// I/O thread, which serves its requests from the ring from now on; the poll reports it ready
    /// once they are all served.
    ///
    /// A region outside guest memory (or not page-aligned, or too short) ends the guest as
    /// crashed; a device that is not a block device the vCPU thread serves (or a tender without an
    /// I/O thread) gets INVALID, and its requests go on through the block calls.
    func blockRing(_ argument: UInt64) -> Outcome {
        guard let setup = memory.withStruct(mirage_hvt_block_ring_setup.self, at: argument, { $0.pointee }) else {
            return .crash(badArgument("block ring", argument))
        }
        let device = Int(setup.device)
        guard let region = ringRegion(at: setup.region, given: setup.region_length, needs: BlockRingPort.regionLength) else {
            return badRegion("block device \(device) a ring", at: setup.region, given: setup.region_length, needs: BlockRingPort.regionLength)
        }
        guard let ioThread, let backend = blocks[device] else {
            _ = memory.withStruct(mirage_hvt_block_ring_setup.self, at: argument) { $0.pointee.status = MIRAGE_HVT_INVALID.rawValue }
            return .resume
        }
        blocks[device] = nil
        let port = BlockRingPort(device: device, backend: backend, memory: memory, region: region)
        blockRings.append((device, region.baseAddress!.bindMemory(to: mirage_hvt_block_ring.self, capacity: 1)))
        watchRingsOnce(ioThread)
        ioThread.add(port)
        _ = memory.withStruct(mirage_hvt_block_ring_setup.self, at: argument) { $0.pointee.status = MIRAGE_HVT_OK.rawValue }
        return .resume
    }
}
