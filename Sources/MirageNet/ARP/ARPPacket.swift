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
        let hardware = bytes.bigEndian(UInt16.self, at: 0)
        guard hardware == 1 else { throw .unsupported(field: "ARP hardware type", value: UInt32(hardware)) }
        let proto = bytes.bigEndian(UInt16.self, at: 2)
        guard proto == EtherType.ipv4.rawValue else { throw .unsupported(field: "ARP protocol type", value: UInt32(proto)) }
        guard bytes[4] == 6 else { throw .malformed(field: "ARP hardware address length", value: UInt32(bytes[4])) }
        guard bytes[5] == 4 else { throw .malformed(field: "ARP protocol address length", value: UInt32(bytes[5])) }
        let code = bytes.bigEndian(UInt16.self, at: 6)
        guard let operation = Operation(rawValue: code) else { throw .malformed(field: "ARP operation", value: UInt32(code)) }
        return ARPPacket(
            operation: operation,
            senderHardware: bytes.macAddress(at: 8), senderProtocol: bytes.ipv4Address(at: 14),
            targetHardware: bytes.macAddress(at: 18), targetProtocol: bytes.ipv4Address(at: 24))
    }

    /// Writes the packet at the start of `bytes`, which must hold ``length`` bytes.
    public func emit(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.length, "no room for the ARP packet")
        bytes.storeBigEndian(UInt16(1), at: 0)
        bytes.storeBigEndian(EtherType.ipv4.rawValue, at: 2)
        bytes[4] = 6
        bytes[5] = 4
        bytes.storeBigEndian(operation.rawValue, at: 6)
        bytes.store(senderHardware, at: 8)
        bytes.store(senderProtocol, at: 14)
        bytes.store(targetHardware, at: 18)
        bytes.store(targetProtocol, at: 24)
    }
}
