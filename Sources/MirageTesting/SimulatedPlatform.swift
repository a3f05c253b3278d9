import MirageRuntime

/// A platform for tests: a manual clock, a console that records, and a poll that jumps the clock to
/// the next deadline instead of waiting, so a unikernel's hours pass in microseconds.
///
/// When nothing is ready and no timer is set, nothing could ever happen again: the poll records a
/// deadlock and asks the scheduler to stop, rather than hanging the test.
public final class SimulatedPlatform: Platform {
    public let console = RecordingConsole()
    public let wallClock: ManualWallClock
    public let monotonicClock: ManualClock
    public var bootArguments: [String]
    public var stopRequested = false
    /// Whether a poll found nothing that could ever wake the unikernel.
    public private(set) var deadlocked = false
    /// The deadlines the scheduler polled until, in order.
    public private(set) var polls: [Instant] = []
    /// Called at each poll with the deadline, before the clock moves: where a test injects events.
    public var onPoll: ((Instant) -> Void)?

    public init(bootArguments: [String] = [], start: Instant = .zero, wallTime: WallTime = WallTime(seconds: 0)) {
        self.bootArguments = bootArguments
        monotonicClock = ManualClock(start)
        wallClock = ManualWallClock(wallTime)
    }

    public func poll(until deadline: Instant) {
        polls.append(deadline)
        onPoll?(deadline)
        if deadline == .distantFuture {
            deadlocked = true
            stopRequested = true
            return
        }
        let before = monotonicClock.now()
        monotonicClock.advance(to: deadline)
        let elapsed = monotonicClock.now() - before
        wallClock.time = WallTime(seconds: wallClock.time.seconds + elapsed.components.seconds, nanoseconds: wallClock.time.nanoseconds)
    }

    public func exit(_ status: Int32) -> Never {
        preconditionFailure("the simulated unikernel exited with status \(status); use Mirage.runToCompletion in tests")
    }
}

/// A console that keeps everything written to it.
public final class RecordingConsole: Console {
    /// The bytes written, decoded as UTF-8.
    public private(set) var text = ""

    public init() {}

    public func write(_ bytes: UnsafeRawBufferPointer) {
        text += String(decoding: bytes, as: UTF8.self)
    }

    /// The lines written so far, without their newlines.
    public var lines: [String] { text.split(separator: "\n").map(String.init) }
}
