// Embedded Swift needs `_Concurrency` imported explicitly wherever async code is written.
import _Concurrency
import MirageCore

extension TLSClientConfiguration {
    /// The files of a trust store read as certificate authorities: PEM bundles.
    static let trustedFileSuffixes = [".pem", ".crt"]

    /// A client that validates each server's chain against the certificate authorities in
    /// `store` (RFC 5280 path validation, RFC 9525 names): every certificate of its `.pem` and
    /// `.crt` files, such as a development CA's `ca.pem` or a system's `ca-certificates.crt`
    /// (certificates this engine cannot use are left out, as ``X509Verifier/init(bundle:)``
    /// says). A store without any makes a client that trusts no server: each handshake then
    /// ends with `unknown_ca`, naming the empty store.
    /// - Throws: ``TLSCredentialsError`` when the store fails, or a file is not PEM or holds no certificate.
    public init<Store: KeyValueStore>(trusting store: Store) async throws(TLSCredentialsError) {
        let entries: [(key: KeyValueKey, kind: KeyValueEntryKind)]
        do { entries = try await store.list(.root) } catch { throw .store(error) }
        var anchors: [X509Certificate] = []
        for entry in entries where entry.kind == .value {
            guard let file = entry.key.segments.last, Self.trustedFileSuffixes.contains(where: { file.hasSuffix($0) }) else { continue }
            let bytes: [UInt8]
            do { bytes = try await store.get(entry.key) } catch { throw .store(error) }
            let bundle: X509Verifier
            do { bundle = try X509Verifier(bundle: String(decoding: bytes, as: UTF8.self)) } catch { throw .unusable(file, reason: error.reason) }
            guard !bundle.anchors.isEmpty || bundle.skipped > 0 else { throw .unusable(file, reason: "no CERTIFICATE block") }
            anchors += bundle.anchors
        }
        self.init(serverName: nil, verifier: X509Verifier(anchors: anchors))
    }
}

extension TLSStack {
    /// A TLS client stack over `stack` trusting the certificate authorities in `trustAnchors`
    /// (``TLSClientConfiguration/init(trusting:)``): connect to a server by name with
    /// ``connect(to:serverName:)`` (what `HTTPClient` does for an `https://` URL).
    public static func connecting<Store: KeyValueStore>(_ stack: Stack, trusting trustAnchors: Store, random: any EntropySource,
                                                        now: @escaping () -> WallTime,
                                                        applicationProtocols: [[UInt8]] = []) async throws(TLSCredentialsError) -> TLSStack {
        var configuration = try await TLSClientConfiguration(trusting: trustAnchors)
        configuration.applicationProtocols = applicationProtocols
        return TLSStack(stack, server: nil, client: configuration, random: random, now: now)
    }
}
