import MirageCore

/// The four values naming a connection from our side: the peer's address and port, and our port
/// (the stack has one local address).
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public var remoteAddress: IPv4Address
    public var remotePort: UInt16
    public var localPort: UInt16

    public init(remoteAddress: IPv4Address, remotePort: UInt16, localPort: UInt16) {
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.localPort = localPort
    }

    public var description: String { "\(localPort)<->\(remoteAddress):\(remotePort)" }
}
