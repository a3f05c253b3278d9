#if canImport(CMirageExecutorHooks)
import CMirageExecutorHooks
@_spi(ExperimentalCustomExecutors) @_spi(ExperimentalScheduling) import _Concurrency

/// Routes the hosted Swift concurrency runtime's jobs to the running ``Scheduler``.
///
/// While a thread runs a scheduler, every job enqueued on that thread (global, main-executor or
/// delayed, as `Task.sleep` makes) goes to the scheduler's queues; jobs enqueued on other threads
/// go to the runtime's own executor. The C trampolines live in `CMirageExecutorHooks`.
///
/// Since Swift 6.2, `Task.yield()` and `Task.sleep` enqueue on `Task.currentExecutor`, which is
/// the process's default executor rather than the hooked global queue; so the default executor
/// is replaced too (``RoutingExecutor``), with the same per-thread routing.
enum ExecutorHooks {
    private nonisolated(unsafe) static var installed = false

    /// Runs `body` with the calling thread's jobs routed to `scheduler`.
    static func withJobsRouted<Result>(to scheduler: Scheduler, _ body: () -> Result) -> Result {
        if !installed {
            installed = true
            _createExecutors(factory: RoutingExecutorFactory.self)
            mirage_executor_hooks_install(
                { scheduler, job, onMain in
                    let scheduler = Unmanaged<Scheduler>.fromOpaque(scheduler!).takeUnretainedValue()
                    scheduler.enqueue(unsafeBitCast(job, to: UnownedJob.self), onMainExecutor: onMain != 0)
                },
                { scheduler, job, delay in
                    let scheduler = Unmanaged<Scheduler>.fromOpaque(scheduler!).takeUnretainedValue()
                    let deadline = scheduler.now + .nanoseconds(Int64(clamping: delay))
                    scheduler.enqueue(unsafeBitCast(job, to: UnownedJob.self), at: deadline)
                })
        }
        let previous = mirage_executor_hooks_set_current(Unmanaged.passUnretained(scheduler).toOpaque())
        defer { mirage_executor_hooks_set_current(previous) }
        return withExtendedLifetime(scheduler) { body() }
    }

    /// The scheduler running on the calling thread.
    static var current: Scheduler? {
        mirage_executor_hooks_current().map { Unmanaged<Scheduler>.fromOpaque($0).takeUnretainedValue() }
    }
}

/// The process's default executor while MirageRuntime is loaded: jobs enqueued on a thread that
/// runs a ``Scheduler`` go to it; all others go to the platform's own default executor.
final class RoutingExecutor: TaskExecutor, SchedulingExecutor, @unchecked Sendable {
    static let shared = RoutingExecutor()
    let platformDefault = PlatformExecutorFactory.defaultExecutor

    func enqueue(_ job: consuming ExecutorJob) {
        if let scheduler = Scheduler.current {
            scheduler.enqueue(UnownedJob(job))
        } else {
            platformDefault.enqueue(job)
        }
    }

    func enqueue<C: Clock>(_ job: consuming ExecutorJob, after delay: C.Duration, tolerance: C.Duration?, clock: C) {
        if let scheduler = Scheduler.current, let delay = delay as? Duration {
            scheduler.enqueue(UnownedJob(job), at: scheduler.now + delay)
        } else if let fallback = platformDefault as? any SchedulingExecutor {
            fallback.enqueue(job, after: delay, tolerance: tolerance, clock: clock)
        } else {
            preconditionFailure("the platform's default executor cannot schedule delayed jobs")
        }
    }

    func enqueue<C: Clock>(_ job: consuming ExecutorJob, at instant: C.Instant, tolerance: C.Duration?, clock: C) {
        if let scheduler = Scheduler.current, let delay = clock.now.duration(to: instant) as? Duration {
            scheduler.enqueue(UnownedJob(job), at: scheduler.now + delay)
        } else if let fallback = platformDefault as? any SchedulingExecutor {
            fallback.enqueue(job, at: instant, tolerance: tolerance, clock: clock)
        } else {
            preconditionFailure("the platform's default executor cannot schedule delayed jobs")
        }
    }
}

/// Installs ``RoutingExecutor`` as the default executor and keeps the platform's main executor.
enum RoutingExecutorFactory: ExecutorFactory {
    static var mainExecutor: any MainExecutor { PlatformExecutorFactory.mainExecutor }
    static var defaultExecutor: any TaskExecutor { RoutingExecutor.shared }
}
#else

/// On Embedded targets the platform's support code implements the concurrency runtime's
/// `swift_task_enqueueGlobalImpl` hooks by calling these functions.
enum ExecutorHooks {
    /// The one scheduler: the guest has one thread.
    nonisolated(unsafe) static var current: Scheduler?

    static func withJobsRouted<Result>(to scheduler: Scheduler, _ body: () -> Result) -> Result {
        let previous = current
        current = scheduler
        defer { current = previous }
        return body()
    }
}

/// Receives a job from the Embedded concurrency runtime (`swift_task_enqueueGlobalImpl`).
@_cdecl("mirage_runtime_enqueue_job")
public func mirageRuntimeEnqueueJob(_ job: UnsafeMutableRawPointer) {
    Scheduler.running.enqueue(unsafeBitCast(job, to: UnownedJob.self))
}

/// Receives a delayed job (`swift_task_enqueueGlobalWithDelayImpl`), `delay` in nanoseconds.
@_cdecl("mirage_runtime_enqueue_delayed_job")
public func mirageRuntimeEnqueueDelayedJob(_ job: UnsafeMutableRawPointer, _ delay: UInt64) {
    let scheduler = Scheduler.running
    scheduler.enqueue(unsafeBitCast(job, to: UnownedJob.self), at: scheduler.now + .nanoseconds(Int64(clamping: delay)))
}
#endif
