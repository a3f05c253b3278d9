import MirageCrypto
import Testing
import MirageTesting

/// X25519 against RFC 7748 and Wycheproof.
@Suite("X25519 (RFC 7748)")
struct X25519Tests {
    @Test("RFC 7748 section 5.2")
    func rfc7748() throws {
        let records = VectorRecord.parse(try TestVectors.cavp("asymmetric/X25519/rfc7748.txt"))
        for record in records {
            let output = try X25519.sharedSecret(privateKey: record.bytes("INPUT_SCALAR"), peerPublicKey: record.bytes("INPUT_U"))
            #expect(hexString(output) == record["OUTPUT_U"], "COUNT \(record["COUNT"] ?? "")")
        }
        #expect(records.count >= 2)
    }

    /// RFC 7748 section 6.1: Alice's and Bob's keys and their shared secret.
    @Test("RFC 7748 section 6.1: the Diffie-Hellman example")
    func diffieHellman() throws {
        let alice = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        let bob = hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
        #expect(hexString(try X25519.publicKey(privateKey: alice)) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        #expect(hexString(try X25519.publicKey(privateKey: bob)) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        #expect(hexString(try X25519.sharedSecret(privateKey: alice, peerPublicKey: X25519.publicKey(privateKey: bob))) == shared)
        #expect(hexString(try X25519.sharedSecret(privateKey: bob, peerPublicKey: X25519.publicKey(privateKey: alice))) == shared)
    }

    @Test("Wycheproof: every valid shared secret, and every all-zero one refused")
    func wycheproof() throws {
        var counts = VectorCounts(), refusedZero = 0
        for group in try TestVectors.wycheproof("Protocol/wycheproof/x25519_test.json").groups {
            for test in group.tests {
                counts.count(test.result)
                let expected = test.bytes("shared")
                do {
                    let shared = try X25519.sharedSecret(privateKey: test.bytes("private"), peerPublicKey: test.bytes("public"))
                    #expect(test.result != "invalid", "tcId \(test.id) must be refused")
                    #expect(shared == expected, "tcId \(test.id) (\(test.flags))")
                } catch {
                    // RFC 7748 6.1: refusing the all-zero output is allowed; Wycheproof marks those
                    // vectors "acceptable" with the flag ZeroSharedSecret.
                    #expect(error == .weakSharedSecret && expected.allSatisfy { $0 == 0 }, "tcId \(test.id) refused: \(error)")
                    refusedZero += 1
                }
            }
        }
        print("Wycheproof x25519_test.json: \(counts); \(refusedZero) all-zero secrets refused")
        #expect(counts.valid > 100 && refusedZero > 0)
    }
}
