/// Why a cryptographic operation refused its input. Nothing secret is in a case: an attacker who
/// sees which error came learns no more than that the operation failed.
public enum CryptoError: Error, Equatable, Sendable {
    /// A key of a length the algorithm does not take.
    case invalidKeyLength(Int)
    /// A nonce (initialisation vector) of a length the algorithm does not take.
    case invalidNonceLength(Int)
    /// An authentication tag of the wrong length.
    case invalidTagLength(Int)
    /// The tag did not match: the ciphertext, the nonce or the associated data were changed, or
    /// the key is not the one that sealed them. The data is not decrypted (it is erased).
    case authenticationFailure
    /// More output than the function can give (HKDF-Expand: 255 hash lengths, RFC 5869 2.3).
    case outputTooLong(requested: Int, limit: Int)
    /// A public key that is not a valid point of its curve, or of the wrong encoding.
    case invalidPublicKey
    /// Bytes that are not the encoding they should be: DER that breaks X.690's rules, PEM that is
    /// not base64 between matching armour lines, a key structure with missing or extra fields.
    /// `what` names the structure, for the message.
    case malformedEncoding(what: String)
    /// A key of a kind or curve this library does not offer.
    case unsupportedKey
    /// The entropy source gave 64 private-key candidates out of range in a row: it is broken.
    case brokenEntropySource
    /// A key agreement whose shared secret is all zeros: the peer's public key was a point of
    /// small order (RFC 7748 section 6.1).
    case weakSharedSecret
}
