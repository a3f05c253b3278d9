import MirageCore

/// What a ``FragmentReassembler`` needs to know of a fragment's header, in either family.
public protocol FragmentedHeader: Equatable {
    /// What fragments of one datagram share.
    associatedtype ReassemblyKey: Hashable
    var reassemblyKey: ReassemblyKey { get }
    /// Whether the packet is a fragment at all (not offset 0 with no more to come).
    var isFragment: Bool { get }
    /// Where the fragment's data goes, in bytes from the start of the fragmentable part.
    var fragmentByteOffset: Int { get }
    var moreFragments: Bool { get }
    /// The bytes in front of the fragmentable part that count against the 65,535 a packet holds.
    var unfragmentableLength: Int { get }
    /// This header (the first fragment's) for the whole datagram of `payloadLength` octets; nil
    /// when they would pass 65,535.
    func reassembled(payloadLength: Int) -> Self?
}

extension IPv4Header: FragmentedHeader {
    /// RFC 791 section 3.2: source, destination, protocol and identification.
    public struct ReassemblyKey: Hashable {
        var source: IPv4Address
        var destination: IPv4Address
        var `protocol`: IPProtocol
        var identification: UInt16
    }

    public var reassemblyKey: ReassemblyKey {
        ReassemblyKey(source: source, destination: destination, protocol: `protocol`, identification: identification)
    }

    public var fragmentByteOffset: Int { Int(fragmentOffset) * 8 }
    public var unfragmentableLength: Int { length }

    public func reassembled(payloadLength: Int) -> IPv4Header? {
        guard length + payloadLength <= Int(UInt16.max) else { return nil }
        var header = self
        header.moreFragments = false
        header.fragmentOffset = 0
        header.totalLength = UInt16(length + payloadLength)
        return header
    }
}
