import Glibc
import MirageRuntime
import MirageTesting
import Testing

/// Runs `main` as a unikernel on a simulated platform and returns the platform and exit status.
@discardableResult
private func simulate(_ platform: SimulatedPlatform = SimulatedPlatform(), _ main: @escaping () async -> Int32) -> (SimulatedPlatform, Int32) {
    let status = Mirage.runToCompletion(platform, main)
    return (platform, status)
}

/// A log of events shared by the tasks of one test.
private final class EventLog {
    var events: [String] = []
    func record(_ event: String) { events.append(event) }
}

@Suite("Scheduler")
struct SchedulerTests {
    @Test("ready tasks run in the order they became ready")
    func readyOrder() {
        let log = EventLog()
        simulate { () async -> Int32 in
            let tasks = ["a", "b", "c"].map { name in Task { log.record(name) } }
            for task in tasks { await task.value }
            return 0
        }
        #expect(log.events == ["a", "b", "c"])
    }

    @Test("a wait queue wakes its one waiter, or all of several in the order they came; a wake with none waiting is lost")
    func waitQueue() {
        let log = EventLog()
        simulate { () async -> Int32 in
            let queue = WaitQueue()
            queue.wakeAll()  // nobody waits: nothing to keep
            #expect(queue.isEmpty)
            let one = Task {
                await queue.wait()
                log.record("one")
            }
            await Task.yield()
            #expect(!queue.isEmpty)
            queue.wakeAll()
            await one.value
            #expect(queue.isEmpty)
            let several = ["a", "b", "c"].map { name in
                Task {
                    await queue.wait()
                    log.record(name)
                    await queue.wait()  // a second wait needs a second wake
                    log.record(name + "2")
                }
            }
            await Task.yield()
            queue.wakeAll()
            await Task.yield()
            log.record("woken once")
            queue.wakeAll()
            for task in several { await task.value }
            return 0
        }
        #expect(log.events == ["one", "a", "b", "c", "woken once", "a2", "b2", "c2"])
    }

    @Test("tasks that yield take turns, round robin")
    func roundRobin() {
        let log = EventLog()
        simulate { () async -> Int32 in
            let tasks = ["a", "b"].map { name in
                Task {
                    for round in 1...3 {
                        log.record("\(name)\(round)")
                        await Task.yield()
                    }
                }
            }
            for task in tasks { await task.value }
            return 0
        }
        #expect(log.events == ["a1", "b1", "a2", "b2", "a3", "b3"])
    }

    @Test("timers fire in deadline order, each at its deadline on the manual clock")
    func timersInDeadlineOrder() {
        let log = EventLog()
        let (platform, _) = simulate { () async -> Int32 in
            let sleepers = [3, 1, 2].map { seconds in
                Task {
                    try? await sleep(for: .seconds(seconds))
                    log.record("\(seconds)s at \(Scheduler.running.now)")
                }
            }
            for sleeper in sleepers { await sleeper.value }
            return 0
        }
        #expect(log.events == ["1s at 1.000000000s", "2s at 2.000000000s", "3s at 3.000000000s"])
        #expect(platform.monotonicClock.now() == Instant(nanoseconds: 3_000_000_000))
    }

    @Test("timers with the same deadline fire in the order they were set")
    func equalDeadlinesFirstComeFirstServed() {
        let log = EventLog()
        simulate { () async -> Int32 in
            let sleepers = ["first", "second", "third"].map { name in
                Task {
                    try? await sleep(until: Instant(nanoseconds: 5_000))
                    log.record(name)
                }
            }
            for sleeper in sleepers { await sleeper.value }
            return 0
        }
        #expect(log.events == ["first", "second", "third"])
    }

    @Test("cancelling a sleeping task wakes it at once with CancellationError")
    func cancellationWakesSleeper() {
        let log = EventLog()
        simulate { () async -> Int32 in
            let sleeper = Task {
                do {
                    try await sleep(for: .seconds(60))
                    log.record("slept")
                } catch {
                    log.record("cancelled at \(Scheduler.running.now)")
                }
            }
            try? await sleep(for: .seconds(1))
            sleeper.cancel()
            await sleeper.value
            return 0
        }
        #expect(log.events == ["cancelled at 1.000000000s"])
    }

    @Test("a task cancelled before it sleeps does not sleep")
    func cancelledBeforeSleeping() {
        let log = EventLog()
        simulate { () async -> Int32 in
            let task = Task {
                while !Task.isCancelled { await Task.yield() }
                do { try await sleep(for: .seconds(60)) } catch { log.record("threw at \(Scheduler.running.now)") }
            }
            task.cancel()
            await task.value
            return 0
        }
        #expect(log.events == ["threw at 0.000000000s"])
    }

    @Test("a task that does not yield delays timers but loses none; they fire in order once it yields")
    func busyTaskDoesNotLoseTimers() {
        let log = EventLog()
        let platform = SimulatedPlatform()
        simulate(platform) { () async -> Int32 in
            let sleepers = [2, 1].map { seconds in
                Task {
                    try? await sleep(for: .seconds(seconds))
                    log.record("\(seconds)s woke at \(Scheduler.running.now)")
                }
            }
            let busy = Task {
                // Five seconds of work that never yields: the clock moves, nothing else runs.
                platform.monotonicClock.advance(by: .seconds(5))
                log.record("busy done")
            }
            await busy.value
            for sleeper in sleepers { await sleeper.value }
            return 0
        }
        #expect(log.events == ["busy done", "1s woke at 5.000000000s", "2s woke at 5.000000000s"])
    }

