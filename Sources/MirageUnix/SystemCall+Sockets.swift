import Glibc
import MirageCore
import MirageHostSystem

/// The socket calls of the unix platform's host-socket stack (``SocketStack``), beside the file
/// and process calls of `MirageHostSystem`.
extension SystemCall {
    /// Opens a nonblocking IPv6 socket of `type` (`SOCK_STREAM` or `SOCK_DGRAM`) that carries
    /// IPv4 too (`IPV6_V6ONLY` off) and is closed on `exec`. The corresponding C functions are
    /// `socket`, with `SOCK_NONBLOCK | SOCK_CLOEXEC`, and `setsockopt`.
    /// - Throws: the error number, such as `EMFILE` when the process has no descriptors left.
    static func openSocket(_ type: __socket_type) throws(ErrorNumber) -> Int32 {
        let flags = Int32(type.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        let fd = try checked { socket(AF_INET6, flags, 0) }
        do {
            try setOption(fd, level: Int32(IPPROTO_IPV6), IPV6_V6ONLY, to: 0)
        } catch {
            Glibc.close(fd)
            throw error
        }
        return fd
    }

    /// Sets the integer socket option `name` at `level` to `value`. The corresponding C
    /// function is `setsockopt`.
    static func setOption(_ fd: Int32, level: Int32, _ name: Int32, to value: Int32) throws(ErrorNumber) {
        var value = value
        _ = try checked { setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) }
    }

    /// The socket's pending error, cleared by reading it: how a nonblocking `connect` ended, 0 for
    /// success. The corresponding C function is `getsockopt` (`SO_ERROR`).
    static func pendingError(_ fd: Int32) -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &code, &length) == 0 else { return errno }
        return code
    }

    /// Binds `fd` to `address`. The corresponding C function is `bind`.
    /// - Throws: the error number, `EADDRINUSE` for a port that is taken.
    static func bind(_ fd: Int32, to address: SocketAddress) throws(ErrorNumber) {
        _ = try checked { address.withSockaddr { Glibc.bind(fd, $0, $1) } }
    }

    /// Starts accepting connections on `fd`, with room for `backlog` of them that are established
    /// but not yet accepted. The corresponding C function is `listen`.
    static func listen(_ fd: Int32, backlog: Int32) throws(ErrorNumber) {
        _ = try checked { Glibc.listen(fd, backlog) }
    }

    /// Starts connecting `fd` to `address`. The corresponding C function is `connect`.
    /// - Throws: the error number; on a nonblocking socket `EINPROGRESS` means that the connection
    ///   is under way and ends when the socket becomes writable (see ``pendingError(_:)``).
    static func connect(_ fd: Int32, to address: SocketAddress) throws(ErrorNumber) {
        _ = try checked { address.withSockaddr { Glibc.connect(fd, $0, $1) } }
    }

    /// Takes the next established connection from the listening socket `fd`, as a nonblocking
    /// descriptor closed on `exec`, with the peer's address. The corresponding C functions are
    /// `accept`, then `fcntl` (`F_SETFL` with `O_NONBLOCK`, `F_SETFD` with `FD_CLOEXEC`).
    ///
    /// `accept4`, which sets both flags at once, is a GNU extension that Swift's Glibc module does
    /// not declare. In between, a `fork` and `exec` on another thread could inherit the
    /// descriptor; a unikernel has no other thread.
    /// - Throws: the error number, `EAGAIN` when no connection is waiting.
    static func accept(_ fd: Int32) throws(ErrorNumber) -> (Int32, SocketAddress) {
        let (result, peer) = SocketAddress.filling { address, length in
            retryingInterrupts { Glibc.accept(fd, address, length) }
        }
        if result < 0 { throw ErrorNumber(code: -result) }
        guard fcntl(result, F_SETFL, O_NONBLOCK) == 0, fcntl(result, F_SETFD, FD_CLOEXEC) == 0 else {
            let code = errno
            Glibc.close(result)
            throw ErrorNumber(code: code)
        }
        return (result, peer)
    }

    /// Receives up to `buffer.count` bytes from the connected socket `fd`; 0 means the end of the
    /// stream. The corresponding C function is `recv`.
    /// - Throws: the error number, `EAGAIN` when nothing has arrived.
    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(ErrorNumber) -> Int {
        try checked { recv(fd, buffer.baseAddress, buffer.count, 0) }
    }

    /// Sends as many of `bytes` as the send buffer takes on the connected socket `fd`, without
    /// raising SIGPIPE when the peer has gone. The corresponding C function is `send`, with
    /// `MSG_NOSIGNAL`.
    /// - Returns: the number of bytes sent.
    /// - Throws: the error number: `EAGAIN` when the send buffer is full, `EPIPE` or `ECONNRESET`
    ///   when the connection is gone.
    static func send(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws(ErrorNumber) -> Int {
        try checked { Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Closes `fd` for writing: the peer reads the end of the stream once it has read what was
    /// sent before. The corresponding C function is `shutdown` (`SHUT_WR`).
    static func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    /// Has closing `fd` reset the connection (RST) and drop what was not sent, instead of
    /// sending it first. The corresponding C function is `setsockopt` (`SO_LINGER` with a zero
    /// timeout).
    static func resetOnClose(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }

    /// Stops `platform` watching `fd` and closes it; tasks waiting for `fd` resume and must find it
    /// closed. The corresponding C function is `close`, not retried on EINTR (Linux releases the
    /// descriptor even then).
    static func closeSocket(_ fd: Int32, on platform: UnixPlatform) {
        platform.forget(fd)
        _ = Glibc.close(fd)
    }
}

extension FlowError {
    /// The flow error for the error number of a failed socket call: a reset connection
    /// (`ECONNRESET`, or `EPIPE` after one), a refused or timed-out connection, an unreachable
    /// network or host; any other number as ``FlowError/io(code:)``.
    init(_ error: ErrorNumber) {
        switch error.code {
        case ECONNRESET, EPIPE: self = .reset
        case ECONNREFUSED: self = .refused
        case ETIMEDOUT: self = .timedOut
        case ENETUNREACH, EHOSTUNREACH: self = .unreachable
        default: self = .io(code: error.code)
        }
    }
}
