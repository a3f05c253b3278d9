import MirageCore
@testable import MirageNet
import Testing

/// The lease table written as text and read back by a restarted server (RFC 2131 section 4.3.1).
@Suite("DHCP server leases kept across a restart")
struct DHCPLeaseSavingTests {
    typealias Fixture = DHCPServerTests

    @Test("bound and declined addresses come back with the time they had left; offers do not; a client keeps its address")
    func roundTrip() throws {
        var server = DHCPServer(configuration: Fixture.configuration())
        let alice = try Fixture.lease(&server, for: Fixture.alice)
        let declined = try Fixture.lease(&server, for: Fixture.bob)
        _ = server.receive(Fixture.message(.decline, from: Fixture.bob, requested: declined, serverID: Fixture.server), now: Fixture.start)
        _ = try Fixture.answer(&server, Fixture.message(.discover, from: MACAddress(2, 0, 0, 0, 0, 0xC)), now: Fixture.start)  // an offer
        let wall = WallTime(seconds: 1_800_000_000)
        let text = server.leases.savedText(now: Fixture.start + .seconds(100), wallNow: wall)
        #expect(text == "10.0.0.50 bound 1800000500 010200000000" + "0a\n10.0.0.51 declined 1800000500\n")

        // The restarted server: its monotonic clock starts again, 200 s of wall time later.
        var restarted = DHCPServer(configuration: Fixture.configuration())
        let (restored, skipped) = restarted.restoreLeases(savedText: text, now: Fixture.start, wallNow: WallTime(seconds: 1_800_000_200))
        #expect(restored == 2 && skipped == 0)
        #expect(restarted.leases.entry(for: alice)?.use == .bound(until: Fixture.start + .seconds(300)))
        #expect(restarted.leases.entry(for: declined)?.use == .declined(until: Fixture.start + .seconds(300)))
        // Alice asks again and gets her address; a newcomer gets neither hers nor the declined one.
        #expect(try Fixture.lease(&restarted, for: Fixture.alice) == alice)
        #expect(try Fixture.lease(&restarted, for: MACAddress(2, 0, 0, 0, 0, 0xD)) == IPv4Address(10, 0, 0, 52))
    }

    @Test("lapsed entries, addresses outside the pool now, duplicates and malformed lines are skipped")
    func skipped() {
        var server = DHCPServer(configuration: Fixture.configuration())
        let text = """
            10.0.0.50 bound 1000 01aa
            10.0.0.99 bound 5000 01bb
            10.0.0.51 bound forever 01cc
            10.0.0.51 bound forever 01dd
            10.0.0.52 bound 5000 01cc
            10.0.0.52 declined forever
            10.0.0.52 leased 5000 01ee
            10.0.0.52 bound 5000 0xzz
            nonsense

            """
        let (restored, skipped) = server.restoreLeases(savedText: text, now: Fixture.start, wallNow: WallTime(seconds: 2000))
        #expect(restored == 1 && skipped == 8)
        #expect(server.leases.entries.map(\.address) == [IPv4Address(10, 0, 0, 51)])
        #expect(server.leases.entry(for: IPv4Address(10, 0, 0, 51))?.use == .bound(until: nil))
    }
}
