import MirageCore
@testable import MirageNet
import Testing

/// A socket keeps the slot where its connection was last found and tries it first: a hint is only
/// ever a guess, checked against the connection's identifier.
@Suite("TCP slot hints: a guess checked against the identifier, never a wrong connection")
struct TCPSlotHintTests {
    func core() -> StackCore {
        StackCore(configuration: StackConfiguration(address: IPv4Prefix(address: hostB, length: 24)),
                  mac: MACAddress(2, 0, 0, 0, 0, 2), mtu: 1500, key: (1, 2), now: .zero)
    }

    @Test("any hint finds the connection and is set to its slot; a right hint is kept")
    func anyHintFinds() throws {
        var core = core()
        let ids = try (0..<3).map { try core.connect(to: hostA, port: UInt16(80 + $0), now: .zero) }
        for id in ids {
            for start in [-5, 0, 1, 2, 1_000, Int.max] {
                var hint = start
                let slot = try #require(core.tcp.slot(of: id, hint: &hint))
                #expect(slot == core.tcp.slot(of: id))
                #expect(hint == slot)
                #expect(core.tcp.slots[slot]?.id == id)
                #expect(core.tcp.slot(of: id, hint: &hint) == slot)
            }
        }
    }

    @Test("a slot given to a later connection: the old identifier finds nothing, the new one its own")
    func reusedSlot() throws {
        var core = core()
        let first = try core.connect(to: hostA, port: 80, now: .zero)
        var firstHint = 0
        let slot = try #require(core.tcp.slot(of: first, hint: &firstHint))
        core.abort(first, now: .zero)
        let second = try core.connect(to: hostA, port: 81, now: .zero)
        #expect(core.tcp.slot(of: second) == slot)  // the freed slot, reused
        #expect(core.tcp.slot(of: first, hint: &firstHint) == nil)
        var data: PacketBuffer?
        #expect(core.readIfReadable(from: first, slotHint: &firstHint, maximum: 10, now: .zero, into: &data) == nil)
        #expect(core.writeIfOpen(PacketBuffer([1, 2, 3]), to: first, slotHint: &firstHint, now: .zero) == nil)
        var secondHint = slot
        #expect(core.readIfReadable(from: second, slotHint: &secondHint, maximum: 10, now: .zero, into: &data)?.state == .synSent)
    }
}
