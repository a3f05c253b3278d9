import Foundation
import MirageCore
import MirageCrypto
import MirageHTTP
import MirageNet
import MirageRuntime
@testable import MirageTLS
import MirageTesting
import Testing

/// X.509 path validation (RFC 5280 section 6, RFC 9525 names) on chains OpenSSL makes
/// (`Fixtures/make-chains.sh`): ECDSA, RSA PKCS #1 and RSA-PSS signatures, basicConstraints,
/// keyUsage, extendedKeyUsage, path lengths, validity, names and wildcards, unknown anchors; and
/// our client validating a server's chain in a handshake.
@Suite("X.509 path validation")
struct X509Tests {
    final class Chains {
        let path: String
        init() throws {
            path = NSTemporaryDirectory() + "mirage-chains-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/make-chains.sh").path
            try run("/bin/bash", [script, path])
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func der(_ name: String) throws -> [UInt8] {
            try PEM.decode(try String(contentsOfFile: "\(path)/\(name).pem", encoding: .utf8))[0].der
        }
        func certificate(_ name: String) throws -> X509Certificate { try X509Certificate(der: try der(name)) }
        func key(_ name: String) throws -> PrivateKey { try PrivateKey(pem: try String(contentsOfFile: "\(path)/\(name).key", encoding: .utf8)) }
    }

    /// A minute from now: the certificates are valid from the second OpenSSL made them.
    static let now = WallTime(seconds: Int64(Date().timeIntervalSince1970) + 60)

    static func verdict(_ verifier: X509Verifier, _ chain: [[UInt8]], _ name: String?, at now: WallTime = now) -> TLSAlertDescription? {
        do {
            _ = try verifier.verify(chain: chain, for: .server(name: name), now: now)
            return nil
        } catch {
            return error.alert
        }
    }

    @Test("a chain to the root validates for each of its names; the fields read as OpenSSL wrote them")
    func validChain() throws {
        let chains = try Chains()
        let verifier = X509Verifier(anchors: [try chains.certificate("root")])
        let chain = [try chains.der("leaf"), try chains.der("intermediate")]
        for name in ["www.example.org", "WWW.Example.ORG", "a.wild.example", "10.0.0.2", "2001:db8::2", "2001:DB8:0::2"] {
            #expect(Self.verdict(verifier, chain, name) == nil, "\(name)")
        }
        let leaf = try chains.certificate("leaf")
        #expect(leaf.version == 3 && !leaf.isCA && leaf.dnsNames == ["www.example.org", "*.wild.example"])
        #expect(leaf.publicKey == (try chains.key("leaf").publicKey()))
        let intermediate = try chains.certificate("intermediate")
        #expect(intermediate.isCA && intermediate.pathLengthLimit == 0)
        // The intermediates may come in any order, and extra ones are ignored.
        #expect(Self.verdict(verifier, [try chains.der("leaf"), try chains.der("other-root"), try chains.der("intermediate")], "www.example.org") == nil)
    }

