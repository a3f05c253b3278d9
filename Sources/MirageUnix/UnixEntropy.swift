import CLinux
import Glibc
import MirageCore

/// Random bytes from the kernel's CSPRNG. The corresponding C function is `getrandom`.
public final class UnixEntropy: EntropySource {
    public init() {}

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset < buffer.count {
            let count = SystemCall.retryingInterrupts { getrandom(buffer.baseAddress! + offset, buffer.count - offset, 0) }
            precondition(count > 0, "getrandom failed: error number \(-count)")
            offset += count
        }
    }
}
