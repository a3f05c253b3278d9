import MirageCrypto
import Testing
import MirageTesting

/// AES-GCM against NIST CAVP (SP 800-38D) and Wycheproof; ChaCha20-Poly1305 against Wycheproof
/// and the RFC 7539 vectors of BoringSSL's file.
@Suite("AEADs: AES-GCM and ChaCha20-Poly1305")
struct AEADTests {
    @Test("AES-GCM: NIST CAVP decryption, including the records that must FAIL", arguments: ["128", "256"])
    func gcmDecrypt(_ size: String) throws {
        var opened = 0, refused = 0, unsupported = 0
        for record in VectorRecord.parse(try TestVectors.cavp("ciphers/AES/GCM/gcmDecrypt\(size).rsp")) {
            let tag = record.bytes("Tag")
            guard tag.count == AESGCM.tagLength else { unsupported += 1; continue }
            let cipher = try AESGCM(key: record.bytes("Key"))
            let result = try? cipher.open(record.bytes("CT") + tag, nonce: record.bytes("IV"), associatedData: record.bytes("AAD"))
            if record.fails {
                #expect(result == nil, "gcmDecrypt\(size) Count \(record["Count"] ?? "") must fail")
                refused += 1
            } else {
                #expect(result.map(hexString) == (record["PT"] ?? ""), "gcmDecrypt\(size) Count \(record["Count"] ?? "")")
                opened += 1
            }
        }
        print("CAVP gcmDecrypt\(size): \(opened) opened, \(refused) refused, \(unsupported) with tags shorter than 128 bits (not offered)")
        #expect(opened > 100 && refused > 50)
    }

    @Test("AES-GCM: NIST CAVP encryption", arguments: ["128", "256"])
    func gcmEncrypt(_ size: String) throws {
        var sealed = 0
        for record in VectorRecord.parse(try TestVectors.cavp("ciphers/AES/GCM/gcmEncryptExtIV\(size).rsp")) {
            let tag = record.bytes("Tag")
            guard tag.count == AESGCM.tagLength else { continue }
            let cipher = try AESGCM(key: record.bytes("Key"))
            let output = try cipher.seal(record.bytes("PT"), nonce: record.bytes("IV"), associatedData: record.bytes("AAD"))
            #expect(hexString(output) == (record["CT"] ?? "") + (record["Tag"] ?? ""), "gcmEncryptExtIV\(size) Count \(record["Count"] ?? "")")
            sealed += 1
        }
        print("CAVP gcmEncryptExtIV\(size): \(sealed) sealed")
        #expect(sealed > 100)
    }

    @Test("AES-GCM: Wycheproof")
    func gcmWycheproof() throws {
        let counts = try runWycheproof("Cipher/wycheproof/aes_gcm_test.json") { group in
            guard group.int("tagSize") == 128, [128, 192, 256].contains(group.int("keySize") ?? 0) else { return nil }
            return { key in try AESGCM(key: key) }
        }
        print("Wycheproof aes_gcm_test.json: \(counts)")
        #expect(counts.valid > 100 && counts.invalid > 20)
    }

    @Test("ChaCha20-Poly1305: Wycheproof")
    func chachaWycheproof() throws {
        let counts = try runWycheproof("Cipher/wycheproof/chacha20_poly1305_test.json") { group in
            guard group.int("tagSize") == 128 else { return nil }
            return { key in try ChaChaPoly(key: key) }
        }
        print("Wycheproof chacha20_poly1305_test.json: \(counts)")
        #expect(counts.valid > 100 && counts.invalid > 20)
    }

    @Test("ChaCha20-Poly1305: RFC 7539 and BoringSSL's vectors")
    func chachaBoringSSL() throws {
        var count = 0
        for record in VectorRecord.parse(try TestVectors.cavp("ciphers/ChaCha20Poly1305/boringssl.txt")) {
            func field(_ key: String) -> [UInt8] {
                let value = record[key] ?? ""
                return value.hasPrefix("\"") ? Array(value.dropFirst().dropLast().utf8) : hex(value)
            }
            guard record["TAG"].map({ hex($0).count }) == ChaChaPoly.tagLength, field("NONCE").count == 12 else { continue }
            let cipher = try ChaChaPoly(key: field("KEY"))
            let sealed = try cipher.seal(field("IN"), nonce: field("NONCE"), associatedData: field("AD"))
            #expect(sealed == field("CT") + field("TAG"), "boringssl.txt COUNT \(record["COUNT"] ?? "")")
            #expect(try cipher.open(sealed, nonce: field("NONCE"), associatedData: field("AD")) == field("IN"))
            count += 1
        }
        print("ChaCha20-Poly1305 boringssl.txt: \(count) vectors")
        #expect(count > 50)
    }

