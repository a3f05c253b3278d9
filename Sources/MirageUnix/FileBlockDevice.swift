import Glibc
import MirageHostSystem
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

    deinit { if fileDescriptor >= 0 { SystemCall.close(fileDescriptor) } }

    /// Opens the file at `path` as a block device of `sectorSize`-byte sectors; a trailing partial
    /// sector is not used.
    /// - Throws: ``BlockError/cannotOpen(name:reason:)`` when the file cannot be opened.
    public static func connect(path: String, sectorSize: Int = 512, readOnly: Bool = false) throws(BlockError) -> FileBlockDevice {
        let fd: Int32
        var status = stat()
        do throws(ErrorNumber) {
            fd = try SystemCall.open(path, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC)
        } catch {
            throw .cannotOpen(name: path, reason: error.description)
        }
        guard fstat(fd, &status) == 0 else {
            let reason = ErrorNumber.last.description
            SystemCall.close(fd)
            throw .cannotOpen(name: path, reason: reason)
        }
        let sectors = UInt64(status.st_size) / UInt64(sectorSize)
        return FileBlockDevice(
            path: path, fileDescriptor: fd,
            info: BlockInfo(sectorSize: sectorSize, sectorCount: sectors, isWritable: !readOnly))
    }

    /// Closes the file; later operations throw ``BlockError/disconnected``.
    public func disconnect() {
        if fileDescriptor >= 0 { SystemCall.close(fileDescriptor) }
        fileDescriptor = -1
    }

    public func read(at sector: UInt64, into buffer: inout [UInt8]) async throws(BlockError) {
        guard fileDescriptor >= 0 else { throw .disconnected }
        _ = try info.checkTransfer(at: sector, length: buffer.count)
        let fd = fileDescriptor, start = off_t(sector) * off_t(info.sectorSize)
        var failure: ErrorNumber?
        buffer.withUnsafeMutableBytes { bytes in
            do throws(ErrorNumber) { try SystemCall.transferAll(fd, bytes, at: start, writing: false) } catch { failure = error }
        }
        if let failure { throw .io(code: failure.code) }
    }

    public func write(at sector: UInt64, from buffer: [UInt8]) async throws(BlockError) {
        guard fileDescriptor >= 0 else { throw .disconnected }
        guard info.isWritable else { throw .readOnly }
        _ = try info.checkTransfer(at: sector, length: buffer.count)
        let fd = fileDescriptor, start = off_t(sector) * off_t(info.sectorSize)
        var failure: ErrorNumber?
        buffer.withUnsafeBytes { bytes in
            do throws(ErrorNumber) { try SystemCall.transferAll(fd, UnsafeMutableRawBufferPointer(mutating: bytes), at: start, writing: true) } catch { failure = error }
        }
        if let failure { throw .io(code: failure.code) }
    }

    public func flush() async throws(BlockError) {
        guard fileDescriptor >= 0 else { throw .disconnected }
        let fd = fileDescriptor
        do throws(ErrorNumber) {
            try SystemCall.fsync(fd)
        } catch {
            throw .io(code: error.code)
        }
    }
}
