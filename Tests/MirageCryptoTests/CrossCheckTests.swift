import Foundation
import MirageCore
import MirageCrypto
import Testing
import MirageTesting

/// Our code against Python's `cryptography` (OpenSSL) on random inputs, both ways: keys,
/// signatures and ciphertexts it made are read and checked here, and what we made from them is
/// checked there (`Fixtures/oracle.py`). Debian's python3-cryptography, which scripts/test installs.
@Suite("Cross-checked with Python's cryptography (OpenSSL)")
struct CrossCheckTests {
    static let oracle = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/oracle.py").path

    @Test("keys, signatures, key agreement, AEADs and HKDF agree both ways")
    func crossCheck() throws {
        let seed = ProcessInfo.processInfo.environment["MIRAGE_TEST_SEED"].flatMap { Int($0) } ?? Int.random(in: 1...1_000_000)
        print("cross-check seed: \(seed) (MIRAGE_TEST_SEED=\(seed) repeats it)")
        let made = try object(run(["make", String(seed)]))
        let message = hex(made["message"] as? String ?? "")
        let random = CryptoRandom(source: SystemEntropy())
        var ours: [String: Any] = ["message": made["message"] ?? ""]

        // Elliptic curves: their keys in PKCS #8, SEC 1 and SPKI, their signatures; our keys,
        // signatures and shared secrets.
        var ecOut: [String: Any] = [:]
        for (name, curve, hash) in [("p256", NISTCurve.p256, HashAlgorithm.sha256), ("p384", .p384, .sha384)] {
            let theirs = try #require((made["ec"] as? [String: Any])?[name] as? [String: String])
            let pkcs8 = try PrivateKey(pem: theirs["pkcs8"] ?? ""), sec1 = try PrivateKey(pem: theirs["sec1"] ?? "")
            let publicKey = try PublicKey(pem: theirs["spki"] ?? "")
            #expect(try pkcs8.publicKey() == publicKey && sec1.publicKey() == publicKey, "\(name): their key files agree")
            guard case let .ec(_, point) = publicKey else { Issue.record("\(name): not an EC key"); continue }
            #expect(ECDSA.isValid(derSignature: hex(theirs["signature"] ?? ""), message: message, hash: hash, publicKey: point, curve: curve),
                    "\(name): their signature verifies here")
            let mine = try PrivateKey.generateEC(curve, using: random)
            guard case let .ec(_, scalar) = mine else { continue }
            let signature = try ECDSA.sign(message: message, hash: hash, privateKey: scalar, curve: curve)
            ecOut[name] = [
                "oracle_pkcs8": theirs["pkcs8"] ?? "", "pkcs8": try mine.pem(), "sec1": try mine.traditionalPEM(), "spki": try mine.publicKey().pem,
                "signature": hexString(ECDSASignatureDER.der(fromRaw: signature)),
                "shared": hexString(try ECDH.sharedSecret(privateKey: scalar, peerPublicKey: point, curve: curve)),
            ]
        }
        ours["ec"] = ecOut

        // RSA: their key in PKCS #8, PKCS #1 and SPKI, their PKCS #1 v1.5 and PSS signatures; ours
        // with their key, and our encodings of it.
        let rsaTheirs = try #require(made["rsa"] as? [String: String])
        let rsaKey = try PrivateKey(pem: rsaTheirs["pkcs8"] ?? "")
        #expect(try PrivateKey(pem: rsaTheirs["pkcs1"] ?? "").publicKey() == rsaKey.publicKey())
        #expect(try PublicKey(pem: rsaTheirs["spki"] ?? "") == rsaKey.publicKey())
        guard case let .rsa(privateKey) = rsaKey else { Issue.record("not an RSA key"); return }
        let digest = MessageDigest.hash(.sha256, message)
        #expect(RSA.isValidPKCS1(signature: hex(rsaTheirs["pkcs1v15"] ?? ""), digest: digest, hash: .sha256, key: privateKey.publicKey))
        #expect(RSA.isValidPSS(signature: hex(rsaTheirs["pss"] ?? ""), digest: digest, hash: .sha256, key: privateKey.publicKey))
        ours["rsa"] = [
            "oracle_pkcs8": rsaTheirs["pkcs8"] ?? "", "pkcs8": try rsaKey.pem(), "pkcs1": try rsaKey.traditionalPEM(), "spki": try rsaKey.publicKey().pem,
            "pkcs1v15": hexString(try RSA.signPKCS1(digest: digest, hash: .sha256, key: privateKey)),
            "pss": hexString(try RSA.signPSS(digest: digest, hash: .sha256, salt: random.bytes(count: 32), key: privateKey)),
        ]

