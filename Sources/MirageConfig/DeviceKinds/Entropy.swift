/// The platform's entropy source: `getrandom` on unix.
public func defaultEntropy(file: String = #filePath, line: Int = #line) -> Device<Entropy> {
    Device(.entropy, name: "default", file: file, line: line)
}

extension DeviceKind {
    /// ``defaultEntropy(file:line:)``: the platform's random bytes.
    package static let entropy = DeviceKind("entropy", signature: Entropy.self, targets: [
        .unix: OnTarget { _, _ in DeviceImplementation(summary: "UnixEntropy, getrandom", connect: "UnixEntropy()") },
        .hvt: OnTarget { _, _ in
            DeviceImplementation(summary: "HVTEntropy: HMAC-DRBG over the tender's seed, RDSEED, RDRAND and timing", connect: "HVTEntropy()")
        },
    ])
}
