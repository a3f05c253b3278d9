import MirageCore
@testable import MirageNet
import Testing

/// Issue 13, class 2: the receive side counts memory, not payload. Segments arrive as a real
/// device hands them over: the payload is a slice of a frame-sized buffer.
@Suite("TCP receive memory: charged at real size, small segments gathered, the window follows memory")
struct TCPConnectionReceiveMemoryTests {
    /// A segment from the peer whose payload sits in a 2 KiB frame buffer behind 66 octets of
    /// headers, as a tap or hvt device delivers it.
    func framed(seq: UInt32, count: Int, window: UInt16 = 65535, flags: TCPFlags = [.ack, .psh]) -> TCPSegment {
        var segment = ScriptPeer.data(seq: seq, count: count, window: window, flags: flags)
        var frame = PacketBuffer(capacity: 2048, headroom: 64)
        frame.append(contentsOf: [UInt8](repeating: 0, count: 66) + segment.payload.bytes)
        segment.payload = frame.slice(66..<66 + count)
        return segment
    }

    @Test("20,000 one-octet segments the application does not read cost about an octet each, not a frame buffer")
    func oneOctetSegments() {
        var tcp = TCPScript.established(peerOptions: ScriptPeer.options(mss: 1460, windowScale: 7))
        var time = 1.0
        for index in 0..<20_000 {
            if index % 1000 == 0 { time += 0.01 }
            _ = tcp.receive(framed(seq: ScriptPeer.iss + 1 + UInt32(index), count: 1), at: time)
        }
        let connection = tcp.connection
        #expect(connection.readableCount == 20_000)
        // Five 4 KiB gathering buffers and the first segment as it came: under 2 octets per octet.
        #expect(connection.receiveMemoryCharged < 2 * 20_000, "charged \(connection.receiveMemoryCharged)")
        #expect(connection.receiveMemoryCharged <= connection.configuration.receiveMemoryLimit)
        #expect(tcp.read(at: time + 1).data == scriptBytes(20_000))
        #expect(tcp.connection.receiveMemoryCharged == 0)
    }

    @Test("with a 64 KiB memory limit the window shrinks with memory, not with the 1 MiB buffer, and data past it is not kept")
    func windowFollowsMemory() {
        var configuration = TCPConfiguration()
        configuration.receiveMemoryLimit = 64 * 1024
        var tcp = TCPScript.established(peerOptions: ScriptPeer.options(mss: 1460), configuration: configuration)
        var sequence = ScriptPeer.iss + 1
        var time = 1.0
        var lastWindow = Int.max
        // Full segments, unread, and more than the window allows (the peer ignores it): memory
        // never passes the limit, and the window closes.
        for _ in 0..<200 {
            time += 0.001
            let answer = tcp.receive(framed(seq: sequence, count: 1460), at: time)
            #expect(tcp.connection.receiveMemoryCharged <= configuration.receiveMemoryLimit)
            sequence &+= 1460
            if let window = answer.last.map({ Int($0.header.window) }) { lastWindow = window }
        }
        #expect(lastWindow < 1460, "window \(lastWindow)")
        #expect(tcp.connection.readableCount < configuration.receiveMemoryLimit)
        // Reading frees the memory and reopens the window.
        let read = tcp.read(at: time + 1)
        #expect(!read.data.isEmpty && tcp.connection.receiveMemoryCharged == 0)
        #expect(tcp.connection.receiveSpace == (configuration.receiveMemoryLimit - ReceiveQueue.largestCharge) / 2)
        #expect(!read.sent.isEmpty) // a window update
    }

    @Test("a segment inside the window but past the stack's memory allowance is dropped and counted, out-of-order data first")
    func allowanceDrops() {
        var tcp = TCPScript.established(peerOptions: ScriptPeer.options(mss: 1460, sackPermitted: true))
        // Out of order, then the stack's budget shrinks under the connection (others filled it).
        _ = tcp.receive(framed(seq: ScriptPeer.iss + 1 + 1460, count: 1460), at: 1)
        #expect(tcp.connection.receiveQueue.outOfOrder.count == 1)
        tcp.setReceiveMemoryAllowance(tcp.connection.receiveMemoryCharged + 100)
        // More out-of-order data: no room, dropped.
        _ = tcp.receive(framed(seq: ScriptPeer.iss + 1 + 2920, count: 1460), at: 1.01)
        #expect(tcp.statistics.receiveMemoryDrops == 1)
        // In-order data: the out-of-order run goes to make room, still not enough: dropped too.
        _ = tcp.receive(framed(seq: ScriptPeer.iss + 1, count: 1460), at: 1.02)
        #expect(tcp.statistics.receiveMemoryDrops == 2)
        #expect(tcp.connection.receiveQueue.outOfOrder.isEmpty && tcp.connection.readableCount == 0)
        #expect(tcp.connection.receiveMemoryCharged == 0)
        // Room again: the retransmission is taken.
        tcp.setReceiveMemoryAllowance(.max)
        _ = tcp.receive(framed(seq: ScriptPeer.iss + 1, count: 1460), at: 1.2)
        #expect(tcp.connection.readableCount == 1460)
    }

    @Test("tiny out-of-order segments are copied out of their frames: 64 runs at most, charged at their own size")
    func outOfOrderTiny() {
        var tcp = TCPScript.established(peerOptions: ScriptPeer.options(mss: 1460, sackPermitted: true))
        for index in 0..<1000 {
            _ = tcp.receive(framed(seq: ScriptPeer.iss + 2 + 2 * UInt32(index), count: 1), at: 1 + Double(index) * 0.0001)
        }
        let held = tcp.connection.receiveQueue.outOfOrder
        #expect(held.count == ReceiveQueue.outOfOrderLimit)
        #expect(held.allSatisfy { $0.data.trueSize == 1 + PacketBuffer.storageOverhead })
        #expect(tcp.connection.receiveMemoryCharged
            == ReceiveQueue.outOfOrderLimit * (1 + PacketBuffer.storageOverhead + MemoryLayout<ReceiveQueue.OutOfOrder>.stride))
    }
}