        // X25519.
        let xTheirs = try #require(made["x25519"] as? [String: String])
        let xPublic = try PublicKey(pem: xTheirs["spki"] ?? "")
        #expect(try PrivateKey(pem: xTheirs["pkcs8"] ?? "").publicKey() == xPublic)
        guard case let .x25519(theirPoint) = xPublic, case let .x25519(myScalar) = PrivateKey.generateX25519(using: random) else { return }
        ours["x25519"] = [
            "oracle_pkcs8": xTheirs["pkcs8"] ?? "", "spki": try PrivateKey.x25519(myScalar).publicKey().pem,
            "shared": hexString(try X25519.sharedSecret(privateKey: myScalar, peerPublicKey: theirPoint)),
        ]

        // AEADs: theirs opened here; ours (random inputs) sealed for them to open.
        var sealedOut: [[String: String]] = []
        for sealed in made["aead"] as? [[String: String]] ?? [] {
            let key = hex(sealed["key"] ?? ""), nonce = hex(sealed["nonce"] ?? ""), aad = hex(sealed["aad"] ?? "")
            let cipher: any AEAD = sealed["kind"] == "aes-gcm" ? try AESGCM(key: key) : try ChaChaPoly(key: key)
            #expect(try cipher.open(hex(sealed["sealed"] ?? ""), nonce: nonce, associatedData: aad) == hex(sealed["plaintext"] ?? ""),
                    "\(sealed["kind"] ?? ""): theirs opens here")
            let plaintext = random.bytes(count: Int(random.next() % 3000)), myNonce = random.bytes(count: 12)
            sealedOut.append(["kind": sealed["kind"] ?? "", "key": sealed["key"] ?? "", "nonce": hexString(myNonce), "aad": sealed["aad"] ?? "",
                              "plaintext": hexString(plaintext), "sealed": hexString(try cipher.seal(plaintext, nonce: myNonce, associatedData: aad))])
        }
        ours["aead"] = sealedOut
        #expect(sealedOut.count == 3)

        for derivation in made["hkdf"] as? [[String: Any]] ?? [] {
            let hash: HashAlgorithm = derivation["hash"] as? String == "sha384" ? .sha384 : .sha256
            let okm = try HKDF.deriveKey(hash, inputKeyingMaterial: hex(derivation["ikm"] as? String ?? ""), salt: hex(derivation["salt"] as? String ?? ""),
                                         info: hex(derivation["info"] as? String ?? ""), length: derivation["length"] as? Int ?? 0)
            #expect(hexString(okm) == derivation["okm"] as? String, "HKDF-\(hash)")
        }

        // Their verdicts on ours.
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mirage-crosscheck-\(seed).json")
        try JSONSerialization.data(withJSONObject: ours).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let verdicts = try run(["check", file.path]).split(separator: "\n")
        for verdict in verdicts { #expect(verdict.hasPrefix("ok "), "OpenSSL: \(verdict)") }
        print("cross-check: \(verdicts.filter { $0.hasPrefix("ok ") }.count) of \(verdicts.count) checks passed in OpenSSL")
        #expect(verdicts.count == 16)
    }

    private func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [Self.oracle] + arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OracleFailure(description: "oracle.py \(arguments.first ?? "") exited with \(process.terminationStatus) (is python3-cryptography installed?)")
        }
        return String(decoding: data, as: UTF8.self)
    }

    private func object(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }
}

struct OracleFailure: Error, CustomStringConvertible { let description: String }
