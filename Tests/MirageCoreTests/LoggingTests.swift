@testable import MirageCore
import Testing

/// Log levels, the `-l` filter language, the line format, and sources obeying the global filter.
@Suite("Logging")
struct LoggingTests {

    // MARK: - LogLevel

    @Test("each level has a command-line name and a tag for log lines",
          arguments: [
              (LogLevel.app, "app", "APP"),
              (.error, "error", "ERROR"),
              (.warning, "warning", "WARNING"),
              (.info, "info", "INFO"),
              (.debug, "debug", "DEBUG"),
          ])
    func levelNamesAndTags(level: LogLevel, name: String, tag: String) {
        #expect(level.name == name)
        #expect(level.description == tag)
        #expect(LogLevel(name: name) == level)
    }

    @Test("levels run from most important to least: app, error, warning, info, debug")
    func levelOrder() {
        #expect(LogLevel.allCases == [.app, .error, .warning, .info, .debug])
        #expect(LogLevel.app < .error)
        #expect(LogLevel.error < .warning)
        #expect(LogLevel.warning < .info)
        #expect(LogLevel.info < .debug)
    }

    @Test("'warn' is accepted for warning")
    func warnIsWarning() {
        #expect(LogLevel(name: "warn") == .warning)
        #expect(LogLevel(name: "warn"[...]) == .warning)
    }

    @Test("anything else is not a level name, including 'quiet' and upper case",
          arguments: ["quiet", "INFO", "Debug", "", "information", " info", "trace"])
    func notALevelName(text: String) {
        #expect(LogLevel(name: text) == nil)
    }

    // MARK: - LogFilter

    @Test("the default filter shows info and more important messages from every source")
    func defaultFilter() {
        let filter = LogFilter()
        #expect(filter == LogFilter(defaultThreshold: .info, thresholds: [:]))
        #expect(filter.threshold(for: "application") == .info)
        #expect(filter.threshold(for: "net") == .info)
    }

    @Test("apply reads LEVEL, *:LEVEL and SOURCE:LEVEL settings, joined by commas, later ones winning",
          arguments: [
              ("*:info", LogFilter(defaultThreshold: .info)),
              ("*:debug", LogFilter(defaultThreshold: .debug)),
              ("debug", LogFilter(defaultThreshold: .debug)),
              ("warn", LogFilter(defaultThreshold: .warning)),
              ("quiet", LogFilter(defaultThreshold: nil)),
              ("*:quiet", LogFilter(defaultThreshold: nil)),
              ("net:debug", LogFilter(defaultThreshold: .info, thresholds: ["net": .debug])),
              ("net:quiet", LogFilter(defaultThreshold: .info, thresholds: ["net": nil])),
              ("*:warning,net:debug", LogFilter(defaultThreshold: .warning, thresholds: ["net": .debug])),
              ("net:debug,*:warning", LogFilter(defaultThreshold: .warning)),
              ("net:debug,tcp:error", LogFilter(defaultThreshold: .info, thresholds: ["net": .debug, "tcp": .error])),
              ("net:debug,net:error", LogFilter(defaultThreshold: .info, thresholds: ["net": .error])),
              ("error,net:debug", LogFilter(defaultThreshold: .error, thresholds: ["net": .debug])),
              (",net:debug,,", LogFilter(defaultThreshold: .info, thresholds: ["net": .debug])),
              ("", LogFilter()),
          ])
    func applySetting(setting: String, expected: LogFilter) throws {
        var filter = LogFilter()
        try filter.apply(setting)
        #expect(filter == expected)
    }

    @Test("a named source follows its own threshold; every other source follows the default")
    func thresholdsBySource() throws {
        var filter = LogFilter()
        try filter.apply("*:warning,net:debug,tcp:quiet")
        #expect(filter.threshold(for: "net") == .debug)
        #expect(filter.threshold(for: "tcp") == nil)
        #expect(filter.threshold(for: "application") == .warning)
        #expect(filter.threshold(for: "") == .warning)
    }

    @Test("source names are matched byte for byte, not by Unicode equivalence")
    func sourcesMatchByBytes() throws {
        var filter = LogFilter()
        try filter.apply("caf\u{E9}:debug")  // é precomposed
        #expect(filter.threshold(for: "caf\u{E9}") == .debug)
        #expect(filter.threshold(for: "cafe\u{301}") == .info)  // e and a combining acute accent
    }

