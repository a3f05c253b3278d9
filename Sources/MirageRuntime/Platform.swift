/// What the runtime needs from the platform beneath it: clocks, a console, the command line, a way
/// to wait for events, and a way to exit.
///
/// `MirageUnix.UnixPlatform` implements it over epoll and Linux system calls; the hvt platform over
/// the tender's hypercalls; `MirageTesting.SimulatedPlatform` over a manual clock.
public protocol Platform: AnyObject {
    associatedtype PlatformConsole: Console
    associatedtype PlatformWallClock: WallClock
    associatedtype PlatformMonotonicClock: MonotonicClock

    /// The console that log lines go to.
    var console: PlatformConsole { get }
    /// The current civil time, for log stamps and applications.
    var wallClock: PlatformWallClock { get }
    /// The clock that timers and `sleep` use.
    var monotonicClock: PlatformMonotonicClock { get }
    /// The boot arguments, without the program name.
    var bootArguments: [String] { get }

    /// Waits until a device the platform watches becomes ready or `deadline` passes, whichever is
    /// first, and resumes the tasks waiting for ready devices. A deadline in the past only checks,
    /// without blocking.
    func poll(until deadline: Instant)

    /// Whether the platform has been asked to stop (SIGINT or SIGTERM on unix).
    var stopRequested: Bool { get }

    /// Ends the unikernel with `status` (0 for success).
    func exit(_ status: Int32) -> Never

    /// Boot arguments the platform itself reads (unix: `--poll-spin`), which ``Mirage/boot(_:unikernel:keys:)``
    /// parses and lists in `--help` with the unikernel's; none by default.
    var bootKeys: [BootKey] { get }

    /// Takes the values of ``bootKeys`` once the command line has parsed.
    /// - Returns: what is wrong with them, for the boot to report before it exits
    ///   ``Mirage/usageExitStatus``; nil when they are usable.
    func takeBootArguments(_ arguments: BootArguments) -> String?
}

extension Platform {
    public var bootKeys: [BootKey] { [] }
    public func takeBootArguments(_ arguments: BootArguments) -> String? { nil }
}
