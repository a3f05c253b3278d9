import Foundation
import Testing

extension EndToEnd {
    /// The README's everyday loop, for real: configure, build, run the image.
    @Suite("Hello unikernel end to end", .serialized)
    struct HelloTests {
        static let directory = repositoryRoot + "/Examples/hello"

        @Test("configure -t unix, build, and ./dist/hello prints four hello lines a second apart, exit 0")
        func configureBuildRun() throws {
            try swiftMirage(["clean"], in: Self.directory)
            try swiftMirage(["configure", "-t", "unix"], in: Self.directory)
            #expect(FileManager.default.fileExists(atPath: Self.directory + "/mirage/main.swift"))
            try swiftMirage(["build"], in: Self.directory)
            let start = Date()
            let result = try run([Self.directory + "/dist/hello"], in: Self.directory)
            let elapsed = Date().timeIntervalSince(start)
            #expect(result.status == 0)
            let lines = result.errorLines
            #expect(lines.count == 4, "\(result.errorOutput)")
            let parsed = lines.compactMap(parseLogLine)
            #expect(parsed.count == 4, "every line has the shape 2026-11-23T10:04:16-00:00: [INFO] [application] hello")
            #expect(parsed.allSatisfy { $0.rest == "[INFO] [application] hello" })
            // One-second sleeps: stamps advance by one second, two at a second boundary, never zero.
            for (earlier, later) in zip(parsed, parsed.dropFirst()) {
                #expect([1, 2].contains(later.seconds - earlier.seconds))
            }
            #expect(elapsed >= 3, "three one-second sleeps took \(elapsed) s")
            #expect(result.output.isEmpty)
        }

        @Test("swift-mirage run passes boot arguments after --")
        func runWithBootArguments() throws {
            let result = try run([tool, "run", Self.directory, "--", "--hello=bonjour"])
            #expect(result.status == 0)
            let greetings = result.errorLines.compactMap(parseLogLine).map(\.rest)
            #expect(greetings == Array(repeating: "[INFO] [application] bonjour", count: 4), "\(result.errorOutput)")
        }

        @Test("--help lists the application's key with its default; an unknown key or a platform key out of range exits 64")
        func bootArgumentErrors() throws {
            try configureAndBuild(Self.directory)
            let help = try run([Self.directory + "/dist/hello", "--help"])
            #expect(help.status == 0)
            #expect(help.errorOutput.contains("--hello=STRING"))
            #expect(help.errorOutput.contains("What the unikernel says. (default: hello)"))
            #expect(help.errorOutput.contains("--poll-spin=MICROSECONDS"))  // the platform's own key
            let outOfRange = try run([Self.directory + "/dist/hello", "--poll-spin=5000"])
            #expect(outOfRange.status == 64)
            #expect(outOfRange.errorOutput == "hello: invalid value '5000' for boot argument '--poll-spin': expected microseconds from 0 to 1000\nRun 'hello --help' for the boot arguments.\n")
            let unknown = try run([Self.directory + "/dist/hello", "--goodbye=x"])
            #expect(unknown.status == 64)
            #expect(unknown.errorOutput == "hello: unknown boot argument '--goodbye'\nRun 'hello --help' for the boot arguments.\n")
            let malformed = try run([Self.directory + "/dist/hello", "-l", "loud"])
            #expect(malformed.status == 64)
            #expect(malformed.errorLines.first == "hello: invalid value 'loud' for boot argument '-l': expected SOURCE:LEVEL (unknown log level 'loud' (expected quiet, app, error, warning, info or debug))")
        }

        @Test("-l quiet silences the application's log")
        func quietLogs() throws {
            try configureAndBuild(Self.directory)
            let result = try run([Self.directory + "/dist/hello", "-l", "application:quiet"])
            #expect(result.status == 0)
            #expect(result.errorOutput.isEmpty)
        }

        @Test("SIGTERM and SIGINT stop the unikernel cleanly with status 0", arguments: [SIGTERM, SIGINT])
        func stopSignals(signal: Int32) throws {
            try configureAndBuild(Self.directory)
            let result = try run([Self.directory + "/dist/hello"], signal: signal, signalAfterLines: 1)
            #expect(result.status == 0)
            let rests = result.errorLines.compactMap(parseLogLine).map(\.rest)
            #expect(rests.first == "[INFO] [application] hello")
            #expect(rests.last == "[INFO] [runtime] stopping: the platform was asked to stop")
            #expect(rests.count < 5)
        }

        @Test("the image runs on one thread")
        func oneThread() throws {
            try configureAndBuild(Self.directory)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Self.directory + "/dist/hello")
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(500_000)
            let threads = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(process.processIdentifier)/task")
            process.terminate()
            process.waitUntilExit()
            #expect(threads.count == 1)
        }
    }
}
