#if canImport(Glibc)
import Glibc
#endif
import CLinux
import CMirageHVTABI
#if !hasFeature(Embedded)  // the tender's Embedded build compiles MirageHostSystem's files in
import MirageHostSystem
#endif

/// The tender's I/O thread: it moves frames between the taps and the rings of the net devices the
/// guest handed over (``NetRingPort``), and serves the requests in the rings of its block devices
/// (``BlockRingPort``), while the guest runs on the vCPU thread, so that neither costs the guest a
/// VM exit (mirage_hvt_abi.h, "Net rings" and "Block ring").
///
/// It sleeps in `epoll_wait` on the taps (edge-triggered: it reads each until it is empty, or
/// until the guest's ring is full) and on the kick eventfd, which the guest signals with a store
/// the kernel handles (`KVM_IOEVENTFD` on the kick hypercall's address) and the vCPU thread
/// signals before the guest sleeps. Before it sleeps it marks every transmit and block ring so the
/// guest knows to kick; it wakes a guest waiting in the poll hypercall through ``wakeDescriptor``.
///
/// It is created before the seccomp filter is installed, which then covers it too, and makes
/// only the calls the filter allows (reads and writes, the block files' positioned reads and
/// writes and `fsync`, `epoll_wait`, `epoll_ctl`, `futex`). A
/// guest that breaks the ring protocol ends the tender with exit status 70, as a crash on the
/// vCPU thread does.
final class RingIOThread {
    /// The eventfd that wakes the I/O thread: the guest's kick (through KVM) and the vCPU thread's.
    let kickDescriptor: Int32
    /// The eventfd the I/O thread signals when it filled a receive ring, or served a block ring,
    /// whose guest sleeps.
    let wakeDescriptor: Int32
    private let epoll: Int32
    private let control: Int32
    /// Signalled once by the thread when it runs, and when it has parked.
    private let started: Int32
    private let parked: Int32
    /// Set (under ``lock``) when the thread is to park.
    private var parking = false
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    /// Ports handed over and not yet taken by the thread (under ``lock``).
    private var handedOver: [NetRingPort] = []
    private var handedOverBlocks: [BlockRingPort] = []
    /// The thread's own ports, by device index.
    private var ports: [NetRingPort] = []
    private var blockPorts: [BlockRingPort] = []
    private let events = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: Int(MIRAGE_HVT_MAX_DEVICES) + 2)
    /// How long the thread keeps looking at the transmit and block rings, once it has nothing
    /// left to do, before it sleeps (`--io-spin`, 5 µs in the tender by default; zero: never). The
    /// guest's answer to the frames just given it, its next answer of several, or its next block
    /// request often comes sooner than its kick would cost: a store that exits the guest (several
    /// microseconds of the vCPU's time under PVM) and a wake-up of this thread. The thread spins
    /// only after it has moved frames or served requests, and, unless it has just served a block
    /// request, stops once every guest says it is idle with all its frames taken
    /// (``NetRingPort/guestIsIdle``), so neither an idle guest nor one waiting for its peer (a
    /// sender with a full window) costs a spin (docs/ARCHITECTURE.md, "Adaptive polling").
    private let spinLimit: Duration

    private static let kickMarker = UInt64.max
    private static let controlMarker = UInt64.max - 1

    /// A thread that spins up to `spinLimit` before it sleeps (zero: never).
    init(spinLimit: Duration = .zero) throws(TenderError) {
        self.spinLimit = spinLimit
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        kickDescriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        wakeDescriptor = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        control = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        started = eventfd(0, Int32(EFD_CLOEXEC))
        parked = eventfd(0, Int32(EFD_CLOEXEC))
        guard epoll >= 0, kickDescriptor >= 0, wakeDescriptor >= 0, control >= 0, started >= 0, parked >= 0 else {
            throw TenderError("cannot create the ring I/O thread's eventfds: \(String(cString: strerror(errno)))", status: TenderExitStatus.hostFailure)
        }
        pthread_mutex_init(lock, nil)
        for (descriptor, marker) in [(kickDescriptor, Self.kickMarker), (control, Self.controlMarker)] {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.u64 = marker
            epoll_ctl(epoll, EPOLL_CTL_ADD, descriptor, &event)
        }
    }

    /// Starts the thread, and returns once it runs; it runs until the process ends.
    ///
    /// The C library's start of a thread makes system calls in the new thread (`rseq`,
    /// `set_robust_list`) that the seccomp filter does not allow: the filter may be installed only
    /// after they are done, so the caller waits for the thread's first signal.
    func start() throws(TenderError) {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { context in
            Unmanaged<RingIOThread>.fromOpaque(context!).takeRetainedValue().run()
        }, context)
        guard created == 0 else {
            Unmanaged<RingIOThread>.fromOpaque(context).release()
            throw TenderError("cannot start the ring I/O thread: \(String(cString: strerror(created)))", status: TenderExitStatus.hostFailure)
        }
        pthread_detach(thread)
        var signal = pollfd(fd: started, events: Int16(POLLIN), revents: 0)
        while CLinux.poll(&signal, 1, -1) < 0 && errno == EINTR {}
    }

    /// Stops the thread touching guest memory, before the tender unmaps it: the thread parks for
    /// good (the process's exit ends it), and this returns once it has.
    func park() {
        pthread_mutex_lock(lock)
        parking = true
        pthread_mutex_unlock(lock)
        Self.signal(control)
        var signal = pollfd(fd: parked, events: Int16(POLLIN), revents: 0)
        while CLinux.poll(&signal, 1, -1) < 0 && errno == EINTR {}
    }

    /// Hands `port` to the thread (from the vCPU thread, which no longer touches its tap).
    func add(_ port: NetRingPort) {
        pthread_mutex_lock(lock)
        handedOver.append(port)
        pthread_mutex_unlock(lock)
        Self.signal(control)
    }

    /// Hands `port` to the thread (from the vCPU thread, which no longer serves its device).
    func add(_ port: BlockRingPort) {
        pthread_mutex_lock(lock)
        handedOverBlocks.append(port)
        pthread_mutex_unlock(lock)
        Self.signal(control)
    }

    /// Wakes the thread.
    func kick() { Self.signal(kickDescriptor) }

    static func signal(_ descriptor: Int32) {
        var one: UInt64 = 1
        _ = CLinux.write(descriptor, &one, 8)
    }

    static func drain(_ descriptor: Int32) {
        var count: UInt64 = 0
        _ = CLinux.read(descriptor, &count, 8)
    }

    private func run() -> UnsafeMutableRawPointer? {
        Self.signal(started)  // see start()
        var worked = false  // frames moved or requests served since the thread last slept
        var served = false  // block requests served since the thread last slept
        while true {
            var busy = false
            var filled = false
            for port in ports {
                busy = check(port.transmit()) || busy
                let added = check(port.receive())
                if added {
                    mirage_hvt_ring_fence()  // the frames published before the guest's flag is read
                    if port.guestWaitsForFrames { filled = true }
                    busy = true
                }
            }
            for port in blockPorts where check(port.serve()) {
                mirage_hvt_ring_fence()  // the requests counted before the guest's flag is read
                if port.guestWaits { filled = true }
                busy = true
                served = true
            }
            if filled { Self.signal(wakeDescriptor) }
            if busy {
                worked = true
                // Taps that became readable meanwhile (their edge waits in the epoll set), and
                // kicks: without this look a guest that keeps sending would starve its receive ring.
                collectEvents(timeout: 0)
                continue
            }
            // Nothing left to do: look at the transmit rings a little longer, for the guest's
            // next frame (frames on the taps wait in the epoll set meanwhile).
            if worked, spinLimit > .zero, workComes(before: Self.now() + spinLimit, requestsExpected: served) { continue }
            worked = false
            served = false
            // About to sleep: ask for kicks, then look once more at what the guest may have
            // queued before it could see the request.
            setSleeping(true)
            mirage_hvt_ring_fence()
            if hasWork {
                setSleeping(false)
                continue
            }
            collectEvents(timeout: -1)
            setSleeping(false)
        }
    }

    /// Whether the guest put frames in a transmit ring or requests in a block ring before `end`,
    /// looking until then. A guest that says it is idle sends no frames, but after a block request
    /// (`requestsExpected`) its next one may come all the same: an application reading a file a
    /// block at a time makes it within microseconds of the last one's end.
    private func workComes(before end: Duration, requestsExpected: Bool) -> Bool {
        while Self.now() < end {
            if hasWork { return true }
            if !requestsExpected, ports.allSatisfy({ $0.guestIsIdle }) { return false }
            mirage_spin_pause()
        }
        return false
    }

    /// Whether a transmit ring holds frames or a block ring requests, not yet taken.
    private var hasWork: Bool {
        ports.contains { $0.hasFramesToSend } || blockPorts.contains { $0.hasRequests }
    }

    /// Marks every ring: the thread sleeps (and wants a kick), or is awake.
    private func setSleeping(_ sleeping: Bool) {
        for port in ports { port.setSleeping(sleeping) }
        for port in blockPorts { port.setSleeping(sleeping) }
    }

    /// CLOCK_MONOTONIC (read in user space, through the vDSO).
    private static func now() -> Duration { .nanoseconds(Int64(HypercallHandler.clock(CLOCK_MONOTONIC))) }

    /// Takes the kicks, taps with frames and hand-overs that came, waiting up to `timeout`
    /// milliseconds (-1: until one comes).
    private func collectEvents(timeout: Int32) {
        let count: Int
        do throws(ErrorNumber) { count = try SystemCall.waitForEvents(epoll, into: events, timeout: timeout) ?? 0 } catch { return }
        for event in events.prefix(count) {
            switch event.data.u64 {
            case Self.kickMarker: Self.drain(kickDescriptor)
            case Self.controlMarker: takeHandedOver()
            case let device: ports.first { $0.device == Int(device) }?.tapReadable = true
            }
        }
    }

    private func takeHandedOver() {
        Self.drain(control)
        pthread_mutex_lock(lock)
        let taken = handedOver
        handedOver.removeAll()
        blockPorts += handedOverBlocks
        handedOverBlocks.removeAll()
        let parkNow = parking
        pthread_mutex_unlock(lock)
        if parkNow {
            // Never to touch guest memory again: wait in a read nothing ends (the thread making
            // no system call the seccomp filter refuses, as exiting it might).
            Self.signal(parked)
            var never: UInt64 = 0
            while true { _ = CLinux.read(started, &never, 8) }
        }
        for port in taken {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue | EPOLLET.rawValue
            event.data.u64 = UInt64(port.device)
            epoll_ctl(epoll, EPOLL_CTL_ADD, port.backend.fileDescriptor, &event)
            port.tapReadable = true
            ports.append(port)
        }
    }

    /// The value of a port's step, or the end of the tender when the guest broke the protocol.
    private func check(_ result: Result<Bool, RingViolation>) -> Bool {
        switch result {
        case let .success(value): return value
        case let .failure(violation):
            Tender.report("the guest crashed: \(violation.reason)")
            _exit(TenderExitStatus.guestCrashed)
        }
    }
}
