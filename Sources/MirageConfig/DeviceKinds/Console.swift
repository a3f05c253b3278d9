/// The platform's console: standard error on unix, the tender's console on hvt.
public func defaultConsole(file: String = #filePath, line: Int = #line) -> Device<Console> {
    Device(.console, name: "default", file: file, line: line)
}

extension DeviceKind {
    /// ``defaultConsole(file:line:)``: the platform's own.
    package static let console = DeviceKind("console", signature: Console.self, targets: [
        .unix: OnTarget { _, _ in DeviceImplementation(summary: "UnixConsole, standard error", connect: "platform.console") },
        .hvt: OnTarget { _, _ in DeviceImplementation(summary: "HVTConsole, the tender's console", connect: "platform.console") },
    ])
}
