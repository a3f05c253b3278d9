import CMirageHVTGuest
import MirageRuntime

/// A block device the tender serves from a host file (`mirage-hvt --block:NAME=FILE`), through the
/// block hypercalls. Transfers are checked here, with the same errors as every implementation, and
/// again by the tender.
public final class HVTBlockDevice: BlockDevice {
    public let name: String
    public let info: BlockInfo
    private let index: UInt32

    private init(name: String, index: UInt32, info: BlockInfo) {
        self.name = name
        self.index = index
        self.info = info
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
                    return HVTBlockDevice(name: name, index: UInt32(index), info: info)
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

    private func transfer(_ call: mirage_hvt_hypercall, sector: UInt64, address: UnsafeRawPointer?, length: Int) -> UInt32 {
        var io = mirage_hvt_block_io(
            device: index, status: 0, sector: sector,
            data: UInt64(UInt(bitPattern: address)), length: UInt64(length))
        mirage_hvt_hypercall(call, &io)
        return io.status
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
