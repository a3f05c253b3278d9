// Embedded Swift needs `_Concurrency` imported explicitly wherever async code is written.
import _Concurrency
import MirageCore
import MirageCrypto

/// Why a server's certificate and key could not be loaded from its key-value store.
public enum TLSCredentialsError: Error, CustomStringConvertible {
    /// A file the store must hold is not there.
    case missing(String)
    /// A file is there but is not what it should be.
    case unusable(String, reason: String)
    /// The store failed.
    case store(KeyValueError)

    public var description: String {
        switch self {
        case let .missing(file) where file == TLSServerConfiguration.clientCertificateAuthorityFile:
            "the certificate store has no \(file), which a server requiring client certificates needs: the certificates of the CAs its clients' certificates must chain to (scripts/dev-certificate --trust-clients puts the development CA's there)"
        case let .missing(file):
            "the certificate store has no \(file): make a development certificate with scripts/dev-certificate, or put the server's chain in server.pem and its key in server.key"
        case let .unusable(file, reason): "\(file): \(reason)"
        case let .store(error): "the certificate store: \(error)"
        }
    }
}

extension TLSServerConfiguration {
    /// A server's certificate chains and keys from a key-value store: `server.pem` (the chain,
    /// PEM, the end-entity's certificate first) and `server.key` (its private key: PKCS #8, SEC 1
    /// or PKCS #1 PEM), and any other `NAME.pem` with its `NAME.key`, each serving the host names
    /// `NAME.names` lists one per line (for SNI; `server.pem` serves every other name). A
    /// `client-ca.pem` in the store makes the server require a certificate of every client,
    /// issued by one of the CAs it holds (client authentication, as the Bitcoin Piñata did);
    /// with `requiringClientCertificates`, a store without it is an error.
    public init<Store: KeyValueStore>(certificates store: Store, requiringClientCertificates: Bool = false) async throws(TLSCredentialsError) {
        self.init(chains: try await Self.chains(in: store))
        if let anchors = try await Self.clientCertificateAuthorities(in: store) {
            clientAuthentication = TLSClientAuthentication(verifier: X509Verifier(anchors: anchors))
        } else if requiringClientCertificates {
            throw .missing(Self.clientCertificateAuthorityFile)
        }
    }

    /// The file whose CAs a server requires client certificates from.
    static let clientCertificateAuthorityFile = "client-ca.pem"

    /// The certificates of `client-ca.pem`, nil when the store has none.
    static func clientCertificateAuthorities<Store: KeyValueStore>(in store: Store) async throws(TLSCredentialsError) -> [X509Certificate]? {
        let file = clientCertificateAuthorityFile
        let pem: String
        do {
            pem = String(decoding: try await store.get(KeyValueKey(file)), as: UTF8.self)
        } catch .notFound {
            return nil
        } catch {
            throw .store(error)
        }
        let anchors: [X509Certificate]
        do { anchors = try X509Certificate.certificates(pem: pem) } catch { throw .unusable(file, reason: error.reason) }
        guard !anchors.isEmpty else { throw .unusable(file, reason: "no CERTIFICATE block") }
        return anchors
    }

    /// The chains in `store`, the default (`server.pem`) first.
    static func chains<Store: KeyValueStore>(in store: Store) async throws(TLSCredentialsError) -> [TLSCertificateChain] {
        let entries: [(key: KeyValueKey, kind: KeyValueEntryKind)]
        do { entries = try await store.list(.root) } catch { throw .store(error) }
        let names = entries.compactMap { entry -> String? in
            guard entry.kind == .value, let last = entry.key.segments.last, last.hasSuffix(".pem"),
                  last != clientCertificateAuthorityFile else { return nil }
            return String(last.dropLast(4))
        }
        guard names.contains("server") else { throw .missing("server.pem") }
        var chains: [TLSCertificateChain] = []
        for name in ["server"] + names.filter({ $0 != "server" }).sorted() {
            chains.append(try await chain(name, in: store))
        }
        return chains
    }

    private static func chain<Store: KeyValueStore>(_ name: String, in store: Store) async throws(TLSCredentialsError) -> TLSCertificateChain {
        let pem = try await text(name + ".pem", in: store), keyText = try await text(name + ".key", in: store)
        let blocks: [PEM.Block]
        do { blocks = try PEM.decode(pem) } catch { throw .unusable(name + ".pem", reason: "not PEM") }
        let certificates = blocks.filter { $0.label == "CERTIFICATE" }.map { $0.der }
        guard !certificates.isEmpty else { throw .unusable(name + ".pem", reason: "no CERTIFICATE block") }
        let key: PrivateKey
        do { key = try PrivateKey(pem: keyText) } catch { throw .unusable(name + ".key", reason: "not a private key this engine reads (\(error))") }
        var serverNames: [String] = []
        if name != "server", let list = try? await store.get(KeyValueKey(name + ".names")) {
            serverNames = String(decoding: list, as: UTF8.self).split(separator: "\n").map { String($0) }.filter { !$0.isEmpty }
        }
        do {
            return try TLSCertificateChain(certificates: certificates, privateKey: key, serverNames: serverNames)
        } catch {
            throw .unusable(name + ".pem", reason: error.reason)
        }
    }

    private static func text<Store: KeyValueStore>(_ file: String, in store: Store) async throws(TLSCredentialsError) -> String {
        do {
            return String(decoding: try await store.get(KeyValueKey(file)), as: UTF8.self)
        } catch .notFound {
            throw .missing(file)
        } catch {
            throw .store(error)
        }
    }
}

extension TLSStack {
    /// A TLS server stack over `stack` serving the chains in `certificates`, with session tickets
    /// (unless `sessionTickets` is false) sealed under a key drawn now: a restart invalidates them,
    /// and clients then do a full handshake. Client certificates as
    /// ``TLSServerConfiguration/init(certificates:requiringClientCertificates:)`` says.
    public static func serving<Store: KeyValueStore>(_ stack: Stack, certificates: Store, random: any EntropySource,
                                                     now: @escaping () -> WallTime, applicationProtocols: [[UInt8]] = [],
                                                     sessionTickets: Bool = true,
                                                     requiringClientCertificates: Bool = false) async throws(TLSCredentialsError) -> TLSStack {
        var configuration = try await TLSServerConfiguration(certificates: certificates, requiringClientCertificates: requiringClientCertificates)
        configuration.applicationProtocols = applicationProtocols
        if sessionTickets { configuration.sessionTickets = TLSSessionTickets(random: random) }
        return TLSStack(stack, server: configuration, client: nil, random: random, now: now)
    }

    /// A stack whose TLS is switched off at configure time: listening and connecting are refused.
    public convenience init(disabledOver stack: Stack) {
        self.init(stack, server: nil, client: nil, random: NoEntropy(), now: { WallTime(seconds: 0) })
    }
}

/// The entropy of a TLS stack that never handshakes.
private final class NoEntropy: EntropySource {
    func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        preconditionFailure("a disabled TLS stack has no entropy")
    }
}
