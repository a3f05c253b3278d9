import MirageCore
import MirageCrypto

/// Path validation of a peer's chain against trust anchors (RFC 5280 section 6, simplified as
/// TLS implementations do): from the end-entity certificate up through the chain's intermediates to a
/// trust anchor, each signature checked with its issuer's key, every certificate within its
/// validity, each issuer a CA (basicConstraints) allowed to sign certificates (keyUsage) within
/// its path length; at most ``maximumDepth`` intermediates. The end entity must be for the
/// purpose asked (extendedKeyUsage serverAuth or clientAuth, when present); a server's must carry
/// the name the client asked for (RFC 9525: its subjectAltName only, a wildcard only as the whole
/// left-most label).
public final class X509Verifier: TLSCertificateVerifier {
    public let anchors: [X509Certificate]
    /// The most intermediates between the end entity and an anchor.
    public static let maximumDepth = 8
    /// The most certificates a chain may carry (a longer one is refused before any is checked).
    public static let maximumChainLength = 16

    public init(anchors: [X509Certificate]) {
        self.anchors = anchors
    }

    /// Trusts the certificates of a PEM bundle (such as the system's, or a development CA's).
    /// - Throws: `bad_certificate` when a certificate of the bundle does not read.
    public convenience init(pem: String) throws(TLSError) {
        self.init(anchors: try X509Certificate.certificates(pem: pem))
    }

    /// Trusts the certificates of a large bundle (a system's `ca-certificates.crt`), leaving out
    /// those this engine cannot use (a key kind it does not support, an unknown critical
    /// extension), which could never anchor a chain it validates; ``skipped`` counts them. A root
    /// self-signed with SHA-1 is kept: an anchor's own signature is not checked.
    public convenience init(bundle pem: String) throws(TLSError) {
        let blocks: [PEM.Block]
        do { blocks = try PEM.decode(pem) } catch { throw TLSError(.badCertificate, "the bundle is not PEM") }
        var anchors: [X509Certificate] = [], skipped = 0
        for block in blocks where block.label == "CERTIFICATE" {
            if let certificate = try? X509Certificate(der: block.der) { anchors.append(certificate) } else { skipped += 1 }
        }
        self.init(anchors: anchors)
        self.skipped = skipped
    }

    /// Certificates of a bundle left out as unusable (``init(bundle:)``).
    public private(set) var skipped = 0