    @Test("the scheduler idles in the platform's poll until the next deadline")
    func pollsUntilNextDeadline() {
        let (platform, _) = simulate { () async -> Int32 in
            try? await sleep(for: .milliseconds(250))
            try? await sleep(for: .milliseconds(250))
            return 0
        }
        #expect(platform.polls.filter { $0 != .zero } == [Instant(nanoseconds: 250_000_000), Instant(nanoseconds: 500_000_000)])
    }

    @Test("a round that leaves nothing ready costs one poll, the one that waits (on hvt each poll is a VM exit)")
    func quietRoundPollsOnce() {
        let (platform, _) = simulate { () async -> Int32 in
            for _ in 1...3 { try? await sleep(for: .milliseconds(100)) }
            return 0
        }
        // One waiting poll per sleep, and one look without waiting once the run is over: no
        // look without waiting after each round that put the task to sleep.
        #expect(platform.polls == [100, 200, 300].map { Instant(nanoseconds: $0 * 1_000_000) } + [.zero])
    }

    @Test("while jobs remain ready after a round, the devices are looked at between rounds without waiting")
    func busyRoundsPollWithoutWaiting() {
        let (platform, _) = simulate { () async -> Int32 in
            for _ in 1...3 { await Task.yield() }
            return 0
        }
        #expect(platform.polls.count >= 3)
        #expect(platform.polls.allSatisfy { $0 == .zero })
    }

    @Test("Task.sleep runs on the scheduler's timers, in simulated time")
    func taskSleepUsesSchedulerTimers() {
        let (platform, _) = simulate { () async -> Int32 in
            try? await Task.sleep(for: .seconds(30))
            return 0
        }
        #expect(platform.monotonicClock.now() >= Instant(nanoseconds: 29_000_000_000))
        #expect(!platform.deadlocked)
    }

    @Test("every task runs on the thread that runs the scheduler")
    func oneThread() {
        let log = EventLog()
        let runner = pthread_self()
        simulate { () async -> Int32 in
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        try? await sleep(for: .milliseconds(index))
                        log.record(pthread_equal(pthread_self(), runner) != 0 ? "same" : "other")
                    }
                }
            }
            return 0
        }
        #expect(log.events == Array(repeating: "same", count: 20))
    }

    @Test("the exit status is what the main task returns")
    func exitStatus() {
        let (_, status) = simulate { () async -> Int32 in 7 }
        #expect(status == 7)
    }

    @Test("a main task waiting on nothing is reported as a deadlock, not a hang")
    func deadlockDetected() {
        let (platform, _) = simulate { () async -> Int32 in
            await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
            return 0
        }
        #expect(platform.deadlocked)
    }

    @Test("a stop request ends the run with status 0, abandoning the main task")
    func stopRequest() {
        let platform = SimulatedPlatform()
        let log = EventLog()
        let (_, status) = simulate(platform) { () async -> Int32 in
            platform.stopRequested = true
            try? await sleep(for: .seconds(10))
            log.record("main task finished")
            return 3
        }
        #expect(status == 0)
        #expect(log.events.isEmpty)
    }
}

@Suite("Unikernel start")
struct UnikernelStartTests {
    struct Failing: Unikernel {
        struct Broken: Error, CustomStringConvertible { var description: String { "the disk is on fire" } }
        func start() async throws(Broken) { throw Broken() }
    }

    struct Succeeding: Unikernel {
        func start() async {}
    }

    @Test("start returning gives status 0; throwing gives 1")
    func startStatuses() {
        #expect(Mirage.runToCompletion(SimulatedPlatform()) { await Mirage.start(Succeeding()) } == 0)
        #expect(Mirage.runToCompletion(SimulatedPlatform()) { await Mirage.start(Failing()) } == 1)
    }
}

@Suite("Timer queue")
struct TimerQueueTests {
    @Test("pops timers in deadline order and only once expired")
    func popsInOrder() {
        var queue = TimerQueue<String>()
        queue.insert("c", deadline: Instant(nanoseconds: 30))
        queue.insert("a", deadline: Instant(nanoseconds: 10))
        queue.insert("b", deadline: Instant(nanoseconds: 20))
        queue.insert("a2", deadline: Instant(nanoseconds: 10))
        #expect(queue.nextDeadline == Instant(nanoseconds: 10))
        #expect(queue.popExpired(now: Instant(nanoseconds: 5)) == nil)
        var popped: [String] = []
        while let next = queue.popExpired(now: Instant(nanoseconds: 25)) { popped.append(next) }
        #expect(popped == ["a", "a2", "b"])
        #expect(queue.count == 1)
    }

    @Test("a thousand random deadlines come out sorted, ties in insertion order")
    func heapProperty() {
        var queue = TimerQueue<Int>()
        var generator = SystemRandomNumberGenerator()
        var deadlines: [(UInt64, Int)] = []
        for index in 0..<1000 {
            let deadline = UInt64.random(in: 0..<100, using: &generator)
            deadlines.append((deadline, index))
            queue.insert(index, deadline: Instant(nanoseconds: deadline))
        }
        var popped: [Int] = []
        while let next = queue.popExpired(now: .distantFuture) { popped.append(next) }
        #expect(popped == deadlines.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map(\.1))
    }
}
