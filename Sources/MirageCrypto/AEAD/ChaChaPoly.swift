import CBearSSL

/// ChaCha20-Poly1305 (RFC 8439 section 2.8), computed by BearSSL (SSE2 ChaCha20 and 64-bit
/// Poly1305 where the CPU has them). Encrypts and decrypts in place; the tag is compared in
/// constant time.
public final class ChaChaPoly {
    public static let keyLength = 32
    public static let nonceLength = 12
    public static let tagLength = 16

    private var key: [UInt8]

    /// A key of 32 bytes.
    /// - Throws: ``CryptoError/invalidKeyLength(_:)`` for another length.
    public init(key: [UInt8]) throws(CryptoError) {
        guard key.count == Self.keyLength else { throw .invalidKeyLength(key.count) }
        self.key = key
    }

    deinit {
        for index in key.indices { key[index] = 0 }
    }

    /// Encrypts `data` in place and returns the tag over `associatedData` and the ciphertext.
    /// - Throws: ``CryptoError/invalidNonceLength(_:)`` unless the nonce is 12 bytes.
    public func seal(_ data: UnsafeMutableRawBufferPointer, nonce: UnsafeRawBufferPointer,
                     associatedData: UnsafeRawBufferPointer) throws(CryptoError) -> [UInt8] {
        guard nonce.count == Self.nonceLength else { throw .invalidNonceLength(nonce.count) }
        return run(data, nonce: nonce, associatedData: associatedData, encrypt: true)
    }

    /// Checks `tag` and decrypts `data` in place; on a mismatch `data` is erased.
    /// - Throws: ``CryptoError/authenticationFailure``, ``CryptoError/invalidTagLength(_:)``,
    ///   ``CryptoError/invalidNonceLength(_:)``.
    public func open(_ data: UnsafeMutableRawBufferPointer, nonce: UnsafeRawBufferPointer,
                     associatedData: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer) throws(CryptoError) {
        guard nonce.count == Self.nonceLength else { throw .invalidNonceLength(nonce.count) }
        guard tag.count == Self.tagLength else { throw .invalidTagLength(tag.count) }
        // BearSSL computes the tag over the ciphertext while it decrypts.
        let expected = run(data, nonce: nonce, associatedData: associatedData, encrypt: false)
        guard ConstantTime.declassify(expected.withUnsafeBytes({ ConstantTime.equal($0, tag) })) else {
            if data.count > 0 { data.initializeMemory(as: UInt8.self, repeating: 0) }
            throw .authenticationFailure
        }
    }

    private func run(_ data: UnsafeMutableRawBufferPointer, nonce: UnsafeRawBufferPointer,
                     associatedData: UnsafeRawBufferPointer, encrypt: Bool) -> [UInt8] {
        let poly1305 = mirage_br_poly1305()!
        var placeholder: UInt8 = 0
        return withUnsafeMutablePointer(to: &placeholder) { empty in
            key.withUnsafeBytes { key in
                [UInt8](unsafeUninitializedCapacity: Self.tagLength) { tag, count in
                    poly1305(key.baseAddress, nonce.baseAddress, data.baseAddress ?? UnsafeMutableRawPointer(empty), data.count,
                             associatedData.baseAddress ?? UnsafeRawPointer(empty), associatedData.count,
                             tag.baseAddress, mirage_br_chacha20(), encrypt ? 1 : 0)
                    count = Self.tagLength
                }
            }
        }
    }
}

extension ChaChaPoly: AEAD {}
