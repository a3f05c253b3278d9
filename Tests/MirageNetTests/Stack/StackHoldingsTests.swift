import MirageCore
@testable import MirageNet
import MirageRuntime
import MirageTesting
import Testing

/// Issue 13: what the stack holds for its peers is counted as it goes and read in one call.
@Suite("Stack holdings: connections, unread data, queued datagrams, ARP")
struct StackHoldingsTests {
    final class Seen { var holdings: [String: StackHoldings] = [:] }

    @Test("unread TCP data and queued UDP datagrams are charged at real size and released when read")
    func chargedAndReleased() {
        let seen = Seen()
        let pair = StackPair(seed: 5)
        let status = pair.run { pair in
            seen.holdings["start"] = pair.server.holdings
            let listener = try! pair.server.listen(port: 9)
            let socket = try! pair.server.bind(port: 53)
            let client = try! await pair.client.connect(to: Endpoint(.v4(StackPair.serverAddress), port: 9))
            let server = try! await listener.accept()
            let clientSocket = try! pair.client.bind(port: 5353)
            for _ in 0..<100 { try! await client.write(PacketBuffer([UInt8](repeating: 7, count: 10))) }
            for _ in 0..<3 {
                try! await clientSocket.send(PacketBuffer([1, 2, 3]), to: Endpoint(.v4(StackPair.serverAddress), port: 53))
            }
            try? await sleep(for: .milliseconds(500))
            seen.holdings["held"] = pair.server.holdings
            var unread = 1000
            while unread > 0 { unread -= try! await server.read()?.count ?? unread }
            for _ in 0..<3 { _ = try! await socket.receive() }
            seen.holdings["read"] = pair.server.holdings
            await client.close()
            await server.close()
            try? await sleep(for: .milliseconds(500))
            seen.holdings["closed"] = pair.server.holdings
            return 0
        }
        #expect(status == 0)
        let start = seen.holdings["start"]!, held = seen.holdings["held"]!, read = seen.holdings["read"]!
        #expect(start.chargedBytes == 0 && start.connections == 0)
        #expect(held.connections == 1)
        #expect(held.arpEntries == 1)
        // 1,000 bytes of payload, charged at the memory holding them: at least the payload.
        #expect(held.tcpReceiveBytes >= 1000, "\(held.summary)")
        #expect(held.udpQueueBytes >= 3 * 3, "\(held.summary)")
        #expect(read.tcpReceiveBytes == 0 && read.udpQueueBytes == 0, "\(read.summary)")
        // The server closed first: its side waits in TIME-WAIT, no longer a connection.
        let closed = seen.holdings["closed"]!
        #expect(closed.connections == 0 && closed.timeWait == 1, "\(closed.summary)")
        #expect(held.summary.contains("1 connections") && held.summary.contains("ARP 1 entries"), "\(held.summary)")
    }
}
