import MirageCore
import MirageCrypto

/// Client authentication (RFC 8446 section 4.3.2, 4.4.2.4; RFC 5246 section 7.4.4, 7.4.6,
/// 7.4.8): a server that asks for a certificate checks the client's chain for the client purpose
/// and its CertificateVerify with the leaf's key; a client answers with its chain when it has
/// one whose key signs with a scheme the server accepts, else with an empty Certificate.
extension TLSConnection {
    /// The server's CertificateRequest, in the version negotiated.
    mutating func queueCertificateRequest() {
        if isTLS12 {
            queue(TLSCertificateRequest12(signatureSchemes: TLSSignatureScheme.tls12HandshakeSchemes).message)
        } else {
            queue(TLSCertificateRequest(signatureSchemes: TLSSignatureScheme.handshakeSchemes).message)
        }
    }

    /// The client's Certificate. An empty one is refused when a certificate is required
    /// (`certificate_required` in TLS 1.3, `handshake_failure` in TLS 1.2); else the handshake
    /// goes on without one.
    mutating func serverReceiveClientCertificate(_ message: TLSHandshakeMessage) throws(TLSError) {
        guard let authentication = server?.clientAuthentication else { throw TLSError(.internalError, "no client authentication") }
        let certificate = try TLSCertificateMessage(message, version: isTLS12 ? .tls12 : .tls13)
        if !isTLS12 {
            guard certificate.requestContext.isEmpty else { throw .illegal("a client certificate with a request context that was not sent") }
            for entry in certificate.entries where !entry.extensions.all.isEmpty {
                throw TLSError(.unsupportedExtension, "certificate extensions that were not asked for")
            }
        }
        transcript?.append(message.bytes)
        guard !certificate.entries.isEmpty else {
            if authentication.isRequired {
                throw TLSError(isTLS12 ? .handshakeFailure : .certificateRequired, "the client presented no certificate")
            }
            phase = isTLS12 ? .waitClientKeyExchange : .waitClientFinished
            return
        }
        let chain = certificate.entries.map { $0.certificate }
        peerPublicKey = try authentication.verifier.verify(chain: chain, for: .client, now: currentTime)
        peerCertificates = chain
        phase = isTLS12 ? .waitClientKeyExchange : .waitClientCertificateVerify
    }

    /// The client's CertificateVerify: in TLS 1.3 over the transcript hash with the client's
    /// context string, in TLS 1.2 over the handshake messages so far.
    /// - Throws: `illegal_parameter` for a scheme not offered, `decrypt_error` for a signature
    ///   that does not verify.
    mutating func serverReceiveClientCertificateVerify(_ message: TLSHandshakeMessage) throws(TLSError) {
        guard let key = peerPublicKey else { throw TLSError(.internalError, "no client key") }
        let verify = try TLSCertificateVerify(message)
        let valid: Bool
        if isTLS12 {
            guard TLSSignatureScheme.tls12HandshakeSchemes.contains(verify.scheme) else {
                throw .illegal("signature scheme \(verify.scheme.rawValue) was not offered")
            }
            valid = TLSSignatures.isValid12(verify.signature, content: transcript?.messages ?? [], scheme: verify.scheme, key: key)
        } else {
            guard TLSSignatureScheme.handshakeSchemes.contains(verify.scheme) else {
                throw .illegal("signature scheme \(verify.scheme.rawValue) was not offered")
            }
            let content = TLSCertificateVerify.signedContent(server: false, transcriptHash: transcript?.hash ?? [])
            valid = TLSSignatures.isValid(verify.signature, content: content, scheme: verify.scheme, key: key)
        }
        guard valid else { throw TLSError(.decryptError, "the client's CertificateVerify does not verify") }
        transcript?.append(message.bytes)
        phase = isTLS12 ? .waitChangeCipherSpec : .waitClientFinished
    }

    /// The client's answer to a CertificateRequest (TLS 1.3), queued before its Finished: its
    /// chain and a CertificateVerify when its key signs with a scheme the server accepts, else
    /// an empty Certificate.
    mutating func queueClientCertificate(context: [UInt8], acceptedSchemes: [TLSSignatureScheme]) throws(TLSError) {
        guard let chain = client?.certificate,
              let scheme = TLSSignatures.schemes(for: chain.privateKey).first(where: acceptedSchemes.contains) else {
            queue(TLSCertificateMessage(requestContext: context, entries: []).message(version: .tls13))
            return
        }
        queue(TLSCertificateMessage(requestContext: context, entries: chain.certificates.map { .init(certificate: $0) }).message(version: .tls13))
        let content = TLSCertificateVerify.signedContent(server: false, transcriptHash: transcript?.hash ?? [])
        queue(TLSCertificateVerify(scheme: scheme, signature: try TLSSignatures.sign(content, scheme: scheme, key: chain.privateKey, random: random)).message)
    }
}
