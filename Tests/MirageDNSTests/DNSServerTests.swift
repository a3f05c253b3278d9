import MirageCore
import MirageDNS
import MirageNet
import MirageRuntime
import MirageTesting
import Testing

/// The server stack of `pair` serving the example zone on port 53.
@discardableResult
func startDNSServer(
    _ pair: SimulatedStackPair, configuration: DNSServerConfiguration = DNSServerConfiguration()
) -> DNSServer<DirectStack<SimulatedNetworkDevice, ManualClock>, ManualClock> {
    let server = DNSServer(authority: DNSAuthority(zones: [exampleZone()]), stack: pair.server,
                           clock: pair.platform.monotonicClock, configuration: configuration)
    let udp = try! pair.server.bind(port: 53)
    let tcp = try! pair.server.listen(port: 53)
    Task { await server.serve(udp: udp, tcp: tcp) }
    return server
}

/// A query for `text` of `type` with id `id`.
func queryBytes(_ text: String, _ type: DNSRecordType, id: UInt16 = 1) -> [UInt8] {
    DNSMessage(id: id, questions: [DNSQuestion(name: name(text), type: type)]).encoded()
}

let serverEndpoint = Endpoint(.v4(SimulatedStackPair.serverAddress), port: 53)

/// Sends each of `datagrams` from one client port and collects what comes back within a second.
func udpExchange(_ pair: SimulatedStackPair, _ datagrams: [[UInt8]]) async -> [DNSMessage] {
    let socket = try! pair.client.bind(port: 0)
    for datagram in datagrams { try? await socket.send(PacketBuffer(datagram), to: serverEndpoint) }
    var answers: [DNSMessage] = []
    let collector = Task {
        while let datagram = try? await socket.receive() {
            answers.append(try! DNSMessage.decode(datagram.payload.bytes))
        }
    }
    try? await sleep(for: .seconds(1))
    socket.close()
    _ = await collector.value
    return answers
}

/// Connects, writes `bytes`, and reads until the server closes; returns the messages read and
/// when (simulated seconds) the connection ended.
func tcpExchange(_ pair: SimulatedStackPair, _ bytes: [UInt8], closing: Bool = false) async -> ([DNSMessage], Double) {
    guard let connection = try? await pair.client.connect(to: serverEndpoint) else { return ([], -1) }
    if !bytes.isEmpty { try? await connection.write(PacketBuffer(bytes)) }
    if closing { await connection.shutdownWrite() }
    var framer = DNSStreamFramer()
    var messages: [DNSMessage] = []
    while let data = try? await connection.read() {
        framer.append(data.bytes)
        while let message = framer.nextMessage() { messages.append(try! DNSMessage.decode(message)) }
    }
    await connection.close()
    return (messages, Double(pair.platform.monotonicClock.now().nanoseconds) / 1e9)
}

@Suite("The DNS server over our stack, in simulated time")
struct DNSServerTests {
    @Test("the stream framer gives the same messages fed all at once, one byte at a time, or in pieces")
    func framer() {
        let stream = DNSStreamFramer.frame(queryBytes("www.example.org", .a, id: 1)) + DNSStreamFramer.frame([])
            + DNSStreamFramer.frame(queryBytes("mail.example.org", .mx, id: 2))
        func messages(_ pieces: [ArraySlice<UInt8>]) -> [[UInt8]] {
            var framer = DNSStreamFramer()
            var found: [[UInt8]] = []
            for piece in pieces {
                framer.append(piece)
                while let message = framer.nextMessage() { found.append(message) }
            }
            #expect(!framer.isInsideMessage)
            return found
        }
        let whole = messages([stream[...]])
        #expect(whole == [queryBytes("www.example.org", .a, id: 1), [], queryBytes("mail.example.org", .mx, id: 2)])
        #expect(messages(stream.indices.map { stream[$0...$0] }) == whole)
        #expect(messages([stream[0..<1], stream[1..<40], stream[40...]]) == whole)
        var partial = DNSStreamFramer()
        partial.append(stream[0..<5])
        #expect(partial.nextMessage() == nil && partial.isInsideMessage)
    }

