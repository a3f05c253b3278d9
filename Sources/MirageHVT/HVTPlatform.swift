import CMirageHVT
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
    /// When the last check-only poll hypercall was made.
    private var lastCheck = Instant(nanoseconds: 0)
    /// The least time between two check-only polls while tasks keep the guest busy: each is a VM
    /// exit, and the scheduler checks after every round.
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
        if waitingDevices == 0 {
            // A check without waiting costs a VM exit, and the scheduler checks after every
            // round: with no task waiting for frames there is nothing to check but a stop
            // request, which can wait for idling. `.zero`, the scheduler's "only check", is
            // recognised without reading the clock (another VM exit).
            if deadline == .zero || deadline <= monotonicClock.now() { return }
        } else if deadline == .zero {
            // Tasks are ready to run: frames that came meanwhile can wait a few microseconds,
            // checked at most every `checkInterval` (the clock is the TSC: no exit).
            let now = monotonicClock.now()
            if now - lastCheck < Self.checkInterval { return }
            lastCheck = now
        }
        var request = mirage_hvt_poll(deadline: deadline.nanoseconds, ready: waitingDevices)
        mirage_hvt_hypercall(MIRAGE_HVT_POLL, &request)
        if request.ready & MIRAGE_HVT_POLL_STOP_REQUESTED != 0 { stopRequested = true }
        let ready = request.ready & waitingDevices
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

    public func exit(_ status: Int32) -> Never {
        mirage_hvt_halt(status)
    }
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
