import MirageCrypto

/// The subject's public key of a DER certificate (RFC 5280 section 4.1): what a TLS peer's
/// CertificateVerify is checked with. Only the fields before `subjectPublicKeyInfo` are
/// stepped over, not judged; path validation of the chain is the certificate verifier's.
public enum X509PublicKey {
    /// The public key of the certificate `der`.
    /// - Throws: `bad_certificate` when the certificate does not parse or holds a key this
    ///   engine cannot use; `unsupported_certificate` for a key kind it does not support.
    public static func of(certificate der: [UInt8]) throws(TLSError) -> PublicKey {
        do {
            var outer = DERReader(der, context: "a certificate")
            var certificate = try outer.sequence()
            try outer.finish()
            var tbs = try certificate.sequence()
            _ = try tbs.optional(0xA0)                    // version
            _ = try tbs.read(DERReader.Tag.integer)       // serialNumber
            _ = try tbs.sequence()                        // signature
            _ = try tbs.sequence()                        // issuer
            _ = try tbs.sequence()                        // validity
            _ = try tbs.sequence()                        // subject
            let info = try tbs.read(DERReader.Tag.sequence)
            return try PublicKey(subjectPublicKeyInfo: DER.element(DERReader.Tag.sequence.rawValue, info))
        } catch .unsupportedKey {
            throw TLSError(.unsupportedCertificate, "a certificate key this engine does not support")
        } catch {
            throw TLSError(.badCertificate, "a certificate that does not parse")
        }
    }
}
