import Glibc
import MirageHostSystem
import MirageCore

/// A bound UDP socket of a ``SocketStack``.
///
/// Each ``receive()`` is one datagram, whole. The ``Datagram/destination`` of a received datagram
/// is the address and port the socket is bound to (``local``), which for a socket bound to all
/// addresses is `0.0.0.0`, not the address the sender used.
///
/// Datagrams go through the kernel in batches (issue 18's batched system calls): one `recvmmsg`
/// receives up to 16 waiting datagrams (``DatagramReceiveBatch``), and while some of them are
/// still to be handed out, the application is answering a burst, so what it sends is kept
/// (``DatagramSendBatch``, 16 at most) and goes out in one `sendmmsg`: when the burst has been
/// read, when 16 wait, or at the end of the scheduler's round, whichever comes first. A datagram
/// sent outside a burst goes out at once, as before.
public final class SocketUDPSocket: UDPSocket {
    /// The bound address and port (the port the kernel chose when
    /// ``SocketStack/bind(port:)`` was given port 0).
    public let local: Endpoint
    /// Datagrams ``send(_:to:)`` accepted in a burst that the kernel then refused (no route, a
    /// broadcast address), or had no room for at the end of a round: dropped, as a router drops
    /// what it cannot forward, and counted here.
    @exclusivity(unchecked) public private(set) var unsentDatagrams = 0
    private let platform: UnixPlatform
    /// The socket; -1 once closed. It and the flag below are touched only on the scheduler's
    /// thread, no access enclosing another: no run-time exclusivity check on every datagram.
    @exclusivity(unchecked) private var fileDescriptor: Int32
    private let incoming = DatagramReceiveBatch()
    private let outgoing = DatagramSendBatch()
    /// Whether the platform will send the waiting datagrams at the end of this round.
    @exclusivity(unchecked) private var flushScheduled = false
    /// Whether a datagram of the burst is being answered in ``withDatagramIfReady(_:)``: its
    /// answer goes with the burst's even when it was the last of the batch (the next
    /// ``receive()``, or the round's end, sends them).
    @exclusivity(unchecked) private var answering = false

    /// The longest payload kept for a batch: the longest UDP datagram over IPv4 (65,535 bytes
    /// less the IPv4 and UDP headers). A longer one is sent at once, so that the kernel's
    /// `EMSGSIZE` reaches its sender.
    static let longestBatchedPayload = 65_507

    init(platform: UnixPlatform, fileDescriptor: Int32, local: Endpoint) {
        self.platform = platform
        self.fileDescriptor = fileDescriptor
        self.local = local
    }

    deinit { close() }

    /// The bound port.
    public var port: UInt16 { local.port }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { fileDescriptor < 0 }

    /// Waits for the next datagram to this socket. The corresponding C function is `recvmmsg`.
    /// - Throws: ``FlowError/closed`` after ``close()`` (also when it is called during the wait);
    ///   ``FlowError/io(code:)`` with the error number otherwise.
    public func receive() async throws(FlowError) -> Datagram {
        while true {
            guard fileDescriptor >= 0 else { throw .closed }
            if let (payload, source) = incoming.next() {
                return Datagram(source: source.endpoint, destination: local, payload: payload)
            }
            // The burst has been read: its answers go out before more is read.
            if outgoing.count > 0 { await sendWaiting() }
            guard fileDescriptor >= 0 else { throw .closed }
            do throws(ErrorNumber) {
                try incoming.receive(from: fileDescriptor)
            } catch where error.wouldBlock {
                await platform.waitUntilReadable(fileDescriptor)
            } catch {
                throw FlowError(error)
            }
        }
    }

    /// The next datagram of the batch last received, if any is left; nil when the batch has been
    /// read (then ``receive()`` sends the burst's answers and reads the next batch).
    /// - Throws: ``FlowError/closed`` after ``close()``.
    public func receiveIfReady() throws(FlowError) -> Datagram? {
        guard fileDescriptor >= 0 else { throw .closed }
        guard let (payload, source) = incoming.next() else { return nil }
        return Datagram(source: source.endpoint, destination: local, payload: payload)
    }

    /// Runs `body` on the next datagram of the batch last received, its bytes where `recvmmsg`
    /// put them: no buffer is made for it. False, and `body` not run, when the batch has been read.
    /// An answer `body` sends with ``sendIfReady(count:to:writing:)`` goes out with the burst's.
    /// - Throws: ``FlowError/closed`` after ``close()``.
    public func withDatagramIfReady(_ body: (_ payload: UnsafeRawBufferPointer, _ source: Endpoint) -> Void) throws(FlowError) -> Bool {
        guard fileDescriptor >= 0 else { throw .closed }
        return incoming.withNext { payload, source in
            answering = true
            body(payload, source.endpoint)
            answering = false
        }
    }