    @Test("UDP: each datagram is answered; a malformed one gets FORMERR, a response is dropped, and the server goes on")
    func udp() {
        let pair = SimulatedStackPair(seed: 1)
        var answers: [DNSMessage] = []
        var statistics = DNSServerStatistics()
        let status = pair.run { pair in
            let server = startDNSServer(pair)
            var response = queryBytes("www.example.org", .a, id: 3)
            response[2] |= 0x80
            answers = await udpExchange(pair, [
                queryBytes("www.example.org", .a, id: 1),
                Array(queryBytes("www.example.org", .a, id: 2).dropLast(3)),
                response,
                queryBytes("nothing.example.org", .a, id: 4),
            ])
            statistics = server.statistics
            return 0
        }
        #expect(status == 0)
        #expect(answers.map(\.id) == [1, 2, 4])
        #expect(answers.map(\.responseCode) == [.noError, .formatError, .nameError])
        #expect(answers[0].answers.count == 2 && answers[0].isAuthoritative)
        #expect(statistics.udpQueries == 4 && statistics.udpAnswered == 3 && statistics.udpDropped == 1)
    }

    @Test("TCP: pipelined queries in one segment are answered in order on one connection, which stays open until the client closes it")
    func pipelining() {
        let pair = SimulatedStackPair(seed: 2)
        var answers: [DNSMessage] = []
        var ended = 0.0
        let status = pair.run { pair in
            startDNSServer(pair)
            let stream = DNSStreamFramer.frame(queryBytes("www.example.org", .a, id: 1))
                + DNSStreamFramer.frame(Array(queryBytes("txt.example.org", .txt, id: 2).dropLast(2)))
                + DNSStreamFramer.frame(queryBytes("mail.example.org", .a, id: 3))
                + DNSStreamFramer.frame(queryBytes("sub.example.org", .a, id: 4))
            (answers, ended) = await tcpExchange(pair, stream, closing: true)
            return 0
        }
        #expect(status == 0)
        #expect(answers.map(\.id) == [1, 2, 3, 4])
        #expect(answers.map(\.responseCode) == [.noError, .formatError, .noError, .noError])
        #expect(!answers[3].isAuthoritative && answers[3].authorities.count == 2) // the referral
        #expect(ended < 1)
    }

    @Test("TCP: AXFR gives the whole zone when transfers are allowed, REFUSED otherwise")
    func zoneTransfer() {
        let pair = SimulatedStackPair(seed: 3)
        var allowed: [DNSMessage] = [], refused: [DNSMessage] = []
        let status = pair.run { pair in
            var configuration = DNSServerConfiguration()
            configuration.allowsZoneTransfers = true
            let server = startDNSServer(pair, configuration: configuration)
            (allowed, _) = await tcpExchange(pair, DNSStreamFramer.frame(queryBytes("example.org", .axfr)), closing: true)
            _ = server
            return 0
        }
        let other = SimulatedStackPair(seed: 4)
        let otherStatus = other.run { pair in
            startDNSServer(pair)
            (refused, _) = await tcpExchange(pair, DNSStreamFramer.frame(queryBytes("example.org", .axfr)), closing: true)
            return 0
        }
        #expect(status == 0 && otherStatus == 0)
        let records = allowed.flatMap(\.answers)
        #expect(records.first?.type == .soa && records.last?.type == .soa)
        #expect(records.count == exampleZone().records.count + 1)
        #expect(refused.map(\.responseCode) == [.refused])
    }

    @Test("TCP: an idle connection is closed after the idle time; beyond the connection limit one is closed at once")
    func limits() {
        let pair = SimulatedStackPair(seed: 5)
        var idle = 0.0, over = 0.0
        var answered: [DNSMessage] = []
        var statistics = DNSServerStatistics()
        let status = pair.run { pair in
            var configuration = DNSServerConfiguration()
            configuration.idleTimeout = .seconds(5)
            configuration.maximumTCPConnections = 2
            let server = startDNSServer(pair, configuration: configuration)
            let first = Task { await tcpExchange(pair, []) }
            let second = Task { await tcpExchange(pair, DNSStreamFramer.frame(queryBytes("www.example.org", .a))) }
            try? await sleep(for: .seconds(1))
            (_, over) = await tcpExchange(pair, DNSStreamFramer.frame(queryBytes("www.example.org", .a)))
            (_, idle) = await first.value
            (answered, _) = await second.value
            statistics = server.statistics
            return 0
        }
        #expect(status == 0)
        #expect(over >= 1 && over < 2)
        #expect(idle >= 5 && idle < 6)
        #expect(answered.count == 1)
        #expect(statistics.tcpConnections == 2 && statistics.tcpConnectionsOverLimit == 1 && statistics.tcpIdleTimeouts == 2)
    }
}