    @Test("filters are equal when they name the same sources with the same thresholds, in any order")
    func equalityIgnoresOrder() throws {
        var first = LogFilter()
        try first.apply("net:debug,tcp:quiet")
        var second = LogFilter()
        try second.apply("tcp:quiet,net:debug")
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
        #expect(first.thresholds == ["net": .debug, "tcp": nil])
        try second.apply("tcp:error")
        #expect(first != second)
    }

    @Test("a later *:LEVEL setting clears the named sources set before it")
    func starResetsNamedSources() throws {
        var filter = LogFilter()
        try filter.apply("net:debug")
        try filter.apply("tcp:quiet")
        try filter.apply("*:error")
        #expect(filter == LogFilter(defaultThreshold: .error))
        #expect(filter.threshold(for: "net") == .error)
        #expect(filter.threshold(for: "tcp") == .error)
    }

    @Test("apply rejects unknown levels and empty source names",
          arguments: [
              ("loud", LogFilterError.unknownLevel("loud")),
              ("net:loud", .unknownLevel("loud")),
              ("*:", .unknownLevel("")),
              ("net:", .unknownLevel("")),
              ("INFO", .unknownLevel("INFO")),
              ("net:debug:x", .unknownLevel("debug:x")),
              (":debug", .emptySource(":debug")),
              ("*:warning,:debug", .emptySource(":debug")),
          ])
    func applyRejects(setting: String, error: LogFilterError) {
        var filter = LogFilter()
        #expect(throws: error) { try filter.apply(setting) }
    }

    @Test("LogFilterError descriptions name the offending text and what was expected",
          arguments: [
              (LogFilterError.unknownLevel("loud"),
               "unknown log level 'loud' (expected quiet, app, error, warning, info or debug)"),
              (.emptySource(":debug"),
               "log setting ':debug' has an empty source name (expected SOURCE:LEVEL or *:LEVEL)"),
          ])
    func filterErrorDescriptions(error: LogFilterError, description: String) {
        #expect(error.description == description)
    }

    // MARK: - Log lines

    @Test("formatLine stamps a line with the RFC 3339 time, the level tag and the source")
    func formatLineWithTime() {
        let line = Logging.formatLine(
            time: WallTime(seconds: 1_795_428_256), level: .info, source: "application", message: "hello")
        #expect(line == "2026-11-23T10:04:16-00:00: [INFO] [application] hello\n")
    }

    @Test("formatLine without a time leaves out the stamp")
    func formatLineWithoutTime() {
        let line = Logging.formatLine(time: nil, level: .debug, source: "net", message: "ARP reply from 10.0.0.1")
        #expect(line == "[DEBUG] [net] ARP reply from 10.0.0.1\n")
    }

    // MARK: - Sources and the global set-up

    /// Tests that change the global filter and reporter, one at a time; each restores both.
    @Suite("Global logging state", .serialized)
    struct GlobalState {
        /// Runs `body` with a reporter that records every message, then restores the filter and the
        /// reporter that were in place. Sources are named `prefix…` so that messages from other
        /// tests logging at the same time are ignored.
        func capturing(
            _ body: (Capture) throws -> Void
        ) rethrows {
            let savedFilter = Logging.filter
            let savedReporter = Logging.reporter
            defer {
                Logging.setFilter(savedFilter)
                Logging.setReporter(savedReporter)
            }
            let capture = Capture()
            Logging.setReporter { level, source, message in
                if source.name.hasPrefix(Capture.prefix) { capture.messages.append(.init(level, source.name, message)) }
            }
            try body(capture)
        }

        @Test("a new source takes its threshold from the current filter and is registered")
        func newSourceTakesCurrentFilter() throws {
            try capturing { _ in
                var filter = LogFilter(defaultThreshold: .error)
                try filter.apply("\(Capture.prefix)new:debug")
                Logging.setFilter(filter)
                let named = LogSource("\(Capture.prefix)new", documentation: "named in the filter")
                let other = LogSource("\(Capture.prefix)other")
                #expect(named.threshold == .debug)
                #expect(other.threshold == .error)
                #expect(named.name == "\(Capture.prefix)new")
                #expect(named.documentation == "named in the filter")
                #expect(other.documentation == "")
                #expect(Logging.registeredSources.contains { $0 === named })
                #expect(Logging.registeredSources.contains { $0 === other })
            }
        }

