import CBearSSL

/// HMAC-DRBG (NIST SP 800-90A rev. 1 section 10.1.2) over SHA-256, computed by BearSSL: the
/// deterministic part of ``CryptoRandom``. Given the same seed it gives the same bytes, which is
/// what its known-answer tests check; fresh entropy comes in through ``reseed(_:)``.
public struct HMACDRBG {
    private var context = br_hmac_drbg_context()

    /// Instantiates from `seedMaterial` (SP 800-90A 10.1.2.3: entropy input, nonce and
    /// personalization string, concatenated).
    public init(seedMaterial: [UInt8]) {
        seedMaterial.withUnsafeBytes { br_hmac_drbg_init(&context, mirage_br_sha256(), $0.baseAddress, $0.count) }
    }

    /// Mixes `material` (entropy input and additional input, concatenated) into the state
    /// (SP 800-90A 10.1.2.4, reseed).
    public mutating func reseed(_ material: [UInt8]) {
        material.withUnsafeBytes { br_hmac_drbg_update(&context, $0.baseAddress, $0.count) }
    }

    /// Fills `buffer` (SP 800-90A 10.1.2.5 without additional input).
    public mutating func generate(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        br_hmac_drbg_generate(&context, base, buffer.count)
    }

    /// Erases the state.
    public mutating func erase() {
        withUnsafeMutableBytes(of: &context) { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) }
    }
}
