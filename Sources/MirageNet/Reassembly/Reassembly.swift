import MirageCore

/// What became of a packet given to ``FragmentReassembler/receive(_:payload:now:charged:)``.
public enum Reassembly<Header: FragmentedHeader>: Equatable {
    /// A whole datagram: the packet itself when it was not a fragment, or the reassembled one.
    case complete(Header, PacketBuffer)
    /// The fragment was kept (or was an exact duplicate) and its datagram still has holes.
    case incomplete
    /// The fragment was refused. For a malformed or overlapping fragment its datagram is forgotten
    /// too; a fragment refused for a limit leaves its datagram as it was.
    case dropped(ReassemblyDrop)
}

/// IPv4's reassembly outcome.
public typealias IPv4Reassembly = Reassembly<IPv4Header>
