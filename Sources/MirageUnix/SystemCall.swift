import Glibc

/// Linux system calls behind Swift names, EINTR retried in one place (as swift-system does).
enum SystemCall {
    /// Calls `body` until it does not fail with EINTR; returns its result, or `-errno` on failure.
    static func retryingInterrupts<Result: FixedWidthInteger>(_ body: () -> Result) -> Result {
        while true {
            let result = body()
            if result >= 0 { return result }
            if errno != EINTR { return Result(-Int64(errno)) }
        }
    }

    /// Writes all of `bytes` to `fd`, retrying short writes. The corresponding C function is `write`.
    /// - Returns: 0, or the error number of the failure.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let written = retryingInterrupts { Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
            if written < 0 { return Int32(-written) }
            offset += written
        }
        return 0
    }
}
