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
/// A threshold of nil means quiet: the source shows nothing. Source names are matched byte for
/// byte (``Swift/StringProtocol/hasSameSpelling(as:)``), so that a unikernel's boot does not
/// hash or compare strings by their Unicode normalisation.
public struct LogFilter: Hashable, Sendable {
    /// The threshold of sources not named in ``thresholds``.
    public var defaultThreshold: LogLevel?
    /// The thresholds of named sources, at most one per spelling, in the order they were set.
    private var sourceThresholds: [SourceThreshold]

    /// One named source's threshold.
    private struct SourceThreshold: Sendable {
        var source: String
        var threshold: LogLevel?
    }

    /// Thresholds by source name.
    public var thresholds: [String: LogLevel?] {
        get {
            var thresholds: [String: LogLevel?] = [:]
            for named in sourceThresholds { thresholds.updateValue(named.threshold, forKey: named.source) }
            return thresholds
        }
        set { sourceThresholds = newValue.map { SourceThreshold(source: $0.key, threshold: $0.value) } }
    }

    /// Shows messages up to `defaultThreshold` (by default `info` and more important ones) from
    /// every source.
    public init(defaultThreshold: LogLevel? = .info) {
        self.defaultThreshold = defaultThreshold
        sourceThresholds = []
    }

    /// Shows messages up to `defaultThreshold` from every source but those named in `thresholds`.
    public init(defaultThreshold: LogLevel?, thresholds: [String: LogLevel?]) {
        self.init(defaultThreshold: defaultThreshold)
        self.thresholds = thresholds
    }

    /// The threshold for the source named `source`.
    public func threshold(for source: String) -> LogLevel? {
        if let named = sourceThresholds.first(where: { $0.source.hasSameSpelling(as: source) }) {
            return named.threshold
        }
        return defaultThreshold
    }

    /// Applies one setting: `LEVEL` or `*:LEVEL` for every source, `SOURCE:LEVEL` for one;
    /// several may be joined with commas (`*:warning,net:debug`). Later settings win.
    public mutating func apply(_ setting: String) throws(LogFilterError) {
        for part in setting.utf8.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: true) {
            let colon = part.firstIndex(of: UInt8(ascii: ":"))
            let source = colon.map { String(decoding: part[..<$0], as: UTF8.self) } ?? "*"
            let levelName = String(decoding: colon.map { part[part.index(after: $0)...] } ?? part, as: UTF8.self)
            guard !source.isEmpty else { throw .emptySource(String(decoding: part, as: UTF8.self)) }
            let level: LogLevel?
            if levelName.hasSameSpelling(as: "quiet") {
                level = nil
            } else if let parsed = LogLevel(name: levelName) {
                level = parsed
            } else {
                throw .unknownLevel(levelName)
            }
            if source.hasSameSpelling(as: "*") {
                defaultThreshold = level
                sourceThresholds = []
            } else if let index = sourceThresholds.firstIndex(where: { $0.source.hasSameSpelling(as: source) }) {
                sourceThresholds[index].threshold = level
            } else {
                sourceThresholds.append(SourceThreshold(source: source, threshold: level))
            }
        }
    }

    /// Whether both have the same default and the same named sources (by spelling), each with
    /// the same threshold.
    public static func == (lhs: LogFilter, rhs: LogFilter) -> Bool {
        lhs.defaultThreshold == rhs.defaultThreshold
            && lhs.sourceThresholds.count == rhs.sourceThresholds.count
            && lhs.sourceThresholds.allSatisfy { named in
                rhs.sourceThresholds.contains { $0.source.hasSameSpelling(as: named.source) && $0.threshold == named.threshold }
            }
    }

    public func hash(into hasher: inout Hasher) {
        // Equal filters may list their sources in different orders: hash what the order cannot change.
        hasher.combine(defaultThreshold)
        hasher.combine(sourceThresholds.count)
    }
}
