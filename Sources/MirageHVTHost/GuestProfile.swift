#if canImport(Glibc)
import Glibc
#endif
import CKVM
import CLinux
#if !hasFeature(Embedded)  // the tender's Embedded build compiles MirageHostSystem's files in
import MirageHostSystem
#endif

/// A sampling profile of the guest, for finding where its time goes (the host's `perf` sees only
/// KVM under PVM): with `MIRAGE_HVT_PROFILE=FILE` in the tender's environment, a timer stops the
/// vCPU every `interval` (SIGPROF: KVM_RUN returns EINTR), the run loop records the guest's
/// instruction pointer and resumes it, and at the end FILE gets one line per address,
/// `ADDRESS COUNT` in hex and decimal, most frequent first. `scripts/profile-guest` names the
/// functions from the unstripped image. A diagnostic: off unless asked for, bounded in samples.
final class GuestProfile {
    /// The most samples kept: a minute at the default rate.
    static let maximumSamples = 60_000
    private let output: Int32
    private var counts: [UInt64: Int] = [:]
    private(set) var samples = 0

    /// Opens FILE and starts the timer (before the seccomp filter, which allows neither).
    init?(path: String, intervalMicroseconds: Int = 1000) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { return nil }
        guard mirage_start_profile_timer(intervalMicroseconds * 1000) == 0 else {
            close(descriptor)
            return nil
        }
        output = descriptor
    }

    func record(_ address: UInt64) {
        guard samples < Self.maximumSamples else { return }
        samples += 1
        counts[address, default: 0] += 1
    }

    /// Writes the counts to FILE.
    func finish() {
        var text = ""
        for (address, count) in counts.sorted(by: { $0.value > $1.value }) {
            text += String(address, radix: 16) + " " + String(count) + "\n"
        }
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { try? SystemCall.writeAll(output, $0) }
        close(output)
    }
}
