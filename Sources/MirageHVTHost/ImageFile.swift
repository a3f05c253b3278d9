#if canImport(Glibc)
import Glibc
#endif
import CLinux
#if !hasFeature(Embedded)  // the tender's Embedded build compiles MirageHostSystem's files in
import MirageHostSystem
#endif

/// An image file's bytes: mapped read-only from the file, so that reading a guest image costs
/// a few page faults rather than a copy into growing buffers; read into memory when the file
/// cannot be mapped (a pipe), or copied from an array (tests).
///
/// The corresponding C functions are `open`, `fstat`, `mmap` and `read`.
public final class ImageFile {
    /// The whole file, valid while this object lives (`withExtendedLifetime` where nothing else
    /// keeps it).
    public let bytes: UnsafeRawBufferPointer
    /// Whether `bytes` is a mapping (else an allocation).
    private let isMapped: Bool

    /// A copy of `array`.
    public init(copying array: [UInt8]) {
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: array.count, alignment: 16)
        copy.copyBytes(from: array)
        bytes = UnsafeRawBufferPointer(copy)
        isMapped = false
    }

    /// The file at `path`.
    /// - Throws: a ``TenderError`` with ``TenderExitStatus/noInput`` naming the file and the C
    ///   library's reason when it cannot be opened or read.
    public init(path: String) throws(TenderError) {
        func failure(_ error: ErrorNumber = .last) -> TenderError {
            TenderError("\(path): \(error)", status: TenderExitStatus.noInput)
        }
        let fd: Int32
        do throws(ErrorNumber) { fd = try SystemCall.open(path, O_RDONLY | O_CLOEXEC) } catch { throw failure(error) }
        defer { SystemCall.close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw failure() }
        if mirage_is_regular_file(status.st_mode) != 0, status.st_size > 0,
           let mapping = mmap(nil, Int(status.st_size), PROT_READ, MAP_PRIVATE, fd, 0), mapping != MAP_FAILED {
            bytes = UnsafeRawBufferPointer(start: mapping, count: Int(status.st_size))
            isMapped = true
            return
        }
        // Not a regular file (read reports a directory as EISDIR), empty, or not mappable.
        var buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(Int(status.st_size), 1 << 16), alignment: 16)
        var count = 0
        while true {
            if count == buffer.count {
                let larger = UnsafeMutableRawBufferPointer.allocate(byteCount: 2 * buffer.count, alignment: 16)
                larger.copyMemory(from: UnsafeRawBufferPointer(buffer))
                buffer.deallocate()
                buffer = larger
            }
            let read: Int
            do throws(ErrorNumber) {
                read = try SystemCall.read(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[count...]))
            } catch {
                buffer.deallocate()
                throw failure(error)
            }
            if read == 0 { break }
            count += read
        }
        bytes = UnsafeRawBufferPointer(rebasing: buffer[..<count])
        isMapped = false
    }

    deinit {
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else {
            bytes.deallocate()
        }
    }
}
