import Glibc

/// With `MIRAGE_HVT_BOOT_TRACE` set in its environment, the tender notes the instant each step of
/// a boot ends (CLOCK_MONOTONIC, in nanoseconds: the clock a parent can read just before it
/// spawns the tender) and prints them on standard error when it exits, in one line:
///
///     mirage-hvt: boot trace (CLOCK_MONOTONIC ns): main=T options=T ... halt=T
///
/// `Benchmarks/boot` reads the line to break the time from spawn to the guest's start down by
/// step. A mark costs a vDSO clock read; without the variable there is none.
final class BootTrace {
    /// A step's name and the instant it ended.
    private(set) var marks: [(step: StaticString, nanoseconds: UInt64)] = []

    /// A trace when the environment asks for one.
    static func fromEnvironment() -> BootTrace? {
        getenv("MIRAGE_HVT_BOOT_TRACE") != nil ? BootTrace() : nil
    }

    init() { marks.reserveCapacity(24) }

    /// Notes that `step` ended now; a step already noted keeps its first instant (the run loop
    /// notes its first hypercall and first output once).
    func mark(_ step: StaticString) {
        for mark in marks where mark.step.utf8Start == step.utf8Start { return }
        marks.append((step, HypercallHandler.clock(CLOCK_MONOTONIC)))
    }

    /// Whether `step` was noted.
    func hasMarked(_ step: StaticString) -> Bool {
        marks.contains { $0.step.utf8Start == step.utf8Start }
    }

    /// The line printed at exit.
    var line: String {
        var text = "boot trace (CLOCK_MONOTONIC ns):"
        for mark in marks { text += " \(mark.step)=\(mark.nanoseconds)" }
        return text
    }
}
