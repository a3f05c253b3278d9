import Foundation

import Testing

/// Every end-to-end suite, one test at a time: each builds unikernels with SwiftPM, and two
/// fresh builds resolving packages at once can trip over each other (and over 2 cores).
@Suite("End to end", .serialized)
struct EndToEnd {}

/// The checkout this file is in.
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Where the end-to-end tests put their logs, copied images, sockets and peers' files: a
/// directory of this test process's own under the system's temporary one, removed when the
/// process exits, so that test runs do not pile up files there (a whole run left about 800 MiB).
/// With `MIRAGE_KEEP_TEST_FILES` set it is kept, and its path printed.
let scratchDirectory: String = {
    let path = NSTemporaryDirectory() + "mirage-e2e-files-\(getpid())/"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    if ProcessInfo.processInfo.environment["MIRAGE_KEEP_TEST_FILES"] != nil {
        print("end-to-end test files are kept in \(path)")
    } else {
        atexit { try? FileManager.default.removeItem(atPath: scratchDirectory) }
    }
    return path
}()

/// The swift-mirage tool `swift build` made; `scripts/test` builds it before the tests run.
let tool = repositoryRoot + "/.build/debug/swift-mirage"

/// What a finished process did.
struct Finished {
    var status: Int32
    var output: String
    var errorOutput: String
    /// When each line of standard error arrived, in seconds since the process started.
    var errorLineTimes: [Double]

    var errorLines: [String] { errorOutput.split(separator: "\n").map(String.init) }
}

/// Runs `arguments` in `directory`, recording when each line of standard error arrives; sends
/// `signal` once `signalAfterLines` lines have arrived, when given, after calling `inspect` with
/// the process identifier then (once the first line has arrived, without a signal). `environment`
/// adds variables to the inherited ones.
func run(_ arguments: [String], in directory: String = repositoryRoot, signal: Int32? = nil, signalAfterLines: Int = 1,
         environment: [String: String] = [:], inspect: ((Int32) -> Void)? = nil) throws -> Finished {
    let process = Process()
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    process.executableURL = URL(fileURLWithPath: arguments[0])
    process.arguments = Array(arguments.dropFirst())
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    let start = Date()
    try process.run()
    let outputData = DataBox()
    let outputReader = Thread { outputData.data = output.fileHandleForReading.readDataToEndOfFile() }
    outputReader.start()
    var errorData = Data()
    var times: [Double] = []
    var pending = Data()
    while true {
        let chunk = errors.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        errorData += chunk
        pending += chunk
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
            pending = pending[pending.index(after: newline)...]
            times.append(Date().timeIntervalSince(start))
            if times.count == signalAfterLines {
                inspect?(process.processIdentifier)
                if let signal { kill(process.processIdentifier, signal) }
            }
        }
    }
    process.waitUntilExit()
    while !outputReader.isFinished { usleep(1000) }
    return Finished(
        status: process.terminationStatus,
        output: String(decoding: outputData.data, as: UTF8.self),
        errorOutput: String(decoding: errorData, as: UTF8.self),
        errorLineTimes: times)
}

/// Bytes a reader thread fills in and the test reads after joining it.
final class DataBox: @unchecked Sendable {
    var data = Data()
}

/// Runs the tool, failing the test with its output when it fails.
@discardableResult
func swiftMirage(_ arguments: [String], in directory: String) throws -> Finished {
    let result = try run([tool] + arguments, in: directory)
    if result.status != 0 {
        throw ToolFailure(description: "swift-mirage \(arguments.joined(separator: " ")) exited \(result.status):\n\(result.errorOutput)\(result.output)")
    }
    return result
}

struct ToolFailure: Error, CustomStringConvertible {
    var description: String
}

/// Splits `2026-11-23T10:04:16-00:00: [INFO] [application] hello` into its stamp (as seconds
/// since the epoch) and the rest; nil when the line is not of that shape.
func parseLogLine(_ line: String) -> (seconds: Int, rest: String)? {
    let pattern = #/^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})-00:00: (\[[A-Z]+\] \[[a-z-]+\] .*)$/#
    guard let match = line.wholeMatch(of: pattern) else { return nil }
    var components = DateComponents()
    components.timeZone = TimeZone(identifier: "UTC")
    components.year = Int(match.1)
    components.month = Int(match.2)
    components.day = Int(match.3)
    components.hour = Int(match.4)
    components.minute = Int(match.5)
    components.second = Int(match.6)
    guard let date = Calendar(identifier: .gregorian).date(from: components) else { return nil }
    return (Int(date.timeIntervalSince1970), String(match.7))
}

/// Configures (for unix) and builds the unikernel in `directory`, as a test needs before running it.
func configureAndBuild(_ directory: String) throws {
    try swiftMirage(["configure", "-t", "unix"], in: directory)
    try swiftMirage(["build"], in: directory)
}
