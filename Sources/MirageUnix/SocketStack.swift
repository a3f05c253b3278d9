import Glibc
import MirageHostSystem
import MirageCore

/// TCP and UDP over the host's sockets (`configure --net=socket`; MirageOS's `Tcpip_stack_socket`).
///
/// It implements ``TCPStack`` and ``UDPStack`` as MirageNet's `DirectStack` does, so an application runs on
/// either; here the host kernel does TCP and UDP, and the unikernel uses the host's addresses
/// and routes. Every socket is nonblocking and waits in the ``UnixPlatform``'s epoll loop, so the
/// stack suits that platform's single-threaded scheduler and no other.
///
/// Its sockets speak IPv4 and IPv6 alike (`AF_INET6` with IPv4 mapped, ``SocketAddress``): a
/// listener on all addresses takes both; link-local IPv6 peers need a zone the stack does not
/// take, so they are not reachable through it. TCP keeps the kernel's defaults (Nagle's algorithm on, as in our
/// direct stack).
public final class SocketStack: TCPStack, UDPStack {
    public typealias Connection = SocketConnection
    public typealias Listener = SocketListener
    public typealias Socket = SocketUDPSocket

    /// The platform whose epoll loop waits for the sockets.
    public let platform: UnixPlatform
    /// The local address listeners and UDP sockets are bound to; `0.0.0.0` for all, IPv4 and
    /// IPv6.
    public let address: IPv4Address

    /// Connections established but not yet accepted, per listener (the `backlog` of `listen`).
    public static let listenBacklog: Int32 = 128

    /// Creates the stack.
    /// - Parameters:
    ///   - platform: the platform whose epoll loop waits for the sockets.
    ///   - address: the local address to bind listeners and UDP sockets to; all by default.
    public init(platform: UnixPlatform, address: IPv4Address = .any) {
        self.platform = platform
        self.address = address
    }

    // MARK: TCPStack

    /// Starts listening on `port` of ``address``. The socket has `SO_REUSEADDR`, so a port whose
    /// old connections linger in TIME-WAIT can be listened on again at once; port 0 lets the
    /// kernel choose (see ``SocketListener/port``). The corresponding C functions are `socket`,
    /// `setsockopt`, `bind` and `listen`.
    /// - Throws: ``FlowError/addressInUse(port:)`` when another socket listens on the port;
    ///   ``FlowError/io(code:)`` with the error number otherwise, such as `EACCES` for a port
    ///   below 1024 without the right, or `EADDRNOTAVAIL` for an ``address`` the host does not have.
    public func listen(port: UInt16) throws(FlowError) -> SocketListener {
        let fd = try Self.openSocket(SOCK_STREAM)
        do throws(ErrorNumber) {
            try SystemCall.setOption(fd, level: SOL_SOCKET, SO_REUSEADDR, to: 1)
            try SystemCall.bind(fd, to: localAddress(port: port))
            try SystemCall.listen(fd, backlog: Self.listenBacklog)
            let bound = try SocketAddress.local(of: fd)
            return SocketListener(platform: platform, fileDescriptor: fd, port: bound.port)
        } catch {
            SystemCall.closeSocket(fd, on: platform)
            throw error.code == EADDRINUSE ? .addressInUse(port: port) : .io(code: error.code)
        }
    }

    /// Opens a connection to `remote`, waiting until the kernel has established it or given up.
    /// The corresponding C functions are `socket`, `connect`, then `getsockopt` (`SO_ERROR`) once
    /// the socket is writable, and `getpeername`.
    /// - Throws: ``FlowError/refused`` when the peer resets the attempt (nothing listens there);
    ///   ``FlowError/timedOut`` when the kernel's SYN retransmissions go unanswered;
    ///   ``FlowError/unreachable`` when the host has no route;
    ///   ``FlowError/io(code:)`` with the error number otherwise.
    public func connect(to remote: Endpoint) async throws(FlowError) -> SocketConnection {
        let peer = SocketAddress(remote)
        let fd = try Self.openSocket(SOCK_STREAM)
        do throws(ErrorNumber) {
            try await establish(fd, to: peer)
        } catch {
            SystemCall.closeSocket(fd, on: platform)
            throw FlowError(error)
        }
        // The kernel's view of the peer (0.0.0.0 becomes the address it connected to).
        let connected = (try? SocketAddress.peer(of: fd))?.endpoint ?? remote
        return SocketConnection(platform: platform, fileDescriptor: fd, remote: connected)
    }

    /// Connects the nonblocking socket `fd` to `peer`: starts the connection, and when it is under
    /// way waits until the socket is writable and reads how it ended.
    private func establish(_ fd: Int32, to peer: SocketAddress) async throws(ErrorNumber) {
        do {
            try SystemCall.connect(fd, to: peer)
            return
        } catch where error.code == EISCONN {
            return
        } catch where error.code == EINPROGRESS || error.code == EALREADY {
            // Under way; `connect` after an interruption says EALREADY.
        }
        await platform.waitUntilWritable(fd)
        let code = SystemCall.pendingError(fd)
        if code != 0 { throw ErrorNumber(code: code) }
    }

    // MARK: UDPStack

    /// Binds `port` of ``address``; port 0 lets the kernel choose a free ephemeral port (see
    /// ``SocketUDPSocket/local``). The corresponding C functions are `socket`, `bind` and
    /// `getsockname`.
    /// - Throws: ``FlowError/addressInUse(port:)`` when another socket has the port;
    ///   ``FlowError/io(code:)`` with the error number otherwise.
    public func bind(port: UInt16) throws(FlowError) -> SocketUDPSocket {
        let fd = try Self.openSocket(SOCK_DGRAM)
        do throws(ErrorNumber) {
            try SystemCall.bind(fd, to: localAddress(port: port))
            let bound = try SocketAddress.local(of: fd)
            return SocketUDPSocket(platform: platform, fileDescriptor: fd, local: bound.endpoint)
        } catch {
            SystemCall.closeSocket(fd, on: platform)
            throw error.code == EADDRINUSE ? .addressInUse(port: port) : .io(code: error.code)
        }
    }

    /// Where listeners and UDP sockets bind: `::` (every address, both families) for `0.0.0.0`,
    /// else ``address`` mapped.
    private func localAddress(port: UInt16) -> SocketAddress {
        address == .any ? SocketAddress(.v6(.any), port: port) : SocketAddress(address, port: port)
    }

    /// Opens a nonblocking socket of `type`, IPv6 carrying IPv4 too.
    /// - Throws: ``FlowError/io(code:)`` with the error number, such as `EMFILE`.
    private static func openSocket(_ type: __socket_type) throws(FlowError) -> Int32 {
        do throws(ErrorNumber) {
            return try SystemCall.openSocket(type)
        } catch {
            throw .io(code: error.code)
        }
    }
}
