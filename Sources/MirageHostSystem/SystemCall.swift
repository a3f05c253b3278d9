#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// Linux system calls behind Swift names for the hosted code (the unix platform, the hvt tender
/// and the tool), EINTR retried in one place and `errno` turned into a typed ``ErrorNumber``, as
/// swift-system does. Each function names its C function in its documentation.
///
/// Everything is `@inlinable`: the calls are on the unix platform's data path (a tap `read` per
/// frame) and on the tender's start, where a generic function called across modules would look up
/// type metadata at run time.
public enum SystemCall {
    /// Calls `body` until it does not fail with EINTR; returns its result, or `-errno` on failure.
    @inlinable
    public static func retryingInterrupts<Result: FixedWidthInteger>(_ body: () -> Result) -> Result {
        while true {
            let result = body()
            if result >= 0 { return result }
            if errno != EINTR { return Result(-Int64(errno)) }
        }
    }

    /// Calls `body` as ``retryingInterrupts(_:)`` does and throws the error number of a failure.
    @inlinable
    public static func checked<Result: FixedWidthInteger & SignedInteger>(_ body: () -> Result) throws(ErrorNumber) -> Result {
        let result = retryingInterrupts(body)
        if result < 0 { throw ErrorNumber(code: Int32(-result)) }
        return result
    }
}
