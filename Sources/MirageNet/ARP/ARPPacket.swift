import MirageCore

/// An ARP packet for IPv4 over Ethernet (RFC 826): who has `targetProtocol`? / `sender` has it.
public struct ARPPacket: Hashable, Sendable {
    public enum Operation: UInt16, Sendable {
        case request = 1
        case reply = 2
    }

    public var operation: Operation
    public var senderHardware: MACAddress
    public var senderProtocol: IPv4Address
    public var targetHardware: MACAddress
    public var targetProtocol: IPv4Address

    /// Byte offsets of the packet's fields (RFC 826, "Packet format").
    enum Field {
        static let hardwareType = 0
        static let protocolType = 2
        static let hardwareLength = 4
        static let protocolLength = 5
        static let operation = 6
        static let senderHardware = 8
        static let senderProtocol = 14
        static let targetHardware = 18
        static let targetProtocol = 24
    }

    /// The hardware type of Ethernet, and the lengths of its and IPv4's addresses.
    static let ethernetHardware: UInt16 = 1
    static let ethernetAddressLength: UInt8 = 6
    static let ipv4AddressLength: UInt8 = 4

    /// The length of an Ethernet/IPv4 ARP packet.
    public static let length = 28

    public init(operation: Operation, senderHardware: MACAddress, senderProtocol: IPv4Address,
                targetHardware: MACAddress, targetProtocol: IPv4Address) {
        self.operation = operation
        self.senderHardware = senderHardware
        self.senderProtocol = senderProtocol
        self.targetHardware = targetHardware
        self.targetProtocol = targetProtocol
    }

    /// Reads an ARP packet; bytes after the 28 (Ethernet padding) are ignored.
    /// - Throws: ``WireError/truncated(needed:available:)``, ``WireError/unsupported(field:value:)``
    ///   for hardware other than Ethernet (1) or protocols other than IPv4 (0x0800), or
    ///   ``WireError/malformed(field:value:)`` for address lengths other than 6 and 4 or an
    ///   operation other than request (1) and reply (2).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> ARPPacket {
        guard bytes.count >= length else { throw .truncated(needed: length, available: bytes.count) }
        let hardware = bytes.bigEndian(UInt16.self, at: Field.hardwareType)
        guard hardware == ethernetHardware else { throw .unsupported(field: "ARP hardware type", value: UInt32(hardware)) }
        let proto = bytes.bigEndian(UInt16.self, at: Field.protocolType)
        guard proto == EtherType.ipv4.rawValue else { throw .unsupported(field: "ARP protocol type", value: UInt32(proto)) }
        let hardwareLength = bytes[Field.hardwareLength], protocolLength = bytes[Field.protocolLength]
        guard hardwareLength == ethernetAddressLength else {
            throw .malformed(field: "ARP hardware address length", value: UInt32(hardwareLength))
        }
        guard protocolLength == ipv4AddressLength else {
            throw .malformed(field: "ARP protocol address length", value: UInt32(protocolLength))
        }
        let code = bytes.bigEndian(UInt16.self, at: Field.operation)
        guard let operation = Operation(rawValue: code) else { throw .malformed(field: "ARP operation", value: UInt32(code)) }
        return ARPPacket(
            operation: operation,
            senderHardware: bytes.macAddress(at: Field.senderHardware),
            senderProtocol: bytes.ipv4Address(at: Field.senderProtocol),
            targetHardware: bytes.macAddress(at: Field.targetHardware),
            targetProtocol: bytes.ipv4Address(at: Field.targetProtocol))
    }

    /// Writes the packet at the start of `bytes`, which must hold ``length`` bytes.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.length, "no room for the ARP packet")
        bytes.storeBigEndian(Self.ethernetHardware, at: Field.hardwareType)
        bytes.storeBigEndian(EtherType.ipv4.rawValue, at: Field.protocolType)
        bytes[Field.hardwareLength] = Self.ethernetAddressLength
        bytes[Field.protocolLength] = Self.ipv4AddressLength
        bytes.storeBigEndian(operation.rawValue, at: Field.operation)
        bytes.store(senderHardware, at: Field.senderHardware)
        bytes.store(senderProtocol, at: Field.senderProtocol)
        bytes.store(targetHardware, at: Field.targetHardware)
        bytes.store(targetProtocol, at: Field.targetProtocol)
    }
}
