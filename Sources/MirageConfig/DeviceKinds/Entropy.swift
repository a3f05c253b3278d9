/// The platform's entropy source, the generator the application's keys and nonces come from: on
/// unix an HMAC-DRBG (`CryptoRandom`) seeded and reseeded from `getrandom`; in the hvt guest its
/// own HMAC-DRBG over the tender's seed, RDSEED, RDRAND and timing.
public func defaultEntropy(file: String = #filePath, line: Int = #line) -> Device<Entropy> {
    Device(.entropy, name: "default", file: file, line: line)
}

extension DeviceKind {
    /// ``defaultEntropy(file:line:)``: the platform's random bytes.
    package static let entropy = DeviceKind("entropy", signature: Entropy.self, targets: [
        .unix: OnTarget(modules: [.crypto]) { _, _ in
            DeviceImplementation(summary: "CryptoRandom: HMAC-DRBG over getrandom, reseeded every MiB",
                                 connect: "CryptoRandom(source: UnixEntropy())")
        },
        .hvt: OnTarget { _, _ in
            DeviceImplementation(summary: "HVTEntropy: HMAC-DRBG over the tender's seed, RDSEED, RDRAND and timing", connect: "HVTEntropy()")
        },
    ])
}
