import MirageCore
import MirageCrypto

/// One side's (EC)DHE key for a handshake (RFC 8446 section 4.2.8): a fresh private key for
/// X25519, P-256 or P-384 and its key share, used once and dropped with the handshake.
struct TLSEphemeralKey {
    let group: TLSNamedGroup
    private let privateKey: [UInt8]
    /// The key share sent: 32 bytes for X25519, an uncompressed point for the NIST curves.
    let share: [UInt8]

    /// A new key for `group`.
    /// - Throws: `internal_error` for a group this engine does not support or an entropy
    ///   source that gives no valid scalar in 64 draws.
    init(group: TLSNamedGroup, random: any EntropySource) throws(TLSError) {
        self.group = group
        if group == .x25519 {
            var scalar = [UInt8](repeating: 0, count: X25519.keyLength)
            scalar.withUnsafeMutableBytes { random.fill($0) }
            privateKey = scalar
            do { share = try X25519.publicKey(privateKey: scalar) } catch { throw TLSError(.internalError, "X25519 key generation failed") }
            return
        }
        guard let curve = Self.curve(group) else { throw TLSError(.internalError, "group \(group.rawValue) is not supported") }
        for _ in 0..<64 {
            var scalar = [UInt8](repeating: 0, count: curve.scalarLength)
            scalar.withUnsafeMutableBytes { random.fill($0) }
            if let point = try? ECDH.publicKey(privateKey: scalar, curve: curve) {
                privateKey = scalar
                share = point
                return
            }
        }
        throw TLSError(.internalError, "the entropy source gave no valid scalar")
    }

    static func curve(_ group: TLSNamedGroup) -> NISTCurve? {
        switch group {
        case .secp256r1: .p256
        case .secp384r1: .p384
        default: nil
        }
    }

    /// The shared secret with the peer's share (RFC 8446 section 7.4).
    /// - Throws: `illegal_parameter` for a share of the wrong length, a point not on the curve
    ///   or a small-order X25519 key (all-zero secret), as section 4.2.8 asks.
    func sharedSecret(peerShare: [UInt8]) throws(TLSError) -> [UInt8] {
        guard peerShare.count == group.keyShareLength else { throw .illegal("a key share of \(peerShare.count) bytes for group \(group.rawValue)") }
        let curve = Self.curve(group)
        do {
            if let curve { return try ECDH.sharedSecret(privateKey: privateKey, peerPublicKey: peerShare, curve: curve) }
            return try X25519.sharedSecret(privateKey: privateKey, peerPublicKey: peerShare)
        } catch {
            throw .illegal("the peer's key share is not a valid public key")
        }
    }
}
