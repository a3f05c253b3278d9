import MirageCore
@testable import MirageNet
import MirageRuntime
import MirageTesting
import Testing

/// Issue 13, class 2, across connections: the stack's receive memory limit holds however many
/// connections a peer fills while the application does not read, and reading serves them all.
@Suite("TCP receive memory across connections: the stack's budget")
struct ReceiveMemoryBudgetTests {
    @Test("four senders of 2 MiB each into a server that does not read stay within its 1 MiB budget (and each connection's guaranteed 16 KiB); reading then delivers every byte")
    func budgetAcrossConnections() {
        let budget = 1024 * 1024
        let outcome = Outcome()
        let pair = StackPair(seed: 13) { $0.tcpReceiveMemoryLimit = budget }
        let data = pattern(2 * 1024 * 1024)
        var peak = 0
        let status = pair.run { pair in
            let listener = try! pair.server.listen(port: 9)
            let senders = (0..<4).map { _ in
                Task {
                    do {
                        let connection = try await pair.client.connect(to: Endpoint(.v4(StackPair.serverAddress), port: 9))
                        try await send(data, over: connection, chunk: 65536)
                        await connection.close()
                    } catch {
                        outcome.errors.append("client: \(error) at \(pair.platform.monotonicClock.now())")
                    }
                }
            }
            var accepted: [DirectTCPConnection<SimulatedNetworkDevice, ManualClock>] = []
            for _ in 0..<4 { accepted.append(try! await listener.accept()) }
            // Nobody reads for ten simulated seconds: the windows close as memory fills.
            for _ in 0..<100 {
                try? await sleep(for: .milliseconds(100))
                peak = Swift.max(peak, pair.server.core.tcp.receiveMemoryCharged)
                let sum = accepted.reduce(0) { $0 + ($1.state?.receiveMemoryCharged ?? 0) }
                if sum != pair.server.core.tcp.receiveMemoryCharged { outcome.errors.append("total \(pair.server.core.tcp.receiveMemoryCharged), sum \(sum)") }
            }
            for connection in accepted {
                do {
                    let received = try await receiveAll(connection)
                    if received != data { outcome.errors.append("a connection received \(received.count) bytes, not the data sent") }
                } catch {
                    outcome.errors.append("server: \(error) at \(pair.platform.monotonicClock.now()) charged \(pair.server.core.tcp.receiveMemoryCharged) \(connection.state?.statistics as Any))")
                }
                await connection.close()
            }
            for sender in senders { await sender.value }
            return 0
        }
        #expect(status == 0)
        #expect(outcome.errors.isEmpty, "\(outcome.errors.prefix(5))")
        #expect(peak > budget / 2 && peak <= budget + 4 * TCPConfiguration().receiveMemoryGuaranteed, "peak \(peak)")
        #expect(pair.server.core.tcp.receiveMemoryCharged == 0)
    }
}
