import MirageCore

/// What an ICMP error quotes of the packet it is about (RFC 792: the IP header and at least the
/// first 8 octets of its data), enough to tell which of our connections sent it (RFC 5927
/// section 4: a stack checks the quoted addresses, ports and sequence number before it believes
/// the message).
public struct ICMPv4QuotedPacket: Hashable, Sendable {
    public var source: IPv4Address
    public var destination: IPv4Address
    public var `protocol`: IPProtocol
    /// The first 8 octets after the quoted IP header: for TCP the ports and the sequence number.
    public var transportPrefix: UInt64

    /// For a quoted TCP segment: its source port, destination port and sequence number.
    public var tcp: (sourcePort: UInt16, destinationPort: UInt16, sequence: SequenceNumber)? {
        guard `protocol` == .tcp else { return nil }
        return (UInt16(truncatingIfNeeded: transportPrefix >> 48), UInt16(truncatingIfNeeded: transportPrefix >> 32),
                SequenceNumber(UInt32(truncatingIfNeeded: transportPrefix)))
    }

    /// Reads the quoted packet in `bytes` (what follows the ICMP header); nil when it holds less
    /// than a whole IP header and 8 octets after it, or its header length is not plausible.
    init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= IPv4Header.minimumLength else { return nil }
        let headerLength = Int(bytes[IPv4Header.Field.versionAndLength] & 0x0F) * 4
        guard headerLength >= IPv4Header.minimumLength, bytes.count >= headerLength + 8 else { return nil }
        source = bytes.ipv4Address(at: IPv4Header.Field.source)
        destination = bytes.ipv4Address(at: IPv4Header.Field.destination)
        `protocol` = IPProtocol(rawValue: bytes[IPv4Header.Field.`protocol`])
        transportPrefix = bytes.bigEndian(UInt64.self, at: headerLength)
    }
}
