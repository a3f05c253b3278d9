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

    public func close() {
        stack.core.unbindUDP(port: port)
        stack.requestFlush()
    }
}
