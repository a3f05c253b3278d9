import MirageCore
@testable import MirageNet
import Testing

@Suite("ARP cache and resolver")
struct ARPCacheTests {
    let ourMAC = MACAddress(0x02, 0, 0, 0, 0, 2)
    let peerMAC = MACAddress(0x02, 0, 0, 0, 0, 1)

    func cache() -> ARPCache { ARPCache(interface: IPv4Prefix(address: hostB, length: 24), mac: ourMAC) }
    func at(_ seconds: Double) -> Instant { Instant(nanoseconds: UInt64(seconds * 1e9)) }
    func packet(_ tag: UInt8) -> PacketBuffer { PacketBuffer([tag]) }

    func reply(from ip: IPv4Address, mac: MACAddress) -> ARPPacket {
        ARPPacket(operation: .reply, senderHardware: mac, senderProtocol: ip, targetHardware: ourMAC, targetProtocol: hostB)
    }

    @Test("a packet to an unknown address sends one request and waits; the reply releases it")
    func resolveThenTransmit() {
        var arp = cache()
        #expect(arp.send(packet(1), to: hostA, now: at(0)) == [.request(hostA)])
        #expect(arp.send(packet(2), to: hostA, now: at(0.1)) == [])
        #expect(arp.receive(reply(from: hostA, mac: peerMAC), now: at(0.2)) == [
            .transmit(packet(1), to: peerMAC), .transmit(packet(2), to: peerMAC),
        ])
        #expect(arp.lookup(hostA, now: at(0.3)) == peerMAC)
        #expect(arp.send(packet(3), to: hostA, now: at(1)) == [.transmit(packet(3), to: peerMAC)])
    }

    @Test("a mapping the DHCP server vouches for is taken for hosts on our network only, and releases what waited for it")
    func learnt() {
        var arp = cache()
        #expect(arp.learn(hostA, at: peerMAC, now: at(0)) == [])
        #expect(arp.lookup(hostA, now: at(1)) == peerMAC)
        #expect(arp.learn(IPv4Address(192, 168, 9, 9), at: peerMAC, now: at(0)) == [])
        #expect(arp.learn(IPv4Address(10, 0, 0, 255), at: peerMAC, now: at(0)) == [])
        #expect(arp.learn(hostB, at: peerMAC, now: at(0)) == [])
        #expect(arp.learn(IPv4Address(10, 0, 0, 9), at: MACAddress(0x01, 0, 0x5e, 0, 0, 1), now: at(0)) == [])
        #expect(arp.count == 1)
        let waiting = IPv4Address(10, 0, 0, 7)
        #expect(arp.send(packet(1), to: waiting, now: at(0)) == [.request(waiting)])
        #expect(arp.learn(waiting, at: peerMAC, now: at(0.1)) == [.transmit(packet(1), to: peerMAC)])
        #expect(arp.send(packet(2), to: waiting, now: at(0.2)) == [.transmit(packet(2), to: peerMAC)])
    }

    @Test("the entry use() found last answers again only while it stands: a new address for the host, its expiry, another entry's change and a new interface are seen at once")
    func lastUsedFollowsChanges() {
        var arp = cache()
        let movedMAC = MACAddress(0x02, 0, 0, 0, 0, 9)
        #expect(arp.learn(hostA, at: peerMAC, now: at(0)) == [])
        #expect(arp.use(hostA, now: at(1)) == peerMAC)
        #expect(arp.use(hostA, now: at(2)) == peerMAC)
        #expect(arp.learn(hostA, at: movedMAC, now: at(3)) == [])
        #expect(arp.use(hostA, now: at(4)) == movedMAC)
        #expect(arp.use(IPv4Address(10, 0, 0, 99), now: at(4)) == nil)
        // Learnt at 3 s, so it lapses at 63 s (60 s entries), whether or not the timers ran.
        #expect(arp.use(hostA, now: at(62.9)) == movedMAC)
        #expect(arp.use(hostA, now: at(63)) == nil)
        #expect(arp.learn(hostA, at: peerMAC, now: at(70)) == [])
        #expect(arp.use(hostA, now: at(71)) == peerMAC)
        _ = arp.tick(now: at(131))
        #expect(arp.use(hostA, now: at(100)) == nil, "forgotten by the timers, though asked with an earlier time")
        #expect(arp.learn(hostA, at: peerMAC, now: at(200)) == [])
        #expect(arp.use(hostA, now: at(201)) == peerMAC)
        arp.changeInterface(to: IPv4Prefix(address: hostB, length: 24))
        #expect(arp.use(hostA, now: at(202)) == nil)
    }

    @Test("a request for our address is answered and teaches us the sender")
    func answersRequests() {
        var arp = cache()
        let request = ARPPacket(operation: .request, senderHardware: peerMAC, senderProtocol: hostA,
                                targetHardware: .zero, targetProtocol: hostB)
        #expect(arp.receive(request, now: at(0)) == [
            .send(ARPPacket(operation: .reply, senderHardware: ourMAC, senderProtocol: hostB,
                            targetHardware: peerMAC, targetProtocol: hostA), to: peerMAC),
        ])
        #expect(arp.lookup(hostA, now: at(1)) == peerMAC)
    }

    @Test("requests for other hosts are not answered and not learned (RFC 826 merge rule)")
    func othersIgnored() {
        var arp = cache()
        let request = ARPPacket(operation: .request, senderHardware: peerMAC, senderProtocol: hostA,
                                targetHardware: .zero, targetProtocol: IPv4Address(10, 0, 0, 9))
        #expect(arp.receive(request, now: at(0)) == [])
        #expect(arp.lookup(hostA, now: at(0)) == nil)
    }

    @Test("unanswered requests are retried each second, three in all, then the packets are dropped")
    func retriesThenGivesUp() {
        var arp = cache()
        _ = arp.send(packet(1), to: hostA, now: at(0))
        #expect(arp.nextDeadline == at(1))
        #expect(arp.tick(now: at(0.5)) == [])
        #expect(arp.tick(now: at(1)) == [.request(hostA)])
        #expect(arp.tick(now: at(2)) == [.request(hostA)])
        #expect(arp.tick(now: at(3)) == [])
        #expect(arp.droppedPackets == 1)
        #expect(arp.nextDeadline == nil)
        #expect(arp.send(packet(2), to: hostA, now: at(4)) == [.request(hostA)])
    }

    @Test("at most four packets wait per address; the oldest are dropped and counted")
    func boundedQueue() {
        var arp = cache()
        for tag in 1...6 { _ = arp.send(packet(UInt8(tag)), to: hostA, now: at(0)) }
        #expect(arp.droppedPackets == 2)
        #expect(arp.receive(reply(from: hostA, mac: peerMAC), now: at(0.1)) == (3...6).map { .transmit(packet(UInt8($0)), to: peerMAC) })
    }

    @Test("entries expire after their lifetime and are resolved again")
    func expiry() {
        var arp = cache()
        _ = arp.send(packet(1), to: hostA, now: at(0))
        _ = arp.receive(reply(from: hostA, mac: peerMAC), now: at(0))
        #expect(arp.lookup(hostA, now: at(59.9)) == peerMAC)
        #expect(arp.lookup(hostA, now: at(60)) == nil)
        #expect(arp.tick(now: at(60)) == [])
        #expect(arp.send(packet(2), to: hostA, now: at(61)) == [.request(hostA)])
    }

    @Test("a packet claiming our own address, a zero sender or a multicast MAC is not learned")
    func spoofingIgnored() {
        var arp = cache()
        _ = arp.send(packet(1), to: hostA, now: at(0))
        #expect(arp.receive(reply(from: hostB, mac: peerMAC), now: at(0)) == [])
        #expect(arp.receive(reply(from: .any, mac: peerMAC), now: at(0)) == [])
        #expect(arp.receive(reply(from: hostA, mac: MACAddress(0x01, 0, 0x5E, 0, 0, 1)), now: at(0)) == [])
        #expect(arp.lookup(hostA, now: at(0)) == nil)
    }

    @Test("the start-up announcement is a broadcast request for our own address (RFC 5227)")
    func announcement() {
        #expect(cache().announcement == .send(
            ARPPacket(operation: .request, senderHardware: ourMAC, senderProtocol: hostB, targetHardware: .zero, targetProtocol: hostB),
            to: .broadcast))
    }

    func request(from ip: IPv4Address, mac: MACAddress) -> ARPPacket {
        ARPPacket(operation: .request, senderHardware: mac, senderProtocol: ip, targetHardware: .zero, targetProtocol: hostB)
    }

    func limited(_ entries: Int) -> ARPCache {
        var configuration = ARPCache.Configuration()
        configuration.entryLimit = entries
        return ARPCache(interface: IPv4Prefix(address: hostB, length: 16), mac: ourMAC, configuration: configuration)
    }

    @Test("a request from a sender off our network is neither answered nor learnt, and counted (Linux's arp_ignore=2)")
    func offLinkSendersAreNotLearnt() {
        var arp = cache()
        let stranger = IPv4Address(192, 0, 2, 7)
        let actions = arp.receive(request(from: stranger, mac: peerMAC), now: at(0))
        #expect(actions.isEmpty)
        #expect(arp.lookup(stranger, now: at(0.1)) == nil)
        #expect(arp.count == 0 && arp.offLinkSenders == 1)
        // Our network's own broadcast and network addresses are no hosts either.
        _ = arp.receive(request(from: IPv4Address(10, 0, 0, 255), mac: peerMAC), now: at(0))
        _ = arp.receive(request(from: IPv4Address(10, 0, 0, 0), mac: peerMAC), now: at(0))
        #expect(arp.count == 0)
    }

    @Test("forged senders flooding requests for us never pass the entry limit, and hosts we resolved or wait for stay")
    func floodStaysBounded() {
        var arp = limited(8)
        // A host we resolved, and one we are resolving.
        _ = arp.send(packet(1), to: hostA, now: at(0))
        _ = arp.receive(reply(from: hostA, mac: peerMAC), now: at(0))
        let waitedFor = IPv4Address(10, 0, 99, 9)
        #expect(arp.send(packet(2), to: waitedFor, now: at(0)) == [.request(waitedFor)])
        for index in 0..<10_000 {
            let forged = IPv4Address(10, 0, UInt8(1 + index / 250), UInt8(1 + index % 250))
            let answered = arp.receive(request(from: forged, mac: MACAddress(0x02, 0xAA, 0, 0, UInt8(index / 256 % 256), UInt8(index % 256))), now: at(0.5))
            #expect(answered.count == 1, "each request for us is still answered")
            #expect(arp.count <= 8)
        }
        #expect(arp.count == 8)
        #expect(arp.evictedEntries == 10_000 - 6)
        #expect(arp.lookup(hostA, now: at(1)) == peerMAC)
        #expect(arp.receive(reply(from: waitedFor, mac: peerMAC), now: at(1)) == [.transmit(packet(2), to: peerMAC)])
    }

    @Test("when only hosts we resolved fill the cache, a sender that merely asks is answered but not learnt; a new resolution replaces the least recently confirmed")
    func fullOfUsedEntries() {
        var arp = limited(2)
        let hostC = IPv4Address(10, 0, 0, 3), hostD = IPv4Address(10, 0, 0, 4), hostE = IPv4Address(10, 0, 0, 5)
        for (ip, time) in [(hostA, 0.0), (hostC, 1.0)] {
            _ = arp.send(packet(1), to: ip, now: at(time))
            _ = arp.receive(reply(from: ip, mac: peerMAC), now: at(time))
        }
        #expect(arp.receive(request(from: hostD, mac: peerMAC), now: at(2)).count == 1)
        #expect(arp.lookup(hostD, now: at(2)) == nil && arp.count == 2)
        #expect(arp.send(packet(3), to: hostE, now: at(3)) == [.request(hostE)])
        #expect(arp.lookup(hostA, now: at(3)) == nil, "the least recently confirmed went")
        #expect(arp.lookup(hostC, now: at(3)) == peerMAC)
        #expect(arp.count == 2 && arp.evictedEntries == 1)
    }

    @Test("a sender learnt from its request that we then send to is kept through a flood of requests")
    func usedEntriesSurviveAFlood() {
        var arp = limited(4)
        let client = IPv4Address(10, 0, 0, 7)
        _ = arp.receive(request(from: client, mac: peerMAC), now: at(0))
        #expect(arp.use(client, now: at(0.1)) == peerMAC)
        for index in 0..<100 {
            _ = arp.receive(request(from: IPv4Address(10, 0, 1, UInt8(1 + index)), mac: MACAddress(0x02, 0xBB, 0, 0, 0, UInt8(index))), now: at(1))
        }
        #expect(arp.count == 4)
        #expect(arp.lookup(client, now: at(2)) == peerMAC)
    }

    @Test("a full cache gives up the least recently confirmed sender first, and its bookkeeping stays bounded through 100,000 new senders")
    func leastRecentlyConfirmedGoesFirst() {
        var arp = limited(64)
        let senders = (0..<64).map { IPv4Address(10, 0, 2, UInt8(1 + $0)) }
        for (index, sender) in senders.enumerated() {
            _ = arp.receive(request(from: sender, mac: peerMAC), now: at(Double(index) / 100))
        }
        // The first sender asks again and so is the most recently confirmed; the second is now the oldest.
        _ = arp.receive(request(from: senders[0], mac: peerMAC), now: at(1))
        _ = arp.receive(request(from: IPv4Address(10, 0, 3, 1), mac: peerMAC), now: at(2))
        #expect(arp.lookup(senders[0], now: at(2)) == peerMAC)
        #expect(arp.lookup(senders[1], now: at(2)) == nil)
        #expect(arp.lookup(senders[2], now: at(2)) == peerMAC)
        for index in 0..<100_000 {
            let forged = IPv4Address(10, 1, UInt8(index / 250 % 250), UInt8(1 + index % 250))
            _ = arp.receive(request(from: forged, mac: peerMAC), now: at(3 + Double(index) / 100_000))
            #expect(arp.count <= 64)
        }
        #expect(arp.heapItems <= 4 * (2 * 64 + 64), "the heaps' stale items are swept: \(arp.heapItems)")
    }

    @Test("a duplicate-address probe for our address (sender 0.0.0.0) is answered, so the prober learns it is taken (RFC 5227 2.1.1), and teaches nothing")
    func probesForOurAddressAreAnswered() {
        var arp = cache()
        let probe = ARPPacket(operation: .request, senderHardware: peerMAC, senderProtocol: .any, targetHardware: .zero, targetProtocol: hostB)
        let reply = ARPPacket(operation: .reply, senderHardware: ourMAC, senderProtocol: hostB, targetHardware: peerMAC, targetProtocol: .any)
        #expect(arp.receive(probe, now: at(0)) == [.send(reply, to: peerMAC)])
        #expect(arp.count == 0)
        let probeForAnother = ARPPacket(operation: .request, senderHardware: peerMAC, senderProtocol: .any, targetHardware: .zero, targetProtocol: hostA)
        #expect(arp.receive(probeForAnother, now: at(0)).isEmpty)
    }
}
