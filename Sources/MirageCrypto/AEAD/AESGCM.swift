import CBearSSL

/// AES-GCM (NIST SP 800-38D) with a 128-bit tag: AES-128-GCM and AES-256-GCM of TLS (RFC 5288,
/// RFC 8446), computed by BearSSL with AES-NI and PCLMULQDQ when the CPU has them and constant-time
/// bitsliced code otherwise. Encrypts and decrypts in place.
///
/// A class: the key schedule lives at one address for BearSSL's GCM state to point at, and is
/// erased when the last reference goes.
public final class AESGCM {
    /// Bytes of the authentication tag.
    public static let tagLength = 16
    /// Bytes of the nonce TLS uses (RFC 5116 section 3.2, the recommended length).
    public static let nonceLength = 12

    private let state: UnsafeMutablePointer<mirage_br_aes_gcm>

    /// A key of 16 bytes (AES-128) or 32 (AES-256); 24 (AES-192) is taken too.
    /// - Throws: ``CryptoError/invalidKeyLength(_:)`` for any other length.
    public init(key: [UInt8]) throws(CryptoError) {
        guard key.count == 16 || key.count == 24 || key.count == 32 else { throw .invalidKeyLength(key.count) }
        state = .allocate(capacity: 1)
        key.withUnsafeBytes { mirage_br_aes_gcm_init(state, $0.baseAddress, $0.count) }
    }

    deinit {
        UnsafeMutableRawPointer(state).initializeMemory(as: UInt8.self, repeating: 0, count: MemoryLayout<mirage_br_aes_gcm>.size)
        state.deallocate()
    }

    /// Encrypts `data` in place and returns the tag over `associatedData` and the ciphertext.
    /// A nonce must never repeat under one key.
    /// - Throws: ``CryptoError/invalidNonceLength(_:)`` for an empty nonce (SP 800-38D 5.2.1.1).
    public func seal(_ data: UnsafeMutableRawBufferPointer, nonce: UnsafeRawBufferPointer,
                     associatedData: UnsafeRawBufferPointer) throws(CryptoError) -> [UInt8] {
        try start(nonce: nonce, associatedData: associatedData)
        if let base = data.baseAddress { br_gcm_run(&state.pointee.gcm, 1, base, data.count) }
        return [UInt8](unsafeUninitializedCapacity: Self.tagLength) { tag, count in
            br_gcm_get_tag(&state.pointee.gcm, tag.baseAddress)
            count = Self.tagLength
        }
    }

    /// Checks `tag` and decrypts `data` in place. The tag is compared in constant time; when it
    /// does not match, `data` is erased rather than left decrypted.
    /// - Throws: ``CryptoError/authenticationFailure``, ``CryptoError/invalidTagLength(_:)``,
    ///   ``CryptoError/invalidNonceLength(_:)``.
    public func open(_ data: UnsafeMutableRawBufferPointer, nonce: UnsafeRawBufferPointer,
                     associatedData: UnsafeRawBufferPointer, tag: UnsafeRawBufferPointer) throws(CryptoError) {
        guard tag.count == Self.tagLength else { throw .invalidTagLength(tag.count) }
        try start(nonce: nonce, associatedData: associatedData)
        if let base = data.baseAddress { br_gcm_run(&state.pointee.gcm, 0, base, data.count) }
        guard ConstantTime.declassify(br_gcm_check_tag(&state.pointee.gcm, tag.baseAddress)) == 1 else {
            if data.count > 0 { data.initializeMemory(as: UInt8.self, repeating: 0) }
            throw .authenticationFailure
        }
    }

    /// Resets the state for `nonce` and feeds it the associated data.
    private func start(nonce: UnsafeRawBufferPointer, associatedData: UnsafeRawBufferPointer) throws(CryptoError) {
        guard nonce.count > 0 else { throw .invalidNonceLength(nonce.count) }
        br_gcm_reset(&state.pointee.gcm, nonce.baseAddress, nonce.count)
        if let base = associatedData.baseAddress { br_gcm_aad_inject(&state.pointee.gcm, base, associatedData.count) }
        br_gcm_flip(&state.pointee.gcm)
    }
}

extension AESGCM: AEAD {}
