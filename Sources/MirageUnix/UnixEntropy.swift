import Glibc
import MirageHostSystem
import MirageCore

/// Random bytes from the kernel's CSPRNG. The corresponding C function is `getrandom`.
public final class UnixEntropy: EntropySource {
    public init() {}

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        do throws(ErrorNumber) {
            try SystemCall.fillRandom(buffer)
        } catch {
            preconditionFailure("getrandom failed: \(error)")
        }
    }
}
