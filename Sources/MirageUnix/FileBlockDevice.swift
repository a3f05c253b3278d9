import Glibc
import MirageCore

/// A block device backed by a file on the host (MirageOS's `block_of_file`): sector `n` is the
/// bytes at `n * sectorSize`. Reads and writes are `pread`/`pwrite`, flush is `fsync`; every
/// transfer is checked against the file's size first.
public final class FileBlockDevice: BlockDevice {
    public let path: String
    public let info: BlockInfo
    private var fileDescriptor: Int32

    private init(path: String, fileDescriptor: Int32, info: BlockInfo) {
        self.path = path
        self.fileDescriptor = fileDescriptor
        self.info = info
    }

    deinit { if fileDescriptor >= 0 { close(fileDescriptor) } }

    /// Opens the file at `path` as a block device of `sectorSize`-byte sectors; a trailing partial
    /// sector is not used.
    /// - Throws: ``BlockError/cannotOpen(name:reason:)`` when the file cannot be opened.
    public static func connect(path: String, sectorSize: Int = 512, readOnly: Bool = false) throws(BlockError) -> FileBlockDevice {
        let fd = SystemCall.retryingInterrupts { open(path, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC) }
        guard fd >= 0 else { throw .cannotOpen(name: path, reason: String(cString: strerror(-fd))) }
        var status = stat()
        guard fstat(fd, &status) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .cannotOpen(name: path, reason: reason)
        }
        let sectors = UInt64(status.st_size) / UInt64(sectorSize)
        return FileBlockDevice(
            path: path, fileDescriptor: fd,
            info: BlockInfo(sectorSize: sectorSize, sectorCount: sectors, isWritable: !readOnly))
    }

    /// Closes the file; later operations throw ``BlockError/disconnected``.
    public func disconnect() {
        if fileDescriptor >= 0 { close(fileDescriptor) }
        fileDescriptor = -1
    }

    public func read(at sector: UInt64, into buffer: inout [UInt8]) async throws(BlockError) {
        guard fileDescriptor >= 0 else { throw .disconnected }
        _ = try info.checkTransfer(at: sector, length: buffer.count)
        let fd = fileDescriptor, start = off_t(sector) * off_t(info.sectorSize)
        let failure: Int32 = buffer.withUnsafeMutableBytes { bytes in
            Self.transferAll(bytes.count) { done in pread(fd, bytes.baseAddress! + done, bytes.count - done, start + off_t(done)) }
        }
        if failure != 0 { throw .io(code: failure) }
    }

    public func write(at sector: UInt64, from buffer: [UInt8]) async throws(BlockError) {
        guard fileDescriptor >= 0 else { throw .disconnected }
        guard info.isWritable else { throw .readOnly }
        _ = try info.checkTransfer(at: sector, length: buffer.count)
        let fd = fileDescriptor, start = off_t(sector) * off_t(info.sectorSize)
        let failure: Int32 = buffer.withUnsafeBytes { bytes in
            Self.transferAll(bytes.count) { done in pwrite(fd, bytes.baseAddress! + done, bytes.count - done, start + off_t(done)) }
        }
        if failure != 0 { throw .io(code: failure) }
    }

    /// Repeats `transfer` (a `pread` or `pwrite` of the bytes from offset `done` on) until `length`
    /// bytes have moved, retrying EINTR and short transfers.
    /// - Returns: 0, or the error number; a transfer of no bytes (end of file) is `EIO`.
    private static func transferAll(_ length: Int, _ transfer: (_ done: Int) -> Int) -> Int32 {
        var done = 0
        while done < length {
            let count = SystemCall.retryingInterrupts { transfer(done) }
            if count < 0 { return Int32(-count) }
            if count == 0 { return EIO }
            done += count
        }
        return 0
    }

    public func flush() async throws(BlockError) {
        guard fileDescriptor >= 0 else { throw .disconnected }
        let fd = fileDescriptor
        let result = SystemCall.retryingInterrupts { fsync(fd) }
        if result < 0 { throw .io(code: -result) }
    }
}
