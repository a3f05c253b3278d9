import MirageCore

/// The values naming a connection from our side: the peer's address (either family) and port,
/// and our port. The local address follows from the peer's: the stack has one IPv4 address, and
/// picks its IPv6 source by the peer's scope (``IPv6Interface/sourceAddress(for:now:)``).
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public var remoteAddress: IPAddress
    public var remotePort: UInt16
    public var localPort: UInt16

    public init(remoteAddress: IPAddress, remotePort: UInt16, localPort: UInt16) {
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.localPort = localPort
    }

    public init(remoteAddress: IPv4Address, remotePort: UInt16, localPort: UInt16) {
        self.init(remoteAddress: .v4(remoteAddress), remotePort: remotePort, localPort: localPort)
    }

    /// Hashes the ports and the address in one or two words: connections are looked up for every
    /// segment, and the field-by-field hashing the compiler writes fed the hasher four times.
    public func hash(into hasher: inout Hasher) {
        let ports = UInt64(remotePort) << 16 | UInt64(localPort)
        switch remoteAddress {
        case let .v4(address):
            hasher.combine(ports << 32 | UInt64(address.value))
        case let .v6(address):
            hasher.combine(address.high)
            hasher.combine(address.low ^ (ports << 32 | 1))
        }
    }

    /// The peer as an endpoint.
    public var remote: Endpoint { Endpoint(remoteAddress, port: remotePort) }

    public var description: String { "\(localPort)<->\(remote)" }
}
