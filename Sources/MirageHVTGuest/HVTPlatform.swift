import CMirageHVTGuest
import MirageRuntime

/// The hvt platform: the unikernel as a KVM guest of the mirage-hvt tender. There is no operating
/// system beneath: time, the console, devices and idling are hypercalls (mirage_hvt_abi.h).
///
/// The scheduler idles in the poll hypercall, where the tender blocks until the deadline or a host
/// event: frames for a net device a task waits for (``waitForFrames(device:)``), or SIGINT or
/// SIGTERM to the tender, which comes back from poll as a stop request. Frames themselves travel
/// in rings (``HVTRingDevice``) without VM exits.
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
    /// The net devices whose frames travel in rings the tender's I/O thread serves.
    private var ringDevices: [HVTRingDevice] = []
    /// When the tender was last asked, without waiting, whether the unikernel should stop (at
    /// first, when the platform was set up).
    private var lastCheck = Instant(nanoseconds: 0)
    /// The most time between two looks at the tender while tasks keep the guest busy: frames need
    /// no VM exit, but a stop request (SIGTERM to the tender) is learnt only in the poll hypercall,
    /// which costs one (about 90 µs of host CPU on this project's machines).
    static let checkInterval = Duration.milliseconds(10)
    /// How long the guest keeps looking at its rings for frames before it sleeps in the poll
    /// hypercall: at most the tender's `--poll-spin` (in the boot information), adapted to how
    /// soon frames have come after the guest went to sleep. A sleep costs a VM exit and a wake-up,
    /// and a keep-alive peer's next frame often comes sooner.
    private var pollSpin: PollSpin

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
        pollSpin = PollSpin(limit: .nanoseconds(Int64(clamping: info.pointee.poll_spin_ns)))
        // Counted from boot: a unikernel that runs and halts within the interval (a probe, a
        // job) makes no exit to ask, and one asked to stop learns it at its first sleep.
        lastCheck = monotonicClock.now()
    }

    /// Moves the frames of every ring device (no VM exit), then, when nothing woke and the
    /// deadline is ahead, sleeps in the poll hypercall until it or frames for a waiting task.
    public func poll(until deadline: Instant) {
        let (arrived, kickAsked) = exchangeFrames()
        var kick = kickAsked
        let woke = wake(arrived)
        // `.zero`, the scheduler's "only check", is recognised without reading the clock.
        if woke || deadline == .zero || deadline <= monotonicClock.now() {
            // Tasks are ready: wake the tender's thread for what they queued, and look for a stop
            // request now and then (a check is a VM exit; the clock is the TSC, not one).
            if kick { self.kick() }
            if monotonicClock.now() - lastCheck >= Self.checkInterval { hypercallPoll(until: .zero) }
            return
        }
        // Before sleeping, look at the rings a little longer (the tender's thread woken first for
        // what was just queued): a busy peer's next frame often comes sooner than a sleep's VM exit
        // and wake-up would take.
        let spinning = pollSpin.current > .zero && waitingDevices != 0 && !ringDevices.isEmpty
        for device in ringDevices { device.becameIdle() }
        let spinStart = monotonicClock.now()
        if spinning {
            if kick { self.kick() }
            kick = false
            let spinEnd = min(deadline, spinStart + pollSpin.current)
            if spin(until: spinEnd) || spinEnd == deadline {
                if monotonicClock.now() - lastCheck >= Self.checkInterval { hypercallPoll(until: .zero) }
                return
            }
        }
        // Going to sleep: the tender wakes its thread for frames just queued (no kick needed),
        // and ends the wait when frames arrive for a waiting task.
        var arrivedMeanwhile = false
        for device in ringDevices where waitingDevices & (1 << UInt64(device.deviceIndex)) != 0 {
            if device.prepareToSleep() { arrivedMeanwhile = true }
        }
        if arrivedMeanwhile {
            for device in ringDevices { device.wokeUp() }
            if kick { self.kick() }
            return  // the scheduler polls again at once and takes them
        }
        let sleepStart = monotonicClock.now()
        let waitedForFrames = waitingDevices != 0
        let wokenByFrames = hypercallPoll(until: deadline)
        for device in ringDevices { device.wokeUp() }
        if waitedForFrames {
            pollSpin.slept(after: sleepStart - spinStart, for: lastCheck - sleepStart, wokenByWork: wokenByFrames)
        }
    }

    /// Moves the rings' frames, without sleeping, until frames arrive for a waiting task or `end`.
    /// - Returns: whether a task was resumed.
    private func spin(until end: Instant) -> Bool {
        while monotonicClock.now() < end {
            let (arrived, kick) = exchangeFrames()
            if kick { self.kick() }
            if wake(arrived) { return true }
            mirage_hvt_cpu_relax()
        }
        return false
    }

    /// The poll hypercall: waits until `deadline` for frames on the devices tasks wait for, or a
    /// stop request, and resumes the tasks of the devices with frames.
    /// - Returns: whether frames resumed a task.
    @discardableResult
    private func hypercallPoll(until deadline: Instant) -> Bool {
        var request = mirage_hvt_poll(deadline: deadline.nanoseconds, ready: waitingDevices)
        mirage_hvt_hypercall(MIRAGE_HVT_POLL, &request)
        lastCheck = monotonicClock.now()
        if request.ready & MIRAGE_HVT_POLL_STOP_REQUESTED != 0 { stopRequested = true }
        let (arrived, kick) = exchangeFrames(of: request.ready)
        // Frames taken from a full ring: the tender's thread waits for that room.
        if kick { self.kick() }
        return wake(arrived)
    }

    /// Moves the frames of the ring devices whose bits are set in `devices` (all by default).
    /// - Returns: the bits of those with frames for their reader, and whether the tender's thread
    ///   asked for a kick.
    private func exchangeFrames(of devices: UInt64 = ~0) -> (arrived: UInt64, kick: Bool) {
        var arrived: UInt64 = 0
        var kick = false
        for device in ringDevices where devices & (1 << UInt64(device.deviceIndex)) != 0 {
            let (frames, kickNeeded) = device.exchange()
            if frames { arrived |= 1 << UInt64(device.deviceIndex) }
            kick = kick || kickNeeded
        }
        return (arrived, kick)
    }

    /// Resumes the tasks waiting on the devices whose bits are set in `devices`.
    /// - Returns: whether any task was resumed.
    private func wake(_ devices: UInt64) -> Bool {
        let ready = devices & waitingDevices
        guard ready != 0 else { return false }
        waitingDevices &= ~ready
        for index in frameWaiters.indices where ready & (1 << UInt64(index)) != 0 {
            var woken: [UnsafeContinuation<Void, Never>] = []
            swap(&woken, &frameWaiters[index])
            for continuation in woken { continuation.resume() }
        }
        return true
    }

    /// Attaches a ring device: from now on every poll moves its frames.
    public func attach(_ device: HVTRingDevice) {
        precondition(ringDevices.count < Int(MIRAGE_HVT_MAX_DEVICES), "more net devices than the device table holds")
        ringDevices.append(device)
    }

    /// Wakes the tender's I/O thread (a store KVM handles without a VM exit to the tender).
    public func kick() {
        mirage_hvt_hypercall(MIRAGE_HVT_NET_KICK, nil)
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

    /// Puts the frames still queued (a last response, a FIN) in the rings and waits, up to a
    /// second, for the tender's thread to send them; then halts.
    public func exit(_ status: Int32) -> Never {
        var kick = false
        for device in ringDevices { kick = device.exchange().kick || kick }
        if kick { self.kick() }
        let giveUp = monotonicClock.now() + .seconds(1)
        while ringDevices.contains(where: { $0.hasFramesInFlight }), monotonicClock.now() < giveUp {
            for device in ringDevices { _ = device.exchange() }
            hypercallPoll(until: monotonicClock.now() + .milliseconds(1))
        }
        mirage_hvt_halt(status)
    }
}

