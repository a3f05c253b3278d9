/// An authenticated cipher with associated data (RFC 5116) that works in place: ``AESGCM`` and
/// ``ChaChaPoly``. TLS's record layer is written once over it.
public protocol AEAD: AnyObject {
    /// Encrypts `data` in place and returns the tag.
    func seal(_ data: UnsafeMutableRawBufferPointer, nonce: UnsafeRawBufferPointer,
              associatedData: UnsafeRawBufferPointer) throws(CryptoError) -> [UInt8]
    /// Checks `tag` and decrypts `data` in place, erasing it when the tag does not match.
    func open(_ data: UnsafeMutableRawBufferPointer, nonce: UnsafeRawBufferPointer,
              associatedData: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer) throws(CryptoError)
}

extension AEAD {
    /// The ciphertext of `plaintext` followed by its tag.
    public func seal(_ plaintext: [UInt8], nonce: [UInt8], associatedData: [UInt8] = []) throws(CryptoError) -> [UInt8] {
        var data = plaintext
        // The buffer methods of Array rethrow untyped errors: the result is carried out instead.
        let tag: Result<[UInt8], CryptoError> = data.withUnsafeMutableBytes { data in
            nonce.withUnsafeBytes { nonce in
                associatedData.withUnsafeBytes { aad in
                    Result { () throws(CryptoError) in try seal(data, nonce: nonce, associatedData: aad) }
                }
            }
        }
        return data + (try tag.get())
    }

    /// The plaintext of `sealed` (a ciphertext followed by its tag of `tagLength` bytes).
    /// - Throws: ``CryptoError/authenticationFailure`` when the tag does not match, or when
    ///   `sealed` is shorter than a tag.
    public func open(_ sealed: [UInt8], nonce: [UInt8], associatedData: [UInt8] = [], tagLength: Int = 16) throws(CryptoError) -> [UInt8] {
        guard sealed.count >= tagLength else { throw .authenticationFailure }
        var data = Array(sealed.prefix(sealed.count - tagLength))
        let tag = Array(sealed.suffix(tagLength))
        let outcome: Result<Void, CryptoError> = data.withUnsafeMutableBytes { data in
            nonce.withUnsafeBytes { nonce in
                associatedData.withUnsafeBytes { aad in
                    tag.withUnsafeBytes { tag in
                        Result { () throws(CryptoError) in try open(data, nonce: nonce, associatedData: aad, tag: tag) }
                    }
                }
            }
        }
        try outcome.get()
        return data
    }
}
