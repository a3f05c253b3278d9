import CMirageHVTGuest
import MirageRuntime

/// The hvt platform: the unikernel as a KVM guest of the mirage-hvt tender. There is no operating
/// system beneath: time, the console, devices and idling are hypercalls (mirage_hvt_abi.h).
///
/// The scheduler idles in the poll hypercall, where the tender blocks until the deadline or a host
/// event: frames for a net device a task waits for (``waitForFrames(device:)``), or SIGINT or
/// SIGTERM to the tender, which comes back from poll as a stop request.
public final class HVTPlatform: Platform {
    public let console = HVTConsole()
    public let wallClock = HVTWallClock()
    public let monotonicClock = HVTMonotonicClock()
    public let bootArguments: [String]
    public private(set) var stopRequested = false

    /// The tasks waiting for frames, by device index.
    private var frameWaiters: [[UnsafeContinuation<Void, Never>]] = Array(repeating: [], count: Int(MIRAGE_HVT_MAX_DEVICES))
    /// Bit n set while a task waits for frames on device n: the poll hypercall's interest.
    private var waitingDevices: UInt64 = 0
    /// The net devices whose frames travel in the net poll hypercall, and the array of their
    /// queues handed to the tender.
    private var frameQueues: [HVTFrameQueue] = []
    private let queueArray = UnsafeMutablePointer<mirage_hvt_net_queue>.allocate(capacity: Int(MIRAGE_HVT_MAX_DEVICES))
    /// When the devices were last looked at: the return of the last poll hypercall, whether it
    /// only checked, sent or waited.
    private var lastCheck = Instant(nanoseconds: 0)
    /// The least time between a poll hypercall and a check-only one while tasks keep the guest
    /// busy: each is a VM exit (about 90 µs of host CPU on this project's machines), and the
    /// scheduler checks after every round that leaves work ready.
    static let checkInterval = Duration.microseconds(50)

    /// Reads the boot information the tender wrote.
    public init() {
        let info = bootInfo()
        var arguments: [String] = []
        var cursor = UnsafePointer<CChar>(bitPattern: UInt(info.pointee.command_line))
        for _ in 0..<info.pointee.argument_count {
            guard let text = cursor else { break }
            let argument = String(cString: text)
            arguments.append(argument)
            cursor = text + argument.utf8.count + 1
        }
        bootArguments = arguments
    }

    public func poll(until deadline: Instant) {
        if frameQueues.contains(where: { $0.hasFramesToSend }) {
            // Frames queued in this round go now, in the call that also checks or waits.
        } else if waitingDevices == 0 {
            // A check without waiting costs a VM exit, and the scheduler checks after every
            // round: with no task waiting for frames there is nothing to check but a stop
            // request, which can wait for idling. `.zero`, the scheduler's "only check", is
            // recognised without reading the clock (another VM exit).
            if deadline == .zero || deadline <= monotonicClock.now() { return }
        } else if deadline == .zero {
            // Tasks are ready to run: frames that came meanwhile can wait a few microseconds,
            // checked at most every `checkInterval` (the clock is the TSC: no exit).
            if monotonicClock.now() - lastCheck < Self.checkInterval { return }
        }
        exchange(until: deadline)
    }

    /// Attaches net device `queue` (its index in the device table): from now on its frames go
    /// and come in the net poll hypercall, which every poll makes.
    public func attach(_ queue: HVTFrameQueue) {
        precondition(frameQueues.count < Int(MIRAGE_HVT_MAX_DEVICES), "more net devices than the device table holds")
        frameQueues.append(queue)
    }

    /// Sends the frames queued and takes those waiting now, without waiting: for a device whose
    /// queue is full, or that knows frames wait in the tender.
    public func exchangeFrames() {
        exchange(until: .zero)
    }

