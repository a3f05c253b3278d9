import MirageCrypto
import Testing
import MirageTesting

/// SHA-1 and SHA-2 against NIST CAVP (FIPS 180-4 byte-oriented short, long and Monte Carlo
/// messages), from PyPI's cryptography-vectors.
@Suite("Hash functions (NIST CAVP)")
struct HashTests {
    static let files: [(HashAlgorithm, String)] = [
        (.sha1, "hashes/SHA1/SHA1"), (.sha224, "hashes/SHA2/SHA224"), (.sha256, "hashes/SHA2/SHA256"),
        (.sha384, "hashes/SHA2/SHA384"), (.sha512, "hashes/SHA2/SHA512"),
    ]

    @Test("short and long messages", arguments: files)
    func messages(_ algorithm: HashAlgorithm, _ prefix: String) throws {
        var count = 0
        for kind in ["ShortMsg", "LongMsg"] {
            for record in VectorRecord.parse(try TestVectors.cavp(prefix + kind + ".rsp")) {
                let bits = Int(record["Len"] ?? "") ?? -1
                try #require(bits >= 0 && bits % 8 == 0)
                let message = Array(record.bytes("Msg").prefix(bits / 8))
                #expect(hexString(MessageDigest.hash(algorithm, message)) == record["MD"], "\(prefix)\(kind) Len = \(bits)")
                count += 1
            }
        }
        print("\(prefix): \(count) CAVP messages")
        #expect(count > 100)
    }

    @Test("fed in pieces, and forked by copying, as in one piece", arguments: files)
    func pieces(_ algorithm: HashAlgorithm, _ prefix: String) {
        let message = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var digest = MessageDigest(algorithm)
        digest.update(Array(message[..<1]))
        digest.update(Array(message[1..<129]))
        let fork = digest
        digest.update(Array(message[129...]))
        #expect(digest.finish() == MessageDigest.hash(algorithm, message))
        #expect(fork.finish() == MessageDigest.hash(algorithm, Array(message[..<129])))
        #expect(digest.finish() == digest.finish(), "finishing does not end the computation")
    }

    /// The Monte Carlo test (CAVP SHAVS section 6.4): 100 checkpoints of 1,000 chained hashes.
    @Test("Monte Carlo", arguments: files)
    func monteCarlo(_ algorithm: HashAlgorithm, _ prefix: String) throws {
        let records = VectorRecord.parse(try TestVectors.cavp(prefix + "Monte.rsp"))
        var seed = try #require(records.first { $0["Seed"] != nil }).bytes("Seed")
        let checkpoints = records.filter { $0["MD"] != nil }
        #expect(checkpoints.count == 100)
        for checkpoint in checkpoints {
            var md = [seed, seed, seed]
            for _ in 3..<1003 {
                let next = MessageDigest.hash(algorithm, md[0] + md[1] + md[2])
                md = [md[1], md[2], next]
            }
            seed = md[2]
            #expect(hexString(seed) == checkpoint["MD"], "\(prefix)Monte COUNT = \(checkpoint["COUNT"] ?? "?")")
        }
    }
}
