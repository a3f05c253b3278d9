import MirageCore
import MirageCrypto
import MirageHTTP
import MirageNet
import MirageRuntime
import MirageTLS
import MirageTesting
import Testing

/// The shell: HTTP unchanged over ``TLSStack`` on two of our stacks in simulated time, so that
/// a service written against `Flow` and `TCPStack` runs over TLS as it is.
@Suite("TLS flows under HTTP, over our stack in simulated time")
struct TLSFlowTests {
    @Test("an HTTPS request and a 1 MiB response over TLS on our TCP; a client refusing the server's key ends with an alert")
    func httpsOverOurStack() {
        let pair = SimulatedStackPair(seed: 7)
        var outcome = ""
        let status = pair.run { pair in
            let wallClock = pair.platform.wallClock
            var serverConfiguration = TLSServerConfiguration(chains: [TestKeys.chain(TestKeys.p256)])
            serverConfiguration.applicationProtocols = [Array("http/1.1".utf8)]
            let serverTLS = TLSStack(pair.server, server: serverConfiguration, client: nil, random: SeededEntropy(seed: 5),
                                     now: { wallClock.now() })
            let big = [UInt8](repeating: 0x5A, count: 1 << 20)
            let http = HTTPServer(clock: pair.platform.monotonicClock, wallClock: wallClock) { request in
                request.head.target == "/big" ? HTTPResponse(status: .ok, headers: HTTPHeaders(), body: PacketBuffer(big))
                    : HTTPResponse(status: .ok, headers: HTTPHeaders(), body: PacketBuffer(Array("hello over TLS".utf8)))
            }
            guard let listener = try? serverTLS.listen(port: 443) else { return 1 }
            Task { await http.serve(listener) }

            let clientTLS = TLSStack(pair.client, server: nil, client: clientConfiguration(), random: SeededEntropy(seed: 6),
                                     now: { wallClock.now() })
            let endpoint = Endpoint(.v4(SimulatedStackPair.serverAddress), port: 443)
            guard let client = try? await HTTPClient(connectingWith: clientTLS, to: endpoint, host: "example.org") else { return 2 }
            guard let hello = try? await client.send(request("GET", "/hello")) else { return 3 }
            guard let large = try? await client.send(request("GET", "/big")) else { return 4 }
            outcome = String(decoding: hello.body, as: UTF8.self) + " \(large.body.count)"

            // A client whose verifier refuses every chain: the handshake ends, the request fails.
            final class Refuse: TLSCertificateVerifier {
                func verify(chain: [[UInt8]], for purpose: TLSCertificatePurpose, now: WallTime) throws(TLSError) -> PublicKey {
                    throw TLSError(.unknownCA, "not trusted")
                }
            }
            let refusing = TLSStack(pair.client, server: nil, client: TLSClientConfiguration(serverName: "example.org", verifier: Refuse()),
                                    random: SeededEntropy(seed: 8), now: { wallClock.now() })
            do {
                _ = try await refusing.connect(to: endpoint)
                return 5
            } catch {
                outcome += " refused: \(error)"
            }
            return 0
        }
        #expect(status == 0)
        #expect(outcome == "hello over TLS 1048576 refused: connection reset by peer")
    }
}

func request(_ method: String, _ target: String) -> HTTPRequest {
    HTTPRequest(head: HTTPRequestHead(method: method, target: target, version: .http11, headers: HTTPHeaders()), body: [])
}