    @Test("a changed byte anywhere is refused and the data erased", arguments: [0, 1])
    func tampering(_ which: Int) throws {
        let cipher: any AEAD = which == 0 ? try AESGCM(key: [UInt8](repeating: 7, count: 16)) : try ChaChaPoly(key: [UInt8](repeating: 7, count: 32))
        let nonce = [UInt8](repeating: 1, count: 12), aad: [UInt8] = [1, 2, 3]
        let sealed = try cipher.seal(Array("attack at dawn".utf8), nonce: nonce, associatedData: aad)
        for index in sealed.indices {
            var changed = sealed
            changed[index] ^= 0x80
            #expect(throws: CryptoError.authenticationFailure) { try cipher.open(changed, nonce: nonce, associatedData: aad) }
        }
        #expect(throws: CryptoError.authenticationFailure) { try cipher.open(sealed, nonce: nonce, associatedData: [1, 2]) }
        var data = Array(sealed.prefix(sealed.count - 16)), tag = Array(sealed.suffix(16))
        tag[0] ^= 1
        _ = data.withUnsafeMutableBytes { data in
            nonce.withUnsafeBytes { nonce in
                aad.withUnsafeBytes { aad in
                    tag.withUnsafeBytes { tag in
                        #expect(throws: CryptoError.authenticationFailure) { try cipher.open(data, nonce: nonce, associatedData: aad, tag: tag) }
                    }
                }
            }
        }
        #expect(data.allSatisfy { $0 == 0 }, "nothing decrypted is left behind")
    }

    @Test("wrong key, nonce and tag lengths are refused")
    func lengths() {
        #expect(throws: CryptoError.invalidKeyLength(15)) { try AESGCM(key: [UInt8](repeating: 0, count: 15)) }
        #expect(throws: CryptoError.invalidKeyLength(16)) { try ChaChaPoly(key: [UInt8](repeating: 0, count: 16)) }
        #expect(throws: CryptoError.invalidNonceLength(0)) { try AESGCM(key: [UInt8](repeating: 0, count: 16)).seal([1], nonce: []) }
        #expect(throws: CryptoError.invalidNonceLength(8)) { try ChaChaPoly(key: [UInt8](repeating: 0, count: 32)).seal([1], nonce: [UInt8](repeating: 0, count: 8)) }
    }

    /// Runs a Wycheproof AEAD file: each valid vector seals to its ciphertext and tag and opens
    /// back; each invalid one is refused; `make` is nil for a group whose parameters we do not offer.
    func runWycheproof(_ file: String, _ make: (WycheproofFile.Group) -> (([UInt8]) throws -> any AEAD)?) throws -> VectorCounts {
        var counts = VectorCounts()
        for group in try TestVectors.wycheproof(file).groups {
            guard let construct = make(group) else {
                counts.unsupported += group.tests.count
                continue
            }
            for test in group.tests {
                counts.count(test.result)
                let key = test.bytes("key"), nonce = test.bytes("iv"), aad = test.bytes("aad")
                let cipher: (any AEAD)? = try? construct(key)
                let opened = try? cipher?.open(test.bytes("ct") + test.bytes("tag"), nonce: nonce, associatedData: aad)
                if test.result == "valid" {
                    #expect(opened == test.bytes("msg"), "\(file) tcId \(test.id) opens")
                    let sealed = try? cipher?.seal(test.bytes("msg"), nonce: nonce, associatedData: aad)
                    #expect(sealed == test.bytes("ct") + test.bytes("tag"), "\(file) tcId \(test.id) seals")
                } else if test.result == "invalid" {
                    #expect(opened == nil, "\(file) tcId \(test.id) (\(test.flags)) must be refused")
                }
            }
        }
        return counts
    }
}
