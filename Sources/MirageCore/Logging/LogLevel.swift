/// How important a log message is, most important first (the levels of OCaml's Logs library,
/// which MirageOS uses).
public enum LogLevel: Int, Comparable, CaseIterable, Sendable, CustomStringConvertible {
    /// Application output that is always shown unless the source is quiet.
    case app
    case error
    case warning
    case info
    case debug

    public static func < (lhs: LogLevel, rhs: LogLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The name used on the command line: `app`, `error`, `warning`, `info`, `debug`.
    public var name: String {
        switch self {
        case .app: "app"
        case .error: "error"
        case .warning: "warning"
        case .info: "info"
        case .debug: "debug"
        }
    }

    /// The tag printed in a log line: `APP`, `ERROR`, `WARNING`, `INFO`, `DEBUG`.
    public var description: String {
        switch self {
        case .app: "APP"
        case .error: "ERROR"
        case .warning: "WARNING"
        case .info: "INFO"
        case .debug: "DEBUG"
        }
    }

    /// Parses a level name as ``name`` spells it (also `warn`), byte for byte; nil for anything
    /// else.
    public init?(name: some StringProtocol) {
        if name.hasSameSpelling(as: "warn") {
            self = .warning
            return
        }
        guard let level = Self.allCases.first(where: { name.hasSameSpelling(as: $0.name) }) else { return nil }
        self = level
    }
}
