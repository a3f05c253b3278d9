#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// With `MIRAGE_HVT_BOOT_TRACE` set in its environment, the tender notes the instant each step of
/// a boot ends (CLOCK_MONOTONIC, in nanoseconds: the clock a parent can read just before it
/// spawns the tender) and prints them on standard error when it exits, in one line:
///
///     mirage-hvt: boot trace (CLOCK_MONOTONIC ns): entry=T main=T options=T ... halt=T
///
/// `Benchmarks/boot` reads the line to break the time from spawn to the guest's start down by
/// step. A mark costs a vDSO clock read; without the variable there is none. The marks live in
/// fixed buffers rather than an array of tuples, whose generic metadata the Swift runtime would
/// build at the first mark, in the time being measured.
final class BootTrace {
    private static let capacity = 32
    private let steps = UnsafeMutablePointer<StaticString>.allocate(capacity: capacity)
    private let instants = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
    private var count = 0

    /// A trace when the environment asks for one; its first mark, `entry`, is `entered` (the
    /// clock read as the program's own code began, ``now()``).
    static func fromEnvironment(entered: UInt64?) -> BootTrace? {
        guard getenv("MIRAGE_HVT_BOOT_TRACE") != nil else { return nil }
        let trace = BootTrace()
        if let entered { trace.append("entry", entered) }
        return trace
    }

    /// A trace whose first mark, `entry`, is `entered` (a `--via` client's, ``ReadyRequest``),
    /// and whose second, `request`, is `requested`: the server's child had the request.
    convenience init(entered: UInt64, requested: UInt64) {
        self.init()
        append("entry", entered)
        append("request", requested)
    }

    deinit {
        steps.deallocate()
        instants.deallocate()
    }

    /// CLOCK_MONOTONIC now, in nanoseconds.
    static func now() -> UInt64 { HypercallHandler.clock(CLOCK_MONOTONIC) }

    /// Notes that `step` ended now; a step already noted keeps its first instant (the run loop
    /// notes its first hypercall and first output once).
    func mark(_ step: StaticString) {
        guard !hasMarked(step) else { return }
        append(step, Self.now())
    }

    /// Whether `step` was noted.
    private func hasMarked(_ step: StaticString) -> Bool {
        (0..<count).contains { steps[$0].utf8Start == step.utf8Start }
    }

    private func append(_ step: StaticString, _ instant: UInt64) {
        guard count < Self.capacity else { return }
        steps[count] = step
        instants[count] = instant
        count += 1
    }

    /// The line printed at exit.
    var line: String {
        var text = "boot trace (CLOCK_MONOTONIC ns):"
        for index in 0..<count { text += " \(steps[index])=\(instants[index])" }
        return text
    }
}
