import MirageCrypto

/// The check of each kind of vector (the kinds `make-vectors.py` writes).
enum VectorCheck {
    static func name(_ kind: UInt8) -> String {
        switch kind {
        case 1: "SHA-1"
        case 2: "SHA-224"
        case 3: "SHA-256"
        case 4: "SHA-384"
        case 5: "SHA-512"
        case 6: "HMAC-SHA-256"
        case 7: "HMAC-SHA-1"
        case 8: "HKDF-SHA-256"
        case 9: "AES-GCM"
        case 10: "ChaCha20-Poly1305"
        case 11: "X25519"
        case 12: "ECDH P-256"
        case 13: "ECDH P-384"
        case 14: "ECDSA P-256 SHA-256"
        case 15: "ECDSA P-384 SHA-384"
        case 16: "RSA PKCS #1 v1.5 SHA-256"
        case 17: "RSA-PSS SHA-256"
        default: "unknown kind \(kind)"
        }
    }

    /// Whether the vector came out as expected: a valid one gives its output, an invalid one is
    /// refused, an acceptable one does either.
    static func run(_ record: VectorRecord) -> Bool {
        let f = record.fields
        let outcome: Bool?  // nil: refused; true/false: computed and (not) equal to the expected output
        switch record.kind {
        case 1...5 where f.count == 2:
            let hash: HashAlgorithm = [.sha1, .sha224, .sha256, .sha384, .sha512][Int(record.kind) - 1]
            outcome = MessageDigest.hash(hash, f[0]) == f[1]
        case 6, 7 where f.count == 3:
            outcome = HMAC.authenticationCode(record.kind == 6 ? .sha256 : .sha1, key: f[0], message: f[1]) == f[2]
        case 8 where f.count == 5:
            let size = Int(f[3][0]) | Int(f[3][1]) << 8 | Int(f[3][2]) << 16 | Int(f[3][3]) << 24
            outcome = (try? HKDF.deriveKey(.sha256, inputKeyingMaterial: f[0], salt: f[1], info: f[2], length: size)).map { $0 == f[4] }
        case 9, 10 where f.count == 6:
            // Concrete types, not `any AEAD`: Embedded Swift cannot call the protocol's generic
            // extension methods through an existential.
            let opened = record.kind == 9
                ? (try? AESGCM(key: f[0])).flatMap { try? $0.open(f[4] + f[5], nonce: f[1], associatedData: f[2]) }
                : (try? ChaChaPoly(key: f[0])).flatMap { try? $0.open(f[4] + f[5], nonce: f[1], associatedData: f[2]) }
            outcome = opened.map { $0 == f[3] }
        case 11 where f.count == 3:
            outcome = (try? X25519.sharedSecret(privateKey: f[0], peerPublicKey: f[1])).map { $0 == f[2] }
        case 12, 13 where f.count == 3:
            let curve: NISTCurve = record.kind == 12 ? .p256 : .p384
            outcome = (try? ECDH.sharedSecret(privateKey: f[0], peerPublicKey: f[1], curve: curve)).map { $0 == f[2] }
        case 14, 15 where f.count == 3:
            let (curve, hash): (NISTCurve, HashAlgorithm) = record.kind == 14 ? (.p256, .sha256) : (.p384, .sha384)
            outcome = ECDSA.isValid(derSignature: f[2], message: f[1], hash: hash, publicKey: f[0], curve: curve) ? true : nil
        case 16, 17 where f.count == 4:
            guard let key = try? RSAPublicKey(modulus: f[0], exponent: f[1]) else { return record.expected != 1 }
            let digest = MessageDigest.hash(.sha256, f[2])
            let valid = record.kind == 16
                ? RSA.isValidPKCS1(signature: f[3], digest: digest, hash: .sha256, key: key)
                : RSA.isValidPSS(signature: f[3], digest: digest, hash: .sha256, key: key)
            outcome = valid ? true : nil
        default:
            return false
        }
        switch record.expected {
        case 1: return outcome == true
        case 0: return outcome != true
        default: return outcome != false
        }
    }
}