    public func verify(chain: [[UInt8]], for purpose: TLSCertificatePurpose, now: WallTime) throws(TLSError) -> PublicKey {
        guard !chain.isEmpty else { throw TLSError(.decodeError, "an empty certificate chain") }
        guard !anchors.isEmpty else { throw TLSError(.unknownCA, "no certificate authority is trusted here (an empty trust store)") }
        guard chain.count <= Self.maximumChainLength else { throw TLSError(.badCertificate, "a chain of \(chain.count) certificates") }
        var certificates: [X509Certificate] = []
        for der in chain { certificates.append(try X509Certificate(der: der)) }
        let leaf = certificates[0]
        try Self.checkValidity(leaf, now)
        let usage = purpose == .client ? X509Certificate.clientAuth : X509Certificate.serverAuth
        if let purposes = leaf.extendedKeyUsage, !purposes.contains(usage), !purposes.contains(X509Certificate.anyExtendedKeyUsage) {
            throw TLSError(.unsupportedCertificate, purpose == .client ? "the certificate is not for TLS clients (extendedKeyUsage)"
                                                                         : "the certificate is not for TLS servers (extendedKeyUsage)")
        }
        if let usage = leaf.keyUsage, usage & (1 << X509Certificate.digitalSignatureBit) == 0 {
            throw TLSError(.unsupportedCertificate, "the certificate's key may not sign (keyUsage)")
        }
        if case .server(let name?) = purpose, !Self.matches(leaf, name) {
            throw TLSError(.badCertificate, "the certificate is not for \(name)")
        }
        var current = leaf
        var intermediates = Array(certificates.dropFirst())
        var depth = 0
        // Intermediates below the one examined that count toward path lengths: a self-issued
        // certificate (a CA's key rollover) does not (RFC 5280 section 6.1.4 (l)).
        var counted = 0
        while true {
            if anchors.contains(where: { $0.der == current.der }) { return leaf.publicKey }
            guard current.signatureAlgorithm != .unsupported else {
                throw TLSError(.badCertificate, "a certificate signed with an algorithm not accepted (SHA-1, say)")
            }
            if let anchor = anchors.first(where: { $0.subject == current.issuer && Self.signed(current, by: $0) }) {
                try Self.checkValidity(anchor, now)
                return leaf.publicKey
            }
            guard depth < Self.maximumDepth else { throw TLSError(.badCertificate, "a path longer than \(Self.maximumDepth) intermediates") }
            // Of the certificates named as the issuer (a CA's old and new keys share its name),
            // the one whose key verifies the signature.
            let named = intermediates.indices.filter { intermediates[$0].subject == current.issuer }
            guard !named.isEmpty else { throw TLSError(.unknownCA, "no trusted certificate issued the chain") }
            guard let index = named.first(where: { Self.signed(current, by: intermediates[$0]) }) else {
                throw TLSError(.badCertificate, "a signature in the chain does not verify")
            }
            let issuer = intermediates.remove(at: index)
            guard issuer.version == 3, issuer.isCA else { throw TLSError(.badCertificate, "an issuer in the chain is not a CA") }
            if let usage = issuer.keyUsage, usage & (1 << X509Certificate.keyCertSignBit) == 0 {
                throw TLSError(.badCertificate, "an issuer in the chain may not sign certificates (keyUsage)")
            }
            if let limit = issuer.pathLengthLimit, counted > limit {
                throw TLSError(.badCertificate, "the chain is longer than an issuer's path length allows")
            }
            try Self.checkValidity(issuer, now)
            current = issuer
            depth += 1
            if issuer.subject != issuer.issuer { counted += 1 }
        }
    }

    static func signed(_ certificate: X509Certificate, by issuer: X509Certificate) -> Bool {
        certificate.signatureAlgorithm.isValid(certificate.signature, message: certificate.toBeSigned, key: issuer.publicKey)
    }

    static func checkValidity(_ certificate: X509Certificate, _ now: WallTime) throws(TLSError) {
        guard now >= certificate.notBefore, now <= certificate.notAfter else {
            throw TLSError(.certificateExpired, "a certificate outside its validity")
        }
    }

    /// Whether `certificate` names `host` (RFC 9525 section 6.3): a DNS name equal to one of its
    /// subjectAltName dNSNames without regard to ASCII case, `*` standing for exactly one whole
    /// left-most label; an IPv4 or IPv6 address equal to one of its iPAddresses. The subject's
    /// common name is not consulted.
    public static func matches(_ certificate: X509Certificate, _ host: String) -> Bool {
        if let address = IPv4Address(host)?.bytes ?? IPv6Address(host)?.bytes { return certificate.ipAddresses.contains(address) }
        let name = TLSCertificateChain.lowercased(host)
        guard !name.isEmpty, name.last != UInt8(ascii: ".") else { return false }
        for pattern in certificate.dnsNames.map(TLSCertificateChain.lowercased) {
            if pattern == name { return true }
            guard pattern.count > 2, pattern[0] == UInt8(ascii: "*"), pattern[1] == UInt8(ascii: "."),
                  let dot = name.firstIndex(of: UInt8(ascii: ".")), dot > 0 else { continue }
            // The rest must have at least two labels: "*.com" matches nothing.
            if name[(dot + 1)...].elementsEqual(pattern[2...]), pattern[2...].contains(UInt8(ascii: ".")) { return true }
        }
        return false
    }
}
