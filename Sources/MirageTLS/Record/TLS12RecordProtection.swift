import MirageCrypto

/// One direction's AEAD record protection in TLS 1.2 (RFC 5246 section 6.2.3.3). AES-GCM
/// (RFC 5288 section 3) builds its nonce from a 4-byte implicit salt and 8 explicit bytes sent
/// before the ciphertext (we send the sequence number there); ChaCha20-Poly1305 (RFC 7905
/// section 2) XORs the sequence number into a 12-byte IV, as TLS 1.3 does, and sends none. The
/// associated data is the sequence number, the type, the version and the plaintext's length.
public struct TLS12RecordProtection {
    private let aead: any AEAD
    private let cipher: TLSRecordCipher
    private let iv: [UInt8]
    /// The number of the next record, from zero after each ChangeCipherSpec.
    public private(set) var sequenceNumber: UInt64 = 0

    /// Bytes of the IV from the key block: 4 (the salt) for AES-GCM, 12 for ChaCha20-Poly1305.
    public static func ivLength(_ cipher: TLSRecordCipher) -> Int {
        cipher == .chacha20Poly1305 ? 12 : 4
    }

    /// Bytes sent before the ciphertext: 8 for AES-GCM's explicit nonce, none for ChaCha20.
    public static func explicitNonceLength(_ cipher: TLSRecordCipher) -> Int {
        cipher == .chacha20Poly1305 ? 0 : 8
    }

    public init(cipher: TLSRecordCipher, key: [UInt8], iv: [UInt8]) throws(TLSError) {
        precondition(iv.count == Self.ivLength(cipher), "a TLS 1.2 IV of \(iv.count) bytes")
        aead = try cipher.makeAEAD(key: key)
        self.cipher = cipher
        self.iv = iv
    }

    /// Seals `content` of `type` into a whole record.
    public mutating func seal(_ content: [UInt8], type: TLSContentType) throws(TLSError) -> [UInt8] {
        var record: [UInt8] = []
        try seal(content[...], type: type, appendingTo: &record)
        return record
    }

    /// Seals `content` into a record appended to `output`, encrypted where it lands.
    public mutating func seal(_ content: ArraySlice<UInt8>, type: TLSContentType, appendingTo output: inout [UInt8]) throws(TLSError) {
        precondition(content.count <= TLSRecord.maximumPlaintext, "a record of \(content.count) bytes")
        let number = sequenceNumber
        let (nonce, explicit) = try nextNonce()
        let aad = Self.associatedData(type: type, length: content.count, sequenceNumber: number)
        let recordStart = output.count
        output += TLSRecord.header(type: type, length: explicit.count + content.count + TLSRecordCipher.tagLength)
        output += explicit
        let start = output.count
        output += content
        let sealed: Result<[UInt8], CryptoError> = output.withUnsafeMutableBytes { bytes in
            nonce.withUnsafeBytes { nonce in
                aad.withUnsafeBytes { aad in
                    Result { () throws(CryptoError) in
                        try aead.seal(UnsafeMutableRawBufferPointer(rebasing: bytes[start...]), nonce: nonce, associatedData: aad)
                    }
                }
            }
        }
        guard case .success(let tag) = sealed else {
            output.removeSubrange(recordStart...)
            throw TLSError(.internalError, "sealing a record failed")
        }
        output += tag
    }

    /// Opens a protected record's fragment: its plaintext.
    /// - Throws: `bad_record_mac` when it does not authenticate or is too short to, and
    ///   `record_overflow` when the plaintext would exceed 2^14 bytes.
    public mutating func open(_ record: TLSRecord) throws(TLSError) -> [UInt8] {
        let fragment = record.fragment
        let explicitLength = Self.explicitNonceLength(cipher)
        guard fragment.count >= explicitLength + TLSRecordCipher.tagLength else {
            throw TLSError(.badRecordMAC, "a record shorter than its nonce and tag")
        }
        let length = fragment.count - explicitLength - TLSRecordCipher.tagLength
        guard length <= TLSRecord.maximumPlaintext else { throw TLSError(.recordOverflow, "a plaintext of \(length) bytes") }
        let number = sequenceNumber
        var (nonce, _) = try nextNonce()
        if explicitLength > 0 { nonce.replaceSubrange(4..., with: fragment[..<explicitLength]) }
        var data = Array(fragment[explicitLength..<explicitLength + length])
        let tag = Array(fragment.suffix(TLSRecordCipher.tagLength))
        let aad = Self.associatedData(type: record.type, length: length, sequenceNumber: number)
        let opened: Result<Void, CryptoError> = data.withUnsafeMutableBytes { data in
            nonce.withUnsafeBytes { nonce in
                aad.withUnsafeBytes { aad in
                    tag.withUnsafeBytes { tag in
                        Result { () throws(CryptoError) in try aead.open(data, nonce: nonce, associatedData: aad, tag: tag) }
                    }
                }
            }
        }
        guard case .success = opened else { throw TLSError(.badRecordMAC, "record \(number) does not authenticate") }
        return data
    }

    /// `seq_num + type + version + length` (RFC 5246 section 6.2.3.3).
    private static func associatedData(type: TLSContentType, length: Int, sequenceNumber: UInt64) -> [UInt8] {
        var writer = TLSWireWriter(reservingCapacity: 13)
        writer.append(sequenceNumber)
        writer.append(type.rawValue)
        writer.append(TLSProtocolVersion.tls12.rawValue)
        writer.append(UInt16(length))
        return writer.bytes
    }

    /// The nonce of the next record and the explicit part to send, and the count moved on.
    private mutating func nextNonce() throws(TLSError) -> (nonce: [UInt8], explicit: [UInt8]) {
        guard sequenceNumber < UInt64.max else { throw TLSError(.internalError, "the record sequence number would wrap") }
        defer { sequenceNumber += 1 }
        if cipher == .chacha20Poly1305 {
            return (TLS13RecordProtection.nonce(iv: iv, sequenceNumber: sequenceNumber), [])
        }
        var writer = TLSWireWriter(reservingCapacity: 8)
        writer.append(sequenceNumber)
        return (iv + writer.bytes, writer.bytes)
    }
}
