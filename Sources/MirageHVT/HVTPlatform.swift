import CMirageHVT
import MirageRuntime

/// The hvt platform: the unikernel as a KVM guest of the mirage-hvt tender. There is no operating
/// system beneath: time, the console, devices and idling are hypercalls (mirage_hvt_abi.h).
///
/// The scheduler idles in the poll hypercall, where the tender blocks until the deadline or a host
/// event; SIGINT or SIGTERM to the tender comes back from poll as a stop request.
public final class HVTPlatform: Platform {
    public let console = HVTConsole()
    public let wallClock = HVTWallClock()
    public let monotonicClock = HVTMonotonicClock()
    public let bootArguments: [String]
    public private(set) var stopRequested = false

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
        // A check without waiting would cost a VM exit after every scheduler round; with no
        // network device there is nothing to check but a stop request, which can wait for idling.
        if deadline <= monotonicClock.now() { return }
        var request = mirage_hvt_poll(deadline: deadline.nanoseconds, ready: 0)
        mirage_hvt_hypercall(MIRAGE_HVT_POLL, &request)
        if request.ready & MIRAGE_HVT_POLL_STOP_REQUESTED != 0 { stopRequested = true }
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

/// The host's CLOCK_REALTIME, through the wall-clock hypercall.
public final class HVTWallClock: WallClock {
    public init() {}

    public func now() -> WallTime {
        let nanoseconds = mirage_hvt_wall_clock_ns()
        return WallTime(seconds: Int64(nanoseconds / 1_000_000_000), nanoseconds: UInt32(nanoseconds % 1_000_000_000))
    }
}

/// The boot information the tender wrote; the entry point saved its address before Swift ran.
func bootInfo() -> UnsafeMutablePointer<mirage_hvt_boot_info> {
    guard let info = mirage_hvt_boot_info_pointer() else {
        preconditionFailure("no boot information: the guest was not started by mirage-hvt")
    }
    return info
}
