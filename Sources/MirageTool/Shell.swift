import Foundation

/// Runs programs for the tool.
enum Shell {
    struct Result {
        var status: Int32
        var output: String
        var errorOutput: String
    }

    /// Runs `arguments` (looked up on PATH), capturing its output.
    static func capture(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]) throws(ToolError) -> Result {
        let process = makeProcess(arguments, in: directory, environment: environment)
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch { throw ToolError("cannot run \(arguments[0]): \(error)") }
        // Read both pipes while the process runs so neither fills up and blocks it.
        let errorData = ReadBuffer()
        let errorReader = Thread { errorData.data = errors.fileHandleForReading.readDataToEndOfFile() }
        errorReader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorReader.isFinished { usleep(1000) }
        return Result(
            status: process.terminationStatus,
            output: String(decoding: outputData, as: UTF8.self),
            errorOutput: String(decoding: errorData.data, as: UTF8.self))
    }

    /// Runs `arguments` with the tool's own standard output and error, so its progress shows.
    static func stream(_ arguments: [String], in directory: String? = nil, environment: [String: String] = [:]) throws(ToolError) -> Int32 {
        let process = makeProcess(arguments, in: directory, environment: environment)
        do { try process.run() } catch { throw ToolError("cannot run \(arguments[0]): \(error)") }
        process.waitUntilExit()
        return process.terminationStatus
    }

    private static func makeProcess(_ arguments: [String], in directory: String?, environment: [String: String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        return process
    }
}

/// What a reader thread read, handed to the waiting thread once it has finished.
private final class ReadBuffer: @unchecked Sendable {
    var data = Data()
}
