import MirageRuntime

/// Random bytes from the guest's generator (`arc4random_buf` in CMirageHVTGuest): BearSSL's
/// HMAC-DRBG seeded from the entropy the tender passes at boot, RDSEED, RDRAND and timing jitter,
/// and reseeded from the CPU's sources every MiB.
public final class HVTEntropy: EntropySource {
    public init() {}

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        guestRandomBytes(base, buffer.count)
    }
}

@_extern(c, "arc4random_buf")
func guestRandomBytes(_ buffer: UnsafeMutableRawPointer, _ count: Int)
