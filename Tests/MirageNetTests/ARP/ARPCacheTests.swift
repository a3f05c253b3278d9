import MirageCore
import MirageNet
import Testing

@Suite("ARP cache and resolver")
struct ARPCacheTests {
    let ourMAC = MACAddress(0x02, 0, 0, 0, 0, 2)
    let peerMAC = MACAddress(0x02, 0, 0, 0, 0, 1)

    func cache() -> ARPCache { ARPCache(address: hostB, mac: ourMAC) }
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
}
