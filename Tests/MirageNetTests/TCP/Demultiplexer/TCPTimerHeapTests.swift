import MirageCore
@testable import MirageNet
import Testing

/// The stack's TCP timers come from a heap: the next deadline without visiting every connection.
@Suite("TCP timers on a heap: the next deadline and the connections due, among thousands")
struct TCPTimerHeapTests {
    func at(_ milliseconds: Int) -> Instant { Instant(nanoseconds: UInt64(milliseconds) * 1_000_000) }

    @Test("2,000 connections opened 1 ms apart: each SYN times out at its own deadline, in order, each once; the heap stays bounded")
    func manyConnections() throws {
        var configuration = StackConfiguration(address: IPv4Prefix(address: hostB, length: 24))
        configuration.connectionLimits.connections = 4096
        var core = StackCore(configuration: configuration, mac: MACAddress(2, 0, 0, 0, 0, 2), mtu: 1500, key: (1, 2), now: .zero)
        var ids: [ConnectionID] = []
        for index in 0..<2000 {
            ids.append(try core.connect(to: hostA, port: 80, now: at(index)))
        }
        // The initial RTO is 1 s: the first SYN is due at 1 s.
        #expect(core.tcp.nextDeadline == at(1000))
        var fired: [ConnectionID] = []
        for millisecond in 1000..<3000 {
            let due = core.tcp.connectionsDue(at: at(millisecond))
            fired += due
            for id in due { core.updateConnection(id, now: at(millisecond)) { $0.handleTimers(now: at(millisecond)) } }
            #expect(core.tcp.timers.count <= core.tcp.connectionCount)  // one entry at most per connection
        }
        // Each connection's timer fired once, in the order of its deadline.
        #expect(fired.count == ids.count)
        #expect(fired == ids)
        // Each SYN was sent again with a doubled RTO: the next deadline is the first one's 3 s.
        #expect(core.tcp.nextDeadline == at(3000))
    }

    @Test("the next deadline, read again and again, follows its connection when it moves, when it goes, and when its timer is taken")
    func firstTimerFollowsItsConnection() throws {
        var core = StackCore(configuration: StackConfiguration(address: IPv4Prefix(address: hostB, length: 24)),
                             mac: MACAddress(2, 0, 0, 0, 0, 2), mtu: 1500, key: (1, 2), now: .zero)
        let first = try core.connect(to: hostA, port: 80, now: at(0))
        let second = try core.connect(to: hostA, port: 81, now: at(1))
        let third = try core.connect(to: hostA, port: 82, now: at(2))
        #expect(core.tcp.nextDeadline == at(1000))
        #expect(core.tcp.nextDeadline == at(1000))  // read again: the same, from what it knows
        // The first connection goes: its entry is first in the heap but no longer current.
        core.abort(first, now: at(10))
        #expect(core.tcp.nextDeadline == at(1001))
        // The second's timer moves later (its SYN sent again, the RTO doubled): the third's is next.
        core.updateConnection(second, now: at(1001)) { $0.handleTimers(now: at(1001)) }
        #expect(core.tcp.nextDeadline == at(1002))
        // The third's timer is taken as due: the second's, now at 3001 ms, is next.
        #expect(core.tcp.connectionsDue(at: at(1002)) == [third])
        #expect(core.tcp.nextDeadline == at(3001))
        // The third scheduled again (its SYN sent again) comes before it.
        core.updateConnection(third, now: at(1002)) { $0.handleTimers(now: at(1002)) }
        #expect(core.tcp.nextDeadline == at(3001))
        core.abort(second, now: at(1003))
        #expect(core.tcp.nextDeadline == at(3002))
    }
}
