import MirageCore

/// What became of a packet given to ``IPv4Reassembler/receive(_:payload:now:)``.
public enum IPv4Reassembly: Equatable {
    /// A whole datagram: the packet itself when it was not a fragment, or the reassembled one.
    case complete(IPv4Header, PacketBuffer)
    /// The fragment was kept (or was an exact duplicate) and its datagram still has holes.
    case incomplete
    /// The fragment was refused. For a malformed or overlapping fragment its datagram is forgotten
    /// too; a fragment refused for a limit leaves its datagram as it was.
    case dropped(IPv4ReassemblyDrop)
}
