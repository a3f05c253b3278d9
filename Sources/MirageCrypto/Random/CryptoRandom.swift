import MirageCore

/// The cryptographically strong generator the libraries draw from (keys, nonces, TLS randoms):
/// an ``HMACDRBG`` seeded from the platform's entropy sources and reseeded from them on a schedule
/// (after ``reseedBytes`` of output or ``reseedRequests`` requests), as mirage-crypto-rng keeps
/// its Fortuna fed. On unix the source is the kernel's getrandom; in the hvt guest it is the
/// guest's own pool (the tender's boot seed, RDSEED, RDRAND and timing jitter).
///
/// It is an ``EntropySource`` and a `RandomNumberGenerator`, so the protocol cores' shells and
/// the standard library's `random(using:)` both take it.
public final class CryptoRandom: EntropySource, RandomNumberGenerator {
    /// Output bytes between reseeds.
    public static let reseedBytes = 1 << 20
    /// Requests between reseeds.
    public static let reseedRequests = 1 << 16
    /// Bytes of entropy drawn from the source for the seed and for each reseed (SP 800-90A: at
    /// least the security strength, 256 bits, plus a nonce of half that).
    public static let seedLength = 48
    /// SP 800-90A table 2: at most 2^19 bits per request.
    static let requestLimit = 1 << 16

    private let source: any EntropySource
    private var drbg: HMACDRBG
    private var bytesSinceReseed = 0
    private var requestsSinceReseed = 0
    /// How many times the generator has reseeded (for tests and the debug log).
    public private(set) var reseeds = 0

    /// Seeds from `source`, which must give entropy: ``CryptoRandom`` is only as strong as it.
    /// `personalization` separates generators seeded from one source (SP 800-90A 8.7.1).
    public init(source: any EntropySource, personalization: [UInt8] = []) {
        self.source = source
        drbg = HMACDRBG(seedMaterial: Self.draw(from: source) + personalization)
    }

    deinit { drbg.erase() }

    public func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        var offset = 0
        while offset < buffer.count {
            let count = min(Self.requestLimit, buffer.count - offset)
            if bytesSinceReseed + count > Self.reseedBytes || requestsSinceReseed >= Self.reseedRequests { reseed() }
            drbg.generate(UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + count]))
            bytesSinceReseed += count
            requestsSinceReseed += 1
            offset += count
        }
    }

    public func next() -> UInt64 {
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { fill($0) }
        return value
    }

    /// ``seedLength`` bytes from `source`, through its requirement `fill` only: an extension
    /// method called on an existential would be a generic call Embedded Swift cannot make.
    private static func draw(from source: any EntropySource) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: seedLength)
        bytes.withUnsafeMutableBytes { source.fill($0) }
        return bytes
    }

    /// Mixes fresh entropy from the source into the state now.
    public func reseed() {
        drbg.reseed(Self.draw(from: source))
        bytesSinceReseed = 0
        requestsSinceReseed = 0
        reseeds += 1
    }
}
