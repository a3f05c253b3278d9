import MirageCrypto
import Testing
import MirageTesting

/// ECDSA against Wycheproof (DER and P1363 signatures) and RFC 6979's deterministic signatures.
@Suite("ECDSA on P-256 and P-384")
struct ECDSATests {
    static let files: [(NISTCurve, HashAlgorithm, String, Bool)] = [
        (.p256, .sha256, "ecdsa_secp256r1_sha256_test.json", true),
        (.p256, .sha256, "ecdsa_secp256r1_sha256_p1363_test.json", false),
        (.p384, .sha384, "ecdsa_secp384r1_sha384_test.json", true),
        (.p384, .sha384, "ecdsa_secp384r1_sha384_p1363_test.json", false),
        (.p384, .sha256, "ecdsa_secp384r1_sha256_test.json", true),
    ]

    @Test("Wycheproof verification", arguments: files)
    func wycheproof(_ curve: NISTCurve, _ hash: HashAlgorithm, _ file: String, _ der: Bool) throws {
        var counts = VectorCounts()
        for group in try TestVectors.wycheproof("Signature/wycheproof/" + file).groups {
            let key = hex((group.fields["publicKey"] as? [String: Any])?["uncompressed"] as? String ?? "")
            for test in group.tests {
                counts.count(test.result)
                let message = test.bytes("msg"), signature = test.bytes("sig")
                let valid = der
                    ? ECDSA.isValid(derSignature: signature, message: message, hash: hash, publicKey: key, curve: curve)
                    : ECDSA.isValid(signature: signature, message: message, hash: hash, publicKey: key, curve: curve)
                if test.result == "valid" { #expect(valid, "\(file) tcId \(test.id) \(test.flags)") }
                if test.result == "invalid" { #expect(!valid, "\(file) tcId \(test.id) \(test.flags) must be refused") }
            }
        }
        print("Wycheproof \(file): \(counts)")
        #expect(counts.valid > 50 && counts.invalid > 20)
    }

    /// RFC 6979 appendix A.2.5 (P-256) and A.2.6 (P-384), message "sample".
    @Test("RFC 6979's deterministic signatures of \"sample\"")
    func rfc6979() throws {
        let p256Key = hex("C9AFA9D845BA75166B5C215767B1D6934E50C3DB36E89B127B8A622B120F6721")
        let p256 = try ECDSA.sign(message: Array("sample".utf8), hash: .sha256, privateKey: p256Key, curve: .p256)
        #expect(hexString(p256) == ("EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716" +
                                    "F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8").lowercased())
        let p384Key = hex("6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D896D5724E4C70A825F872C9EA60D2EDF5")
        let p384 = try ECDSA.sign(message: Array("sample".utf8), hash: .sha384, privateKey: p384Key, curve: .p384)
        #expect(hexString(p384) == ("94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C81A648152E44ACF96E36DD1E80FABE46" +
                                    "99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94FA329C145786E679E7B82C71A38628AC8").lowercased())
    }

    @Test("sign and verify round trip; DER round trip; a changed message fails", arguments: [NISTCurve.p256, .p384])
    func roundTrip(_ curve: NISTCurve) throws {
        let key = [UInt8](repeating: 0x35, count: curve.scalarLength)
        let publicKey = try ECDH.publicKey(privateKey: key, curve: curve)
        let message = Array("hello".utf8)
        let signature = try ECDSA.sign(message: message, hash: .sha256, privateKey: key, curve: curve)
        #expect(ECDSA.isValid(signature: signature, message: message, hash: .sha256, publicKey: publicKey, curve: curve))
        #expect(!ECDSA.isValid(signature: signature, message: Array("hellp".utf8), hash: .sha256, publicKey: publicKey, curve: curve))
        let der = ECDSASignatureDER.der(fromRaw: signature)
        #expect(ECDSASignatureDER.raw(fromDER: der, scalarLength: curve.scalarLength) == signature)
        #expect(ECDSA.isValid(derSignature: der, message: message, hash: .sha256, publicKey: publicKey, curve: curve))
        #expect(ECDSASignatureDER.raw(fromDER: der + [0], scalarLength: curve.scalarLength) == nil, "trailing bytes")
    }
}
