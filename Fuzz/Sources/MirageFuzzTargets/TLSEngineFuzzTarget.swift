import MirageCore
import MirageCrypto
import MirageTLS
import MirageTesting

/// The TLS engine's state machines on a hostile peer's bytes (MirageTLS): genuine handshakes of
/// our client and server, recorded once with fixed randomness, are replayed with the input's
/// changes to one side's flights, so that the other side meets malformed, truncated and reordered
/// messages in every state a real handshake reaches (ServerHello, certificates, key exchanges,
/// TLS 1.2 tickets and the abbreviated handshake, Finished, ChangeCipherSpec) instead of only at
/// its first message. Nothing may trap; a connection that fails must be closed.
///
/// Input: byte 0 picks the scenario (which side is fuzzed, TLS 1.3 or 1.2, a full or a resumed
/// handshake), byte 1 the size of the pieces the bytes arrive in, then (offset, value) triples
/// of three bytes each: the byte at `offset` (big-endian, modulo the flights' length) of the
/// other side's flights, concatenated, is XORed with `value`; a zero value truncates there.
extension FuzzTargets {
    static let tlsEngine = FuzzTarget("tls-engine", "the TLS client and server state machines on a peer's changed flights") { bytes in
        guard bytes.count >= 2 else { return }
        let scenario = TLSEngineScenario.all[Int(bytes[0]) % TLSEngineScenario.all.count]
        let piece = Int(bytes[1]) + 1
        var flights = scenario.peerFlights
        let total = flights.reduce(0) { $0 + $1.count }
        guard total > 0 else { return }
        var index = 2
        while index + 2 < bytes.count {
            var position = (Int(bytes[index]) << 8 | Int(bytes[index + 1])) % total
            let value = bytes[index + 2]
            index += 3
            for flight in flights.indices {
                if position < flights[flight].count {
                    if value == 0 { flights[flight].removeSubrange(position...) } else { flights[flight][position] ^= value }
                    break
                }
                position -= flights[flight].count
            }
        }
        var connection = scenario.makeFuzzedSide()
        let now = TLSEngineScenario.now
        if scenario.fuzzesClient { _ = connection.start(now: now) }
        for flight in flights {
            var offset = 0
            while offset < flight.count, !connection.isClosed {
                let end = min(offset + piece, flight.count)
                let output = connection.receive(Array(flight[offset..<end]), now: now)
                if output.error != nil { require(connection.isClosed, "a failed connection is not closed") }
                offset = end
            }
        }
        if connection.isConnected, !connection.writeClosed { _ = connection.send([1, 2, 3]) }
    }
}

/// One recorded handshake: the side fuzzed is replayed from the same seed, so that it sends what
/// it sent when the flights were recorded.
struct TLSEngineScenario {
    let fuzzesClient: Bool
    let versions: [TLSProtocolVersion]
    let resumes: Bool
    /// What the other side sent, flight by flight, in the recorded handshake.
    let peerFlights: [[UInt8]]

    static let now = WallTime(seconds: 1_800_000_000)
    static let certificate = """
    -----BEGIN CERTIFICATE-----
    MIIBmzCCAUGgAwIBAgIUUK11R/nGJeYPgrZR/jn0kkwKjEwwCgYIKoZIzj0EAwIw
    FjEUMBIGA1UEAwwLZXhhbXBsZS5vcmcwIBcNMjYxMjA0MTEyNTQxWhgPMjEyNjEx
    MTAxMTI1NDFaMBYxFDASBgNVBAMMC2V4YW1wbGUub3JnMFkwEwYHKoZIzj0CAQYI
    KoZIzj0DAQcDQgAEPJhyaSWoTEKW9aHn30bbOt56Rn0BiApWzJYHNuX0oKS2fyb+
    sfu/I6jgol+ux1PyLY/n1VVSpFvzAz6iTJkOWaNrMGkwHQYDVR0OBBYEFBljUZlB
    0tBX7sEB3cS9p0XPuEntMB8GA1UdIwQYMBaAFBljUZlB0tBX7sEB3cS9p0XPuEnt
    MA8GA1UdEwEB/wQFMAMBAf8wFgYDVR0RBA8wDYILZXhhbXBsZS5vcmcwCgYIKoZI
    zj0EAwIDSAAwRQIgWPf6LQIqEVpE63P0bLhL0o80oMzxVYQeQdzV1T3q+YoCIQD8
    j9r37xOEsZkbwycglcjyfU9rONRb+6nagPScRkQvag==
    -----END CERTIFICATE-----
    """
    static let key = """
    -----BEGIN PRIVATE KEY-----
    MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgASNjjVqpwKcyrhq5
    jlvdEhldIU/u9rxfnJVm4BHwDrehRANCAAQ8mHJpJahMQpb1oeffRts63npGfQGI
    ClbMlgc25fSgpLZ/Jv6x+78jqOCiX67HU/Itj+fVVVKkW/MDPqJMmQ5Z
    -----END PRIVATE KEY-----
    """

