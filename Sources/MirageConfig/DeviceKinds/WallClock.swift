/// The platform's wall clock.
public func defaultWallClock(file: String = #filePath, line: Int = #line) -> Device<WallTime> {
    Device(.wallClock, name: "default", file: file, line: line)
}

extension DeviceKind {
    /// ``defaultWallClock(file:line:)``: the platform's own.
    package static let wallClock = providedByPlatform("wall-clock", signature: WallTime.self, property: "wallClock", summaries: [
        .unix: "UnixWallClock, the platform's",
        .hvt: "HVTWallClock, the platform's",
    ])
}
