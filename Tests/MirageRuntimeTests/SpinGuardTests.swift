import MirageCore
import MirageRuntime
import Testing

/// The guard that lets a poll spin run only while the host's other tasks do not wait for a CPU,
/// from the total CPU stall (Linux's pressure stall information) it reads at most once a window.
@Suite("Spin guard")
struct SpinGuardTests {
    /// A stall total that grows by `step` at each reading, and counts its readings.
    final class Stall {
        var total = Duration.seconds(100)
        var step: Duration
        var readings = 0
        var readable = true
        init(step: Duration) { self.step = step }
        func read() -> Duration? {
            readings += 1
            guard readable else { return nil }
            total += step
            return total
        }
    }

    /// Asks `guardian` at `microseconds` from the start, reading `stall`.
    static func allows(_ guardian: inout SpinGuard, at microseconds: Int64, _ stall: Stall) -> Bool {
        guardian.allowsSpin(now: Instant(nanoseconds: UInt64(microseconds) * 1000), readStallTotal: stall.read)
    }

    @Test("a quiet host: the spin runs, and the total is read at most once a millisecond")
    func quietHost() {
        var guardian = SpinGuard()
        let stall = Stall(step: .zero)
        for microseconds in stride(from: Int64(0), to: 5_000, by: 100) {
            #expect(Self.allows(&guardian, at: microseconds, stall))
        }
        #expect(stall.readings == 5, "readings at 0, 1, 2, 3 and 4 ms")
    }

    @Test("tasks waiting for a CPU more than a fifth of the time: the spin stands back for 100 ms, then looks again")
    func contendedHost() {
        var guardian = SpinGuard()
        let stall = Stall(step: .microseconds(201))  // 201 µs of stall a millisecond: over a fifth
        #expect(Self.allows(&guardian, at: 0, stall), "the first reading has nothing to compare with")
        #expect(!Self.allows(&guardian, at: 1_000, stall))
        #expect(stall.readings == 2)
        for microseconds in stride(from: Int64(1_000), to: 101_000, by: 500) {
            #expect(!Self.allows(&guardian, at: microseconds, stall))
        }
        #expect(stall.readings == 2, "no reading while it stands back")
        // 100 ms later the host is quiet: 201 µs over 100 ms is well under a fifth.
        #expect(Self.allows(&guardian, at: 101_000, stall))
        #expect(stall.readings == 3)
    }

    @Test("a fifth of the time exactly is not contended; a microsecond more is")
    func boundary() {
        var atFifth = SpinGuard()
        let fifth = Stall(step: .microseconds(200))
        #expect(Self.allows(&atFifth, at: 0, fifth))
        #expect(Self.allows(&atFifth, at: 1_000, fifth))
        var overFifth = SpinGuard()
        let over = Stall(step: .microseconds(201))
        #expect(Self.allows(&overFifth, at: 0, over))
        #expect(!Self.allows(&overFifth, at: 1_000, over))
    }

    @Test("a total that cannot be read: the spin stands back, and the guard tries again after the back-off")
    func unreadable() {
        var guardian = SpinGuard()
        let stall = Stall(step: .zero)
        stall.readable = false
        #expect(!Self.allows(&guardian, at: 0, stall))
        #expect(!Self.allows(&guardian, at: 50_000, stall))
        #expect(stall.readings == 1)
        stall.readable = true
        #expect(Self.allows(&guardian, at: 100_000, stall), "readable again: a first reading")
        #expect(Self.allows(&guardian, at: 101_000, stall))
        #expect(stall.readings == 3)
    }
}
