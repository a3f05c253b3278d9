import Glibc
import MirageCore

/// A console on a file descriptor: standard error by default, where a unikernel's log goes.
/// Writes are unbuffered, so nothing is lost when the process exits.
public final class UnixConsole: Console {
    public let fileDescriptor: Int32

    public init(fileDescriptor: Int32 = STDERR_FILENO) { self.fileDescriptor = fileDescriptor }

    public func write(_ bytes: UnsafeRawBufferPointer) {
        SystemCall.writeAll(fileDescriptor, bytes)
    }
}
