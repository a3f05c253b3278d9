import CBearSSL

/// The NIST prime curves TLS uses (FIPS 186-5, SEC 2): P-256 (secp256r1) and P-384 (secp384r1),
/// computed by BearSSL's constant-time code.
public enum NISTCurve: Sendable, Equatable {
    case p256, p384

    /// The curve's identifier in TLS's NamedGroup registry, which BearSSL uses too.
    var bearSSLIdentifier: Int32 {
        switch self {
        case .p256: BR_EC_secp256r1
        case .p384: BR_EC_secp384r1
        }
    }

    /// Bytes of a field element, of a private key and of each half of a raw signature.
    public var scalarLength: Int {
        switch self {
        case .p256: 32
        case .p384: 48
        }
    }

    /// Bytes of an uncompressed point (SEC 1 section 2.3.3): 0x04, then X and Y.
    public var pointLength: Int { 1 + 2 * scalarLength }

    /// The order n of the base point, big-endian.
    var order: UnsafeBufferPointer<UInt8> {
        var length = 0
        let bytes = mirage_br_ec_order(bearSSLIdentifier, &length)
        return UnsafeBufferPointer(start: bytes, count: length)
    }

    /// Whether `scalar` (big-endian, ``scalarLength`` bytes) is a valid private key: 1 ≤ d < n.
    /// Decided without a branch on its bytes: the borrow of d − n and the OR of its bytes, combined
    /// arithmetically; only the verdict is declared public.
    func isValidPrivateKey(_ scalar: [UInt8]) -> Bool {
        guard scalar.count == scalarLength else { return false }
        let order = order
        var borrow: UInt32 = 0, accumulated: UInt32 = 0
        var index = scalar.count
        while index > 0 {
            index -= 1
            let difference = UInt32(scalar[index]) &- UInt32(order[index]) &- borrow
            borrow = (difference >> 8) & 1
            accumulated |= UInt32(scalar[index])
        }
        let nonZero = ((accumulated &+ 0xFF) >> 8) & 1
        return ConstantTime.declassify(borrow & nonZero) == 1
    }
}