    /// One poll hypercall, the net poll when devices are attached: queued frames go first, frames
    /// that wait come back, and only when none came does the tender wait for the devices tasks
    /// wait for, until `deadline`. Then the tasks of the devices with frames are resumed.
    private func exchange(until deadline: Instant) {
        var ready: UInt64
        if frameQueues.isEmpty {
            var request = mirage_hvt_poll(deadline: deadline.nanoseconds, ready: waitingDevices)
            mirage_hvt_hypercall(MIRAGE_HVT_POLL, &request)
            ready = request.ready
        } else {
            for (slot, queue) in frameQueues.enumerated() {
                queueArray[slot] = mirage_hvt_net_queue()
                queueArray[slot].device = UInt32(queue.deviceIndex)
                queue.prepare(&queueArray[slot])
            }
            var request = mirage_hvt_net_poll(poll: mirage_hvt_poll(deadline: deadline.nanoseconds, ready: waitingDevices),
                                              queues: UInt64(UInt(bitPattern: queueArray)), queue_count: UInt64(frameQueues.count))
            mirage_hvt_hypercall(MIRAGE_HVT_NET_POLL, &request)
            ready = request.poll.ready
            for (slot, queue) in frameQueues.enumerated() where queue.complete(queueArray[slot]) {
                ready |= 1 << UInt64(queue.deviceIndex)
            }
        }
        lastCheck = monotonicClock.now()
        if ready & MIRAGE_HVT_POLL_STOP_REQUESTED != 0 { stopRequested = true }
        ready &= waitingDevices
        guard ready != 0 else { return }
        waitingDevices &= ~ready
        for index in frameWaiters.indices where ready & (1 << UInt64(index)) != 0 {
            var woken: [UnsafeContinuation<Void, Never>] = []
            swap(&woken, &frameWaiters[index])
            for continuation in woken { continuation.resume() }
        }
    }

    /// Suspends the current task until the tender has frames for net device `index` (or an
    /// error to report): the next poll returns early for them.
    public func waitForFrames(device index: Int) async {
        precondition(index >= 0 && index < frameWaiters.count, "device index \(index) out of range")
        await withUnsafeContinuation { continuation in
            frameWaiters[index].append(continuation)
            waitingDevices |= 1 << UInt64(index)
        }
    }

    /// Sends the frames still queued (a last response, a FIN), then halts.
    public func exit(_ status: Int32) -> Never {
        if frameQueues.contains(where: { $0.hasFramesToSend }) { exchange(until: .zero) }
        mirage_hvt_halt(status)
    }
}

/// A net device whose frames travel in the net poll hypercall (`MIRAGE_HVT_NET_POLL`): it queues
/// the frames to send and offers a receive area, and ``HVTPlatform`` makes the call when the
/// scheduler polls, so that one VM exit carries a whole round's frames both ways.
public protocol HVTFrameQueue: AnyObject {
    /// The device's index in the tender's device table.
    var deviceIndex: Int { get }
    /// Whether frames wait to be sent: then the next poll makes the call even if it would only
    /// have checked.
    var hasFramesToSend: Bool { get }
    /// Fills in the device's part of the next call (`device` is set). What it points to must
    /// stay valid and unchanged until ``complete(_:)``.
    func prepare(_ queue: inout mirage_hvt_net_queue)
    /// Takes the tender's answer to the call `prepare` was for.
    /// - Returns: whether the device now has frames for its reader (or a failure to report).
    func complete(_ queue: mirage_hvt_net_queue) -> Bool
}

/// The tender's console: what the guest writes appears on the tender's standard error.
public final class HVTConsole: Console {
    public init() {}

    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        mirage_hvt_console_write(base, bytes.count)
    }
}

/// The host's CLOCK_MONOTONIC, through the monotonic-clock hypercall.
public final class HVTMonotonicClock: MonotonicClock {
    public init() {}
    public func now() -> Instant { Instant(nanoseconds: mirage_hvt_monotonic_ns()) }
}

/// The host's CLOCK_REALTIME: read with the wall-clock hypercall (a VM exit) at most every
/// ``resynchronisationInterval``, and in between carried forward on the monotonic TSC clock, so
/// that a server stamping every response with the time makes no exit for it.
public final class HVTWallClock: WallClock {
    /// How long the wall clock runs on the TSC before it is read from the host again.
    public static let resynchronisationInterval = Duration.seconds(1)
    private let monotonic = HVTMonotonicClock()
    /// The host's wall time in nanoseconds at `readAt`, and when it was read.
    private var hostTime: UInt64 = 0
    private var readAt: Instant?

    public init() {}

    public func now() -> WallTime {
        let current = monotonic.now()
        if let readAt, current - readAt < Self.resynchronisationInterval {
            let nanoseconds = hostTime + UInt64(current.nanoseconds - readAt.nanoseconds)
            return WallTime(seconds: Int64(nanoseconds / 1_000_000_000), nanoseconds: UInt32(nanoseconds % 1_000_000_000))
        }
        hostTime = mirage_hvt_wall_clock_ns()
        readAt = current
        return WallTime(seconds: Int64(hostTime / 1_000_000_000), nanoseconds: UInt32(hostTime % 1_000_000_000))
    }
}

/// The boot information the tender wrote (its device table, for the device modules); the entry
/// point saved its address before Swift ran.
public func bootInfo() -> UnsafeMutablePointer<mirage_hvt_boot_info> {
    guard let info = mirage_hvt_boot_info_pointer() else {
        preconditionFailure("no boot information: the guest was not started by mirage-hvt")
    }
    return info
}
