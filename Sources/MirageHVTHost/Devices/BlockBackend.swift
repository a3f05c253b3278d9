#if canImport(Glibc)
import Glibc
#endif
import CLinux
import CMirageHVTABI
#if !hasFeature(Embedded)  // the tender's Embedded build compiles MirageHostSystem's files in
import MirageHostSystem
#endif

/// A block device the tender serves from a host file or block device (a raw block volume):
/// sector `n` at byte `n * sectorSize`.
public final class BlockBackend {
    static let sectorSize: UInt64 = 512

    let name: String
    let path: String
    let fileDescriptor: Int32
    let sectorCount: UInt64
    let writable: Bool

    /// Opens `path` read-write, or read-only when the file does not allow writing.
    public init(name: String, path: String) throws(TenderError) {
        self.name = name
        self.path = path
        let fd: Int32
        var writable = true
        do throws(ErrorNumber) {
            do throws(ErrorNumber) {
                fd = try SystemCall.open(path, O_RDWR | O_CLOEXEC)
            } catch where error.code == EACCES || error.code == EROFS {
                fd = try SystemCall.open(path, O_RDONLY | O_CLOEXEC)
                writable = false
            }
        } catch {
            throw TenderError("--block:\(name)=\(path): \(error)", status: TenderExitStatus.noInput)
        }
        var status = stat()
        let size: off_t
        if fstat(fd, &status) == 0, mirage_is_regular_file(status.st_mode) != 0 {
            size = status.st_size
        } else if mirage_is_block_device(status.st_mode) != 0 {
            size = lseek(fd, 0, SEEK_END) // a block device's size is where its end is
        } else {
            size = -1
        }
        guard size >= 0 else {
            SystemCall.close(fd)
            throw TenderError("--block:\(name)=\(path): not a regular file or block device", status: TenderExitStatus.noInput)
        }
        fileDescriptor = fd
        sectorCount = UInt64(size) / Self.sectorSize
        self.writable = writable
    }

    deinit { SystemCall.close(fileDescriptor) }

    var tableEntry: DeviceTableEntry {
        DeviceTableEntry(kind: MIRAGE_HVT_DEVICE_BLOCK, name: name, writable: writable,
                         sectorSize: Self.sectorSize, sectorCount: sectorCount)
    }

    /// Whether `length` bytes at `sector` are whole sectors inside the device.
    func fits(sector: UInt64, length: UInt64) -> Bool {
        guard length % Self.sectorSize == 0 else { return false }
        let sectors = length / Self.sectorSize
        return sector <= sectorCount && sectors <= sectorCount - sector
    }

    /// Reads or writes all of `bytes` at `sector`; returns false on a host error.
    func transfer(_ bytes: UnsafeMutableRawBufferPointer, at sector: UInt64, write: Bool) -> Bool {
        (try? SystemCall.transferAll(fileDescriptor, bytes, at: off_t(sector * Self.sectorSize), writing: write)) != nil
    }

    /// Flushes the file to its device; returns false on a host error.
    func flush() -> Bool {
        (try? SystemCall.fsync(fileDescriptor)) != nil
    }

    /// What serving a request gives: the status for the guest, or why the guest must end.
    enum Served: Equatable {
        case status(UInt32)
        /// The request's bytes lie outside guest memory.
        case outsideMemory(String)
    }

    /// Serves one request, a block call's or a block ring slot's (mirage_hvt_abi.h): `operation`
    /// is the call's number, MIRAGE_HVT_BLOCK_READ, _WRITE or _FLUSH (another is INVALID); the
    /// range must be whole sectors inside the device (else INVALID), a write needs a writable
    /// device (else UNSUPPORTED), and the bytes must lie in `memory`.
    func serve(_ operation: UInt64, sector: UInt64, data: UInt64, length: UInt64, in memory: GuestMemory) -> Served {
        switch operation {
        case UInt64(MIRAGE_HVT_BLOCK_FLUSH.rawValue):
            return .status(flush() ? MIRAGE_HVT_OK.rawValue : MIRAGE_HVT_IO_ERROR.rawValue)
        case UInt64(MIRAGE_HVT_BLOCK_READ.rawValue), UInt64(MIRAGE_HVT_BLOCK_WRITE.rawValue):
            let isWrite = operation == UInt64(MIRAGE_HVT_BLOCK_WRITE.rawValue)
            guard fits(sector: sector, length: length) else { return .status(MIRAGE_HVT_INVALID.rawValue) }
            if isWrite && !writable { return .status(MIRAGE_HVT_UNSUPPORTED.rawValue) }
            guard let bytes = memory.range(at: data, length: length) else {
                return .outsideMemory("the guest asked to \(isWrite ? "write" : "read") \(length) bytes at 0x\(String(data, radix: 16)) of block device \(name), outside its memory")
            }
            return .status(transfer(bytes, at: sector, write: isWrite) ? MIRAGE_HVT_OK.rawValue : MIRAGE_HVT_IO_ERROR.rawValue)
        default:
            return .status(MIRAGE_HVT_INVALID.rawValue)
        }
    }
}
