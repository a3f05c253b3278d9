import MirageRuntime
import Testing

/// The adaptive spin before a platform sleeps: it grows toward its limit while work comes soon
/// after the guest starts sleeping, and shrinks to nothing while it does not.
@Suite("Poll spin")
struct PollSpinTests {
    @Test("a spin that would have caught the work grows, doubling from 10 µs up to the limit")
    func grows() {
        var spin = PollSpin(limit: .microseconds(50))
        #expect(spin.current == .microseconds(50), "it starts at the limit")
        // Quiet: sleeps of a millisecond halve it to nothing.
        var seen: [Duration] = []
        for _ in 0..<4 {
            spin.slept(after: spin.current, for: .milliseconds(1), wokenByWork: true)
            seen.append(spin.current)
        }
        #expect(seen == [.microseconds(25), .microseconds(12.5), .zero, .zero])
        // Work 45 µs after each wait begins: 10, 20, 40, then the limit, whose spin catches it
        // (a wait whose spin finds work is not reported).
        seen = []
        for _ in 0..<4 {
            spin.slept(after: spin.current, for: .microseconds(45) - spin.current, wokenByWork: true)
            seen.append(spin.current)
        }
        #expect(seen == [.microseconds(10), .microseconds(20), .microseconds(40), .microseconds(50)])
        spin.slept(after: .microseconds(50), for: .microseconds(5), wokenByWork: true)
        #expect(spin.current == .microseconds(25), "55 µs: later than a spin of the limit waits")
    }

    @Test("work later than the limit, or a sleep its deadline ended, shrinks it")
    func shrinks() {
        var spin = PollSpin(limit: .microseconds(100))
        spin.slept(after: .microseconds(100), for: .microseconds(1), wokenByWork: true)
        #expect(spin.current == .microseconds(50), "100 + 1 µs: a spin of the limit would not have caught it")
        spin.slept(after: .microseconds(50), for: .microseconds(40), wokenByWork: false)
        #expect(spin.current == .microseconds(25), "the deadline, not work, ended the sleep")
        spin.slept(after: .microseconds(25), for: .microseconds(75), wokenByWork: true)
        #expect(spin.current == .microseconds(50), "25 + 75 µs is within the limit")
    }

    @Test("a limit of 0 never spins, whatever happens")
    func off() {
        var spin = PollSpin(limit: .zero)
        for slept in [Duration.zero, .microseconds(1), .seconds(1)] {
            spin.slept(after: .zero, for: slept, wokenByWork: true)
            #expect(spin.current == .zero)
        }
        #expect(PollSpin(limit: .microseconds(-5)).current == .zero)
    }

    @Test("a limit under 10 µs grows to the limit, not past it")
    func smallLimit() {
        var spin = PollSpin(limit: .microseconds(4))
        spin.slept(after: .microseconds(4), for: .microseconds(10), wokenByWork: true)
        #expect(spin.current == .zero)
        spin.slept(after: .zero, for: .microseconds(1), wokenByWork: true)
        #expect(spin.current == .microseconds(4))
    }
}
