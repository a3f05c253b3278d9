import MirageCore
@testable import MirageNet
import MirageRuntime
import MirageTesting
import Testing

/// Issue 13, class 3: the stack's caps on connections by state, between two of our stacks.
@Suite("Connection limits: all connections, orphans, TIME-WAIT")
struct ConnectionLimitTests {
    typealias Connection = DirectTCPConnection<SimulatedNetworkDevice, ManualClock>

    @Test("past 4 connections a SYN goes unanswered until one closes; past 1 orphan a close resets; past 1 TIME-WAIT a closing connection is forgotten")
    func limits() {
        let outcome = Outcome()
        let pair = StackPair(seed: 17, configureServer: { configuration in
            configuration.connectionLimits.connections = 4
            configuration.connectionLimits.orphans = 1
            configuration.connectionLimits.timeWait = 1
        })
        var statistics = StackStatistics()
        var census = ConnectionCensus()
        var fifthConnected = false
        let status = pair.run { pair in
            let listener = try! pair.server.listen(port: 9)
            let target = Endpoint(.v4(StackPair.serverAddress), port: 9)
            var clients: [Connection] = []
            for _ in 0..<4 { clients.append(try! await pair.client.connect(to: target)) }
            var accepted: [Connection] = []
            for _ in 0..<4 { accepted.append(try! await listener.accept()) }
            let fifth = Task { () -> Connection? in try? await pair.client.connect(to: target) }
            try? await sleep(for: .seconds(2))
            if pair.server.core.statistics.connectionLimitRefusals == 0 { outcome.errors.append("the fifth SYN was answered") }
            if pair.server.core.tcp.connectionCount != 4 { outcome.errors.append("\(pair.server.core.tcp.connectionCount) connections") }

            // The server closes two connections whose clients do not close theirs: the first
            // waits in FIN-WAIT-2 as an orphan, the second is past the orphan cap and is reset.
            await accepted[0].close()
            await accepted[1].close()
            try? await sleep(for: .milliseconds(100))
            // The clients close too: the first orphan goes to TIME-WAIT (the one allowed).
            await clients[0].close()
            await clients[1].close()
            try? await sleep(for: .milliseconds(100))
            // A second active close past the TIME-WAIT cap is forgotten at once.
            await accepted[2].close()
            try? await sleep(for: .milliseconds(100))
            await clients[2].close()
            try? await sleep(for: .milliseconds(100))
            census = pair.server.core.tcp.census
            // Room now: the fifth client's SYN, retried, is answered.
            if let connection = await fifth.value {
                fifthConnected = true
                if let server = try? await listener.accept() { await server.close() }
                await connection.close()
            }
            statistics = pair.server.core.statistics
            await accepted[3].close()
            await clients[3].close()
            return 0
        }
        #expect(status == 0)
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        #expect(statistics.connectionLimitRefusals >= 1)
        #expect(statistics.orphanLimitResets == 1)
        #expect(statistics.timeWaitDropped == 1)
        #expect(census.timeWait == 1 && census.orphans == 0)
        #expect(fifthConnected)
    }
}
