import MirageCore

/// A block device in memory, for tests: sectors in an array, with the same checks and errors as
/// every other implementation (``BlockInfo/checkTransfer(at:length:)``).
public final class MemoryBlockDevice: BlockDevice {
    public let info: BlockInfo
    /// The device's bytes.
    public private(set) var contents: [UInt8]
    /// How many reads, writes and flushes happened.
    public private(set) var reads = 0
    public private(set) var writes = 0
    public private(set) var flushes = 0

    public init(sectorSize: Int = 512, sectorCount: UInt64, isWritable: Bool = true) {
        info = BlockInfo(sectorSize: sectorSize, sectorCount: sectorCount, isWritable: isWritable)
        contents = [UInt8](repeating: 0, count: sectorSize * Int(sectorCount))
    }

    public func read(at sector: UInt64, into buffer: inout [UInt8]) async throws(BlockError) {
        _ = try info.checkTransfer(at: sector, length: buffer.count)
        let start = Int(sector) * info.sectorSize
        buffer.replaceSubrange(0..<buffer.count, with: contents[start..<start + buffer.count])
        reads += 1
    }

    public func write(at sector: UInt64, from buffer: [UInt8]) async throws(BlockError) {
        guard info.isWritable else { throw .readOnly }
        _ = try info.checkTransfer(at: sector, length: buffer.count)
        let start = Int(sector) * info.sectorSize
        contents.replaceSubrange(start..<start + buffer.count, with: buffer)
        writes += 1
    }

    public func flush() async throws(BlockError) {
        flushes += 1
    }
}
