/// A timer that one task waits on and any task may move earlier or clear: how a protocol shell
/// sleeps until its core's next deadline, which changes with every packet, without a task per
/// timer.
///
/// ``set(_:)`` with an earlier deadline arms a new scheduler timer; the old one still fires later
/// and is ignored. ``wait()`` returns once the armed deadline has passed (at once when it passed
/// while nobody waited).
public final class Alarm {
    private var deadline: Instant?
    private var waiter: UnsafeContinuation<Void, Never>?
    private var rang = false

    public init() {}

    /// The instant the alarm is armed for, if any.
    public var armedDeadline: Instant? { deadline }

    /// Arms the alarm for `newDeadline` when that is earlier than the armed one (or none is);
    /// nil disarms it.
    public func set(_ newDeadline: Instant?) {
        guard let newDeadline else {
            deadline = nil
            return
        }
        if let current = deadline, current <= newDeadline { return }
        deadline = newDeadline
        Scheduler.running.addAlarm(self, at: newDeadline)
    }

    /// Waits until the armed deadline passes.
    public func wait() async {
        if rang {
            rang = false
            return
        }
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            waiter = continuation
        }
    }

    /// A scheduler timer for `deadline` expired: rings when that is still the armed deadline.
    func fire(deadline expired: Instant) {
        guard let armed = deadline, armed == expired else { return }
        deadline = nil
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            rang = true
        }
    }
}

/// Tasks waiting for something to change (data to read, room to write, a connection to accept).
/// Waiters re-check their condition after waking: a wake-up says only "look again".
public final class WaitQueue {
    // Touched only on the scheduler's thread; no access encloses another (the continuations are
    // resumed after the list is taken): no run-time exclusivity check, as `Scheduler`'s queues.
    @exclusivity(unchecked) private var waiters: [UnsafeContinuation<Void, Never>] = []

    public init() {}

    public var isEmpty: Bool { waiters.isEmpty }

    /// Suspends until the next ``wakeAll()``.
    public func wait() async {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            waiters.append(continuation)
        }
    }

    /// Resumes every waiting task.
    public func wakeAll() {
        let woken = waiters
        waiters.removeAll()
        for waiter in woken { waiter.resume() }
    }
}
