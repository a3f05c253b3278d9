import MirageCore
import MirageRuntime

/// A listening port of a ``DirectStack``.
public final class DirectTCPListener<Device: NetworkDevice, Clock: MonotonicClock>: TCPListener {
    let stack: DirectStack<Device, Clock>
    public let port: UInt16

    init(stack: DirectStack<Device, Clock>, port: UInt16) {
        self.stack = stack
        self.port = port
    }

    public func accept() async throws(FlowError) -> DirectTCPConnection<Device, Clock> {
        while true {
            if let id = stack.core.accept(port: port) { return DirectTCPConnection(stack: stack, id: id) }
            guard stack.core.isListening(port: port) else { throw .closed }
            await stack.waitForListener(port)
        }
    }

    public func close() {
        stack.core.closeListener(port: port, now: stack.clock.now())
        stack.requestFlush()
    }
}
