import CBearSSL

/// HMAC (RFC 2104, FIPS 198-1) over one of the ``HashAlgorithm``s, computed by BearSSL. Fed in
/// pieces like ``MessageDigest``; a value type, so a keyed state can be copied and reused.
public struct HMAC: Sendable {
    public let algorithm: HashAlgorithm
    private var context = br_hmac_context()

    /// Starts a code under `key` (any length: a key longer than a block is hashed first).
    public init(_ algorithm: HashAlgorithm, key: UnsafeRawBufferPointer) {
        self.algorithm = algorithm
        var keyContext = br_hmac_key_context()
        br_hmac_key_init(&keyContext, algorithm.bearSSLClass, key.baseAddress, key.count)
        br_hmac_init(&context, &keyContext, 0)
        withUnsafeMutableBytes(of: &keyContext) { _ = $0.initializeMemory(as: UInt8.self, repeating: 0) }
    }

    /// Starts a code under `key`.
    public init(_ algorithm: HashAlgorithm, key: [UInt8]) {
        self = key.withUnsafeBytes { HMAC(algorithm, key: $0) }
    }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        br_hmac_update(&context, base, bytes.count)
    }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The code of everything added so far: ``HashAlgorithm/digestLength`` bytes.
    public func finish() -> [UInt8] {
        var context = context
        return [UInt8](unsafeUninitializedCapacity: algorithm.digestLength) { output, count in
            count = br_hmac_out(&context, output.baseAddress!)
        }
    }

    /// The code of `message` under `key`.
    public static func authenticationCode(_ algorithm: HashAlgorithm, key: [UInt8], message: [UInt8]) -> [UInt8] {
        var mac = HMAC(algorithm, key: key)
        mac.update(message)
        return mac.finish()
    }

    /// Whether `code` is the code of `message` under `key`, compared in constant time. A `code`
    /// shorter than the digest is compared with the digest's start (a truncated code, RFC 2104
    /// section 5), but never shorter than half of it or 10 bytes.
    public static func isValid(_ code: [UInt8], _ algorithm: HashAlgorithm, key: [UInt8], message: [UInt8]) -> Bool {
        let expected = authenticationCode(algorithm, key: key, message: message)
        guard code.count <= expected.count, code.count >= max(10, expected.count / 2) else { return false }
        return ConstantTime.declassify(ConstantTime.equal(code, Array(expected.prefix(code.count))))
    }
}
