import Glibc
import MirageHostSystem
import MirageCore

/// A bound UDP socket of a ``SocketStack``.
///
/// Each ``receive()`` is one datagram, whole. The ``Datagram/destination`` of a received datagram
/// is the address and port the socket is bound to (``local``), which for a socket bound to all
/// addresses is `0.0.0.0`, not the address the sender used.
public final class SocketUDPSocket: UDPSocket {
    /// The bound address and port (the port the kernel chose when
    /// ``SocketStack/bind(port:)`` was given port 0).
    public let local: Endpoint
    private let platform: UnixPlatform
    /// The socket; -1 once closed.
    private var fileDescriptor: Int32
    private var receiveBuffer = SocketReceiveBuffer()

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

    /// Waits for the next datagram to this socket. The corresponding C function is `recvfrom`.
    /// - Throws: ``FlowError/closed`` after ``close()`` (also when it is called during the wait);
    ///   ``FlowError/io(code:)`` with the error number otherwise.
    public func receive() async throws(FlowError) -> Datagram {
        while true {
            guard fileDescriptor >= 0 else { throw .closed }
            let fd = fileDescriptor
            var source = SocketAddress(IPv4Address.any, port: 0)
            do throws(ErrorNumber) {
                let payload = try receiveBuffer.fill { bytes throws(ErrorNumber) in
                    let (count, sender) = try SystemCall.receiveFrom(fd, into: bytes)
                    source = sender
                    return count
                }
                return Datagram(source: source.endpoint, destination: local, payload: payload)
            } catch where error.wouldBlock {
                await platform.waitUntilReadable(fd)
            } catch {
                throw FlowError(error)
            }
        }
    }

    /// Sends `payload` as one datagram to `destination`, waiting while the kernel's send buffer
    /// is full. The corresponding C function is `sendto`.
    /// - Throws: ``FlowError/unreachable`` when the host has no route; ``FlowError/closed`` after ``close()``;
    ///   ``FlowError/io(code:)`` with the error number otherwise, such as `EMSGSIZE` for a
    ///   payload longer than a UDP datagram holds, or `EACCES` for a broadcast destination.
    public func send(_ payload: PacketBuffer, to destination: Endpoint) async throws(FlowError) {
        let address = SocketAddress(destination)
        while true {
            guard fileDescriptor >= 0 else { throw .closed }
            let fd = fileDescriptor
            do throws(ErrorNumber) {
                try payload.withUnsafeBytes { bytes throws(ErrorNumber) in try SystemCall.sendTo(fd, bytes, to: address) }
                return
            } catch where error.wouldBlock {
                await platform.waitUntilWritable(fd)
            } catch {
                throw FlowError(error)
            }
        }
    }

    /// Releases the port. Tasks waiting in ``receive()`` or ``send(_:to:)`` throw
    /// ``FlowError/closed``. Closing twice does nothing. The corresponding C function is `close`.
    public func close() {
        guard fileDescriptor >= 0 else { return }
        SystemCall.closeSocket(fileDescriptor, on: platform)
        fileDescriptor = -1
    }
}
