/// The platform's monotonic clock.
public func defaultMonotonicClock(file: String = #filePath, line: Int = #line) -> Device<MonotonicTime> {
    Device(.monotonicClock, name: "default", file: file, line: line)
}

extension DeviceKind {
    /// ``defaultMonotonicClock(file:line:)``: the platform's own.
    package static let monotonicClock = DeviceKind("monotonic-clock", signature: MonotonicTime.self, targets: [
        .unix: OnTarget { _, _ in DeviceImplementation(summary: "UnixMonotonicClock, the platform's", connect: "platform.monotonicClock") },
        .hvt: OnTarget { _, _ in DeviceImplementation(summary: "HVTMonotonicClock, the platform's", connect: "platform.monotonicClock") },
    ])
}
