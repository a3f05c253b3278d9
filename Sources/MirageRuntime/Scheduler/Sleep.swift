/// A task waiting in ``sleep(until:)``, shared by the task, the timer queue and the cancellation
/// handler; whichever of timer and cancellation comes first resumes the task.
final class SleepWaiter {
    enum State {
        case registering
        case waiting(UnsafeContinuation<Bool, Never>)
        case finished
    }

    let deadline: Instant
    private var state = State.registering

    init(deadline: Instant) { self.deadline = deadline }

    /// Called with the task's continuation; resumes at once when cancellation came first.
    func wait(_ continuation: UnsafeContinuation<Bool, Never>) {
        if case .finished = state {
            continuation.resume(returning: false)
        } else {
            state = .waiting(continuation)
        }
    }

    /// The deadline passed: resume the task normally.
    func fire() { finish(returning: true) }

    /// The task was cancelled: resume it to throw.
    func cancel() { finish(returning: false) }

    private func finish(returning expired: Bool) {
        switch state {
        case let .waiting(continuation):
            state = .finished
            continuation.resume(returning: expired)
        case .registering:
            state = .finished
        case .finished:
            break
        }
    }
}

/// Suspends the current task until `deadline` on the platform's monotonic clock.
///
/// Other tasks run meanwhile; when no task is ready the unikernel idles in the platform's poll.
/// - Throws: `CancellationError` when the task is or becomes cancelled; the sleep ends at once.
public func sleep(until deadline: Instant) async throws(CancellationError) {
    let scheduler = Scheduler.running
    let waiter = SleepWaiter(deadline: deadline)
    let expired = await withTaskCancellationHandler {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Bool, Never>) in
            waiter.wait(continuation)
            scheduler.addTimer(waiter)
        }
    } onCancel: {
        waiter.cancel()
    }
    if !expired { throw CancellationError() }
}

/// Suspends the current task for `duration` on the platform's monotonic clock.
///
/// - Throws: `CancellationError` when the task is or becomes cancelled.
public func sleep(for duration: Duration) async throws(CancellationError) {
    try await sleep(until: Scheduler.running.now + duration)
}

/// Lets the other ready tasks run before the current one continues.
public func yieldToOthers() async {
    await Task.yield()
}