    static let tickets = TLSSessionTickets(random: SeededEntropy(seed: 31), lifetime: 3600)

    static func server(_ versions: [TLSProtocolVersion]) -> TLSServerConfiguration {
        guard let der = (try? PEM.decode(certificate))?.first?.der, let privateKey = try? PrivateKey(pem: key),
              let chain = try? TLSCertificateChain(certificates: [der], privateKey: privateKey, serverNames: ["example.org"]) else {
            fatalError("the tls-engine target's own certificate and key do not read")
        }
        var configuration = TLSServerConfiguration(chains: [chain])
        configuration.versions = versions
        configuration.sessionTickets = tickets
        return configuration
    }

    static func client(resumption: TLSSessionTicket?) -> TLSClientConfiguration {
        var configuration = TLSClientConfiguration(serverName: "example.org", verifier: TLSUncheckedCertificates())
        configuration.resumption = resumption
        return configuration
    }

    func makeFuzzedSide() -> TLSConnection {
        fuzzesClient ? TLSConnection(client: Self.client(resumption: resumes ? Self.ticket12 : nil), random: SeededEntropy(seed: 11))
            : TLSConnection(server: Self.server(versions), random: SeededEntropy(seed: 12))
    }

    /// A TLS 1.2 ticket from a full handshake, for the resumed scenarios.
    static let ticket12: TLSSessionTicket? = record(versions: [.tls12], resumption: nil).tickets.first

    /// Runs a genuine handshake and keeps each side's flights and the client's tickets.
    static func record(versions: [TLSProtocolVersion], resumption: TLSSessionTicket?)
        -> (client: [[UInt8]], server: [[UInt8]], tickets: [TLSSessionTicket]) {
        var client = TLSConnection(client: client(resumption: resumption), random: SeededEntropy(seed: 11))
        var server = TLSConnection(server: server(versions), random: SeededEntropy(seed: 12))
        var clientFlights: [[UInt8]] = [client.start(now: now).records], serverFlights: [[UInt8]] = [], tickets: [TLSSessionTicket] = []
        for _ in 0..<6 {
            let answer = server.receive(clientFlights.last ?? [], now: now)
            guard !answer.records.isEmpty else { break }
            serverFlights.append(answer.records)
            let reply = client.receive(answer.records, now: now)
            tickets += reply.sessionTickets
            guard !reply.records.isEmpty else { break }
            clientFlights.append(reply.records)
        }
        return (clientFlights, serverFlights, tickets)
    }

    static func scenario(client fuzzesClient: Bool, _ versions: [TLSProtocolVersion], resumes: Bool = false) -> TLSEngineScenario {
        let flights = record(versions: versions, resumption: resumes ? ticket12 : nil)
        return TLSEngineScenario(fuzzesClient: fuzzesClient, versions: versions, resumes: resumes,
                                 peerFlights: fuzzesClient ? flights.server : flights.client)
    }

    static let all: [TLSEngineScenario] = [
        scenario(client: true, [.tls13, .tls12]), scenario(client: true, [.tls12]), scenario(client: true, [.tls12], resumes: true),
        scenario(client: false, [.tls13, .tls12]), scenario(client: false, [.tls12]), scenario(client: false, [.tls12], resumes: true),
    ]
}
