import Glibc
import MirageHostSystem
import MirageCore

/// Random bytes from the kernel's CSPRNG. The corresponding C function is `getrandom`.
///
/// A unikernel never runs without entropy: when the kernel cannot give it (a seccomp policy that
/// forbids getrandom, a kernel without it), the process says so and exits with 71 (EX_OSERR)
/// rather than run with guessable keys.
public final class UnixEntropy: EntropySource {
    /// The status the process exits with when it has no entropy.
    public static let noEntropyStatus: Int32 = 71

    public init() {}

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        do throws(ErrorNumber) {
            try SystemCall.fillRandom(buffer)
        } catch {
            fputs("swift-mirage: no entropy: getrandom failed with error \(error.code)\n", stderr)
            exit(Self.noEntropyStatus)
        }
    }
}
