import MirageCore

/// An Ethernet II header (RFC 894; IEEE 802.3 clause 3): destination, source, an optional IEEE
/// 802.1Q tag, and the EtherType. Frames carry no frame check sequence here: devices strip it.
public struct EthernetHeader: Hashable, Sendable {
    public var destination: MACAddress
    public var source: MACAddress
    /// The 802.1Q tag control information (priority, drop eligibility, VLAN id), when tagged.
    public var vlanTag: UInt16?
    public var etherType: EtherType

    /// Byte offsets of the header's fields (IEEE 802.3 clause 3.1.1; IEEE 802.1Q clause 9.3).
    enum Field {
        static let destination = 0
        static let source = 6
        /// The EtherType, or with a tag the Tag Protocol Identifier ``EtherType/vlan``.
        static let etherType = 12
        /// With a tag: the tag control information, then the payload's EtherType.
        static let vlanTag = 14
        static let taggedEtherType = 16
    }

    /// Bytes before the payload: 14, or 18 with a VLAN tag.
    public static let untaggedLength = 14
    static let taggedLength = 18
    public var length: Int { vlanTag == nil ? Self.untaggedLength : Self.taggedLength }

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
        var type = bytes.bigEndian(UInt16.self, at: Field.etherType)
        var tag: UInt16?
        if type == EtherType.vlan.rawValue {
            guard bytes.count >= taggedLength else { throw .truncated(needed: taggedLength, available: bytes.count) }
            tag = bytes.bigEndian(UInt16.self, at: Field.vlanTag)
            type = bytes.bigEndian(UInt16.self, at: Field.taggedEtherType)
            if type == EtherType.vlan.rawValue { throw .unsupported(field: "EtherType", value: UInt32(type)) }
        }
        guard type >= 0x0600 else { throw .unsupported(field: "EtherType", value: UInt32(type)) }
        return EthernetHeader(
            destination: bytes.macAddress(at: Field.destination), source: bytes.macAddress(at: Field.source),
            vlanTag: tag, etherType: EtherType(rawValue: type))
    }

    /// Writes the header at the start of `bytes`, which must hold ``length`` bytes.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= length, "no room for the Ethernet header")
        bytes.store(destination, at: Field.destination)
        bytes.store(source, at: Field.source)
        if let vlanTag {
            bytes.storeBigEndian(EtherType.vlan.rawValue, at: Field.etherType)
            bytes.storeBigEndian(vlanTag, at: Field.vlanTag)
            bytes.storeBigEndian(etherType.rawValue, at: Field.taggedEtherType)
        } else {
            bytes.storeBigEndian(etherType.rawValue, at: Field.etherType)
        }
    }
}
