import MirageCore
import MirageCrypto

/// Signing and checking handshake signatures (RFC 8446 section 4.2.3, 4.4.3) with the keys of
/// MirageCrypto: ECDSA with the curve the scheme names (DER-encoded, as TLS carries it) and
/// RSASSA-PSS with the rsaEncryption key of a certificate (`rsa_pss_rsae_*`, salt as long as
/// the hash). PKCS #1 v1.5 is never used for a TLS 1.3 handshake signature.
enum TLSSignatures {
    /// The schemes a private key can sign TLS 1.3 handshakes with, in our preference.
    static func schemes(for key: PrivateKey) -> [TLSSignatureScheme] {
        switch key {
        case .ec(.p256, _): [.ecdsaSecp256r1SHA256]
        case .ec(.p384, _): [.ecdsaSecp384r1SHA384]
        case .rsa: [.rsaPSSRSAESHA256, .rsaPSSRSAESHA384, .rsaPSSRSAESHA512]
        default: []
        }
    }

    static func hash(of scheme: TLSSignatureScheme) -> HashAlgorithm? {
        switch scheme {
        case .ecdsaSecp256r1SHA256, .rsaPSSRSAESHA256, .rsaPKCS1SHA256: .sha256
        case .ecdsaSecp384r1SHA384, .rsaPSSRSAESHA384, .rsaPKCS1SHA384: .sha384
        case .rsaPSSRSAESHA512, .rsaPKCS1SHA512: .sha512
        default: nil
        }
    }

    /// Signs `content` with `key` under `scheme`; `random` gives PSS's salt.
    /// - Throws: `internal_error` when the key cannot sign with the scheme (a configuration the
    ///   engine chose badly) or the signing fails.
    static func sign(_ content: [UInt8], scheme: TLSSignatureScheme, key: PrivateKey, random: any EntropySource) throws(TLSError) -> [UInt8] {
        guard let hash = hash(of: scheme), schemes(for: key).contains(scheme) else {
            throw TLSError(.internalError, "the key cannot sign with scheme \(scheme.rawValue)")
        }
        switch key {
        case let .ec(curve, scalar):
            do {
                return ECDSASignatureDER.der(fromRaw: try ECDSA.sign(message: content, hash: hash, privateKey: scalar, curve: curve))
            } catch {
                throw TLSError(.internalError, "ECDSA signing failed")
            }
        case let .rsa(rsaKey):
            var salt = [UInt8](repeating: 0, count: hash.digestLength)
            salt.withUnsafeMutableBytes { random.fill($0) }
            do {
                return try RSA.signPSS(digest: MessageDigest.hash(hash, content), hash: hash, salt: salt, key: rsaKey)
            } catch {
                throw TLSError(.internalError, "RSA-PSS signing failed")
            }
        default:
            throw TLSError(.internalError, "an X25519 key cannot sign")
        }
    }

    /// Whether `signature` over `content` is valid under `key` with `scheme`, which must fit the
    /// key (TLS 1.3 binds the ECDSA scheme to its curve).
    static func isValid(_ signature: [UInt8], content: [UInt8], scheme: TLSSignatureScheme, key: PublicKey) -> Bool {
        guard let hash = hash(of: scheme) else { return false }
        switch (scheme, key) {
        case (.ecdsaSecp256r1SHA256, .ec(.p256, let point)), (.ecdsaSecp384r1SHA384, .ec(.p384, let point)):
            let curve: NISTCurve = scheme == .ecdsaSecp256r1SHA256 ? .p256 : .p384
            return ECDSA.isValid(derSignature: signature, message: content, hash: hash, publicKey: point, curve: curve)
        case (.rsaPSSRSAESHA256, .rsa(let rsaKey)), (.rsaPSSRSAESHA384, .rsa(let rsaKey)), (.rsaPSSRSAESHA512, .rsa(let rsaKey)):
            return RSA.isValidPSS(signature: signature, digest: MessageDigest.hash(hash, content), hash: hash, key: rsaKey)
        default:
            return false
        }
    }

    /// The schemes a private key signs TLS 1.2's ServerKeyExchange with: TLS 1.3's, and RSA
    /// PKCS #1 v1.5, which TLS 1.2 clients may want (RFC 5246 section 7.4.1.4.1).
    static func schemes12(for key: PrivateKey) -> [TLSSignatureScheme] {
        switch key {
        case .rsa: schemes(for: key) + [.rsaPKCS1SHA256, .rsaPKCS1SHA384, .rsaPKCS1SHA512]
        default: schemes(for: key)
        }
    }

    /// Signs with a TLS 1.2 scheme: PKCS #1 v1.5 for the rsa_pkcs1 ones, else as ``sign(_:scheme:key:random:)``.
    static func sign12(_ content: [UInt8], scheme: TLSSignatureScheme, key: PrivateKey, random: any EntropySource) throws(TLSError) -> [UInt8] {
        guard [TLSSignatureScheme.rsaPKCS1SHA256, .rsaPKCS1SHA384, .rsaPKCS1SHA512].contains(scheme) else {
            return try sign(content, scheme: scheme, key: key, random: random)
        }
        guard case let .rsa(rsaKey) = key, let hash = hash(of: scheme) else { throw TLSError(.internalError, "a PKCS #1 scheme for a key that is not RSA") }
        do {
            return try RSA.signPKCS1(digest: MessageDigest.hash(hash, content), hash: hash, key: rsaKey)
        } catch {
            throw TLSError(.internalError, "RSA PKCS #1 signing failed")
        }
    }

    /// Whether `signature` over `content` is valid under `key` with a TLS 1.2 `scheme`: there an
    /// ECDSA scheme names only its hash, not the curve (RFC 5246 section 7.4.1.4.1), and
    /// PKCS #1 v1.5 is allowed.
    static func isValid12(_ signature: [UInt8], content: [UInt8], scheme: TLSSignatureScheme, key: PublicKey) -> Bool {
        guard let hash = hash(of: scheme) else { return false }
        switch (scheme, key) {
        case (.rsaPKCS1SHA256, .rsa(let rsaKey)), (.rsaPKCS1SHA384, .rsa(let rsaKey)), (.rsaPKCS1SHA512, .rsa(let rsaKey)):
            return RSA.isValidPKCS1(signature: signature, digest: MessageDigest.hash(hash, content), hash: hash, key: rsaKey)
        case (.ecdsaSecp256r1SHA256, .ec(let curve, let point)), (.ecdsaSecp384r1SHA384, .ec(let curve, let point)):
            return ECDSA.isValid(derSignature: signature, message: content, hash: hash, publicKey: point, curve: curve)
        default:
            return isValid(signature, content: content, scheme: scheme, key: key)
        }
    }
}
