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

    /// A datagram of `count` payload bytes from 10.0.0.1:5000 to port 7, in a buffer of its own
    /// size, with a zero checksum (none, RFC 768).
    func datagram(_ count: Int) -> PacketBuffer {
        let length = 8 + count
        return PacketBuffer([0x13, 0x88, 0, 7, UInt8(length >> 8), UInt8(length & 0xFF), 0, 0] + [UInt8](repeating: 0x61, count: count))
    }

    @Test("the queue is bounded by memory too: 64 KiB datagrams stop at the 256 KiB limit however few; a one-byte datagram in a frame buffer is copied out and charged small")
    func boundedByMemory() throws {
        var table = UDPPortTable(queueLimit: 256)
        try table.bind(7)
        let big = IPv4Header(totalLength: UInt16(20 + 8 + 65000), protocol: .udp, source: hostA, destination: hostB)
        var queued = 0
        while table.receive(datagram(65000), from: big) == .queued(port: 7) { queued += 1 }
        #expect(queued == 4) // a fifth (65,008 bytes and overhead each) would pass 256 KiB
        while table.nextDatagram(on: 7) != nil {}
        // One payload byte at the end of a 2 KiB frame buffer.
        var frame = PacketBuffer(capacity: 2048)
        frame.append(contentsOf: [UInt8](repeating: 0, count: 34) + datagram(1).bytes)
        let small = IPv4Header(totalLength: UInt16(20 + 9), protocol: .udp, source: hostA, destination: hostB)
        var smallQueued = 0
        while smallQueued < 256, table.receive(frame.slice(34..<frame.count), from: small) == .queued(port: 7) { smallQueued += 1 }
        #expect(smallQueued == 256, "one-byte datagrams are charged their own size, so the count limit is reached first")
        #expect(table.nextDatagram(on: 7)?.payload.trueSize == 1 + PacketBuffer.storageOverhead)
    }

    @Test("a short frame's datagram is queued in the frame's buffer, charged at its real size; one in a larger buffer is copied out")
    func shortFrameKept() throws {
        var table = UDPPortTable(queueLimit: 4)
        try table.bind(7)
        let header = IPv4Header(totalLength: UInt16(20 + 8 + 40), protocol: .udp, source: hostA, destination: hostB)
        // A DNS query as a device hands it up: 64 octets of headroom and the frame's 82, as the
        // tap device copies a short frame into a buffer of its own.
        func frame(capacity: Int) -> PacketBuffer {
            var buffer = PacketBuffer(capacity: capacity, headroom: 64)
            buffer.append(contentsOf: [UInt8](repeating: 0, count: 34) + datagram(40).bytes)
            return buffer.slice(34..<buffer.count)
        }
        let short = frame(capacity: 64 + 82)
        #expect(table.receive(short, from: header) == .queued(port: 7))
        let next = table.nextDatagram(on: 7)
        let kept = try #require(next)
        #expect(kept.payload.trueSize == short.trueSize && kept.payload.bytes == [UInt8](repeating: 0x61, count: 40))
        #expect(table.receive(frame(capacity: 2048), from: header) == .queued(port: 7))
        #expect(table.nextDatagram(on: 7)?.payload.trueSize == 40 + PacketBuffer.storageOverhead)
        #expect(table.chargedBytes == 0)
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
