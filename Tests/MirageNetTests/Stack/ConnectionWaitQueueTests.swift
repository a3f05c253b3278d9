import MirageCore
@testable import MirageNet
import MirageRuntime
import Testing

/// A connection's wait queue lives in its table entry, so that a change hands it to the shell
/// without a second lookup of the connection's identifier.
@Suite("A connection's wait queue: kept with the connection, handed over only while tasks wait in it")
struct ConnectionWaitQueueTests {
    @Test("made at the first wait and kept; none for a connection that is gone; an empty queue is not handed over")
    func keptWithTheConnection() throws {
        var core = StackCore(configuration: StackConfiguration(address: IPv4Prefix(address: hostB, length: 24)),
                             mac: MACAddress(2, 0, 0, 0, 0, 2), mtu: 1500, key: (1, 2), now: .zero)
        let id = try core.connect(to: hostA, port: 80, now: .zero)
        var made = 0
        var hint = 0
        let queue = try #require(core.waitQueue(of: id, slotHint: &hint) { made += 1; return WaitQueue() })
        #expect(core.waitQueue(of: id, slotHint: &hint) { made += 1; return WaitQueue() } === queue)
        #expect(made == 1)
        // A change while nobody waits in the queue hands nothing to wake.
        core.drainChanges { _ in }
        core.updateConnection(id, now: Instant(nanoseconds: 1_000_000)) { $0.handleTimers(now: Instant(nanoseconds: 1_000_000)) }
        var handed = -1
        core.drainChanges { handed = $0.connectionWaiters.count }
        #expect(handed == -1)  // nothing changed that anyone waits for
        core.abort(id, now: Instant(nanoseconds: 2_000_000))
        #expect(core.waitQueue(of: id, slotHint: &hint) { made += 1; return WaitQueue() } == nil)
        #expect(made == 1)
    }
}
