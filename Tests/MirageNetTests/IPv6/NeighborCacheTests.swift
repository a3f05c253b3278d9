import MirageCore
import MirageNet
import Testing

/// The neighbour cache's states and bounds (RFC 4861 sections 7.2 and 7.3), in simulated time.
struct NeighborCacheTests {
    static let peer = IPv6Address(0xfe80, 0, 0, 0, 0, 0, 0, 1)
    static let peerMAC = MACAddress(2, 0, 0, 0, 0, 1)
    static let otherMAC = MACAddress(2, 0, 0, 0, 0, 9)

    func at(_ seconds: Double) -> Instant { Instant(nanoseconds: UInt64(seconds * 1e9)) }

    @Test("resolution: a multicast solicitation, the packets wait, a solicited advertisement sends them and makes the entry REACHABLE")
    func resolution() {
        var cache = NeighborCache()
        #expect(cache.send(PacketBuffer([1]), to: Self.peer, now: at(0)) == [.solicit(Self.peer, unicast: nil)])
        #expect(cache.send(PacketBuffer([2]), to: Self.peer, now: at(0.1)).isEmpty)
        #expect(cache.state(of: Self.peer) == .incomplete)
        let sent = cache.receiveAdvertisement(target: Self.peer, mac: Self.peerMAC, router: false, solicited: true, override: true, now: at(0.2))
        #expect(sent == [.transmit(PacketBuffer([1]), to: Self.peerMAC), .transmit(PacketBuffer([2]), to: Self.peerMAC)])
        #expect(cache.state(of: Self.peer) == .reachable)
    }

    @Test("REACHABLE goes STALE after the reachable time; a send makes it DELAY, then PROBE with unicast solicitations, then it is forgotten")
    func unreachabilityDetection() {
        var cache = NeighborCache()
        _ = cache.send(PacketBuffer([1]), to: Self.peer, now: at(0))
        _ = cache.receiveAdvertisement(target: Self.peer, mac: Self.peerMAC, router: false, solicited: true, override: true, now: at(0))
        #expect(cache.tick(now: at(31)).isEmpty)
        #expect(cache.state(of: Self.peer) == .stale)
        #expect(cache.send(PacketBuffer([3]), to: Self.peer, now: at(32)) == [.transmit(PacketBuffer([3]), to: Self.peerMAC)])
        #expect(cache.state(of: Self.peer) == .delay)
        #expect(cache.tick(now: at(37)) == [.solicit(Self.peer, unicast: Self.peerMAC)])
        #expect(cache.state(of: Self.peer) == .probe)
        #expect(cache.tick(now: at(38)) == [.solicit(Self.peer, unicast: Self.peerMAC)])
        #expect(cache.tick(now: at(39)) == [.solicit(Self.peer, unicast: Self.peerMAC)])
        #expect(cache.tick(now: at(40)).isEmpty)
        #expect(cache.state(of: Self.peer) == nil)
    }

    @Test("a confirmation in PROBE (a solicited advertisement) makes the entry REACHABLE again")
    func probeConfirmed() {
        var cache = NeighborCache()
        _ = cache.learn(Self.peer, mac: Self.peerMAC, now: at(0))
        _ = cache.send(PacketBuffer([1]), to: Self.peer, now: at(1))
        _ = cache.tick(now: at(6))
        #expect(cache.state(of: Self.peer) == .probe)
        _ = cache.receiveAdvertisement(target: Self.peer, mac: nil, router: false, solicited: true, override: false, now: at(6.5))
        #expect(cache.state(of: Self.peer) == .reachable)
    }

    @Test("an unanswered resolution gives up after three solicitations and drops the waiting packets")
    func unanswered() {
        var cache = NeighborCache()
        _ = cache.send(PacketBuffer([1]), to: Self.peer, now: at(0))
        #expect(cache.tick(now: at(1)) == [.solicit(Self.peer, unicast: nil)])
        #expect(cache.tick(now: at(2)) == [.solicit(Self.peer, unicast: nil)])
        #expect(cache.tick(now: at(3)).isEmpty)
        #expect(cache.state(of: Self.peer) == nil)
        #expect(cache.droppedPackets == 1)
    }

    @Test("without Override, a different link-layer address does not replace a known one; it only makes REACHABLE STALE")
    func overrideFlag() {
        var cache = NeighborCache()
        _ = cache.send(PacketBuffer([1]), to: Self.peer, now: at(0))
        _ = cache.receiveAdvertisement(target: Self.peer, mac: Self.peerMAC, router: false, solicited: true, override: true, now: at(0))
        _ = cache.receiveAdvertisement(target: Self.peer, mac: Self.otherMAC, router: false, solicited: false, override: false, now: at(1))
        #expect(cache.lookup(Self.peer) == Self.peerMAC)
        #expect(cache.state(of: Self.peer) == .stale)
        _ = cache.receiveAdvertisement(target: Self.peer, mac: Self.otherMAC, router: false, solicited: true, override: true, now: at(2))
        #expect(cache.lookup(Self.peer) == Self.otherMAC)
        #expect(cache.state(of: Self.peer) == .reachable)
    }

    @Test("advertisements for addresses never asked about are ignored")
    func unsolicitedIgnored() {
        var cache = NeighborCache()
        _ = cache.receiveAdvertisement(target: Self.peer, mac: Self.peerMAC, router: false, solicited: true, override: true, now: at(0))
        #expect(cache.count == 0)
    }

    @Test("a flood of solicitations from forged senders fills at most half the cache; the neighbours we send to still resolve")
    func learntEntriesBounded() {
        var configuration = NeighborCache.Configuration()
        configuration.entryLimit = 64
        var cache = NeighborCache(configuration: configuration)
        for index in 0 ..< 10_000 {
            _ = cache.learn(IPv6Address(0xfe80, 0, 0, 0, 0, 1, UInt16(index >> 16), UInt16(index & 0xffff)),
                            mac: Self.otherMAC, now: at(Double(index) / 1000))
        }
        #expect(cache.count == 32)
        #expect(cache.refusedEntries == 10_000 - 32)
        #expect(cache.send(PacketBuffer([1]), to: Self.peer, now: at(10)) == [.solicit(Self.peer, unicast: nil)])
        // Unused learnt entries are forgotten after the stale lifetime.
        _ = cache.tick(now: at(100))
        #expect(cache.count <= 1)
    }
}
