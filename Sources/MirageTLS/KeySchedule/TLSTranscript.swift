import MirageCrypto

/// The running hash of the handshake messages (RFC 8446 section 4.4.1): every secret and
/// Finished after the ServerHello is bound to it. Forked rather than finished, so the hash at
/// each point (after ServerHello, after the server's Finished...) is read without ending it.
public struct TLSTranscript: Sendable {
    private var digest: MessageDigest
    /// The messages themselves, when kept: a TLS 1.2 CertificateVerify signs them whole, hashed
    /// with its scheme's hash, which need not be the suite's (RFC 5246 section 7.4.8).
    public private(set) var messages: [UInt8]?

    /// - Parameter keepingMessages: keep the messages as well as their hash.
    public init(_ algorithm: HashAlgorithm, keepingMessages: Bool = false) {
        digest = MessageDigest(algorithm)
        messages = keepingMessages ? [] : nil
    }

    public var algorithm: HashAlgorithm { digest.algorithm }

    /// Adds one whole handshake message, header included.
    public mutating func append(_ message: [UInt8]) {
        digest.update(message)
        messages?.append(contentsOf: message)
    }

    /// Transcript-Hash of the messages so far.
    public var hash: [UInt8] { digest.finish() }

    /// The transcript after a HelloRetryRequest (RFC 8446 section 4.4.1): the first ClientHello
    /// replaced by a `message_hash` message holding its hash, so that a stateless server need
    /// only remember the hash. `clientHello` is that first ClientHello, whole.
    public static func restarted(_ algorithm: HashAlgorithm, afterClientHello clientHello: [UInt8]) -> TLSTranscript {
        let hash = MessageDigest.hash(algorithm, clientHello)
        var transcript = TLSTranscript(algorithm)
        transcript.append([TLSHandshakeType.messageHash.rawValue, 0, 0, UInt8(hash.count)] + hash)
        return transcript
    }
}
