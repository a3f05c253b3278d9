import MirageCrypto

/// One direction's record protection in TLS 1.3 (RFC 8446 section 5.2-5.3): the AEAD keyed with
/// the traffic key, the per-record nonce (the IV XOR the 64-bit sequence number, left-padded),
/// and the inner plaintext (content, its real type, zero padding) sealed behind an
/// `application_data` header that is also the associated data.
public struct TLS13RecordProtection {
    private let aead: any AEAD
    private let iv: [UInt8]
    /// The number of the next record; records are numbered from zero under each key.
    public private(set) var sequenceNumber: UInt64 = 0

    public init(cipher: TLSRecordCipher, key: [UInt8], iv: [UInt8]) throws(TLSError) {
        precondition(iv.count == TLSRecordCipher.ivLength, "a TLS 1.3 IV is 12 bytes")
        aead = try cipher.makeAEAD(key: key)
        self.iv = iv
    }

    /// Seals `content` of `type` with `padding` zero bytes into a whole record.
    /// - Precondition: the content fits a record (at most 2^14 bytes with its padding).
    /// - Throws: `internal_error` when the sequence number would wrap (RFC 8446 section 5.3:
    ///   the key must be updated long before).
    public mutating func seal(_ content: [UInt8], type: TLSContentType, padding: Int = 0) throws(TLSError) -> [UInt8] {
        var record: [UInt8] = []
        record.reserveCapacity(TLSRecord.headerLength + content.count + 1 + padding + TLSRecordCipher.tagLength)
        try seal(content[...], type: type, padding: padding, appendingTo: &record)
        return record
    }

    /// Seals `content` into a record appended to `output`, in place: the content is copied once,
    /// encrypted where it lands, and the tag appended after it.
    public mutating func seal(_ content: ArraySlice<UInt8>, type: TLSContentType, padding: Int = 0,
                              appendingTo output: inout [UInt8]) throws(TLSError) {
        precondition(content.count + padding <= TLSRecord.maximumPlaintext, "a record of \(content.count + padding) bytes")
        let innerLength = content.count + 1 + padding
        let length = innerLength + TLSRecordCipher.tagLength
        let start = output.count
        output.append(TLSContentType.applicationData.rawValue)
        output.append(0x03)
        output.append(0x03)
        output.append(UInt8(length >> 8))
        output.append(UInt8(length & 0xFF))
        output += content
        output.append(type.rawValue)
        if padding > 0 { output.append(contentsOf: repeatElement(0, count: padding)) }
        var nonce = try nextNonce()
        let sealed: Result<[UInt8], CryptoError> = output.withUnsafeMutableBytes { bytes in
            withUnsafeBytes(of: &nonce) { nonce in
                Result { () throws(CryptoError) in
                    try aead.seal(UnsafeMutableRawBufferPointer(rebasing: bytes[(start + TLSRecord.headerLength)...]), nonce: nonce,
                                  associatedData: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + TLSRecord.headerLength)]))
                }
            }
        }
        guard case .success(let tag) = sealed else {
            output.removeSubrange(start...)
            throw TLSError(.internalError, "sealing a record failed")
        }
        output += tag
    }

    /// Opens a protected record: its content and real content type.
    /// - Throws: `bad_record_mac` when it does not authenticate (or is shorter than a tag),
    ///   `record_overflow` when its inner plaintext exceeds 2^14 + 1 bytes, `unexpected_message`
    ///   when it holds no content type or an unknown one (RFC 8446 section 5.2, 5.4).
    public mutating func open(_ record: TLSRecord) throws(TLSError) -> (type: TLSContentType, content: [UInt8]) {
        let fragment = record.fragment
        guard fragment.count >= TLSRecordCipher.tagLength else { throw TLSError(.badRecordMAC, "a record shorter than its tag") }
        guard fragment.count <= TLSRecord.maximumProtected13 else { throw TLSError(.recordOverflow, "a protected record of \(fragment.count) bytes") }
        let header = TLSRecord.header(type: record.type, version: record.version, length: fragment.count)
        var inner = Array(fragment.prefix(fragment.count - TLSRecordCipher.tagLength))
        let tag = Array(fragment.suffix(TLSRecordCipher.tagLength))
        var nonce = try nextNonce()
        let opened: Result<Void, CryptoError> = inner.withUnsafeMutableBytes { data in
            withUnsafeBytes(of: &nonce) { nonce in
                header.withUnsafeBytes { header in
                    tag.withUnsafeBytes { tag in
                        Result { () throws(CryptoError) in try aead.open(data, nonce: nonce, associatedData: header, tag: tag) }
                    }
                }
            }
        }
        guard case .success = opened else { throw TLSError(.badRecordMAC, "record \(sequenceNumber - 1) does not authenticate") }
        guard inner.count <= TLSRecord.maximumPlaintext + 1 else {
            throw TLSError(.recordOverflow, "an inner plaintext of \(inner.count) bytes")
        }
        // The content type is the last non-zero byte; the zeros after it are padding.
        guard let typeIndex = inner.lastIndex(where: { $0 != 0 }) else {
            throw TLSError(.unexpectedMessage, "a record of padding only")
        }
        guard let type = TLSContentType(rawValue: inner[typeIndex]), type != .changeCipherSpec else {
            throw TLSError(.unexpectedMessage, "inner content type \(inner[typeIndex])")
        }
        inner.removeSubrange(typeIndex...)
        return (type, inner)
    }

    /// Twelve bytes kept inline: a record's nonce costs no allocation.
    typealias Nonce = (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)

    /// The nonce of the next record (RFC 8446 section 5.3), and the count moved on.
    private mutating func nextNonce() throws(TLSError) -> Nonce {
        guard sequenceNumber < UInt64.max else { throw TLSError(.internalError, "the record sequence number would wrap") }
        var nonce: Nonce = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &nonce) { bytes in
            for index in 0..<TLSRecordCipher.ivLength { bytes[index] = iv[index] }
            for index in 0..<8 { bytes[TLSRecordCipher.ivLength - 1 - index] ^= UInt8(truncatingIfNeeded: sequenceNumber >> (8 * UInt64(index))) }
        }
        sequenceNumber += 1
        return nonce
    }

    /// `iv` XOR the sequence number in network order, left-padded to the IV's length.
    static func nonce(iv: [UInt8], sequenceNumber: UInt64) -> [UInt8] {
        var nonce = iv
        for index in 0..<8 {
            nonce[nonce.count - 1 - index] ^= UInt8(truncatingIfNeeded: sequenceNumber >> (8 * UInt64(index)))
        }
        return nonce
    }
}
