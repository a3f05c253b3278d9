import Glibc
import MirageHostSystem
import MirageCore

/// An IPv4 socket address, the C library's `struct sockaddr_in` (`<netinet/in.h>`): the one place
/// where an address and a port are turned into network byte order for the kernel, and back.
struct SocketAddress {
    /// The C structure, address and port in network byte order.
    var storage: sockaddr_in

    /// The socket address of `address` and `port`.
    init(_ address: IPv4Address, port: UInt16) {
        storage = sockaddr_in()
        storage.sin_family = sa_family_t(AF_INET)
        storage.sin_port = port.bigEndian
        storage.sin_addr = in_addr(s_addr: address.value.bigEndian)
    }

    /// The socket address of an IPv4 endpoint, or nil for an IPv6 one.
    init?(_ endpoint: Endpoint) {
        guard case let .v4(address) = endpoint.address else { return nil }
        self.init(address, port: endpoint.port)
    }

    /// An all-zero address, for the kernel to fill in.
    private init() {
        storage = sockaddr_in()
    }

    /// The address, in host byte order.
    var address: IPv4Address { IPv4Address(value: UInt32(bigEndian: storage.sin_addr.s_addr)) }
    /// The port, in host byte order.
    var port: UInt16 { UInt16(bigEndian: storage.sin_port) }
    /// The address and port as an ``Endpoint``.
    var endpoint: Endpoint { Endpoint(.v4(address), port: port) }

    /// The length the C functions expect for this address.
    static let length = socklen_t(MemoryLayout<sockaddr_in>.size)

    /// Calls `body` with the address as the generic `struct sockaddr` and its length, as `bind`,
    /// `connect` and `sendto` take it.
    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafePointer(to: storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, Self.length) }
        }
    }

    /// Calls `body` with room for an address and its length, as `accept4`, `recvfrom`,
    /// `getpeername` and `getsockname` fill them in; returns what `body` returned and the address.
    ///
    /// The kernel fills in only IPv4 addresses here, as every socket of ``SocketStack`` is an
    /// `AF_INET` socket.
    static func filling<Result>(
        _ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Result
    ) -> (Result, SocketAddress) {
        var filled = SocketAddress()
        var length = Self.length
        let result = withUnsafeMutablePointer(to: &filled.storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, &length) }
        }
        return (result, filled)
    }

    /// The address of the peer `fd` is connected to. The corresponding C function is
    /// `getpeername`.
    /// - Throws: the error number, `ENOTCONN` for a socket that is not (or no longer) connected.
    static func peer(of fd: Int32) throws(ErrorNumber) -> SocketAddress {
        let (result, address) = filling { pointer, length in getpeername(fd, pointer, length) }
        if result != 0 { throw ErrorNumber(code: errno) }
        return address
    }

    /// The local address `fd` is bound to, with the port the kernel chose for port 0. The
    /// corresponding C function is `getsockname`.
    /// - Throws: the error number.
    static func local(of fd: Int32) throws(ErrorNumber) -> SocketAddress {
        let (result, address) = filling { pointer, length in getsockname(fd, pointer, length) }
        if result != 0 { throw ErrorNumber(code: errno) }
        return address
    }
}
