#if canImport(Glibc)
import Glibc
#endif
import CLinux
#if !hasFeature(Embedded)  // the shim's Embedded build compiles these modules' files in
import MirageHostSystem
#endif

/// Whole files on the host, read and written with system calls (`mirage-runc` runs for every
/// command of every container and links no Foundation, so that it starts in a millisecond).
public enum HostFile {
    /// The largest file read whole: a bundle's `config.json` and an image's `mirage.json` are a few KiB.
    public static let maximumSize = 4 << 20

    /// The bytes of the file at `path`; nil when it cannot be opened.
    /// - Throws: a message when it is larger than ``maximumSize`` or cannot be read.
    public static func read(_ path: String) throws(RuntimeError) -> [UInt8]? {
        let fd: Int32
        do { fd = try SystemCall.open(path, O_RDONLY | O_CLOEXEC) } catch { return nil }
        defer { SystemCall.close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                SystemCall.retryingInterrupts { CLinux.read(fd, buffer.baseAddress, buffer.count) }
            }
            guard count >= 0 else { throw RuntimeError("cannot read \(path): \(ErrorNumber.last)") }
            if count == 0 { return bytes }
            bytes += chunk[..<count]
            guard bytes.count <= maximumSize else { throw RuntimeError("\(path) is larger than \(maximumSize >> 20) MiB") }
        }
    }

    /// Replaces the file at `path` with `bytes` (created with mode 0644 when missing).
    public static func write(_ bytes: [UInt8], to path: String) throws(RuntimeError) {
        let fd: Int32
        do { fd = try SystemCall.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode: 0o644) } catch {
            throw RuntimeError("cannot write \(path): \(error)")
        }
        defer { SystemCall.close(fd) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                SystemCall.retryingInterrupts { CLinux.write(fd, buffer.baseAddress! + written, buffer.count - written) }
            }
            guard count > 0 else { throw RuntimeError("cannot write \(path): \(ErrorNumber.last)") }
            written += count
        }
    }

    /// Appends `bytes` to the file at `path`, creating it; errors are ignored (a log line).
    public static func append(_ bytes: [UInt8], to path: String) {
        guard let fd = try? SystemCall.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode: 0o644) else { return }
        defer { SystemCall.close(fd) }
        _ = bytes.withUnsafeBytes { buffer in CLinux.write(fd, buffer.baseAddress, buffer.count) } // O_APPEND: one line at once
    }

    /// Removes the file at `path`; a missing one is no error.
    public static func remove(_ path: String) {
        unlink(path)
    }
}