    @Test("refusals: wrong name, bad wildcards, expiry, unknown root, missing intermediate, tampering, usage, constraints")
    func refusals() throws {
        let chains = try Chains()
        let verifier = X509Verifier(anchors: [try chains.certificate("root")])
        let chain = [try chains.der("leaf"), try chains.der("intermediate")]
        for name in ["example.org", "wild.example", "a.b.wild.example", "10.0.0.3", "2001:db8::3", "www.example.org."] {
            #expect(Self.verdict(verifier, chain, name) == .badCertificate, "\(name)")
        }
        #expect(Self.verdict(verifier, chain, "www.example.org", at: WallTime(seconds: Self.now.seconds + 40 * 86_400)) == .certificateExpired)
        #expect(Self.verdict(verifier, chain, "www.example.org", at: WallTime(seconds: Self.now.seconds - 86_400)) == .certificateExpired)
        #expect(Self.verdict(X509Verifier(anchors: [try chains.certificate("other-root")]), chain, "www.example.org") == .unknownCA)
        #expect(Self.verdict(verifier, [try chains.der("leaf")], "www.example.org") == .unknownCA)
        var tampered = try chains.der("leaf")
        tampered[tampered.count - 10] ^= 0x01  // inside the signature
        #expect(Self.verdict(verifier, [tampered, try chains.der("intermediate")], "www.example.org") == .badCertificate)
        #expect(Self.verdict(verifier, [try chains.der("client-only"), try chains.der("intermediate")], "www.example.org") == .unsupportedCertificate)
        #expect(Self.verdict(verifier, [try chains.der("not-ca-leaf"), try chains.der("not-ca"), try chains.der("intermediate")],
                             "www.example.org") == .badCertificate)
        #expect(Self.verdict(verifier, [try chains.der("too-deep"), try chains.der("second"), try chains.der("intermediate")],
                             "www.example.org") == .badCertificate)
        #expect(Self.verdict(verifier, [[0x30, 0x03, 0x02, 0x01, 0x01]], nil) == .badCertificate)
        #expect(Self.verdict(verifier, [UInt8](repeating: 0, count: 17).map { _ in try! chains.der("leaf") }, nil) == .badCertificate)
    }

    @Test("a client's chain: clientAuth (or no extendedKeyUsage) for the client purpose, no name asked; serverAuth only is refused")
    func clientPurpose() throws {
        let chains = try Chains()
        let verifier = X509Verifier(anchors: [try chains.certificate("root")])
        let intermediate = try chains.der("intermediate")
        func verdict(_ leaf: String) throws -> TLSAlertDescription? {
            let chain = [try chains.der(leaf), intermediate]
            do {
                _ = try verifier.verify(chain: chain, for: .client, now: Self.now)
                return nil
            } catch {
                return error.alert
            }
        }
        #expect(try verdict("client-only") == nil)
        #expect(try verdict("not-ca") == nil, "no extendedKeyUsage: any purpose")
        #expect(try verdict("leaf") == .unsupportedCertificate, "serverAuth only")
        #expect(Self.verdict(X509Verifier(anchors: [try chains.certificate("other-root")]), [try chains.der("client-only"), intermediate], nil) != nil)
    }

    @Test("the x509 fuzz seeds (Python cryptography's certificates, made by Fuzz/make-seeds.py) read, with their names")
    func fuzzSeeds() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/Corpus/x509")
        for name in ["ec.der", "rsa.der"] {
            let certificate = try X509Certificate(der: Array(try Data(contentsOf: folder.appendingPathComponent(name))))
            #expect(certificate.isCA && certificate.pathLengthLimit == 1 && certificate.dnsNames == ["www.example.org", "*.wild.example"])
            #expect(certificate.ipAddresses == [[10, 0, 0, 2]])
            // Self-signed: it validates as its own anchor.
            #expect(Self.verdict(X509Verifier(anchors: [certificate]), [certificate.der], "www.example.org",
                                 at: WallTime(seconds: 1_790_000_000)) == nil)
        }
    }

    @Test("the system's trust bundle reads: nearly every root a distribution ships is usable as an anchor")
    func systemBundle() throws {
        let path = "/etc/ssl/certs/ca-certificates.crt"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            Issue.record("\(path) is missing: install Debian's ca-certificates")
            return
        }
        let verifier = try X509Verifier(bundle: text)
        print("system trust bundle: \(verifier.anchors.count) anchors read, \(verifier.skipped) left out")
        #expect(verifier.anchors.count >= 100)
        #expect(verifier.skipped <= verifier.anchors.count / 10, "\(verifier.skipped) of \(verifier.anchors.count + verifier.skipped) unreadable")
        // Every root signed with an accepted algorithm verifies its own signature under our checks;
        // the SHA-1 ones are kept as anchors all the same.
        let accepted = verifier.anchors.filter { $0.signatureAlgorithm != .unsupported }
        #expect(accepted.allSatisfy { X509Verifier.signed($0, by: $0) },
                "\(accepted.filter { !X509Verifier.signed($0, by: $0) }.count) of \(accepted.count) self-signatures do not verify")
        #expect(accepted.count * 2 > verifier.anchors.count)
    }

    @Test("every truncation of a certificate is refused without a trap")
    func truncations() throws {
        let der = try Chains().der("leaf")
        for length in 0..<der.count {
            #expect(throws: TLSError.self) { try X509Certificate(der: Array(der.prefix(length))) }
        }
    }

    @Test("the HTTP client speaks HTTPS with validation: over TLSStack with X509Verifier on our stacks in simulated time")
    func httpsClient() throws {
        let chains = try Chains()
        let server = TLSServerConfiguration(chains: [try TLSCertificateChain(certificates: [try chains.der("leaf"), try chains.der("intermediate")],
                                                                             privateKey: try chains.key("leaf"))])
        let verifier = X509Verifier(anchors: [try chains.certificate("root")])
        for (name, expected) in [("www.example.org", "200 hello"), ("wrong.example.org", "refused")] {
            let pair = SimulatedStackPair(seed: 12)
            var outcome = ""
            _ = pair.run { pair in
                let wallClock = pair.platform.wallClock
                guard Self.serveHTTPS(pair, server, { _ in "hello" }) else { return 1 }
                let clientStack = TLSStack(pair.client, server: nil, client: TLSClientConfiguration(serverName: name, verifier: verifier),
                                           random: SeededEntropy(seed: 2), now: { wallClock.now() })
                let endpoint = Endpoint(.v4(SimulatedStackPair.serverAddress), port: 443)
                guard let client = try? await HTTPClient(connectingWith: clientStack, to: endpoint, host: name),
                      let response = try? await client.send(request("GET", "/")) else {
                    outcome = "refused"
                    return 0
                }
                outcome = "\(response.head.status.code) " + String(decoding: response.body, as: UTF8.self)
                return 0
            }
            #expect(outcome == expected, "\(name)")
        }
    }

    /// HTTPS on port 443 of the pair's server at ``now``, each request answered with `body`'s text.
    static func serveHTTPS(_ pair: SimulatedStackPair, _ server: TLSServerConfiguration, _ body: @escaping (HTTPRequest) -> String) -> Bool {
        let wallClock = pair.platform.wallClock
        wallClock.time = now
        let serving = TLSStack(pair.server, server: server, client: nil, random: SeededEntropy(seed: 1), now: { wallClock.now() })
        let http = HTTPServer(clock: pair.platform.monotonicClock, wallClock: wallClock) { request in
            HTTPResponse(status: .ok, headers: HTTPHeaders(), body: PacketBuffer(Array(body(request).utf8)))
        }
        guard let listener = try? serving.listen(port: 443) else { return false }
        Task { await http.serve(listener) }
        return true
    }

    @Test("our client validates our server's chain in a handshake, and refuses a name it does not carry")
    func inHandshake() throws {
        let chains = try Chains()
        let server = TLSServerConfiguration(chains: [try TLSCertificateChain(certificates: [try chains.der("leaf"), try chains.der("intermediate")],
                                                                             privateKey: try chains.key("leaf"))])
        let verifier = X509Verifier(anchors: [try chains.certificate("root")])
        var pair = TLSPair(client: TLSClientConfiguration(serverName: "www.example.org", verifier: verifier), server: server)
        pair.nowOffset = Self.now.seconds - 1_790_000_000
        pair.handshake()
        #expect(pair.errors.isEmpty && pair.client.isConnected, "\(pair.errors)")
        var wrong = TLSPair(client: TLSClientConfiguration(serverName: "other.example.org", verifier: verifier), server: server)
        wrong.nowOffset = Self.now.seconds - 1_790_000_000
        wrong.handshake()
        #expect(wrong.errors.first?.alert == .badCertificate)
        #expect(wrong.serverOutputs.contains { $0.peerAlert == .badCertificate }, "the server heard why")
    }

    @Test("the HTTP client connecting by name over TLSStack sends that name in SNI and checks the certificate against it")
    func httpsClientByName() throws {
        final class OneAddress: NameResolver {
            func addresses(of host: String) async throws(NameResolutionError) -> [IPAddress] { [.v4(SimulatedStackPair.serverAddress)] }
        }
        let chains = try Chains()
        let server = TLSServerConfiguration(chains: [try TLSCertificateChain(certificates: [try chains.der("leaf"), try chains.der("intermediate")],
                                                                             privateKey: try chains.key("leaf"))])
        let verifier = X509Verifier(anchors: [try chains.certificate("root")])
        for (name, expected) in [("www.example.org", "200 hello www.example.org"), ("wrong.example.org", "refused")] {
            let pair = SimulatedStackPair(seed: 13)
            var outcome = ""
            _ = pair.run { pair in
                let wallClock = pair.platform.wallClock
                guard Self.serveHTTPS(pair, server, { "hello \($0.head.headers["Host"] ?? "")" }) else { return 1 }
                // The configured name is a placeholder: the one connected to replaces it.
                let clientStack = TLSStack(pair.client, server: nil, client: TLSClientConfiguration(serverName: nil, verifier: verifier),
                                           random: SeededEntropy(seed: 2), now: { wallClock.now() })
                guard let client = try? await HTTPClient(connectingWith: clientStack, to: name, resolvingWith: OneAddress()),
                      let response = try? await client.send(request("GET", "/")) else {
                    outcome = "refused"
                    return 0
                }
                outcome = "\(response.head.status.code) " + String(decoding: response.body, as: UTF8.self)
                return 0
            }
            #expect(outcome == expected, "\(name)")
        }
    }
}
