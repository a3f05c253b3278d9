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

    /// The peer as an endpoint.
    public var remote: Endpoint { Endpoint(remoteAddress, port: remotePort) }

    public var description: String { "\(localPort)<->\(remote)" }
}
