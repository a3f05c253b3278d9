import CBearSSL

/// The hash functions of FIPS 180-4, computed by BearSSL: SHA-1 (for old signatures and HMAC
/// only; it is broken for collisions) and SHA-2.
public enum HashAlgorithm: Sendable, Equatable {
    case sha1, sha224, sha256, sha384, sha512

    /// Bytes of output.
    public var digestLength: Int {
        switch self {
        case .sha1: 20
        case .sha224: 28
        case .sha256: 32
        case .sha384: 48
        case .sha512: 64
        }
    }

    /// Bytes per block, which HMAC pads its key to (RFC 2104).
    public var blockLength: Int {
        switch self {
        case .sha1, .sha224, .sha256: 64
        case .sha384, .sha512: 128
        }
    }

    /// BearSSL's class for the function.
    var bearSSLClass: UnsafePointer<br_hash_class> {
        switch self {
        case .sha1: mirage_br_sha1()
        case .sha224: mirage_br_sha224()
        case .sha256: mirage_br_sha256()
        case .sha384: mirage_br_sha384()
        case .sha512: mirage_br_sha512()
        }
    }
}