/// A net device whose frames travel in rings the tender's I/O thread serves (mirage_hvt_abi.h,
/// "Net rings"); ``HVTPlatform`` moves them at every poll, without a VM exit.
public protocol HVTRingDevice: AnyObject {
    /// The device's index in the tender's device table.
    var deviceIndex: Int { get }
    /// Whether frames wait to be sent, queued or in the ring.
    var hasFramesInFlight: Bool { get }
    /// Puts queued frames in the transmit ring and takes arrived ones from the receive ring.
    /// - Returns: whether the device has frames for its reader (or a failure to report), and
    ///   whether the tender's thread asked for a kick.
    func exchange() -> (arrived: Bool, kick: Bool)
    /// Asks the tender to end the guest's sleep when frames arrive.
    /// - Returns: whether some arrived meanwhile (the guest then does not sleep).
    func prepareToSleep() -> Bool
    /// Withdraws the request of ``prepareToSleep()``.
    func wokeUp()
    /// Tells the tender's thread that the guest has no work left (its spin, then its sleep), so
    /// that it does not look for frames that will not come until more arrive.
    func becameIdle()
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

/// The host's CLOCK_REALTIME: the guest's monotonic clock plus the host's difference between the
/// two, given at boot and read again with the wall-clock hypercall (a VM exit) at most once a
/// second (`mirage_hvt_wall_clock_ns`, clock.c), so that a server stamping every response with
/// the time, or the first log line, makes no exit for it.
public final class HVTWallClock: WallClock {
    public init() {}

    public func now() -> WallTime {
        let nanoseconds = mirage_hvt_wall_clock_ns()
        return WallTime(seconds: Int64(nanoseconds / 1_000_000_000), nanoseconds: UInt32(nanoseconds % 1_000_000_000))
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