    /// Keeps a datagram of `count` bytes to go out with the burst's other answers, written by
    /// `write` into the send batch (no buffer of its own), as ``sendIfReady(_:to:)`` keeps one;
    /// false, and `write` not run, outside a burst, when the batch is full, or for a datagram
    /// longer than a slot of the batch (4 KiB).
    /// - Throws: ``FlowError/closed`` after ``close()``.
    public func sendIfReady(count: Int, to destination: Endpoint, writing write: (UnsafeMutableRawBufferPointer) -> Void) throws(FlowError) -> Bool {
        guard fileDescriptor >= 0 else { throw .closed }
        guard answering || !incoming.isEmpty, outgoing.room > 1, count <= DatagramSendBatch.slotSize else { return false }
        outgoing.append(count: count, to: SocketAddress(destination), writing: write)
        scheduleFlush()
        return true
    }

    /// Keeps `payload` to go out with the burst's other answers, as ``send(_:to:)`` does in a
    /// burst; false outside a burst, when the batch is full, or for a payload too long to keep:
    /// then ``send(_:to:)`` sends it at once.
    /// - Throws: ``FlowError/closed`` after ``close()``.
    public func sendIfReady(_ payload: PacketBuffer, to destination: Endpoint) throws(FlowError) -> Bool {
        guard fileDescriptor >= 0 else { throw .closed }
        guard !incoming.isEmpty, outgoing.room > 1, payload.count <= Self.longestBatchedPayload else {
            return false
        }
        outgoing.append(payload, to: SocketAddress(destination))
        scheduleFlush()
        return true
    }

    /// Sends `payload` as one datagram to `destination`, waiting while the kernel's send buffer
    /// is full. The corresponding C function is `sendmmsg`.
    ///
    /// In a burst (received datagrams still to be handed out) the datagram is kept to go out with
    /// the others and this returns at once; a refusal found then is counted in
    /// ``unsentDatagrams``, not thrown.
    /// - Throws: ``FlowError/unreachable`` when the host has no route; ``FlowError/closed`` after ``close()``;
    ///   ``FlowError/io(code:)`` with the error number otherwise, such as `EMSGSIZE` for a
    ///   payload longer than a UDP datagram holds, or `EACCES` for a broadcast destination.
    public func send(_ payload: consuming PacketBuffer, to destination: Endpoint) async throws(FlowError) {
        while outgoing.isFull {
            guard fileDescriptor >= 0 else { throw .closed }
            await sendWaiting()
        }
        guard fileDescriptor >= 0 else { throw .closed }
        outgoing.append(payload, to: SocketAddress(destination))
        if !incoming.isEmpty, !outgoing.isFull, payload.count <= Self.longestBatchedPayload {
            scheduleFlush()
            return
        }
        while true {
            guard fileDescriptor >= 0 else { throw .closed }
            let outcome = outgoing.send(from: fileDescriptor)
            unsentDatagrams += outcome.failed - (outcome.lastFailure == nil ? 0 : 1)
            if let failure = outcome.lastFailure { throw FlowError(failure) }
            guard outcome.wouldBlock else { return }
            await platform.waitUntilWritable(fileDescriptor)
        }
    }

    /// Has the platform send the waiting datagrams at the end of this round, once.
    private func scheduleFlush() {
        guard !flushScheduled else { return }
        flushScheduled = true
        platform.atRoundEnd { [weak self] in self?.sendAtRoundEnd() }
    }

    /// Sends the waiting datagrams, waiting while the send buffer is full; refusals are counted.
    private func sendWaiting() async {
        while fileDescriptor >= 0 {
            let outcome = outgoing.send(from: fileDescriptor)
            unsentDatagrams += outcome.failed
            guard outcome.wouldBlock else { return }
            await platform.waitUntilWritable(fileDescriptor)
        }
    }

    /// The end of a round: sends what the burst left waiting; what the send buffer has no room
    /// for is dropped and counted, as the round cannot wait.
    private func sendAtRoundEnd() {
        flushScheduled = false
        guard fileDescriptor >= 0, outgoing.count > 0 else { return }
        let outcome = outgoing.send(from: fileDescriptor)
        unsentDatagrams += outcome.failed
        if outcome.wouldBlock { unsentDatagrams += outgoing.dropUnsent() }
    }

    /// Releases the port, after sending what waits to be sent (without waiting for room). Tasks
    /// waiting in ``receive()`` or ``send(_:to:)`` throw ``FlowError/closed``. Closing twice does
    /// nothing. The corresponding C function is `close`.
    public func close() {
        guard fileDescriptor >= 0 else { return }
        sendAtRoundEnd()
        SystemCall.closeSocket(fileDescriptor, on: platform)
        fileDescriptor = -1
    }
}
