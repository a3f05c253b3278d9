import MirageCrypto
import Testing
import MirageTesting

/// HMAC against RFC 2202 (SHA-1) and RFC 4231 (SHA-2), from PyPI's cryptography-vectors.
@Suite("HMAC (RFC 2202, RFC 4231)")
struct HMACTests {
    @Test("RFC vectors", arguments: [
        (HashAlgorithm.sha1, "HMAC/rfc-2202-sha1.txt"), (.sha224, "HMAC/rfc-4231-sha224.txt"),
        (.sha256, "HMAC/rfc-4231-sha256.txt"), (.sha384, "HMAC/rfc-4231-sha384.txt"), (.sha512, "HMAC/rfc-4231-sha512.txt"),
    ])
    func vectors(_ algorithm: HashAlgorithm, _ file: String) throws {
        let records = VectorRecord.parse(try TestVectors.cavp(file))
        for record in records {
            let key = record.bytes("Key"), message = record.bytes("Msg")
            #expect(hexString(HMAC.authenticationCode(algorithm, key: key, message: message)) == record["MD"], "\(file) \(record["Msg"] ?? "")")
            #expect(HMAC.isValid(hex(record["MD"] ?? ""), algorithm, key: key, message: message))
        }
        print("\(file): \(records.count) vectors")
        #expect(records.count >= 6)
    }

    @Test("a wrong or too short code is refused")
    func refusals() {
        let key: [UInt8] = Array("key".utf8), message: [UInt8] = Array("message".utf8)
        var code = HMAC.authenticationCode(.sha256, key: key, message: message)
        #expect(HMAC.isValid(Array(code.prefix(16)), .sha256, key: key, message: message), "truncated to half")
        #expect(!HMAC.isValid(Array(code.prefix(15)), .sha256, key: key, message: message), "shorter than half")
        code[31] ^= 1
        #expect(!HMAC.isValid(code, .sha256, key: key, message: message))
    }
}
