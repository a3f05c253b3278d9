/// Why a `-l` log setting could not be parsed.
public enum LogFilterError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The level is not one of `quiet`, `app`, `error`, `warning`, `info`, `debug`.
    case unknownLevel(String)
    /// The source part before `:` is empty.
    case emptySource(String)

    public var description: String {
        switch self {
        case let .unknownLevel(level):
            "unknown log level '\(level)' (expected quiet, app, error, warning, info or debug)"
        case let .emptySource(setting):
            "log setting '\(setting)' has an empty source name (expected SOURCE:LEVEL or *:LEVEL)"
        }
    }
}

/// Which messages to show: a default threshold and thresholds for named sources, as given by
/// boot arguments such as `-l '*:info' -l net:debug` (MirageOS's `--logs`).
///
/// A threshold of nil means quiet: the source shows nothing.
public struct LogFilter: Hashable, Sendable {
    /// The threshold of sources not named in ``thresholds``.
    public var defaultThreshold: LogLevel?
    /// Thresholds by source name.
    public var thresholds: [String: LogLevel?]

    /// Shows `info` and more important messages from every source.
    public init(defaultThreshold: LogLevel? = .info, thresholds: [String: LogLevel?] = [:]) {
        self.defaultThreshold = defaultThreshold
        self.thresholds = thresholds
    }

    /// The threshold for the source named `source`.
    public func threshold(for source: String) -> LogLevel? {
        if let threshold = thresholds[source] { return threshold }
        return defaultThreshold
    }

    /// Applies one setting: `LEVEL` or `*:LEVEL` for every source, `SOURCE:LEVEL` for one;
    /// several may be joined with commas (`*:warning,net:debug`). Later settings win.
    public mutating func apply(_ setting: String) throws(LogFilterError) {
        for part in setting.split(separator: ",", omittingEmptySubsequences: true) {
            let pieces = part.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            let source = pieces.count == 2 ? String(pieces[0]) : "*"
            let levelName = String(pieces[pieces.count - 1])
            guard !source.isEmpty else { throw .emptySource(String(part)) }
            let level: LogLevel?
            if levelName == "quiet" {
                level = nil
            } else if let parsed = LogLevel(name: levelName) {
                level = parsed
            } else {
                throw .unknownLevel(levelName)
            }
            if source == "*" {
                defaultThreshold = level
                thresholds = [:]
            } else {
                thresholds[source] = .some(level)
            }
        }
    }
}
