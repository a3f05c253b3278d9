import Glibc
import MirageHostSystem
import MirageCore

/// A listening TCP socket of a ``SocketStack``.
public final class SocketListener: TCPListener {
    /// The port listened on (the one the kernel chose when ``SocketStack/listen(port:)`` was
    /// given port 0).
    public let port: UInt16
    private let platform: UnixPlatform
    /// The socket; -1 once closed.
    private var fileDescriptor: Int32

    init(platform: UnixPlatform, fileDescriptor: Int32, port: UInt16) {
        self.platform = platform
        self.fileDescriptor = fileDescriptor
        self.port = port
    }

    deinit { close() }

    /// Whether ``close()`` has been called.
    public var isClosed: Bool { fileDescriptor < 0 }

    /// Waits for the next established connection. The corresponding C function is `accept4`.
    ///
    /// A connection that was reset or aborted before it could be accepted (`ECONNABORTED`, and
    /// the network errors Linux passes on from a new connection, see `accept(2)`) is skipped.
    /// - Throws: ``FlowError/closed`` after ``close()`` (also when it is called during the wait);
    ///   ``FlowError/io(code:)`` with the error number otherwise, such as `EMFILE` or `ENFILE`
    ///   when no descriptor is left (the connection then stays queued, and the next call meets
    ///   it again).
    public func accept() async throws(FlowError) -> SocketConnection {
        while true {
            guard fileDescriptor >= 0 else { throw .closed }
            let fd = fileDescriptor
            do throws(ErrorNumber) {
                let (connection, peer) = try SystemCall.accept(fd)
                return SocketConnection(platform: platform, fileDescriptor: connection, remote: peer.endpoint)
            } catch where error.wouldBlock {
                await platform.waitUntilReadable(fd)
            } catch where Self.skippedErrors.contains(error.code) {
                continue
            } catch {
                throw .io(code: error.code)
            }
        }
    }

    /// The errors of `accept4` that concern only the connection being accepted (`accept(2)`,
    /// "Error handling").
    private static let skippedErrors: Set<Int32> = [
        ECONNABORTED, EPROTO, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET, EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH,
    ]

    /// Stops listening; connections not yet accepted are reset. Tasks waiting in ``accept()``
    /// throw ``FlowError/closed``. Closing twice does nothing. The corresponding C function is
    /// `close`.
    public func close() {
        guard fileDescriptor >= 0 else { return }
        SystemCall.closeSocket(fileDescriptor, on: platform)
        fileDescriptor = -1
    }
}
