import CBearSSL

/// A hash computation fed in pieces (FIPS 180-4): `update` with each piece, then ``finish()``.
/// A value type: copying it forks the computation, so the hash of a common prefix is computed
/// once (as TLS's transcript hash needs).
public struct MessageDigest: Sendable {
    public let algorithm: HashAlgorithm
    private var context = br_hash_compat_context()

    public init(_ algorithm: HashAlgorithm) {
        self.algorithm = algorithm
        mirage_br_hash_init(&context, algorithm.bearSSLClass)
    }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        mirage_br_hash_update(&context, base, bytes.count)
    }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The hash of everything added so far. The computation can go on after it.
    public func finish() -> [UInt8] {
        var context = context
        return [UInt8](unsafeUninitializedCapacity: algorithm.digestLength) { output, count in
            mirage_br_hash_out(&context, output.baseAddress!)
            count = algorithm.digestLength
        }
    }

    /// The hash of `bytes`.
    public static func hash(_ algorithm: HashAlgorithm, _ bytes: [UInt8]) -> [UInt8] {
        var digest = MessageDigest(algorithm)
        digest.update(bytes)
        return digest.finish()
    }
}
