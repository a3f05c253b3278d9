import MirageCore
import MirageCrypto

/// A certificate chain and its private key: what a server presents (RFC 8446 section 4.4.2).
public struct TLSCertificateChain {
    /// DER certificates, the end-entity's first.
    public let certificates: [[UInt8]]
    public let privateKey: PrivateKey
    /// The host names the chain serves, for SNI (RFC 6066 section 3): exact names, or
    /// `*.example.org` for any one label in front of `example.org` (RFC 9525 section 6.3).
    public let serverNames: [String]

    /// - Throws: `internal_error` when the chain is empty, its leaf does not parse, or the key
    ///   is not the leaf's (a server that would fail every handshake).
    public init(certificates: [[UInt8]], privateKey: PrivateKey, serverNames: [String] = []) throws(TLSError) {
        guard let leaf = certificates.first else { throw TLSError(.internalError, "an empty certificate chain") }
        let leafKey: PublicKey
        do { leafKey = try X509PublicKey.of(certificate: leaf) } catch { throw TLSError(.internalError, "the leaf certificate: \(error.reason)") }
        guard (try? privateKey.publicKey()) == leafKey else { throw TLSError(.internalError, "the private key is not the leaf certificate's") }
        self.certificates = certificates
        self.privateKey = privateKey
        self.serverNames = serverNames
    }

    /// Whether the chain serves `hostName` (compared without regard to ASCII case).
    public func serves(_ hostName: String) -> Bool {
        let name = Self.lowercased(hostName)
        for pattern in serverNames.map(Self.lowercased) {
            if pattern == name { return true }
            // "*.example.org" matches "www.example.org", not "example.org" or "a.b.example.org".
            if pattern.count > 2, pattern[0] == UInt8(ascii: "*"), pattern[1] == UInt8(ascii: "."),
               let dot = name.firstIndex(of: UInt8(ascii: ".")), dot > 0, name[(dot + 1)...].elementsEqual(pattern[2...]) {
                return true
            }
        }
        return false
    }

    /// The name's bytes with ASCII letters in lower case (DNS names compare case-insensitively).
    static func lowercased(_ name: String) -> [UInt8] {
        name.utf8.map { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") ? $0 + 32 : $0 }
    }
}

/// What a certificate chain is checked for: a server's (with the host name the client asked
/// for), or a client's (RFC 8446 section 4.4.2.4, RFC 5246 section 7.4.6).
public enum TLSCertificatePurpose: Equatable, Sendable {
    /// A server's chain; `name` is the host it must carry, nil for none asked.
    case server(name: String?)
    /// A client's chain, presented when a server asked for one.
    case client
}

/// What decides whether a peer's chain is to be trusted, and gives the key its
/// CertificateVerify is checked with. The X.509 path validation implements it; a test may use
/// ``TLSUncheckedCertificates``.
public protocol TLSCertificateVerifier: AnyObject {
    /// The end-entity's public key when `chain` (DER, leaf first) is trusted for `purpose` at
    /// `now`; else the error whose alert ends the handshake (`bad_certificate`, `unknown_ca`,
    /// `certificate_expired`...).
    func verify(chain: [[UInt8]], for purpose: TLSCertificatePurpose, now: WallTime) throws(TLSError) -> PublicKey
}

/// Accepts any chain and takes the leaf's key without validating anything: only for tests and
/// for talking to a server whose key is checked some other way. Its name says so at every use.
public final class TLSUncheckedCertificates: TLSCertificateVerifier {
    public init() {}

    public func verify(chain: [[UInt8]], for purpose: TLSCertificatePurpose, now: WallTime) throws(TLSError) -> PublicKey {
        guard let leaf = chain.first else { throw TLSError(.decodeError, "an empty certificate chain") }
        return try X509PublicKey.of(certificate: leaf)
    }
}

/// A server asking its clients for certificates (RFC 8446 section 4.3.2, RFC 5246 section
/// 7.4.4): the chain a client presents is checked by `verifier` for the client purpose
/// (extendedKeyUsage clientAuth, when present), and its CertificateVerify with the leaf's key.
public struct TLSClientAuthentication {
    public var verifier: any TLSCertificateVerifier
    /// Whether a client presenting no certificate is refused (`certificate_required` in TLS 1.3,
    /// `handshake_failure` in TLS 1.2) rather than let in without one.
    public var isRequired: Bool

