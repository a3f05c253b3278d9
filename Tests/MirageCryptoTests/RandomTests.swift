import MirageCore
import MirageCrypto
import MirageTesting
import Testing

/// HMAC-DRBG against NIST CAVP (SP 800-90A), and ``CryptoRandom``'s seeding and reseeding.
@Suite("HMAC-DRBG and CryptoRandom")
struct RandomTests {
    /// NIST CAVP HMAC_DRBG.rsp, [SHA-256], no prediction resistance, no personalization or
    /// additional input: instantiate (optionally reseed), generate 1,024 bits twice, the second
    /// are the ReturnedBits.
    @Test("NIST CAVP HMAC_DRBG SHA-256 known answers", arguments: [
        ("ca851911349384bffe89de1cbdc46e6831e44d34a4fb935ee285dd14b71a7488", "659ba96c601dc69fc902940805ec0ca8", "",
         "e528e9abf2dece54d47c7e75e5fe302149f817ea9fb4bee6f4199697d04d5b89d54fbb978a15b5c443c9ec21036d2460b6f73ebad0dc2aba6e624abf07745bc107694bb7547bb0995f70de25d6b29e2d3011bb19d27676c07162c8b5ccde0668961df86803482cb37ed6d5c0bb8d50cf1f50d476aa0458bdaba806f48be9dcb8"),
        ("06032cd5eed33f39265f49ecb142c511da9aff2af71203bffaf34a9ca5bd9c0d", "0e66f71edc43e42a45ad3c6fc6cdc4df",
         "01920a4e669ed3a85ae8a33b35a74ad7fb2a6bb4cf395ce00334a9c9a5a5d552",
         "76fc79fe9b50beccc991a11b5635783a83536add03c157fb30645e611c2898bb2b1bc215000209208cd506cb28da2a51bdb03826aaf2bd2335d576d519160842e7158ad0949d1a9ec3e66ea1b1a064b005de914eac2e9d4f2d72a8616a80225422918250ff66a41bd2f864a6a38cc5b6499dc43f7f2bd09e1e0f8f5885935124"),
    ])
    func knownAnswers(_ entropy: String, _ nonce: String, _ reseed: String, _ expected: String) {
        var drbg = HMACDRBG(seedMaterial: hex(entropy) + hex(nonce))
        if !reseed.isEmpty { drbg.reseed(hex(reseed)) }
        var output = [UInt8](repeating: 0, count: 128)
        output.withUnsafeMutableBytes { drbg.generate($0) }
        output.withUnsafeMutableBytes { drbg.generate($0) }
        #expect(hexString(output) == expected)
    }

    @Test("the same seed gives the same bytes until a reseed brings fresh entropy; the schedule is kept")
    func seedingAndReseeding() {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("CryptoRandom test seed: \(seed)")
        let one = CryptoRandom(source: SeededEntropy(seed: seed)), two = CryptoRandom(source: SeededEntropy(seed: seed))
        #expect(one.bytes(count: 64) == two.bytes(count: 64), "deterministic given its source")
        let other = CryptoRandom(source: SeededEntropy(seed: seed &+ 1))
        #expect(other.bytes(count: 64) != one.bytes(count: 64))
        // Two boots whose boot seed is the same (a tender that gave a fixed seed) agree until
        // their first reseed brings entropy each gathered itself, then differ.
        let bootA = CryptoRandom(source: FixedThenFresh(seed: seed, fresh: seed &+ 2))
        let bootB = CryptoRandom(source: FixedThenFresh(seed: seed, fresh: seed &+ 3))
        #expect(bootA.bytes(count: 32) == bootB.bytes(count: 32))
        bootA.reseed()
        bootB.reseed()
        #expect(bootA.bytes(count: 32) != bootB.bytes(count: 32))
        #expect(one.reseeds == 0)
        _ = one.bytes(count: CryptoRandom.reseedBytes)
        #expect(one.reseeds == 1, "the first MiB needs one reseed before its last request")
        for _ in 0..<CryptoRandom.reseedRequests { _ = one.next() }
        #expect(one.reseeds == 2, "65,536 requests need another")
    }

    @Test("requests longer than 64 KiB are split, and the bytes look random")
    func largeRequests() {
        let random = CryptoRandom(source: SeededEntropy(seed: 7))
        let bytes = random.bytes(count: 200_000)
        var counts = [Int](repeating: 0, count: 256)
        for byte in bytes { counts[Int(byte)] += 1 }
        // 200,000 bytes over 256 values: about 781 each; a fixed pattern or zeros would be far off.
        #expect(counts.allSatisfy { (600...960).contains($0) })
    }
}

/// An entropy source whose first answer is the same for the same `seed`, and later ones come from
/// a source of their own.
final class FixedThenFresh: EntropySource {
    private let first: SeededEntropy, later: SeededEntropy
    private var used = false
    init(seed: UInt64, fresh: UInt64) {
        first = SeededEntropy(seed: seed)
        later = SeededEntropy(seed: fresh)
    }
    func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        (used ? later : first).fill(buffer)
        used = true
    }
}
