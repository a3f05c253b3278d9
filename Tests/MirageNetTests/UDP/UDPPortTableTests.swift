import MirageCore
import MirageNet
import Testing

@Suite("UDP port table (RFC 768, RFC 1122 section 4.1.3)")
struct UDPPortTableTests {
    /// The IPv4 header the golden datagram 10.0.0.1:5000 -> 10.0.0.2:7 comes under.
    let header = IPv4Header(totalLength: UInt16(20 + goldenUDP.count), protocol: .udp, source: hostA, destination: hostB)

    @Test("a datagram to a bound port is queued and read back with its endpoints and payload, once")
    func queuedThenRead() throws {
        var table = UDPPortTable(queueLimit: 4)
        try table.bind(7)
        #expect(table.receive(PacketBuffer(goldenUDP), from: header) == .queued(port: 7))
        let next = table.nextDatagram(on: 7)
        let datagram = try #require(next)
        #expect(datagram.source == Endpoint(.v4(hostA), port: 5000))
        #expect(datagram.destination == Endpoint(.v4(hostB), port: 7))
        #expect(datagram.payload.bytes == Array("hello".utf8))
        #expect(table.nextDatagram(on: 7) == nil)
    }

    @Test("a datagram to a port no one bound asks for port unreachable")
    func unboundPort() {
        var table = UDPPortTable(queueLimit: 4)
        #expect(table.receive(PacketBuffer(goldenUDP), from: header) == .portUnreachable)
    }

    @Test("past the queue limit datagrams are dropped; reading makes room again, in order")
    func boundedQueue() throws {
        var table = UDPPortTable(queueLimit: 2)
        try table.bind(7)
        #expect(table.receive(PacketBuffer(goldenUDP), from: header) == .queued(port: 7))
        #expect(table.receive(PacketBuffer(goldenUDP), from: header) == .queued(port: 7))
        #expect(table.receive(PacketBuffer(goldenUDP), from: header) == .queueFull)
        #expect(table.nextDatagram(on: 7) != nil)
        #expect(table.receive(PacketBuffer(goldenUDP), from: header) == .queued(port: 7))
        #expect(table.nextDatagram(on: 7) != nil)
        #expect(table.nextDatagram(on: 7) != nil)
        #expect(table.nextDatagram(on: 7) == nil)
    }

    @Test("a bad checksum is invalid, and nothing is queued")
    func badChecksum() throws {
        var table = UDPPortTable(queueLimit: 4)
        try table.bind(7)
        var bytes = goldenUDP
        bytes[12] ^= 1
        #expect(table.receive(PacketBuffer(bytes), from: header) == .invalid(.badChecksum))
        #expect(table.nextDatagram(on: 7) == nil)
    }

    @Test("a bound port cannot be bound again; unbinding frees it and drops its queue")
    func bindAndUnbind() throws {
        var table = UDPPortTable(queueLimit: 4)
        try table.bind(7)
        #expect(throws: FlowError.addressInUse(port: 7)) { try table.bind(7) }
        #expect(table.receive(PacketBuffer(goldenUDP), from: header) == .queued(port: 7))
        table.unbind(7)
        #expect(!table.isBound(7))
        #expect(table.nextDatagram(on: 7) == nil)
        try table.bind(7)
        #expect(table.nextDatagram(on: 7) == nil)
    }
}
