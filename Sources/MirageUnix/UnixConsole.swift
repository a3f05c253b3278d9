import Glibc
import MirageHostSystem
import MirageCore

/// A console on a file descriptor: standard error by default, where a unikernel's log goes.
/// Writes are unbuffered, so nothing is lost when the process exits.
public final class UnixConsole: Console {
    public let fileDescriptor: Int32

    public init(fileDescriptor: Int32 = STDERR_FILENO) { self.fileDescriptor = fileDescriptor }

    /// Writes all of `bytes`; a failure (standard error closed) loses them, as nothing else can
    /// be done with a log line.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        try? SystemCall.writeAll(fileDescriptor, bytes)
    }
}
