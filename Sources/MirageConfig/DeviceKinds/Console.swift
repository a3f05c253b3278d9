/// The platform's console: standard error on unix, the tender's console on hvt.
public func defaultConsole(file: String = #filePath, line: Int = #line) -> Device<Console> {
    Device(.console, name: "default", file: file, line: line)
}

extension DeviceKind {
    /// ``defaultConsole(file:line:)``: the platform's own.
    package static let console = providedByPlatform("console", signature: Console.self, property: "console", summaries: [
        .unix: "UnixConsole, standard error",
        .hvt: "HVTConsole, the tender's console",
    ])
}
