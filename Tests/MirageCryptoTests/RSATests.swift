import MirageCrypto
import Testing
import MirageTesting

/// RSA PKCS #1 v1.5 and PSS verification against Wycheproof.
@Suite("RSA signatures: PKCS #1 v1.5 and PSS")
struct RSATests {
    static func hash(_ name: String?) -> HashAlgorithm? {
        switch name {
        case "SHA-1": .sha1
        case "SHA-224": .sha224
        case "SHA-256": .sha256
        case "SHA-384": .sha384
        case "SHA-512": .sha512
        default: nil
        }
    }

    static func publicKey(_ group: WycheproofFile.Group) -> RSAPublicKey? {
        let fields = group.fields["publicKey"] as? [String: Any] ?? [:]
        return try? RSAPublicKey(modulus: hex(fields["modulus"] as? String ?? ""), exponent: hex(fields["publicExponent"] as? String ?? ""))
    }

    @Test("PKCS #1 v1.5 verification (Wycheproof)", arguments: [
        "rsa_signature_2048_sha224_test.json", "rsa_signature_2048_sha256_test.json", "rsa_signature_2048_sha384_test.json",
        "rsa_signature_2048_sha512_test.json", "rsa_signature_3072_sha256_test.json", "rsa_signature_3072_sha384_test.json",
        "rsa_signature_3072_sha512_test.json", "rsa_signature_4096_sha256_test.json", "rsa_signature_4096_sha384_test.json",
        "rsa_signature_4096_sha512_test.json", "rsa_signature_8192_sha256_test.json",
    ])
    func pkcs1(_ file: String) throws {
        var counts = VectorCounts()
        for group in try TestVectors.wycheproof("Signature/wycheproof/" + file).groups {
            guard let hash = Self.hash(group.string("sha")), let key = Self.publicKey(group) else {
                counts.unsupported += group.tests.count
                continue
            }
            for test in group.tests {
                counts.count(test.result)
                let valid = RSA.isValidPKCS1(signature: test.bytes("sig"), digest: MessageDigest.hash(hash, test.bytes("msg")), hash: hash, key: key)
                if test.result == "valid" { #expect(valid, "\(file) tcId \(test.id) \(test.flags)") }
                if test.result == "invalid" { #expect(!valid, "\(file) tcId \(test.id) \(test.flags) must be refused") }
            }
        }
        print("Wycheproof \(file): \(counts)")
        if file.contains("8192") {
            #expect(counts.unsupported > 0 && counts.valid == 0, "keys over 4,096 bits are refused")
        } else {
            #expect(counts.valid > 0 && counts.invalid > 50)
        }
    }

    @Test("PSS verification (Wycheproof)", arguments: [
        "rsa_pss_2048_sha1_mgf1_20_test.json", "rsa_pss_2048_sha256_mgf1_0_test.json", "rsa_pss_2048_sha256_mgf1_32_test.json",
        "rsa_pss_2048_sha256_mgf1sha1_20_test.json", "rsa_pss_2048_sha384_mgf1_48_test.json", "rsa_pss_3072_sha256_mgf1_32_test.json",
        "rsa_pss_4096_sha256_mgf1_32_test.json", "rsa_pss_4096_sha384_mgf1_48_test.json", "rsa_pss_4096_sha512_mgf1_32_test.json",
        "rsa_pss_4096_sha512_mgf1_64_test.json", "rsa_pss_misc_test.json",
    ])
    func pss(_ file: String) throws {
        var counts = VectorCounts()
        for group in try TestVectors.wycheproof("Signature/wycheproof/" + file).groups {
            guard let hash = Self.hash(group.string("sha")), let mgfHash = Self.hash(group.string("mgfSha")),
                  group.string("mgf") == "MGF1", let saltLength = group.int("sLen"), let key = Self.publicKey(group) else {
                counts.unsupported += group.tests.count
                continue
            }
            for test in group.tests {
                counts.count(test.result)
                let valid = RSA.isValidPSS(signature: test.bytes("sig"), digest: MessageDigest.hash(hash, test.bytes("msg")), hash: hash,
                                           mgfHash: mgfHash, saltLength: saltLength, key: key)
                if test.result == "valid" { #expect(valid, "\(file) tcId \(test.id) \(test.flags)") }
                if test.result == "invalid" { #expect(!valid, "\(file) tcId \(test.id) \(test.flags) must be refused") }
            }
        }
        print("Wycheproof \(file): \(counts)")
        #expect(counts.valid > 0)
    }

    @Test("moduli outside 2,048 to 4,096 bits, even moduli and exponents of 1 are refused")
    func keyLimits() {
        var modulus = [UInt8](repeating: 0xFF, count: 256)
        #expect((try? RSAPublicKey(modulus: modulus, exponent: [1, 0, 1])) != nil)
        #expect(throws: CryptoError.self) { try RSAPublicKey(modulus: modulus, exponent: [1]) }
        #expect(throws: CryptoError.self) { try RSAPublicKey(modulus: Array(modulus.prefix(128)), exponent: [1, 0, 1]) }
        #expect(throws: CryptoError.self) { try RSAPublicKey(modulus: modulus + modulus + [0xFF], exponent: [1, 0, 1]) }
        modulus[255] = 0xFE
        #expect(throws: CryptoError.self) { try RSAPublicKey(modulus: modulus, exponent: [1, 0, 1]) }
    }
}
