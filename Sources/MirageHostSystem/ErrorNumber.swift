#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// The error number (`errno`) of a failed system call, as a typed error.
public struct ErrorNumber: Error, Equatable, CustomStringConvertible {
    public var code: Int32

    public init(code: Int32) { self.code = code }

    /// The error of the last failed call on this thread: `errno`.
    @inlinable public static var last: ErrorNumber { ErrorNumber(code: errno) }

    /// Whether the call would have blocked: `EAGAIN` (which is `EWOULDBLOCK` on Linux).
    @inlinable public var wouldBlock: Bool { code == EAGAIN || code == EWOULDBLOCK }

    /// The C library's message for the error, such as "No such device". The corresponding C
    /// function is `strerror`.
    public var description: String { String(cString: strerror(code)) }
}
