#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Registers the unikernel `name` running `job`: the last statement of every `config.swift`.
///
/// `swift-mirage` compiles and runs `config.swift` with the environment variable
/// `MIRAGE_DESCRIPTION_OUTPUT` naming a file; `register` writes the unikernel's
/// ``UnikernelDescription`` there as JSON (to standard output when the variable is unset).
public func register(_ name: String, _ job: Job, file: String = #filePath, line: Int = #line) {
    let location = SourceLocation(file: file, line: line)
    guard !Registration.done else {
        Registration.fail("\(location): error: register is called more than once; a manifest describes one unikernel")
    }
    Registration.done = true
    var devices: [DeviceDescription] = []
    for device in job.devices {
        for dependency in device.dependencies + [device.description] where !devices.contains(where: { $0.id == dependency.id }) {
            devices.append(dependency)
        }
    }
    let description = UnikernelDescription(name: name, main: job.main, devices: devices, keys: job.keys, location: location)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    guard let data = try? encoder.encode(description) else {
        Registration.fail("\(location): error: cannot encode the unikernel's description")
    }
    if let path = ProcessInfo.processInfo.environment["MIRAGE_DESCRIPTION_OUTPUT"] {
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            Registration.fail("error: cannot write the description to \(path)")
        }
    } else {
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}

enum Registration {
    nonisolated(unsafe) static var done = false

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(1)
    }
}
