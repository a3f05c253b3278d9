/// The platform's monotonic clock.
public func defaultMonotonicClock(file: String = #filePath, line: Int = #line) -> Device<MonotonicTime> {
    Device(.monotonicClock, name: "default", file: file, line: line)
}

extension DeviceKind {
    /// ``defaultMonotonicClock(file:line:)``: the platform's own.
    package static let monotonicClock = providedByPlatform(
        "monotonic-clock", signature: MonotonicTime.self, property: "monotonicClock", summaries: [
            .unix: "UnixMonotonicClock, the platform's",
            .hvt: "HVTMonotonicClock, the platform's",
        ])
}
