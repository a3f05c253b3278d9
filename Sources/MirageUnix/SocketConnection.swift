import Glibc
import MirageHostSystem
import MirageCore

/// A TCP connection of a ``SocketStack``: a connected host socket, as a ``Flow``.
///
/// The socket is nonblocking; a read or write that would block waits in the ``UnixPlatform``'s
/// epoll loop. One task may read while another writes. The connection closes its socket when
/// it is released, if ``close()`` has not.
public final class SocketConnection: Flow {
    public let remote: Endpoint
    private let platform: UnixPlatform
    // The state below is a connection's own, touched by its tasks on the scheduler's one thread,
    // and no access to it encloses another (`receiveBuffer.fill`'s closure only calls `recv`):
    // it goes without the run-time exclusivity check, as `Scheduler`'s queues do.
    /// The socket; -1 once closed.
    @exclusivity(unchecked) private var fileDescriptor: Int32
    /// Whether ``shutdownWrite()`` has been called.
    private var isWriteShutDown = false
    @exclusivity(unchecked) private var receiveBuffer = SocketReceiveBuffer()
    /// Whether the last `recv` took less than it had room for: the kernel's queue held no more
    /// data then, so the next read waits for epoll's edge instead of first asking `recv` for an
    /// `EAGAIN`, as nginx does with edge-triggered epoll. Data that came in between raised an
    /// edge of its own, so nothing is missed; the end of the stream may already be queued behind
    /// the data without a new edge, so once epoll has reported the peer's close the next read
    /// asks `recv` again.
    @exclusivity(unchecked) private var drained = false

    init(platform: UnixPlatform, fileDescriptor: Int32, remote: Endpoint) {
        self.platform = platform
        self.fileDescriptor = fileDescriptor
        self.remote = remote
    }

    deinit { release() }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { fileDescriptor < 0 }

    /// Waits for data and returns what has arrived, up to 64 KiB; returns nil once the peer has
    /// closed its side and everything before has been read. The corresponding C function is `recv`.
    /// - Throws: ``FlowError/closed`` after ``close()`` (also when it is called during the wait),
    ///   ``FlowError/reset`` when the peer reset the connection, ``FlowError/timedOut`` when the
    ///   kernel gave up on it, ``FlowError/io(code:)`` for any other error number.
    public func read() async throws(FlowError) -> PacketBuffer? {
        while true {
            guard fileDescriptor >= 0 else { throw .closed }
            let fd = fileDescriptor
            if drained, !platform.hasHungUp(fd) {
                drained = false
                await platform.waitUntilReadable(fd)
                continue
            }
            do throws(ErrorNumber) {
                let data = try receiveBuffer.fill { bytes throws(ErrorNumber) in try SystemCall.receive(fd, into: bytes) }
                drained = !data.isEmpty && data.count < SocketReceiveBuffer.capacity
                return data.isEmpty ? nil : data
            } catch where error.wouldBlock {
                await platform.waitUntilReadable(fd)
            } catch {
                throw FlowError(error)
            }
        }
    }

    /// Sends all of `data`, waiting while the kernel's send buffer is full. The corresponding C
    /// function is `send` (with `MSG_NOSIGNAL`: a connection that is gone is an error, not a
    /// signal).
    /// - Throws: ``FlowError/closed`` after ``shutdownWrite()`` or ``close()``,
    ///   ``FlowError/reset`` when the peer reset the connection (`ECONNRESET` or `EPIPE`),
    ///   ``FlowError/io(code:)`` for any other error number. Part of `data` may have been sent.
    public func write(_ data: PacketBuffer) async throws(FlowError) {
        guard fileDescriptor >= 0, !isWriteShutDown else { throw .closed }
        var offset = 0
        while offset < data.count {
            guard fileDescriptor >= 0, !isWriteShutDown else { throw .closed }
            let fd = fileDescriptor
            do throws(ErrorNumber) {
                offset += try data.withUnsafeBytes { bytes throws(ErrorNumber) in
                    try SystemCall.send(fd, UnsafeRawBufferPointer(rebasing: bytes[offset...]))
                }
            } catch where error.wouldBlock {
                await platform.waitUntilWritable(fd)
            } catch {
                throw FlowError(error)
            }
        }
    }

    /// Closes this side for writing: the peer reads the end of the stream after the data sent
    /// before, and reading goes on here. Doing it twice, or after ``close()``, does nothing. The
    /// corresponding C function is `shutdown` (`SHUT_WR`).
    public func shutdownWrite() async {
        guard fileDescriptor >= 0, !isWriteShutDown else { return }
        isWriteShutDown = true
        SystemCall.shutdownWrite(fileDescriptor)
    }

    /// Closes the socket: the kernel still sends what was written, then ends the stream (or resets
    /// the connection when received data was left unread). Tasks waiting in ``read()`` or
    /// ``write(_:)`` throw ``FlowError/closed``. Closing twice does nothing. The corresponding C
    /// function is `close`.
    public func close() async {
        release()
    }

    /// Resets the connection (RST, RFC 9293 section 3.10.5) and closes the socket: what was not
    /// sent is dropped. The corresponding C functions are `setsockopt` (`SO_LINGER`, zero) and
    /// `close`.
    public func abort() async {
        guard fileDescriptor >= 0 else { return }
        SystemCall.resetOnClose(fileDescriptor)
        release()
    }

    private func release() {
        guard fileDescriptor >= 0 else { return }
        SystemCall.closeSocket(fileDescriptor, on: platform)
        fileDescriptor = -1
    }
}
