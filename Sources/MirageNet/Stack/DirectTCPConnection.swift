import MirageCore
import MirageRuntime

/// A TCP connection of a ``DirectStack``, as a ``Flow``.
public final class DirectTCPConnection<Device: NetworkDevice, Clock: MonotonicClock>: Flow {
    let stack: DirectStack<Device, Clock>
    public let id: ConnectionID
    /// Where the stack's table held the connection when last asked (``StackCore/readIfReadable(from:slotHint:maximum:now:into:)``).
    private var slotHint = 0
    private var released = false

    init(stack: DirectStack<Device, Clock>, id: ConnectionID) {
        self.stack = stack
        self.id = id
    }

    deinit {
        if !released {
            stack.core.release(id, now: stack.clock.now())
            stack.requestFlush()
        }
    }

    public var remote: Endpoint { id.remote }

    /// The connection's state machine, for tests and statistics.
    public var state: TCPConnection? { stack.core.connection(id) }

    /// - Throws: ``FlowError/closed`` as well once this side closed the flow, also for a read
    ///   that was waiting when another task closed it.
    public func read() async throws(FlowError) -> PacketBuffer? {
        while true {
            var data: PacketBuffer?
            guard !released, let tcp = stack.core.readIfReadable(from: id, slotHint: &slotHint, maximum: Int.max, now: stack.clock.now(), into: &data) else {
                throw .closed
            }
            if tcp.readableCount > 0 {
                await stack.flush()
                return data
            }
            if tcp.isAtEndOfStream { return nil }
            if let error = tcp.error { throw error }
            if tcp.state == .closed { throw .closed }
            await stack.changeQueue(of: id, slotHint: &slotHint)?.wait()
        }
    }

    public func write(_ data: PacketBuffer) async throws(FlowError) {
        var remaining = data
        while !remaining.isEmpty {
            // With data in flight and a device that segments, writes gather until the writer
            // waits or the round ends, then leave as large segments (corked).
            guard !released, let attempt = stack.core.writeIfOpen(remaining, to: id, slotHint: &slotHint, now: stack.clock.now()) else { throw .closed }
            let tcp = attempt.status
            if let error = tcp.error { throw error }
            guard tcp.state == .established || tcp.state == .closeWait else { throw .closed }
            if tcp.sendSpace > 0 {
                remaining.removeFirst(attempt.accepted)
                if attempt.corked { stack.cork(id) } else { await stack.flush() }
            } else {
                await stack.changeQueue(of: id, slotHint: &slotHint)?.wait()
            }
        }
    }

    public func shutdownWrite() async {
        stack.core.shutdownWrite(id, now: stack.clock.now())
        await stack.flush()
    }

    public func close() async {
        guard !released else { return }
        released = true
        stack.core.release(id, now: stack.clock.now())
        await stack.flush()
    }

    /// Resets the connection (RFC 9293 section 3.10.5).
    public func abort() async {
        guard !released else { return }
        released = true
        stack.core.abort(id, now: stack.clock.now())
        await stack.flush()
    }
}
