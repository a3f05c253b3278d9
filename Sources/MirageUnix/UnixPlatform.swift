import CLinux
import Glibc
import MirageCore
import MirageRuntime

/// The Linux-process platform: the unikernel as an ordinary process, for development.
///
/// It idles in `epoll_wait` until the next timer deadline or until a watched file descriptor is
/// ready (``waitUntilReadable(_:)``); SIGINT and SIGTERM arrive through a `signalfd` in the same
/// epoll set and ask the unikernel to stop. The console is standard error.
public final class UnixPlatform: Platform {
    public let console: UnixConsole
    public let wallClock = UnixWallClock()
    public let monotonicClock = UnixMonotonicClock()
    public let bootArguments: [String]
    public private(set) var stopRequested = false
    /// The signal that asked the unikernel to stop, if one did.
    public private(set) var stopSignal: Int32?

    private let epoll: Int32
    private let signals: Int32
    private var readinessWaiters: [Int32: FileDescriptorWaiters] = [:]
    /// Where `epoll_wait` reports events; allocated once, as the scheduler polls after every round.
    private let events = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: 64)

    /// Sets up epoll and the stop signals.
    /// - Parameters:
    ///   - bootArguments: the command line without the program name; the process's by default.
    ///   - handlesSignals: whether SIGINT and SIGTERM stop the unikernel (blocked for the calling
    ///     thread and read from a `signalfd` instead).
    public init(bootArguments: [String]? = nil, console: UnixConsole = UnixConsole(), handlesSignals: Bool = true) {
        self.bootArguments = bootArguments ?? Array(CommandLine.arguments.dropFirst())
        self.console = console
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
        let timeout: Int32
        let now = monotonicClock.now()
        if deadline <= now {
            timeout = 0
        } else if deadline == .distantFuture {
            timeout = -1
        } else {
            let milliseconds = (deadline.nanoseconds - now.nanoseconds + 999_999) / 1_000_000
            timeout = Int32(clamping: milliseconds)
        }
        let count = epoll_wait(epoll, events.baseAddress, Int32(events.count), timeout)
        guard count > 0 else { return }
        for event in events[0..<Int(count)] {
            let fd = event.data.fd
            if fd == signals {
                drainSignals()
            } else {
                wakeWaiters(fd, events: event.events)
            }
        }
    }

    public func exit(_ status: Int32) -> Never {
        Glibc.exit(status)
    }

    /// Suspends the current task until `fd` can be read without blocking (or has hung up).
    public func waitUntilReadable(_ fd: Int32) async {
        await withUnsafeContinuation { continuation in
            watch(fd) { $0.readers.append(continuation) }
        }
    }

    /// Suspends the current task until `fd` can be written without blocking.
    public func waitUntilWritable(_ fd: Int32) async {
        await withUnsafeContinuation { continuation in
            watch(fd) { $0.writers.append(continuation) }
        }
    }

    /// Stops watching `fd` and resumes the tasks waiting for it; call it just before closing `fd`.
    ///
    /// The kernel drops a closed descriptor from the epoll set by itself, but the platform's table
    /// of waiters would keep its number: the tasks waiting there would never wake, or would wake
    /// for the events of the next descriptor that gets the same number. The resumed tasks must
    /// find their descriptor closed and not use it again. Forgetting a descriptor nobody waits
    /// for does nothing. The corresponding C function is `epoll_ctl` (`EPOLL_CTL_DEL`).
    public func forget(_ fd: Int32) {
        guard let waiters = readinessWaiters.removeValue(forKey: fd) else { return }
        epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
        for continuation in waiters.readers { continuation.resume() }
        for continuation in waiters.writers { continuation.resume() }
    }

    private func watch(_ fd: Int32, _ add: (inout FileDescriptorWaiters) -> Void) {
        let isNew = readinessWaiters[fd] == nil
        add(&readinessWaiters[fd, default: FileDescriptorWaiters()])
        updateInterest(fd, isNew: isNew)
    }

    private func updateInterest(_ fd: Int32, isNew: Bool) {
        let waiters = readinessWaiters[fd] ?? FileDescriptorWaiters()
        var event = epoll_event()
        event.events = EPOLLONESHOT.rawValue
            | (waiters.readers.isEmpty ? 0 : EPOLLIN.rawValue | EPOLLRDHUP.rawValue)
            | (waiters.writers.isEmpty ? 0 : EPOLLOUT.rawValue)
        event.data.fd = fd
        guard epoll_ctl(epoll, isNew ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event) != 0 else { return }
        // EEXIST: registered already. ENOENT: closed without `forget(_:)`, so the kernel dropped
        // the registration while the table kept the number.
        if errno == EEXIST {
            epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event)
        } else if errno == ENOENT {
            epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event)
        }
    }

    private func wakeWaiters(_ fd: Int32, events: UInt32) {
        guard var waiters = readinessWaiters[fd] else { return }
        let failed = events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
        // The woken lists are moved out, not copied: no allocation per event.
        var readers: [UnsafeContinuation<Void, Never>] = []
        var writers: [UnsafeContinuation<Void, Never>] = []
        if failed || events & (EPOLLIN.rawValue | EPOLLRDHUP.rawValue) != 0 {
            swap(&readers, &waiters.readers)
        }
        if failed || events & EPOLLOUT.rawValue != 0 {
            swap(&writers, &waiters.writers)
        }
        if waiters.readers.isEmpty && waiters.writers.isEmpty {
            readinessWaiters[fd] = nil
            epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
        } else {
            readinessWaiters[fd] = waiters
            updateInterest(fd, isNew: false)
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

/// The tasks waiting for one file descriptor.
struct FileDescriptorWaiters {
    var readers: [UnsafeContinuation<Void, Never>] = []
    var writers: [UnsafeContinuation<Void, Never>] = []
}
