/// The single-threaded cooperative scheduler every unikernel runs on (DESIGN.md, "One scheduler
/// everywhere").
///
/// Swift concurrency hands it jobs (a task ready to run a slice of its work) through the
/// executor hooks: on unix the hosted runtime's `swift_task_enqueueGlobal_hook` family
/// (``ExecutorHooks``), on hvt the Embedded runtime's `swift_task_enqueueGlobalImpl`. Jobs run one
/// at a time, in the order they became ready, on the one thread that called ``run(until:)``.
/// Timers wait in a ``TimerQueue``; when nothing is ready the scheduler asks the platform to poll
/// for device events until the earliest deadline, which is how a unikernel idles.
public final class Scheduler {
    /// Why ``run(until:)`` returned.
    public enum StopReason: Equatable, Sendable {
        /// The condition given to ``run(until:)`` became true.
        case finished
        /// The platform was asked to stop (a signal on unix).
        case stopRequested
    }

    /// The scheduler running on this thread, if any.
    public static var current: Scheduler? { ExecutorHooks.current }

    /// The running scheduler; traps with an explanation when there is none.
    public static var running: Scheduler {
        guard let current else {
            preconditionFailure("no scheduler is running: call this from a unikernel's tasks (inside Mirage.run)")
        }
        return current
    }

    struct ReadyJob {
        let job: UnownedJob
        let onMainExecutor: Bool
    }

    enum TimerAction {
        case run(UnownedJob)
        case wake(SleepWaiter)
        case alarm(Alarm, Instant)
    }

    // The queues are touched only on the scheduler's thread, and each access ends before a job
    // runs or a timer fires (which may enqueue more): no access overlaps another, so they go
    // without the run-time exclusivity check (about 80 instructions per access, several per
    // request on a busy server; the compiler's static checks stay, and Embedded Swift makes
    // no run-time check at all).
    @exclusivity(unchecked) private var ready = ReadyQueue<ReadyJob>()
    @exclusivity(unchecked) private var timers = TimerQueue<TimerAction>()
    private let clock: () -> Instant
    private let pollPlatform: (Instant) -> Void
    private let isStopRequested: () -> Bool

    /// How many jobs have run so far.
    public private(set) var jobsRun: UInt64 = 0

    /// Creates a scheduler over `platform`'s monotonic clock and poll.
    public convenience init<P: Platform>(platform: P) {
        let clock = platform.monotonicClock
        self.init(
            now: { clock.now() },
            poll: { platform.poll(until: $0) },
            stopRequested: { platform.stopRequested })
    }

    /// Creates a scheduler from its three needs: the monotonic time, a poll that waits for events
    /// until a deadline, and whether to stop.
    public init(now: @escaping () -> Instant, poll: @escaping (Instant) -> Void, stopRequested: @escaping () -> Bool) {
        clock = now
        pollPlatform = poll
        isStopRequested = stopRequested
    }

    /// The current instant on the scheduler's monotonic clock.
    public var now: Instant { clock() }

    /// The number of jobs ready to run.
    public var readyCount: Int { ready.count }

    /// The earliest timer deadline, if any timer is waiting.
    public var nextDeadline: Instant? { timers.nextDeadline }

    /// Makes `job` ready to run; jobs run in the order they were enqueued.
    public func enqueue(_ job: UnownedJob, onMainExecutor: Bool = false) {
        ready.append(ReadyJob(job: job, onMainExecutor: onMainExecutor))
    }

    /// Makes `job` ready to run at `deadline` (used for `Task.sleep` on unix).
    public func enqueue(_ job: UnownedJob, at deadline: Instant) {
        timers.insert(.run(job), deadline: deadline)
    }

    func addAlarm(_ alarm: Alarm, at deadline: Instant) {
        timers.insert(.alarm(alarm, deadline), deadline: deadline)
    }

    func addTimer(_ waiter: SleepWaiter) {
        timers.insert(.wake(waiter), deadline: waiter.deadline)
    }

    /// Runs jobs, fires timers and polls the platform until `isFinished` returns true or the
    /// platform asks to stop.
    ///
    /// Each round runs the jobs that were ready when it began, so a task that keeps yielding
    /// cannot starve timers or devices: they are checked between rounds. A task that never yields
    /// delays everything, as in any cooperative system, but loses nothing: expired timers all fire,
    /// in deadline order, once it yields.
    @discardableResult
    public func run(until isFinished: () -> Bool) -> StopReason {
        while true {
            if isFinished() { return .finished }
            if isStopRequested() { return .stopRequested }
            fireExpiredTimers()
            if ready.isEmpty {
                pollPlatform(timers.nextDeadline ?? .distantFuture)
                continue
            }
            var budget = ready.count
            while budget > 0, let next = ready.popFirst() {
                runJob(next)
                budget -= 1
            }
            // Jobs still ready, or the run is over: look at the devices without waiting (which
            // also sends what the round queued). Otherwise the next turn polls with the timers'
            // deadline and sends then, so a quiet round costs one poll (one VM exit on hvt), not two.
            if !ready.isEmpty || isFinished() || isStopRequested() { pollPlatform(.zero) }
        }
    }

    private func fireExpiredTimers() {
        guard timers.nextDeadline != nil else { return }
        let now = clock()
        while let action = timers.popExpired(now: now) {
            switch action {
            case let .run(job): enqueue(job)
            case let .wake(waiter): waiter.fire()
            case let .alarm(alarm, deadline): alarm.fire(deadline: deadline)
            }
        }
    }

    private func runJob(_ next: ReadyJob) {
        jobsRun &+= 1
        #if hasFeature(Embedded)
        swiftJobRun(next.job, genericExecutor)
        #else
        swiftJobRun(next.job, next.onMainExecutor ? MainActor.sharedUnownedExecutor : genericExecutor)
        #endif
    }
}

/// Runs a job on an executor: the concurrency runtime's `swift_job_run` (Swift calling convention).
@_silgen_name("swift_job_run")
func swiftJobRun(_ job: UnownedJob, _ executor: UnownedSerialExecutor)

/// The generic executor (`SerialExecutorRef::generic()`, two null words): "no particular executor",
/// where nonisolated async code runs.
let genericExecutor = unsafeBitCast((0 as UInt, 0 as UInt), to: UnownedSerialExecutor.self)
