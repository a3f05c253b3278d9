import MirageCrypto
import Testing
import MirageTesting

/// HKDF against RFC 5869 and Wycheproof, and HKDF-Expand-Label against RFC 8448's trace.
@Suite("HKDF (RFC 5869) and HKDF-Expand-Label (RFC 8446)")
struct HKDFTests {
    @Test("RFC 5869 appendix A", arguments: [(HashAlgorithm.sha1, "KDF/rfc-5869-HKDF-SHA1.txt"), (.sha256, "KDF/rfc-5869-HKDF-SHA256.txt")])
    func rfc5869(_ algorithm: HashAlgorithm, _ file: String) throws {
        let records = VectorRecord.parse(try TestVectors.cavp(file))
        for record in records {
            let prk = HKDF.extract(algorithm, salt: record.bytes("salt"), inputKeyingMaterial: record.bytes("IKM"))
            #expect(hexString(prk) == record["PRK"])
            let okm = try HKDF.expand(algorithm, pseudorandomKey: prk, info: record.bytes("info"), length: Int(record["L"] ?? "") ?? 0)
            #expect(hexString(okm) == record["OKM"])
        }
        #expect(records.count >= 3)
    }

    @Test("Wycheproof", arguments: [(HashAlgorithm.sha1, "hkdf_sha1_test.json"), (.sha256, "hkdf_sha256_test.json"),
                                     (.sha384, "hkdf_sha384_test.json"), (.sha512, "hkdf_sha512_test.json")])
    func wycheproof(_ algorithm: HashAlgorithm, _ file: String) throws {
        var counts = VectorCounts()
        for group in try TestVectors.wycheproof("Protocol/wycheproof/" + file).groups {
            for test in group.tests {
                counts.count(test.result)
                let size = test.fields["size"] as? Int ?? -1
                let result = try? HKDF.deriveKey(algorithm, inputKeyingMaterial: test.bytes("ikm"), salt: test.bytes("salt"),
                                                 info: test.bytes("info"), length: size)
                if test.result == "valid" {
                    #expect(result.map(hexString) == test.string("okm"), "\(file) tcId \(test.id)")
                } else {
                    #expect(result == nil, "\(file) tcId \(test.id) (\(test.result)) must be refused")
                }
            }
        }
        print("Wycheproof \(file): \(counts)")
        #expect(counts.valid > 50)
    }

    /// RFC 8448 section 3, the simple 1-RTT handshake: the early secret, "derived", and the
    /// server's handshake traffic key and IV.
    @Test("Expand-Label reproduces RFC 8448's key schedule")
    func expandLabel() throws {
        let early = HKDF.extract(.sha256, salt: [], inputKeyingMaterial: [UInt8](repeating: 0, count: 32))
        #expect(hexString(early) == "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a")
        let emptyHash = MessageDigest.hash(.sha256, [])
        let derived = try HKDF.expandLabel(.sha256, secret: early, label: Array("derived".utf8), context: emptyHash, length: 32)
        #expect(hexString(derived) == "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba")
        let serverHandshake = hex("b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")
        let key = try HKDF.expandLabel(.sha256, secret: serverHandshake, label: Array("key".utf8), context: [], length: 16)
        let iv = try HKDF.expandLabel(.sha256, secret: serverHandshake, label: Array("iv".utf8), context: [], length: 12)
        #expect(hexString(key) == "3fce516009c21727d0f2e4e86ee403bc")
        #expect(hexString(iv) == "5d313eb2671276ee13000b30")
    }

    @Test("more than 255 hash lengths, or a label too long, is refused")
    func limits() {
        #expect(throws: CryptoError.outputTooLong(requested: 255 * 32 + 1, limit: 255 * 32)) {
            try HKDF.expand(.sha256, pseudorandomKey: [1], info: [], length: 255 * 32 + 1)
        }
        #expect(throws: CryptoError.self) {
            try HKDF.expandLabel(.sha256, secret: [1], label: [UInt8](repeating: 0x61, count: 250), context: [], length: 16)
        }
    }
}
