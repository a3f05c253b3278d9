import CLinux
import Glibc
import MirageHostSystem
import MirageCore
import MirageRuntime

/// The Linux-process platform: the unikernel as an ordinary process, for development.
///
/// It idles in `epoll_wait` until the next timer deadline or until a watched file descriptor is
/// ready (``waitUntilReadable(_:)``; descriptors stay registered, edge-triggered, until
/// ``forget(_:)``); SIGINT and SIGTERM arrive through a `signalfd` in the same
/// epoll set and ask the unikernel to stop. The console is standard error.
public final class UnixPlatform: Platform {
    public let console: UnixConsole
    public let wallClock = UnixWallClock()
    public let monotonicClock = UnixMonotonicClock()
    public let bootArguments: [String]
    // This and the waiters are touched only on the scheduler's thread, and no access to them
    // encloses another (a waiter's continuation is resumed after the table's access ends): they
    // go without the run-time exclusivity check, as `Scheduler`'s queues do.
    @exclusivity(unchecked) public private(set) var stopRequested = false
    /// The signal that asked the unikernel to stop, if one did.
    public private(set) var stopSignal: Int32?

    private let epoll: Int32
    private let signals: Int32
    @exclusivity(unchecked) private var readinessWaiters = FileDescriptorTable<FileDescriptorWaiters>()
    /// What runs before the next wait for events (``atRoundEnd(_:)``).
    private var roundEndWork: [() -> Void] = []
    /// Where `epoll_wait` reports events; allocated once, as the scheduler polls after every round.
    private let events = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: 64)
    /// How long a wait keeps asking epoll for events without blocking before it sleeps (adapted
    /// to what waiting has been worth, as in the hvt guest): a sleep costs a wake-up, and a busy
    /// peer's next request often comes sooner (docs/ARCHITECTURE.md, "Adaptive polling").
    private var pollSpin: PollSpin
    /// Whether `--poll-spin` (or the initializer) asked for the spin: where the host's CPU
    /// pressure cannot be read, only a spin asked for runs.
    private var spinAskedFor: Bool
    /// Reads the host's total CPU stall (``HostCPUPressure``), for ``spinGuard``; nil where the
    /// kernel does not keep it.
    private let hostCPUStall: (() -> Duration?)?
    /// Lets the spin run only while no other task on the host waits for a CPU.
    private var spinGuard = SpinGuard()
    /// Waits that slept in `epoll_wait`, for the tests.
    package private(set) var sleeps = 0

    /// `--poll-spin` by default: 200 µs, as the hvt tender, while no other task on the host waits
    /// for a CPU (``SpinGuard``). It answers a keep-alive client's requests in less than half the
    /// time; unguarded it took the CPU a busy peer on the same host wants (a name server under
    /// dnsperf made a tenth fewer answers on this project's 2-core machines), guarded it made as
    /// many as without a spin (docs/ARCHITECTURE.md, "Adaptive polling").
    public static let defaultPollSpinMicroseconds = 200
    /// The longest `--poll-spin`: a millisecond, past which a sleep's cost no longer matters.
    public static let maximumPollSpinMicroseconds = 1000

    /// Freed memory the C library keeps for reuse rather than giving back to the kernel, and the
    /// size from which it maps a block of its own: a few windows' worth, and bodies of a few MiB.
    /// Buffers of up to 64 KiB per segment (with a tap's offloads) and of a whole body per
    /// response (a 1 MiB file over TLS is copied three times) are allocated and freed per request;
    /// without this the C library returns its heap's top, or each mapped block, to the kernel and
    /// faults the pages in again: a third of the time of a bulk send over tap, and 270 against
    /// 590-660 MB/s for the 1 MiB file over HTTPS on host sockets (perf; wrk -c1).
    public static let retainedFreeMemory: Int32 = 16 << 20
    public static let mappedBlockSize: Int32 = 4 << 20

    /// Sets up epoll and the stop signals, and the C library's keeping of freed memory
    /// (``retainedFreeMemory``).
    /// - Parameters:
    ///   - bootArguments: the command line without the program name; the process's by default.
    ///   - handlesSignals: whether SIGINT and SIGTERM stop the unikernel (blocked for the calling
    ///     thread and read from a `signalfd` instead).
    ///   - pollSpin: the longest a wait looks for events before it sleeps, until `--poll-spin`
    ///     (``takeBootArguments(_:)``) says otherwise; nil: ``defaultPollSpinMicroseconds``, which
    ///     does not run where `hostCPUStall` is nil.
    ///   - hostCPUStall: reads the host's total CPU stall, so that the spin runs only while no
    ///     other task waits for a CPU (``SpinGuard``); nil: the spin runs unguarded, if asked for.
    ///     The host's `/proc/pressure/cpu` by default, where the kernel keeps it.
    public init(bootArguments: [String]? = nil, console: UnixConsole = UnixConsole(), handlesSignals: Bool = true,
                pollSpin: Duration? = nil, hostCPUStall: (() -> Duration?)? = UnixPlatform.hostCPUStallReader()) {
        self.bootArguments = bootArguments ?? Array(CommandLine.arguments.dropFirst())
        self.console = console
        self.pollSpin = PollSpin(limit: pollSpin ?? .microseconds(Self.defaultPollSpinMicroseconds))
        spinAskedFor = pollSpin != nil
        self.hostCPUStall = hostCPUStall
        _ = mirage_keep_freed_memory(Self.retainedFreeMemory, Self.mappedBlockSize)
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        precondition(epoll >= 0, "epoll_create1 failed: error number \(errno)")
        if handlesSignals {
            var mask = sigset_t()
            sigemptyset(&mask)
            sigaddset(&mask, SIGINT)
            sigaddset(&mask, SIGTERM)
            pthread_sigmask(SIG_BLOCK, &mask, nil)
            signals = signalfd(-1, &mask, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
            precondition(signals >= 0, "signalfd failed: error number \(errno)")
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.fd = signals
            epoll_ctl(epoll, EPOLL_CTL_ADD, signals, &event)
        } else {
            signals = -1
        }
    }

    deinit {
        events.deallocate()
        close(epoll)
        if signals >= 0 { close(signals) }
    }

    public func poll(until deadline: Instant) {
        if !roundEndWork.isEmpty {
            let work = roundEndWork
            roundEndWork.removeAll(keepingCapacity: true)
            for item in work { item() }
        }
        let timeout = Self.timeout(until: deadline, from: monotonicClock.now())
        let count: Int
        if timeout == 0 {
            count = waitForEvents(timeout: 0)
        } else if pollSpin.limit == .zero {
            sleeps += 1
            count = waitForEvents(timeout: timeout)
        } else {
            count = spinThenSleep(until: deadline)
        }
        guard count > 0 else { return }
        for event in events[0..<count] {
            let fd = event.data.fd
            if fd == signals {
                drainSignals()
            } else {
                wakeWaiters(fd, events: event.events)
            }
        }
    }

    /// The `epoll_wait` timeout that ends at `deadline`: milliseconds from `now`, rounded up, 0
    /// for a deadline already past (only a look), -1 for none.
    private static func timeout(until deadline: Instant, from now: Instant) -> Int32 {
        if deadline <= now { return 0 }
        if deadline == .distantFuture { return -1 }
        let left = deadline.nanoseconds - now.nanoseconds
        return Int32(clamping: left / 1_000_000 + (left % 1_000_000 == 0 ? 0 : 1))
    }

    /// Asks epoll for events without blocking for up to the spin's current length (never past
    /// `deadline`, and only while the host's other tasks do not wait for a CPU: ``spinAllowed(now:)``),
    /// then, if none came, sleeps in `epoll_wait` until `deadline`; the sleep's length adapts the
    /// next spin.
    /// - Returns: how many events are in ``events``.
    private func spinThenSleep(until deadline: Instant) -> Int {
        let spinStart = monotonicClock.now()
        if pollSpin.current > .zero {
            let spinEnd = min(deadline, spinStart + pollSpin.current)
            var now = spinStart
            while now < spinEnd, spinAllowed(now: now) {
                let count = waitForEvents(timeout: 0)
                if count > 0 { return count }
                now = monotonicClock.now()
            }
            if now >= spinEnd, spinEnd == deadline { return 0 }
        }
        let sleepStart = monotonicClock.now()
        sleeps += 1
        // What the spin took is off the wait.
        let count = waitForEvents(timeout: Self.timeout(until: deadline, from: sleepStart))
        pollSpin.slept(after: sleepStart - spinStart, for: monotonicClock.now() - sleepStart, wokenByWork: count > 0)
        return count
    }

    /// Whether the spin may run now: while no other task waits for a CPU, where the host's CPU
    /// pressure can be read; where it cannot, only when asked for.
    private func spinAllowed(now: Instant) -> Bool {
        guard let hostCPUStall else { return spinAskedFor }
        return spinGuard.allowsSpin(now: now, readStallTotal: hostCPUStall)
    }

    /// The reader of `/proc/pressure/cpu`'s total "some" stall; nil where it cannot be read.
    public static func hostCPUStallReader() -> (() -> Duration?)? {
        guard let pressure = HostCPUPressure.open() else { return nil }
        return { pressure.someStallTotal() }
    }

    /// `epoll_wait` for up to `timeout` milliseconds (0: only look; -1: until an event); 0 events
    /// when interrupted (or failed: the descriptor is ours, so never), and the scheduler polls again.
    private func waitForEvents(timeout: Int32) -> Int {
        (try? SystemCall.waitForEvents(epoll, into: events, timeout: timeout)) ?? 0
    }

    /// `--poll-spin=µs`: how long a wait may look for events before it sleeps.
    public var bootKeys: [BootKey] {
        [BootKey("poll-spin", of: Int.self, default: Self.defaultPollSpinMicroseconds, form: "MICROSECONDS",
                 documentation: "The longest the process keeps looking for events before it sleeps in epoll_wait, adapted to how soon they came, and only while no other task on the host waits for a CPU (/proc/pressure/cpu; where the kernel does not keep it, only when given): lower latency for CPU (0 to 1000; 0: sleep at once).",
                 group: .runtime)]
    }

    /// Takes `--poll-spin`.
    public func takeBootArguments(_ arguments: BootArguments) -> String? {
        let microseconds = arguments.value("poll-spin", as: Int.self)
        guard (0...Self.maximumPollSpinMicroseconds).contains(microseconds) else {
            return "invalid value '\(microseconds)' for boot argument '--poll-spin': expected microseconds from 0 to \(Self.maximumPollSpinMicroseconds)"
        }
        pollSpin = PollSpin(limit: .microseconds(microseconds))
        if arguments.wasGiven("poll-spin") { spinAskedFor = true }
        return nil
    }

    /// Runs `work` once, at the end of the scheduler's current round, before the platform waits
    /// for events: how a socket sends in one system call what its tasks sent during the round.
    public func atRoundEnd(_ work: @escaping () -> Void) {
        roundEndWork.append(work)
    }

    public func exit(_ status: Int32) -> Never {
        Glibc.exit(status)
    }

    /// Suspends the current task until `fd` can be read without blocking (or has hung up).
    ///
    /// Callers read first and wait when the descriptor says `EAGAIN`; a wake can be spurious (a
    /// readiness seen earlier, already consumed), so they read again and wait again on `EAGAIN`.
    public func waitUntilReadable(_ fd: Int32) async {
        if watch(fd, writing: false) { return }
        await withUnsafeContinuation { continuation in
            readinessWaiters.update(fd) { $0 = $0 ?? FileDescriptorWaiters(); $0!.readers.append(continuation) }
        }
    }

    /// Suspends the current task until `fd` can be written without blocking; a wake can be
    /// spurious, as for ``waitUntilReadable(_:)``.
    public func waitUntilWritable(_ fd: Int32) async {
        if watch(fd, writing: true) { return }
        await withUnsafeContinuation { continuation in
            readinessWaiters.update(fd) { $0 = $0 ?? FileDescriptorWaiters(); $0!.writers.append(continuation) }
        }
    }

    /// Whether epoll has reported that the peer of `fd` closed its side (`EPOLLRDHUP`), or that
    /// `fd` hung up or failed: what is left to read may then end without another edge.
    public func hasHungUp(_ fd: Int32) -> Bool {
        readinessWaiters[fd]?.hungUp ?? false
    }

    /// Stops watching `fd` and resumes the tasks waiting for it; call it just before closing `fd`.
    ///
    /// The kernel drops a closed descriptor from the epoll set by itself, but the platform's table
    /// of waiters would keep its number: the tasks waiting there would never wake, or would wake
    /// for the events of the next descriptor that gets the same number, which would also never be
    /// registered. The resumed tasks must find their descriptor closed and not use it again.
    /// Forgetting a descriptor nobody watches does nothing. The corresponding C function is
    /// `epoll_ctl` (`EPOLL_CTL_DEL`).
    public func forget(_ fd: Int32) {
        guard let waiters = readinessWaiters.removeValue(for: fd) else { return }
        epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
        for continuation in waiters.readers { continuation.resume() }
        for continuation in waiters.writers { continuation.resume() }
    }

    /// Registers `fd` with epoll the first time a task waits for it, edge-triggered and for good
    /// (until ``forget(_:)``): no `epoll_ctl` per wait. Writability is added to the interest the
    /// first time a task waits to write. Returns true, clearing it, when an edge for this
    /// direction came while nobody waited (the wait is then over at once).
    private func watch(_ fd: Int32, writing: Bool) -> Bool {
        let epoll = epoll
        // In place: the waiters' lists are not copied.
        return readinessWaiters.update(fd) { slot in
            let isNew = slot == nil
            if isNew { slot = FileDescriptorWaiters() }
            if writing ? slot!.writable : slot!.readable {
                if writing { slot!.writable = false } else { slot!.readable = false }
                return true
            }
            if isNew || (writing && !slot!.watchesWritable) {
                slot!.watchesWritable = slot!.watchesWritable || writing
                var event = epoll_event()
                event.events = EPOLLET.rawValue | EPOLLIN.rawValue | EPOLLRDHUP.rawValue
                    | (slot!.watchesWritable ? EPOLLOUT.rawValue : 0)
                event.data.fd = fd
                if epoll_ctl(epoll, isNew ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event) != 0 {
                    // EEXIST: registered by a use of this number that was closed without `forget`.
                    // ENOENT: closed and reopened without `forget`, so the kernel dropped it.
                    if errno == EEXIST { epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event) }
                    else if errno == ENOENT { epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) }
                }
            }
            return false
        }
    }

    private func wakeWaiters(_ fd: Int32, events: UInt32) {
        guard fd >= 0 else { return }
        let failed = events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
        // The woken lists are moved out, not copied: no allocation per event.
        var readers: [UnsafeContinuation<Void, Never>] = []
        var writers: [UnsafeContinuation<Void, Never>] = []
        readinessWaiters.update(fd) { slot in
            guard slot != nil else { return }
            if failed || events & EPOLLRDHUP.rawValue != 0 { slot!.hungUp = true }
            if failed || events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0 {
                if slot!.readers.isEmpty { slot!.readable = true } else { swap(&readers, &slot!.readers) }
            }
            if failed || events & EPOLLOUT.rawValue != 0 {
                if slot!.writers.isEmpty { slot!.writable = true } else { swap(&writers, &slot!.writers) }
            }
        }
        for continuation in readers { continuation.resume() }
        for continuation in writers { continuation.resume() }
    }

    private func drainSignals() {
        var info = signalfd_siginfo()
        while read(signals, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            stopRequested = true
            stopSignal = Int32(info.ssi_signo)
        }
    }
}

/// A watched file descriptor: the tasks waiting for it, and the edges that came while none waited.
struct FileDescriptorWaiters {
    var readers: [UnsafeContinuation<Void, Never>] = []
    var writers: [UnsafeContinuation<Void, Never>] = []
    /// An edge came for reading (or a hang-up) while no task waited to read.
    var readable = false
    /// An edge came for writing while no task waited to write.
    var writable = false
    /// Whether epoll reported that the peer closed its side, the descriptor hung up or failed:
    /// a read may find that end even without a new edge.
    var hungUp = false
    /// Whether epoll reports writability for the descriptor (from the first wait to write on).
    var watchesWritable = false
}
