/// The size and access mode of a block device.
public struct BlockInfo: Hashable, Sendable {
    /// Bytes per sector; every transfer is a whole number of sectors.
    public var sectorSize: Int
    /// The number of sectors the device holds.
    public var sectorCount: UInt64
    /// Whether ``BlockDevice/write(at:from:)`` is allowed.
    public var isWritable: Bool

    public init(sectorSize: Int, sectorCount: UInt64, isWritable: Bool) {
        precondition(sectorSize > 0, "a sector holds at least one byte")
        self.sectorSize = sectorSize
        self.sectorCount = sectorCount
        self.isWritable = isWritable
    }

    /// The capacity in bytes.
    public var byteCount: UInt64 { UInt64(sectorSize) * sectorCount }
}

/// Why a block operation failed.
public enum BlockError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The transfer of `sectors` sectors starting at `sector` runs past the device's `sectorCount`.
    case outOfRange(sector: UInt64, sectors: UInt64, sectorCount: UInt64)
    /// The buffer's `length` in bytes is not a whole number of `sectorSize`-byte sectors.
    case partialSector(length: Int, sectorSize: Int)
    /// The device was opened read-only.
    case readOnly
    /// The device could not be opened: `reason` is the platform's explanation.
    case cannotOpen(name: String, reason: String)
    /// The device was closed or its backing store went away.
    case disconnected
    /// The platform reported an input/output error; `code` is its error number (errno on unix).
    case io(code: Int32)

    public var description: String {
        switch self {
        case let .outOfRange(sector, sectors, sectorCount):
            "sectors \(sector) ..< \(sector &+ sectors) are outside the device's \(sectorCount) sectors"
        case let .partialSector(length, sectorSize):
            "a buffer of \(length) bytes is not a whole number of \(sectorSize)-byte sectors"
        case .readOnly: "the device is read-only"
        case let .cannotOpen(name, reason): "cannot open '\(name)': \(reason)"
        case .disconnected: "the device is disconnected"
        case let .io(code): "input/output error (error number \(code))"
        }
    }
}

/// A block device: fixed-size sectors read and written by number (MirageOS's `Mirage_block`).
///
/// On unix a file (`pread`/`pwrite`); on hvt the tender's block hypercalls.
public protocol BlockDevice: AnyObject {
    /// The sector size and count, and whether writes are allowed.
    var info: BlockInfo { get }

    /// Reads `buffer.count / sectorSize` sectors starting at `sector` into `buffer`.
    ///
    /// - Throws: ``BlockError/partialSector(length:sectorSize:)`` when `buffer` is not a whole
    ///   number of sectors, ``BlockError/outOfRange(sector:sectors:sectorCount:)`` when the
    ///   sectors run past the end, or an error from the platform.
    func read(at sector: UInt64, into buffer: inout [UInt8]) async throws(BlockError)

    /// Writes `buffer` over `buffer.count / sectorSize` sectors starting at `sector`.
    ///
    /// - Throws: as ``read(at:into:)``, and ``BlockError/readOnly`` for a read-only device.
    func write(at sector: UInt64, from buffer: [UInt8]) async throws(BlockError)

    /// Returns once every completed write is on stable storage.
    func flush() async throws(BlockError)
}

extension BlockInfo {
    /// Checks that a transfer of `length` bytes at `sector` fits the device.
    ///
    /// Shared by every implementation so that they all report the same errors.
    /// - Returns: the number of sectors the transfer covers.
    public func checkTransfer(at sector: UInt64, length: Int) throws(BlockError) -> UInt64 {
        guard length % sectorSize == 0 else {
            throw .partialSector(length: length, sectorSize: sectorSize)
        }
        let sectors = UInt64(length / sectorSize)
        guard sector <= sectorCount, sectors <= sectorCount - sector else {
            throw .outOfRange(sector: sector, sectors: sectors, sectorCount: sectorCount)
        }
        return sectors
    }
}
