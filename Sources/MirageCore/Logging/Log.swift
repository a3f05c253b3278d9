/// A named source of log messages, such as `application`, `net` or `tcp`.
///
/// Declare one per library or component, as a global or static constant, and log through it:
/// ```swift
/// let log = LogSource("application", documentation: "the unikernel")
/// log.info("hello")
/// ```
/// Messages are autoclosures: a message below the source's threshold is never formatted.
public final class LogSource {
    /// The name used in log lines and in `-l NAME:LEVEL`.
    public let name: String
    /// What the source is about, for `--help`-style listings.
    public let documentation: String
    /// The least important level shown, or nil when the source is quiet.
    ///
    /// Read for every message, and written only by ``Logging/setFilter(_:)``, which reads nothing
    /// of the source's meanwhile: it goes without the run-time exclusivity check, as
    /// `Scheduler`'s queues do.
    @exclusivity(unchecked) public private(set) var threshold: LogLevel?

    /// Creates and registers a source; its threshold comes from the current ``Logging/filter``.
    public init(_ name: String, documentation: String = "") {
        self.name = name
        self.documentation = documentation
        threshold = Logging.filter.threshold(for: name)
        Logging.register(self)
    }

    /// Whether a message at `level` would be shown.
    @inlinable
    public func isEnabled(_ level: LogLevel) -> Bool {
        guard let threshold else { return false }
        return level <= threshold
    }

    /// Logs `message` at `level` when the source's threshold allows it.
    @inlinable
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String) {
        if isEnabled(level) { Logging.report(level, self, message()) }
    }

    @inlinable public func app(_ message: @autoclosure () -> String) { log(.app, message()) }
    @inlinable public func error(_ message: @autoclosure () -> String) { log(.error, message()) }
    @inlinable public func warning(_ message: @autoclosure () -> String) { log(.warning, message()) }
    @inlinable public func info(_ message: @autoclosure () -> String) { log(.info, message()) }
    @inlinable public func debug(_ message: @autoclosure () -> String) { log(.debug, message()) }

    func refreshThreshold() { threshold = Logging.filter.threshold(for: name) }
}

/// The global logging set-up: which messages are shown and where they go.
///
/// The runtime configures it at boot from the `-l` boot arguments and points the reporter at the
/// platform's console and wall clock. The unikernel is single-threaded, so this state is too.
public enum Logging {
    /// Receives each message that passes its source's threshold.
    public typealias Reporter = (LogLevel, LogSource, String) -> Void

    nonisolated(unsafe) public private(set) static var filter = LogFilter()
    nonisolated(unsafe) static var sources: [LogSource] = []
    nonisolated(unsafe) static var reporter: Reporter = { level, source, message in
        print(formatLine(time: nil, level: level, source: source.name, message: message), terminator: "")
    }

    /// Every source created so far.
    public static var registeredSources: [LogSource] { sources }

    /// Replaces the filter and updates every source's threshold.
    public static func setFilter(_ newFilter: LogFilter) {
        filter = newFilter
        for source in sources { source.refreshThreshold() }
    }

    /// Sends every shown message to `newReporter`.
    public static func setReporter(_ newReporter: @escaping Reporter) { reporter = newReporter }

    /// Writes shown messages as lines on `console`, stamped with `clock`'s time.
    public static func report<Clock: WallClock>(to console: some Console, clock: Clock) {
        reporter = { level, source, message in
            console.write(formatLine(time: clock.now(), level: level, source: source.name, message: message))
        }
    }

    /// The line MirageOS's reporter prints, newline included:
    /// `2026-11-23T10:04:16-00:00: [INFO] [application] hello`.
    public static func formatLine(time: WallTime?, level: LogLevel, source: String, message: String) -> String {
        let stamp = time.map { $0.rfc3339 + ": " } ?? ""
        return stamp + "[" + level.description + "] [" + source + "] " + message + "\n"
    }

    @usableFromInline
    static func report(_ level: LogLevel, _ source: LogSource, _ message: String) {
        reporter(level, source, message)
    }

    static func register(_ source: LogSource) { sources.append(source) }
}