    public init(verifier: any TLSCertificateVerifier, isRequired: Bool = true) {
        self.verifier = verifier
        self.isRequired = isRequired
    }
}

/// The bounds on what a peer can make one connection hold or do (DESIGN.md: every input from
/// outside is bounded).
public struct TLSLimits: Sendable {
    /// The largest handshake message accepted (a certificate chain is the largest).
    public var maximumHandshakeMessage = TLSHandshakeFramer.defaultMaximumMessage
    /// Handshake messages accepted before the handshake completes.
    public var maximumHandshakeMessages = 32
    /// KeyUpdates accepted in a row without application data between them (BoringSSL's 32).
    public var maximumKeyUpdatesInARow = 32
    /// Records skipped while refusing 0-RTT (RFC 8446 section 4.2.10), at most this many bytes.
    public var maximumSkippedEarlyData = 1 << 14
    /// ChangeCipherSpec records accepted during a handshake (middlebox compatibility sends one).
    public var maximumChangeCipherSpecs = 1

    public init() {}
}

/// A server's settings.
public struct TLSServerConfiguration {
    /// The chains offered; the first serves clients whose SNI no chain matches (or who send none).
    public var chains: [TLSCertificateChain]
    /// The suites in our order of preference (the server's order decides).
    public var cipherSuites = TLSCipherSuite.tls13Suites
    /// The versions served: TLS 1.3, and TLS 1.2 for older clients (ECDHE with AEADs, the
    /// extended master secret required, renegotiation refused), or TLS 1.3 only.
    public var versions: [TLSProtocolVersion] = [.tls13, .tls12]
    /// The TLS 1.2 suites in our order of preference; a certificate's key picks among them.
    public var tls12CipherSuites = TLSCipherSuite.tls12Suites
    /// The groups in our order of preference; a client without a share for any of them gets a
    /// HelloRetryRequest for the first it supports.
    public var groups = TLSNamedGroup.supported
    /// Application protocols (RFC 7301) in our preference; empty to ignore the client's list.
    public var applicationProtocols: [[UInt8]] = []
    public var limits = TLSLimits()
    /// Session tickets for resumption (RFC 8446 section 2.2): sent after each full handshake and
    /// accepted with (EC)DHE; nil for none.
    public var sessionTickets: TLSSessionTickets?
    /// Ask clients for certificates; nil to ask none. A session resumes only when the first
    /// handshake met the same demand (the ticket says whether a certificate was verified).
    public var clientAuthentication: TLSClientAuthentication?
    /// Keep the connection's secrets in ``TLSConnection/keyLog`` (NSS key log format, for
    /// Wireshark and for checking against OpenSSL's). Off by default: they decrypt the traffic.
    public var logsKeys = false

    public init(chains: [TLSCertificateChain]) {
        precondition(!chains.isEmpty, "a server needs a certificate chain")
        self.chains = chains
    }
}

/// A client's settings.
public struct TLSClientConfiguration {
    /// The name sent in SNI and checked against the certificate; nil for none.
    public var serverName: String?
    public var verifier: any TLSCertificateVerifier
    public var cipherSuites = TLSCipherSuite.tls13Suites
    /// The versions offered: TLS 1.3, and TLS 1.2 for servers without it (ECDHE with AEADs, the
    /// extended master secret required, a downgrade sentinel refused).
    public var versions: [TLSProtocolVersion] = [.tls13, .tls12]
    /// The TLS 1.2 suites offered, in our preference.
    public var tls12CipherSuites = TLSCipherSuite.tls12Suites
    public var groups = TLSNamedGroup.supported
    /// The groups the first ClientHello carries a key share for (a server wanting another
    /// asks with a HelloRetryRequest).
    public var keyShareGroups: [TLSNamedGroup] = [.x25519]
    public var signatureSchemes = TLSSignatureScheme.handshakeSchemes
    public var applicationProtocols: [[UInt8]] = []
    /// Middlebox compatibility mode (RFC 8446 appendix D.4): a session ID and a
    /// ChangeCipherSpec, so that middleboxes see what looks like a TLS 1.2 resumption.
    public var middleboxCompatibility = true
    public var limits = TLSLimits()
    /// A ticket from an earlier connection to offer: a TLS 1.3 one as a PSK with (EC)DHE (RFC 8446
    /// section 2.2), a TLS 1.2 one in session_ticket (RFC 5077); the handshake is a full one when
    /// the server does not take it.
    public var resumption: TLSSessionTicket?
    /// The chain presented when a server asks for one (RFC 8446 section 4.4.2), if its key signs
    /// with a scheme the server accepts; else the answer is an empty Certificate.
    public var certificate: TLSCertificateChain?
    /// Keep the connection's secrets in ``TLSConnection/keyLog`` (see the server's).
    public var logsKeys = false

    public init(serverName: String?, verifier: any TLSCertificateVerifier) {
        self.serverName = serverName
        self.verifier = verifier
    }
}
