#if canImport(CMirageExecutorHooks)
import CMirageExecutorHooks

/// Routes the hosted Swift concurrency runtime's jobs to the running ``Scheduler``.
///
/// While a thread runs a scheduler, every job enqueued on that thread (global, main-executor or
/// delayed, as `Task.sleep` makes) goes to the scheduler's queues; jobs enqueued on other threads
/// go to the runtime's own executor. The C trampolines live in `CMirageExecutorHooks`.
enum ExecutorHooks {
    private nonisolated(unsafe) static var installed = false

    /// Runs `body` with the calling thread's jobs routed to `scheduler`.
    static func withJobsRouted<Result>(to scheduler: Scheduler, _ body: () -> Result) -> Result {
        if !installed {
            installed = true
            mirage_executor_hooks_install(
                { job, onMain in
                    Scheduler.running.enqueue(unsafeBitCast(job, to: UnownedJob.self), onMainExecutor: onMain != 0)
                },
                { job, delay in
                    let scheduler = Scheduler.running
                    let deadline = scheduler.now + .nanoseconds(Int64(clamping: delay))
                    scheduler.enqueue(unsafeBitCast(job, to: UnownedJob.self), at: deadline)
                })
        }
        let previousScheduler = Scheduler.current
        let previousClaim = mirage_executor_hooks_claim_thread(1)
        Scheduler.current = scheduler
        defer {
            Scheduler.current = previousScheduler
            _ = mirage_executor_hooks_claim_thread(previousClaim)
        }
        return body()
    }
}
#else

/// On Embedded targets the platform's support code implements the concurrency runtime's
/// `swift_task_enqueueGlobalImpl` hooks by calling these functions.
enum ExecutorHooks {
    static func withJobsRouted<Result>(to scheduler: Scheduler, _ body: () -> Result) -> Result {
        let previousScheduler = Scheduler.current
        Scheduler.current = scheduler
        defer { Scheduler.current = previousScheduler }
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
