#if canImport(Glibc)
import Glibc
#endif
import CLinux
import CMirageHVTABI
#if !hasFeature(Embedded)  // the tender's Embedded build compiles MirageHostSystem's files in
import MirageHostSystem
#endif

/// What the tender waits for in the poll hypercall, in one epoll set: SIGINT and SIGTERM (read
/// through a signalfd), the hang-up of a `--via` client (``ReadyServer``) and the I/O thread's wake
/// eventfd, which it signals when it put frames in the receive ring of a guest that sleeps, or
/// served the requests of a block ring whose guest sleeps (net devices are served only through
/// the rings, ABI version 4: the vCPU thread never reads a tap).
///
/// The guest says which devices it waits for; only frames or served requests for those end the
/// wait early.
public final class HostEvents {
    private let epoll: Int32
    private let signals: Int32
    private let events = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: 3)
    private(set) var stopRequested = false

    /// The epoll data of the signalfd, of the wake eventfd and of a client's connection.
    private static let signalMarker = UInt64.max
    private static let wakeMarker = UInt64.max - 1
    private static let hangUpMarker = UInt64.max - 2
    /// The connection whose hang-up stops the guest, until it has.
    private var client: Int32 = -1
    /// The I/O thread's wake eventfd, and which of the devices asked about have frames in their
    /// rings (given the bits asked about).
    private var wake: (fileDescriptor: Int32, ready: (UInt64) -> UInt64)?

    /// Creates the epoll set.
    /// - Parameter handlesSignals: whether SIGINT and SIGTERM stop the guest: they are blocked
    ///   for the calling thread and read from a signalfd instead.
    public init(handlesSignals: Bool = true) {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard handlesSignals else {
            signals = -1
            return
        }
        signals = mirage_signalfd_for_stop_signals()
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.signalMarker
        epoll_ctl(epoll, EPOLL_CTL_ADD, signals, &event)
    }

    deinit {
        events.deallocate()
        SystemCall.close(epoll)
        if signals >= 0 { SystemCall.close(signals) }
    }

    /// Watches `fileDescriptor`, the I/O thread's wake eventfd; `ready` says which of the devices
    /// whose bits it is given have frames in their receive rings.
    func watchRings(wake fileDescriptor: Int32, ready: @escaping (UInt64) -> UInt64) {
        wake = (fileDescriptor, ready)
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.wakeMarker
        epoll_ctl(epoll, EPOLL_CTL_ADD, fileDescriptor, &event)
    }

    /// Stops the guest, as SIGTERM does, when the other end of `connection` (a `--via` client,
    /// which hangs up at its own SIGINT or SIGTERM, or ends) hangs up or sends anything more.
    func stopOnHangUp(of connection: Int32) {
        client = connection
        var event = epoll_event()
        event.events = EPOLLIN.rawValue | EPOLLRDHUP.rawValue
        event.data.u64 = Self.hangUpMarker
        epoll_ctl(epoll, EPOLL_CTL_ADD, connection, &event)
    }

    /// Waits until `deadline` (CLOCK_MONOTONIC nanoseconds), a stop signal, or frames in the
    /// receive ring of one of the net devices whose bits are set in `interest` (or every request
    /// of such a block device served); a deadline that has passed only checks.
    /// - Returns: the bits of the devices in `interest` with frames to read (or an error to
    ///   report) or requests all served, and `MIRAGE_HVT_POLL_STOP_REQUESTED` once the unikernel
    ///   has been asked to stop.
    func wait(until deadline: UInt64, interest: UInt64) -> UInt64 {
        var ready = wake?.ready(interest) ?? 0
        while true {
            if stopRequested { return ready | MIRAGE_HVT_POLL_STOP_REQUESTED }
            let now = HypercallHandler.clock(CLOCK_MONOTONIC)
            let timeout: Int32 = deadline <= now || ready != 0 ? 0 : Int32(clamping: (deadline - now + 999_999) / 1_000_000)
            let waited: Int?
            do throws(ErrorNumber) { waited = try SystemCall.waitForEvents(epoll, into: events, timeout: timeout) } catch { waited = 0 }
            guard let count = waited else { continue }  // a signal: look again
            for event in events.prefix(count) {
                if event.data.u64 == Self.signalMarker {
                    drainSignals()
                    continue
                }
                if event.data.u64 == Self.hangUpMarker {
                    // Once is enough: the connection, hung up, would report itself at every wait.
                    epoll_ctl(epoll, EPOLL_CTL_DEL, client, nil)
                    stopRequested = true
                    continue
                }
                if event.data.u64 == Self.wakeMarker, let wake {
                    RingIOThread.drain(wake.fileDescriptor)
                    ready |= wake.ready(interest)
                }
            }
            // Frames only for devices nobody waits for: wait on.
            if ready != 0 || stopRequested || count <= 0 || timeout == 0 {
                return ready | (stopRequested ? MIRAGE_HVT_POLL_STOP_REQUESTED : 0)
            }
        }
    }

    private func drainSignals() {
        var info = signalfd_siginfo()
        while read(signals, &info, MemoryLayout<signalfd_siginfo>.size) > 0 { stopRequested = true }
    }
}
