import MirageRuntime

/// Writes a pattern across a block device, reads it back and checks it (mirage-skeleton's
/// `device-usage/block`), then shows that an access past the end is refused with a typed error.
///
/// On unix the device is a file: `--block:storage=disk.img`.
struct BlockTest<Disk: BlockDevice>: Unikernel {
    enum Failure: Error, CustomStringConvertible {
        case device(BlockError)
        case mismatch(sector: UInt64)
        case outOfRangeAccepted

        var description: String {
            switch self {
            case let .device(error): "block device error: \(error)"
            case let .mismatch(sector): "sector \(sector) does not hold what was written"
            case .outOfRangeAccepted: "a read past the end of the device succeeded"
            }
        }
    }

    let log = LogSource("application", documentation: "the block test")
    let disk: Disk

    init(_ disk: Disk) {
        self.disk = disk
    }

    /// The pattern for `sector`: each byte a function of the sector number and the offset.
    static func pattern(sector: UInt64, sectorSize: Int) -> [UInt8] {
        (0..<sectorSize).map { offset in UInt8(truncatingIfNeeded: sector &* 31 &+ UInt64(offset) &* 7) }
    }

    func start() async throws(Failure) {
        let info = disk.info
        log.info("block device: \(info.sectorCount) sectors of \(info.sectorSize) bytes, \(info.isWritable ? "read-write" : "read-only")")
        let mismatch: UInt64?
        do {
            try await writePattern()
            log.info("wrote the pattern to all \(info.sectorCount) sectors")
            mismatch = try await firstMismatch()
        } catch {
            throw .device(error)
        }
        if let mismatch { throw .mismatch(sector: mismatch) }
        log.info("read back and verified all \(info.sectorCount) sectors")

        var past = [UInt8](repeating: 0, count: info.sectorSize)
        do {
            try await disk.read(at: info.sectorCount, into: &past)
        } catch {
            log.info("reading sector \(info.sectorCount) was refused as expected: \(error)")
            return
        }
        throw .outOfRangeAccepted
    }

    /// Writes every sector's pattern, eight sectors per request, then flushes.
    func writePattern() async throws(BlockError) {
        let info = disk.info
        var sector: UInt64 = 0
        while sector < info.sectorCount {
            let count = min(8, info.sectorCount - sector)
            var chunk: [UInt8] = []
            for offset in 0..<count { chunk += Self.pattern(sector: sector + offset, sectorSize: info.sectorSize) }
            try await disk.write(at: sector, from: chunk)
            sector += count
        }
        try await disk.flush()
    }

    /// Reads every sector back; returns the first that differs from its pattern.
    func firstMismatch() async throws(BlockError) -> UInt64? {
        let info = disk.info
        var buffer = [UInt8](repeating: 0, count: info.sectorSize)
        for sector in 0..<info.sectorCount {
            try await disk.read(at: sector, into: &buffer)
            if buffer != Self.pattern(sector: sector, sectorSize: info.sectorSize) { return sector }
        }
        return nil
    }
}
