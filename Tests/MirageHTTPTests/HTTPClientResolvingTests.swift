import MirageCore
import MirageHTTP
import MirageNet
import MirageRuntime
import MirageTesting
import Testing

/// A resolver that gives the same answer to every name and remembers what it was asked.
final class FixedResolver: NameResolver {
    let answer: Result<[IPAddress], NameResolutionError>
    var asked: [String] = []

    init(_ answer: Result<[IPAddress], NameResolutionError>) { self.answer = answer }

    func addresses(of host: String) async throws(NameResolutionError) -> [IPAddress] {
        asked.append(host)
        return try answer.get()
    }
}

@Suite("The HTTP client connecting by name through a resolver")
struct HTTPClientResolvingTests {
    @Test("the client tries the addresses in order until one connects, and names the host it asked for")
    func connectsByName() {
        // 10.0.0.9 answers no ARP request: the first address fails and the second serves.
        let resolver = FixedResolver(.success([.v4(IPv4Address(10, 0, 0, 9)), .v4(SimulatedStackPair.serverAddress)]))
        let pair = SimulatedStackPair(seed: 42)
        var host: String?
        let status = pair.run { pair in
            startClientTestServers(pair)
            do {
                let client = try await HTTPClient(connectingWith: pair.client, to: "www.example.org", resolvingWith: resolver)
                host = await send(client, "POST", "/echo", body: "x").response?.headers["X-Host"]
                return 0
            } catch {
                return 1
            }
        }
        #expect(status == 0)
        #expect(resolver.asked == ["www.example.org"])
        #expect(host == "www.example.org")
    }

    @Test("a name that does not resolve is a resolution error; an address nobody holds is the flow's error")
    func failures() {
        let pair = SimulatedStackPair(seed: 43)
        var errors: [HTTPClientError] = []
        let status = pair.run { pair in
            for resolver in [FixedResolver(.failure(.noSuchName("nowhere.example"))),
                             FixedResolver(.success([.v4(IPv4Address(10, 0, 0, 9))]))] {
                do {
                    _ = try await HTTPClient(connectingWith: pair.client, to: "nowhere.example", port: 8080, resolvingWith: resolver)
                } catch let error as HTTPClientError {
                    errors.append(error)
                } catch {}
            }
            return 0
        }
        #expect(status == 0)
        #expect(errors.count == 2)
        #expect(errors.first == .resolution(.noSuchName("nowhere.example")))
        if errors.count == 2 { #expect({ if case .flow = errors[1] { true } else { false } }(), "\(errors[1])") }
    }
}
