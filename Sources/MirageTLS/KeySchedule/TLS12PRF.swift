import MirageCrypto

/// TLS 1.2's pseudorandom function (RFC 5246 section 5): P_hash over HMAC with the suite's hash
/// (SHA-256, or SHA-384 for the `_SHA384` suites), and the secrets made with it: the master
/// secret from the session hash (RFC 7627 section 4, the only form this engine accepts), the key
/// block, and Finished's verify_data.
public enum TLS12PRF {
    /// PRF(secret, label, seed) = P_hash(secret, label + seed), `length` bytes.
    public static func compute(_ algorithm: HashAlgorithm, secret: [UInt8], label: String, seed: [UInt8], length: Int) -> [UInt8] {
        let labelSeed = Array(label.utf8) + seed
        var output: [UInt8] = []
        output.reserveCapacity(length + algorithm.digestLength)
        var a = labelSeed  // A(0)
        while output.count < length {
            a = HMAC.authenticationCode(algorithm, key: secret, message: a)
            output += HMAC.authenticationCode(algorithm, key: secret, message: a + labelSeed)
        }
        return Array(output.prefix(length))
    }

    /// The extended master secret (RFC 7627 section 4): PRF(pre_master_secret,
    /// "extended master secret", session_hash), 48 bytes, where the session hash is the
    /// transcript through the ClientKeyExchange.
    public static func extendedMasterSecret(_ algorithm: HashAlgorithm, preMasterSecret: [UInt8], sessionHash: [UInt8]) -> [UInt8] {
        compute(algorithm, secret: preMasterSecret, label: "extended master secret", seed: sessionHash, length: 48)
    }

    /// The key block (RFC 5246 section 6.3), cut into the client's and server's write keys and
    /// IVs (no MAC keys: AEAD suites only).
    public static func keys(_ algorithm: HashAlgorithm, masterSecret: [UInt8], clientRandom: [UInt8], serverRandom: [UInt8],
                            cipher: TLSRecordCipher) -> (clientKey: [UInt8], serverKey: [UInt8], clientIV: [UInt8], serverIV: [UInt8]) {
        let keyLength = cipher.keyLength, ivLength = TLS12RecordProtection.ivLength(cipher)
        let block = compute(algorithm, secret: masterSecret, label: "key expansion", seed: serverRandom + clientRandom,
                            length: 2 * (keyLength + ivLength))
        return (Array(block[0..<keyLength]), Array(block[keyLength..<2 * keyLength]),
                Array(block[2 * keyLength..<2 * keyLength + ivLength]), Array(block[2 * keyLength + ivLength..<2 * (keyLength + ivLength)]))
    }

    /// Finished's verify_data (RFC 5246 section 7.4.9): 12 bytes of PRF(master_secret,
    /// "client finished" or "server finished", Hash(handshake_messages)).
    public static func verifyData(_ algorithm: HashAlgorithm, masterSecret: [UInt8], client: Bool, transcriptHash: [UInt8]) -> [UInt8] {
        compute(algorithm, secret: masterSecret, label: client ? "client finished" : "server finished", seed: transcriptHash, length: 12)
    }
}
