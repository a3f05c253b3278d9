import MirageCore

/// The protocol of an Ethernet frame's payload (IEEE 802 EtherType; values below 0x0600 are 802.3
/// lengths, not types).
public struct EtherType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let ipv4 = EtherType(rawValue: 0x0800)
    public static let arp = EtherType(rawValue: 0x0806)
    /// An IEEE 802.1Q VLAN tag follows.
    public static let vlan = EtherType(rawValue: 0x8100)
    public static let ipv6 = EtherType(rawValue: 0x86DD)

    public var description: String {
        switch self {
        case .ipv4: "IPv4"
        case .arp: "ARP"
        case .vlan: "802.1Q"
        case .ipv6: "IPv6"
        default: "0x" + String(rawValue, radix: 16)
        }
    }
}

/// An Ethernet II header (RFC 894; IEEE 802.3 clause 3): destination, source, an optional IEEE
/// 802.1Q tag, and the EtherType. Frames carry no frame check sequence here: devices strip it.
public struct EthernetHeader: Hashable, Sendable {
    public var destination: MACAddress
    public var source: MACAddress
    /// The 802.1Q tag control information (priority, drop eligibility, VLAN id), when tagged.
    public var vlanTag: UInt16?
    public var etherType: EtherType

    /// Bytes before the payload: 14, or 18 with a VLAN tag.
    public static let untaggedLength = 14
    public var length: Int { vlanTag == nil ? 14 : 18 }

    /// The VLAN id (the tag's low 12 bits), when tagged.
    public var vlanID: UInt16? { vlanTag.map { $0 & 0x0FFF } }

    public init(destination: MACAddress, source: MACAddress, vlanTag: UInt16? = nil, etherType: EtherType) {
        self.destination = destination
        self.source = source
        self.vlanTag = vlanTag
        self.etherType = etherType
    }

    /// Reads the header at the start of `bytes`; the payload starts at ``length``.
    /// - Throws: ``WireError/truncated(needed:available:)`` for a short frame,
    ///   ``WireError/unsupported(field:value:)`` for an 802.3 length in place of an EtherType or a
    ///   second VLAN tag (802.1ad), which this stack does not handle.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> EthernetHeader {
        guard bytes.count >= untaggedLength else { throw .truncated(needed: untaggedLength, available: bytes.count) }
        var type = bytes.bigEndian(UInt16.self, at: 12)
        var tag: UInt16?
        if type == EtherType.vlan.rawValue {
            guard bytes.count >= 18 else { throw .truncated(needed: 18, available: bytes.count) }
            tag = bytes.bigEndian(UInt16.self, at: 14)
            type = bytes.bigEndian(UInt16.self, at: 16)
            if type == EtherType.vlan.rawValue { throw .unsupported(field: "EtherType", value: UInt32(type)) }
        }
        guard type >= 0x0600 else { throw .unsupported(field: "EtherType", value: UInt32(type)) }
        return EthernetHeader(
            destination: bytes.macAddress(at: 0), source: bytes.macAddress(at: 6),
            vlanTag: tag, etherType: EtherType(rawValue: type))
    }

    /// Writes the header at the start of `bytes`, which must hold ``length`` bytes.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= length, "no room for the Ethernet header")
        bytes.store(destination, at: 0)
        bytes.store(source, at: 6)
        if let vlanTag {
            bytes.storeBigEndian(EtherType.vlan.rawValue, at: 12)
            bytes.storeBigEndian(vlanTag, at: 14)
            bytes.storeBigEndian(etherType.rawValue, at: 16)
        } else {
            bytes.storeBigEndian(etherType.rawValue, at: 12)
        }
    }
}
