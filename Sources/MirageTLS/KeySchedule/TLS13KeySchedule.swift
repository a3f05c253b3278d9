import MirageCrypto

/// The key schedule of TLS 1.3 (RFC 8446 section 7.1): from the PSK (or zeros) to the early
/// secret, with the (EC)DHE shared secret to the handshake secret, then to the master secret,
/// each stage's traffic secrets bound to the transcript hash at that point. A pure value: the
/// engine advances it as the handshake does.
public struct TLS13KeySchedule {
    /// The stage the schedule is in; its secret is the one the next `derive` reads.
    public enum Stage: Sendable {
        case early, handshake, master
    }

    public let algorithm: HashAlgorithm
    public private(set) var stage: Stage
    /// The current stage's secret (Early Secret, Handshake Secret or Master Secret).
    private var secret: [UInt8]

    /// Starts at the Early Secret: HKDF-Extract(0, PSK), with a string of zeros for the PSK when
    /// there is none.
    public init(_ algorithm: HashAlgorithm, preSharedKey: [UInt8]? = nil) {
        self.algorithm = algorithm
        stage = .early
        secret = HKDF.extract(algorithm, salt: [], inputKeyingMaterial: preSharedKey ?? Self.zeros(algorithm))
    }

    /// Derive-Secret(Secret, Label, Messages): Expand-Label over the transcript hash, one hash long.
    public static func deriveSecret(_ algorithm: HashAlgorithm, secret: [UInt8], label: String, transcriptHash: [UInt8]) -> [UInt8] {
        expand(algorithm, secret: secret, label: label, context: transcriptHash, length: algorithm.digestLength)
    }

    /// A secret of the current stage: `c hs traffic`, `s ap traffic`, `res master`, `ext binder`...
    public func derive(_ label: String, transcriptHash: [UInt8]) -> [UInt8] {
        Self.deriveSecret(algorithm, secret: secret, label: label, transcriptHash: transcriptHash)
    }

    /// The early stage's binder key (RFC 8446 section 4.2.11.2): `res binder` for a resumption
    /// PSK, `ext binder` for an external one.
    public func binderKey(resumption: Bool = true) -> [UInt8] {
        precondition(stage == .early, "the binder key comes from the early secret")
        return derive(resumption ? "res binder" : "ext binder", transcriptHash: MessageDigest.hash(algorithm, []))
    }

    /// Moves to the Handshake Secret: HKDF-Extract(Derive-Secret(early, "derived", ""), (EC)DHE).
    public mutating func addSharedSecret(_ sharedSecret: [UInt8]) {
        precondition(stage == .early, "the shared secret enters after the early stage")
        secret = HKDF.extract(algorithm, salt: derivedSalt(), inputKeyingMaterial: sharedSecret)
        stage = .handshake
    }

    /// Moves to the Master Secret: HKDF-Extract(Derive-Secret(handshake, "derived", ""), 0).
    public mutating func enterMasterSecret() {
        precondition(stage == .handshake, "the master secret follows the handshake secret")
        secret = HKDF.extract(algorithm, salt: derivedSalt(), inputKeyingMaterial: Self.zeros(algorithm))
        stage = .master
    }

    private func derivedSalt() -> [UInt8] {
        derive("derived", transcriptHash: MessageDigest.hash(algorithm, []))
    }

    /// The record key and IV of a traffic secret (RFC 8446 section 7.3).
    public static func trafficKeys(_ algorithm: HashAlgorithm, secret: [UInt8], cipher: TLSRecordCipher) -> (key: [UInt8], iv: [UInt8]) {
        (expand(algorithm, secret: secret, label: "key", context: [], length: cipher.keyLength),
         expand(algorithm, secret: secret, label: "iv", context: [], length: TLSRecordCipher.ivLength))
    }

    /// The Finished message's verify_data (RFC 8446 section 4.4.4): HMAC over the transcript
    /// hash with the key `finished` derived from the sender's handshake traffic secret (or the
    /// binder key, for a PSK binder).
    public static func finishedMAC(_ algorithm: HashAlgorithm, baseKey: [UInt8], transcriptHash: [UInt8]) -> [UInt8] {
        let key = expand(algorithm, secret: baseKey, label: "finished", context: [], length: algorithm.digestLength)
        return HMAC.authenticationCode(algorithm, key: key, message: transcriptHash)
    }

    /// The next application traffic secret after a KeyUpdate (RFC 8446 section 7.2).
    public static func nextTrafficSecret(_ algorithm: HashAlgorithm, after secret: [UInt8]) -> [UInt8] {
        expand(algorithm, secret: secret, label: "traffic upd", context: [], length: algorithm.digestLength)
    }

    /// The PSK a NewSessionTicket stands for (RFC 8446 section 4.6.1).
    public static func resumptionPSK(_ algorithm: HashAlgorithm, resumptionMasterSecret: [UInt8], ticketNonce: [UInt8]) -> [UInt8] {
        expand(algorithm, secret: resumptionMasterSecret, label: "resumption", context: ticketNonce, length: algorithm.digestLength)
    }

    /// HKDF-Expand-Label with lengths and labels that are always within its limits here.
    static func expand(_ algorithm: HashAlgorithm, secret: [UInt8], label: String, context: [UInt8], length: Int) -> [UInt8] {
        do {
            return try HKDF.expandLabel(algorithm, secret: secret, label: Array(label.utf8), context: context, length: length)
        } catch {
            preconditionFailure("Expand-Label of \(length) bytes for \(label)")
        }
    }

    private static func zeros(_ algorithm: HashAlgorithm) -> [UInt8] {
        [UInt8](repeating: 0, count: algorithm.digestLength)
    }
}
