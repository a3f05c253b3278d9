/// The entry points the generated wiring (`mirage/main.swift`) calls: boot, connect devices, run.
public enum Mirage {
    /// The runtime's own log source.
    public static let log = LogSource("runtime", documentation: "the swift-mirage runtime")

    /// Exit status for boot arguments that are unknown or malformed (`EX_USAGE` of sysexits.h).
    public static let usageExitStatus: Int32 = 64

    /// Starts logging to the platform's console and parses the boot arguments against `keys` and
    /// the platform's own (``Platform/bootKeys``), which the platform then takes.
    ///
    /// Prints the help and exits 0 for `--help`; prints the problem and exits with
    /// ``usageExitStatus`` for an unknown key or a malformed value.
    public static func boot<P: Platform>(_ platform: P, unikernel name: String, keys: [BootKey]) -> BootArguments {
        Logging.report(to: platform.console, clock: platform.wallClock)
        let keys = keys + platform.bootKeys
        switch BootArguments.parse(platform.bootArguments, keys: keys) {
        case let .success(arguments):
            Logging.setFilter(arguments.logFilter)
            if let problem = platform.takeBootArguments(arguments) {
                platform.console.write("\(name): \(problem)\nRun '\(name) --help' for the boot arguments.\n")
                platform.exit(usageExitStatus)
            }
            return arguments
        case .help:
            platform.console.write(BootArguments.help(unikernel: name, keys: keys))
            platform.exit(0)
        case let .failure(error):
            platform.console.write("\(name): \(error)\nRun '\(name) --help' for the boot arguments.\n")
            platform.exit(usageExitStatus)
        }
    }

    /// Runs `main` as the unikernel's root task on a new ``Scheduler`` over `platform`, and exits
    /// with the status it returns once it finishes.
    ///
    /// Other tasks still running then are abandoned, as in MirageOS: the unikernel is done when its
    /// main program is. When the platform asks to stop (SIGINT or SIGTERM on unix), the unikernel
    /// logs it and exits 0.
    public static func run<P: Platform>(_ platform: P, _ main: @escaping () async -> Int32) -> Never {
        platform.exit(runToCompletion(platform, main))
    }

    /// Like ``run(_:_:)`` but returns the exit status instead of exiting; for tests.
    public static func runToCompletion<P: Platform>(_ platform: P, _ main: @escaping () async -> Int32) -> Int32 {
        let scheduler = Scheduler(platform: platform)
        let outcome = RootOutcome()
        return ExecutorHooks.withJobsRouted(to: scheduler) {
            let root = Task { outcome.status = await main() }
            switch scheduler.run(until: { outcome.status != nil }) {
            case .finished:
                return outcome.status ?? 0
            case .stopRequested:
                root.cancel()
                log.info("stopping: the platform was asked to stop")
                return 0
            }
        }
    }

    /// Runs `unikernel.start()` and returns the exit status: 0 when it returns, 1 (with the error
    /// logged) when it throws.
    public static func start<U: Unikernel>(_ unikernel: U) async -> Int32 {
        do {
            try await unikernel.start()
            return 0
        } catch {
            log.error("the unikernel failed: \(error)")
            return 1
        }
    }

    /// Connects a device, logging the failure and returning nil when it cannot be connected.
    ///
    /// The wiring calls it for each device in dependency order and exits 1 on nil.
    public static func connect<Device, Failure: Error & CustomStringConvertible>(
        _ name: String, _ connect: () async throws(Failure) -> Device
    ) async -> Device? {
        do {
            return try await connect()
        } catch {
            log.error("cannot connect device '\(name)': \(error)")
            return nil
        }
    }
}

/// The root task's exit status, set when it finishes.
final class RootOutcome {
    var status: Int32?
}
