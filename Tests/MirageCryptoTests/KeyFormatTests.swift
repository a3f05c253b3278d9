import MirageCrypto
import Testing
import MirageTesting

/// Key files: PKCS #8, SEC 1, PKCS #1 and SubjectPublicKeyInfo, in DER and PEM, against the keys
/// Wycheproof publishes with its vectors, and round trips of our own encodings.
@Suite("Key formats: PKCS #8, SEC 1, PKCS #1, SubjectPublicKeyInfo, PEM")
struct KeyFormatTests {
    /// Wycheproof's PKCS #1 v1.5 signature generation: the private key from its PKCS #8 DER, the
    /// signature (deterministic) compared byte for byte, and the PKCS #1 PEM giving the same key.
    @Test("RSA keys from PKCS #8 and PKCS #1 sign as Wycheproof expects", arguments: [2048, 3072, 4096, 1024])
    func rsaSignatureGeneration(_ bits: Int) throws {
        var counts = VectorCounts()
        for group in try TestVectors.wycheproof("Signature/wycheproof/rsa_pkcs1_\(bits)_sig_gen_test.json").groups {
            guard let hash = RSATests.hash(group.string("sha")), let parsed = try? PrivateKey(pkcs8: hex(group.string("privateKeyPkcs8") ?? "")),
                  case let .rsa(key) = parsed else {
                counts.unsupported += group.tests.count
                continue
            }
            let fromPEM = try PrivateKey(pem: group.string("privateKeyPem") ?? "")
            #expect(try fromPEM.publicKey() == .rsa(key.publicKey))
            #expect(try PublicKey(subjectPublicKeyInfo: hex(group.string("keyDer") ?? "")) == .rsa(key.publicKey))
            for test in group.tests {
                counts.count(test.result)
                let signature = try RSA.signPKCS1(digest: MessageDigest.hash(hash, test.bytes("msg")), hash: hash, key: key)
                #expect(signature == test.bytes("sig"), "\(bits) bits tcId \(test.id)")
            }
        }
        print("Wycheproof rsa_pkcs1_\(bits)_sig_gen_test.json: \(counts)")
        if bits < 2048 { #expect(counts.valid + counts.acceptable == 0, "keys under 2,048 bits are refused") } else { #expect(counts.valid > 10) }
    }

    @Test("EC public keys from SubjectPublicKeyInfo DER and PEM", arguments: [
        (NISTCurve.p256, "ecdsa_secp256r1_sha256_test.json"), (.p384, "ecdsa_secp384r1_sha384_test.json"),
    ])
    func ecPublicKeys(_ curve: NISTCurve, _ file: String) throws {
        var keys = 0
        for group in try TestVectors.wycheproof("Signature/wycheproof/" + file).groups {
            let point = hex((group.fields["publicKey"] as? [String: Any])?["uncompressed"] as? String ?? "")
            let der = try PublicKey(subjectPublicKeyInfo: hex(group.string("publicKeyDer") ?? ""))
            #expect(der == .ec(curve, point))
            #expect(try PublicKey(pem: group.string("publicKeyPem") ?? "") == der)
            #expect(der.subjectPublicKeyInfo == hex(group.string("publicKeyDer") ?? ""), "our encoding is the same DER")
            keys += 1
        }
        #expect(keys > 3)
    }

    @Test("our PKCS #8 and SubjectPublicKeyInfo read back as the same keys")
    func roundTrips() throws {
        let keys: [PrivateKey] = [
            .ec(.p256, [UInt8](repeating: 0x11, count: 32)), .ec(.p384, [UInt8](repeating: 0x22, count: 48)),
            .x25519([UInt8](repeating: 0x33, count: 32)),
        ]
        for key in keys.prefix(2) {
            let traditional = try PrivateKey(pem: try key.traditionalPEM())
            #expect(try traditional.pkcs8() == key.pkcs8(), "SEC 1 reads back")
        }
        #expect(throws: CryptoError.unsupportedKey) { try keys[2].traditional() }
        for key in keys {
            let reread = try PrivateKey(pem: try key.pem())
            #expect(try reread.pkcs8() == key.pkcs8())
            let publicKey = try key.publicKey()
            #expect(try PublicKey(pem: publicKey.pem) == publicKey)
        }
    }

    @Test("SEC 1 keys: the curve from the parameters; a wrong embedded public key is refused")
    func sec1() throws {
        // openssl ecparam -name prime256v1 -genkey | openssl ec -outform PEM (fixed here).
        let key = PrivateKey.ec(.p256, [UInt8](repeating: 0x42, count: 32))
        guard case let .ec(_, scalar) = key else { return }
        let point = try ECDH.publicKey(privateKey: scalar, curve: .p256)
        let parameters: [UInt8] = [0xA0, 0x0A, 0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
        func sec1(_ publicKey: [UInt8]) -> [UInt8] {
            var body: [UInt8] = [0x02, 0x01, 0x01, 0x04, 0x20] + scalar + parameters
            let bits: [UInt8] = [0x03, UInt8(publicKey.count + 1), 0x00] + publicKey
            body += [0xA1, UInt8(bits.count)] + bits
            return [0x30, 0x77] + body
        }
        let good = sec1(point)
        #expect(good.count == 0x79)
        guard case .ec(.p256, scalar) = try PrivateKey.sec1(good, curve: nil) else { Issue.record("not read back"); return }
        var wrong = point
        wrong[64] ^= 1
        #expect(throws: CryptoError.self) { try PrivateKey.sec1(sec1(wrong), curve: nil) }
        #expect(throws: CryptoError.self) { try PrivateKey.sec1(good, curve: .p384) }
    }

    @Test("every truncation and every single-byte change of a key is refused or read, never a trap")
    func hostileKeys() throws {
        let pkcs8 = try PrivateKey.ec(.p256, [UInt8](repeating: 0x11, count: 32)).pkcs8()
        let spki = try PrivateKey.ec(.p384, [UInt8](repeating: 0x22, count: 48)).publicKey().subjectPublicKeyInfo
        for der in [pkcs8, spki] {
            for length in 0..<der.count { #expect(throws: CryptoError.self) { try PrivateKey(pkcs8: Array(der.prefix(length))) } }
            for index in der.indices {
                for flip: UInt8 in [0x01, 0x80, 0xFF] {
                    var changed = der
                    changed[index] ^= flip
                    _ = try? PrivateKey(pkcs8: changed)
                    _ = try? PublicKey(subjectPublicKeyInfo: changed)
                }
            }
        }
        #expect(throws: CryptoError.self) { try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n") }
        #expect(throws: CryptoError.self) { try PrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nA@AA\n-----END PRIVATE KEY-----\n") }
        #expect(throws: CryptoError.unsupportedKey) { try PrivateKey(pem: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n") }
    }

    @Test("base64: RFC 4648's vectors, and non-canonical input refused")
    func base64() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == Array(encoded.utf8))
            #expect(Base64.decode(Array(encoded.utf8)) == Array(plain.utf8))
        }
        for bad in ["Zg=", "Zh==", "Z===", "Zm9v=", "Zg==Zg==", "Zm9"] { #expect(Base64.decode(Array(bad.utf8)) == nil, "\(bad)") }
        // Every byte decodes as the alphabet says, though the code never looks it up.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for byte in UInt8.min...UInt8.max {
            let decoded = Base64.decode([byte, UInt8(ascii: "A"), UInt8(ascii: "A"), UInt8(ascii: "A")])
            if let index = alphabet.firstIndex(of: byte) {
                #expect(decoded == [UInt8(index) << 2, 0, 0], "\(byte)")
            } else if ![0x20, 0x09, 0x0A, 0x0D].contains(byte) {
                #expect(decoded == nil, "\(byte)")
            }
        }
    }
}