        @Test("existing sources' thresholds follow Logging.setFilter")
        func thresholdsFollowSetFilter() throws {
            try capturing { _ in
                let source = LogSource("\(Capture.prefix)follow")
                Logging.setFilter(LogFilter(defaultThreshold: .warning))
                #expect(source.threshold == .warning)
                #expect(source.isEnabled(.warning))
                #expect(!source.isEnabled(.info))

                Logging.setFilter(LogFilter(defaultThreshold: .error, thresholds: [source.name: .debug]))
                #expect(source.threshold == .debug)
                #expect(source.isEnabled(.debug))

                Logging.setFilter(LogFilter(defaultThreshold: .debug, thresholds: [source.name: nil]))
                #expect(source.threshold == nil)
                #expect(!source.isEnabled(.app))
                #expect(Logging.filter == LogFilter(defaultThreshold: .debug, thresholds: [source.name: nil]))
            }
        }

        @Test("each helper logs at its own level")
        func helpersLogAtTheirLevels() {
            capturing { capture in
                let source = LogSource("\(Capture.prefix)levels")
                Logging.setFilter(LogFilter(defaultThreshold: .debug))
                source.app("a")
                source.error("e")
                source.warning("w")
                source.info("i")
                source.debug("d")
                source.log(.warning, "l")
                #expect(capture.messages == [
                    .init(.app, source.name, "a"),
                    .init(.error, source.name, "e"),
                    .init(.warning, source.name, "w"),
                    .init(.info, source.name, "i"),
                    .init(.debug, source.name, "d"),
                    .init(.warning, source.name, "l"),
                ])
            }
        }

        @Test("messages below the threshold are neither formatted nor reported")
        func messagesBelowThresholdAreSkipped() {
            capturing { capture in
                let source = LogSource("\(Capture.prefix)threshold")
                Logging.setFilter(LogFilter(defaultThreshold: nil, thresholds: [source.name: .warning]))
                var formatted = 0
                func message(_ text: String) -> String {
                    formatted += 1
                    return text
                }

                source.debug(message("debug"))
                source.info(message("info"))
                #expect(formatted == 0)
                #expect(capture.messages == [])

                source.warning(message("warning"))
                source.error(message("error"))
                #expect(formatted == 2)
                #expect(capture.messages == [
                    .init(.warning, source.name, "warning"),
                    .init(.error, source.name, "error"),
                ])
            }
        }

        @Test("a quiet source formats and reports nothing, not even app messages")
        func quietSourceIsSilent() {
            capturing { capture in
                let source = LogSource("\(Capture.prefix)quiet")
                Logging.setFilter(LogFilter(defaultThreshold: .debug, thresholds: [source.name: nil]))
                var formatted = 0
                func message() -> String {
                    formatted += 1
                    return "never"
                }
                for level in LogLevel.allCases { source.log(level, message()) }
                source.app(message())
                #expect(formatted == 0)
                #expect(capture.messages == [])
            }
        }

        @Test("report(to:clock:) writes each shown message as a stamped line on the console")
        func reportToConsole() {
            capturing { _ in
                let console = RecordingConsole()
                let clock = FixedWallClock(time: WallTime(seconds: 1_795_428_256, nanoseconds: 123))
                Logging.report(to: console, clock: clock)
                let source = LogSource("\(Capture.prefix)console")
                Logging.setFilter(LogFilter(defaultThreshold: nil, thresholds: [source.name: .info]))

                source.info("hello")
                source.debug("not shown")
                source.warning("disk 90% full")

                #expect(console.text == """
                    2026-11-23T10:04:16-00:00: [INFO] [\(source.name)] hello
                    2026-11-23T10:04:16-00:00: [WARNING] [\(source.name)] disk 90% full

                    """)
            }
        }
    }

    // MARK: - Test doubles

    /// Messages recorded by a test reporter.
    final class Capture {
        static let prefix = "logging-tests-"

        struct Message: Equatable {
            var level: LogLevel
            var source: String
            var text: String

            init(_ level: LogLevel, _ source: String, _ text: String) {
                self.level = level
                self.source = source
                self.text = text
            }
        }

        var messages: [Message] = []
    }

    /// A console that keeps what is written to it.
    final class RecordingConsole: Console {
        var bytes: [UInt8] = []
        var text: String { String(decoding: bytes, as: UTF8.self) }

        func write(_ bytes: UnsafeRawBufferPointer) { self.bytes.append(contentsOf: bytes) }
    }

    /// A wall clock stopped at one time.
    struct FixedWallClock: WallClock {
        var time: WallTime
        func now() -> WallTime { time }
    }
}
