/// The platform's wall clock.
public func defaultWallClock(file: String = #filePath, line: Int = #line) -> Device<WallTime> {
    Device(.wallClock, name: "default", file: file, line: line)
}

extension DeviceKind {
    /// ``defaultWallClock(file:line:)``: the platform's own.
    package static let wallClock = DeviceKind("wall-clock", signature: WallTime.self, targets: [
        .unix: OnTarget { _, _ in DeviceImplementation(summary: "UnixWallClock, the platform's", connect: "platform.wallClock") },
        .hvt: OnTarget { _, _ in DeviceImplementation(summary: "HVTWallClock, the platform's", connect: "platform.wallClock") },
    ])
}
