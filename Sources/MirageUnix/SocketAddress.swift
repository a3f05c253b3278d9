import Glibc
import MirageHostSystem
import MirageCore

/// A socket address, the C library's `struct sockaddr_in6` (`<netinet/in.h>`): the one place
/// where an address and a port are turned into network byte order for the kernel, and back.
///
/// Every socket of ``SocketStack`` is an `AF_INET6` socket that also carries IPv4 (`IPV6_V6ONLY`
/// off, RFC 4038 section 4.2): an IPv4 address goes to the kernel as its IPv4-mapped IPv6 address
/// `::ffff:a.b.c.d` (RFC 4291 section 2.5.5.2) and comes back from it as IPv4.
struct SocketAddress {
    /// The C structure, address and port in network byte order.
    var storage: sockaddr_in6

    /// The socket address of `address` and `port`.
    init(_ address: IPAddress, port: UInt16) {
        storage = sockaddr_in6()
        storage.sin6_family = sa_family_t(AF_INET6)
        storage.sin6_port = port.bigEndian
        let mapped = switch address {
        case let .v4(address): IPv6Address(ipv4Mapped: address)
        case let .v6(address): address
        }
        withUnsafeMutableBytes(of: &storage.sin6_addr) { mapped.copyBytes(to: $0) }
    }

    /// The socket address of an IPv4 address and `port`.
    init(_ address: IPv4Address, port: UInt16) {
        self.init(.v4(address), port: port)
    }

    /// The socket address of `endpoint`.
    init(_ endpoint: Endpoint) {
        self.init(endpoint.address, port: endpoint.port)
    }

    /// The socket address the kernel wrote into `storage` (as `recvmmsg` does).
    init(storage: sockaddr_in6) {
        self.storage = storage
    }

    /// An all-zero address, for the kernel to fill in.
    private init() {
        storage = sockaddr_in6()
    }

    /// The address, IPv4 when it is IPv4-mapped.
    var address: IPAddress {
        let address = withUnsafeBytes(of: storage.sin6_addr) { IPv6Address(bytes: $0) }
        return address.ipv4Mapped.map { .v4($0) } ?? .v6(address)
    }
    /// The port, in host byte order.
    var port: UInt16 { UInt16(bigEndian: storage.sin6_port) }
    /// The address and port as an ``Endpoint``.
    var endpoint: Endpoint { Endpoint(address, port: port) }

    /// The length the C functions expect for this address.
    static let length = socklen_t(MemoryLayout<sockaddr_in6>.size)

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
    /// The kernel fills in IPv6 addresses here (IPv4 ones mapped), as every socket of
    /// ``SocketStack`` is an `AF_INET6` socket.
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
