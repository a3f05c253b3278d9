import MirageCore
import MirageRuntime

/// A bound UDP port of a ``DirectStack``.
public final class DirectUDPSocket<Device: NetworkDevice, Clock: MonotonicClock>: UDPSocket {
    let stack: DirectStack<Device, Clock>
    public let port: UInt16

    init(stack: DirectStack<Device, Clock>, port: UInt16) {
        self.stack = stack
        self.port = port
    }

    public func receive() async throws(FlowError) -> Datagram {
        while true {
            if let datagram = stack.core.receiveUDP(port: port) { return datagram }
            guard stack.core.isBound(udpPort: port) else { throw .closed }
            await stack.waitForDatagram(port)
        }
    }

    /// The next datagram the stack holds for this port, if any.
    /// - Throws: ``FlowError/closed`` once the port is closed.
    public func receiveIfReady() throws(FlowError) -> Datagram? {
        if let datagram = stack.core.receiveUDP(port: port) { return datagram }
        guard stack.core.isBound(udpPort: port) else { throw .closed }
        return nil
    }

    public func send(_ payload: consuming PacketBuffer, to destination: Endpoint) async throws(FlowError) {
        try stack.core.sendUDP(consume payload, from: port, to: destination.address, port: destination.port, now: stack.clock.now())
        await stack.flush()
    }

    /// Sends a datagram of `count` bytes that `write` fills, in a buffer with room for the
    /// stack's headers in front, as ``send(_:to:)`` would, with no task frame: the frame goes to
    /// the device at once when the device has room, else at the timer task's next flush. False,
    /// and `write` not run, while earlier frames wait for the device (then ``send(_:to:)``
    /// waits with them).
    /// - Throws: ``FlowError/closed`` once the port is closed; as ``send(_:to:)`` otherwise.
    public func sendIfReady(count: Int, to destination: Endpoint, writing write: (UnsafeMutableRawBufferPointer) -> Void) throws(FlowError) -> Bool {
        guard stack.core.isBound(udpPort: port) else { throw .closed }
        guard !stack.isTransmitBlocked else { return false }
        var datagram = PacketBuffer(capacity: Self.headroom + count, headroom: Self.headroom)
        datagram.append(upTo: count) { bytes in
            write(bytes)
            return count
        }
        try stack.core.sendUDP(consume datagram, from: port, to: destination.address, port: destination.port, now: stack.clock.now())
        if !stack.flushIfReady() { stack.requestFlush() }
        return true
    }

    /// Room for the headers in front of a datagram: Ethernet's 14 octets, with an 802.1Q tag 18,
    /// and IPv6's 40 and UDP's 8 (``StackCore/sendUDP(_:from:to:port:now:)`` copies a payload
    /// with less than 64).
    static var headroom: Int { 64 }

    public func close() {
        stack.core.unbindUDP(port: port)
        stack.requestFlush()
    }
}
