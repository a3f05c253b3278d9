import MirageCore

/// A DHCP message (RFC 2131 section 2, figure 1) for Ethernet: the fixed BOOTP fields, the magic
/// cookie and the options (``DHCPOptions``). It travels in UDP from port 68 to 67 and back
/// (section 4.1).
public struct DHCPMessage: Hashable, Sendable {
    /// `op`: a client's request or a server's reply (RFC 951's BOOTREQUEST and BOOTREPLY).
    public enum Operation: UInt8, Sendable {
        case request = 1
        case reply = 2
    }

    public var operation: Operation
    /// `hops`: relay agents passed.
    public var hops: UInt8 = 0
    /// `xid`: chosen by the client, the same in the replies.
    public var transactionID: UInt32
    /// `secs`: seconds since the client began acquiring or renewing.
    public var seconds: UInt16 = 0
    /// The BROADCAST bit of `flags` (RFC 2131 section 2, figure 2): the client cannot take
    /// unicast before it has an address, so replies go to the broadcast address.
    public var isBroadcast = false
    /// `ciaddr`: the client's address, only in BOUND, RENEWING and REBINDING.
    public var clientAddress: IPv4Address = .any
    /// `yiaddr`: the address the server gives.
    public var yourAddress: IPv4Address = .any
    /// `siaddr`: the next server of the boot process.
    public var serverAddress: IPv4Address = .any
    /// `giaddr`: the relay agent's address.
    public var relayAddress: IPv4Address = .any
    /// `chaddr`: the client's Ethernet address.
    public var clientHardware: MACAddress
    public var options: DHCPOptions

    public init(operation: Operation, transactionID: UInt32, clientHardware: MACAddress, options: DHCPOptions) {
        self.operation = operation
        self.transactionID = transactionID
        self.clientHardware = clientHardware
        self.options = options
    }

    /// Byte offsets of the fixed fields (RFC 2131 figure 1).
    enum Field {
        static let operation = 0
        static let hardwareType = 1
        static let hardwareLength = 2
        static let hops = 3
        static let transactionID = 4
        static let seconds = 8
        static let flags = 10
        static let clientAddress = 12
        static let yourAddress = 16
        static let serverAddress = 20
        static let relayAddress = 24
        static let clientHardware = 28
        static let serverName = 44
        static let file = 108
        static let magicCookie = 236
        static let options = 240
    }

    /// The fixed fields and the magic cookie: the shortest a DHCP message can be.
    public static let minimumLength = 240
    /// The length messages are padded to: BOOTP's 300 octets, which some relays and servers need
    /// (RFC 1542 section 2.1).
    public static let paddedLength = 300
    /// 99.130.83.99 (RFC 2131 section 3).
    static let magicCookie: UInt32 = 0x6382_5363
    static let broadcastFlag: UInt16 = 0x8000

    /// Reads a DHCP message over Ethernet.
    /// - Throws: ``WireError/truncated(needed:available:)`` below 240 octets or for an option
    ///   running past its field; ``WireError/malformed(field:value:)`` for a bad `op`, magic cookie,
    ///   option overload or option value; ``WireError/unsupported(field:value:)`` for hardware
    ///   other than Ethernet.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> DHCPMessage {
        guard bytes.count >= minimumLength else { throw .truncated(needed: minimumLength, available: bytes.count) }
        guard let operation = Operation(rawValue: bytes[Field.operation]) else {
            throw .malformed(field: "DHCP op", value: UInt32(bytes[Field.operation]))
        }
        guard bytes[Field.hardwareType] == 1 else {
            throw .unsupported(field: "DHCP hardware type", value: UInt32(bytes[Field.hardwareType]))
        }
        guard bytes[Field.hardwareLength] == 6 else {
            throw .unsupported(field: "DHCP hardware address length", value: UInt32(bytes[Field.hardwareLength]))
        }
        let cookie = bytes.bigEndian(UInt32.self, at: Field.magicCookie)
        guard cookie == magicCookie else { throw .malformed(field: "DHCP magic cookie", value: cookie) }
        let options = UnsafeRawBufferPointer(rebasing: bytes[Field.options...])
        var fields = [options]
        let overload = try DHCPOptions.overload(in: options)
        if overload & 1 != 0 { fields.append(UnsafeRawBufferPointer(rebasing: bytes[Field.file ..< Field.magicCookie])) }
        if overload & 2 != 0 { fields.append(UnsafeRawBufferPointer(rebasing: bytes[Field.serverName ..< Field.file])) }
        var message = DHCPMessage(operation: operation,
                                  transactionID: bytes.bigEndian(UInt32.self, at: Field.transactionID),
                                  clientHardware: bytes.macAddress(at: Field.clientHardware),
                                  options: try DHCPOptions(values: DHCPOptions.values(in: fields)))
        message.hops = bytes[Field.hops]
        message.seconds = bytes.bigEndian(UInt16.self, at: Field.seconds)
        message.isBroadcast = bytes.bigEndian(UInt16.self, at: Field.flags) & broadcastFlag != 0
        message.clientAddress = bytes.ipv4Address(at: Field.clientAddress)
        message.yourAddress = bytes.ipv4Address(at: Field.yourAddress)
        message.serverAddress = bytes.ipv4Address(at: Field.serverAddress)
        message.relayAddress = bytes.ipv4Address(at: Field.relayAddress)
        return message
    }

    /// The message as it goes in a UDP datagram, padded to ``paddedLength``.
    public var encoded: [UInt8] {
        let options = self.options.encoded
        var bytes = [UInt8](repeating: 0, count: Swift.max(Field.options + options.count, Self.paddedLength))
        bytes.withUnsafeMutableBytes { buffer in
            buffer[Field.operation] = operation.rawValue
            buffer[Field.hardwareType] = 1
            buffer[Field.hardwareLength] = 6
            buffer[Field.hops] = hops
            buffer.storeBigEndian(transactionID, at: Field.transactionID)
            buffer.storeBigEndian(seconds, at: Field.seconds)
            buffer.storeBigEndian(isBroadcast ? Self.broadcastFlag : 0, at: Field.flags)
            buffer.store(clientAddress, at: Field.clientAddress)
            buffer.store(yourAddress, at: Field.yourAddress)
            buffer.store(serverAddress, at: Field.serverAddress)
            buffer.store(relayAddress, at: Field.relayAddress)
            buffer.store(clientHardware, at: Field.clientHardware)
            buffer.storeBigEndian(Self.magicCookie, at: Field.magicCookie)
            for (index, byte) in options.enumerated() { buffer[Field.options + index] = byte }
        }
        return bytes
    }
}
