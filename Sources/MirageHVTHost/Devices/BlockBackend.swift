import CMirageHVTABI
import Glibc

/// A block device the tender serves from a host file: sector `n` at byte `n * sectorSize`.
final class BlockBackend {
    static let sectorSize: UInt64 = 512

    let name: String
    let path: String
    let fileDescriptor: Int32
    let sectorCount: UInt64
    let writable: Bool

    /// Opens `path` read-write, or read-only when the file does not allow writing.
    init(name: String, path: String) throws(TenderError) {
        self.name = name
        self.path = path
        var fd = open(path, O_RDWR | O_CLOEXEC)
        var writable = true
        if fd < 0 && (errno == EACCES || errno == EROFS) {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            writable = false
        }
        guard fd >= 0 else {
            throw TenderError("--block:\(name)=\(path): \(String(cString: strerror(errno)))", status: TenderExitStatus.noInput)
        }
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            throw TenderError("--block:\(name)=\(path): not a regular file", status: TenderExitStatus.noInput)
        }
        fileDescriptor = fd
        sectorCount = UInt64(status.st_size) / Self.sectorSize
        self.writable = writable
    }

    deinit { close(fileDescriptor) }

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
        var done = 0
        while done < bytes.count {
            let offset = off_t(sector * Self.sectorSize) + off_t(done)
            let count = write
                ? pwrite(fileDescriptor, bytes.baseAddress! + done, bytes.count - done, offset)
                : pread(fileDescriptor, bytes.baseAddress! + done, bytes.count - done, offset)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return false }
            done += count
        }
        return true
    }
}
