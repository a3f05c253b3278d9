import MirageCore

/// The options of a DHCP message that this implementation reads and writes (RFC 2132), each typed.
/// Other options are skipped when read.
///
/// Read: an option that appears more than once is one option with the values concatenated
/// (RFC 3396 section 7), the options field first, then `file` and `sname` when option 52 says
/// they carry options (RFC 2132 section 9.3). Written: the message type first, a value longer than
/// 255 octets split over several options (RFC 3396 section 5), then `end`.
public struct DHCPOptions: Hashable, Sendable {
    /// Option 53 (RFC 2132 section 9.6); a DHCP message without one is a BOOTP message.
    public var messageType: DHCPMessageType?
    /// Option 1 (section 3.3).
    public var subnetMask: IPv4Address?
    /// Option 3 (section 3.5), in order of preference.
    public var routers: [IPv4Address] = []
    /// Option 6 (section 3.8), in order of preference.
    public var domainNameServers: [IPv4Address] = []
    /// Option 12 (section 3.14).
    public var hostName: String?
    /// Option 15 (section 3.17).
    public var domainName: String?
    /// Option 26 (section 5.1): at least 68.
    public var interfaceMTU: UInt16?
    /// Option 28 (section 5.3).
    public var broadcastAddress: IPv4Address?
    /// Option 50 (section 9.1).
    public var requestedAddress: IPv4Address?
    /// Option 51 (section 9.2), in seconds; 0xffffffff is infinity.
    public var leaseTime: UInt32?
    /// Option 54 (section 9.7).
    public var serverIdentifier: IPv4Address?
    /// Option 55 (section 9.8): the codes of the options the client asks for.
    public var parameterRequestList: [UInt8] = []
    /// Option 56 (section 9.9): why a server sent DHCPNAK, or a client DHCPDECLINE.
    public var message: String?
    /// Option 57 (section 9.10): at least 576.
    public var maximumMessageSize: UInt16?
    /// Option 58 (section 9.11): T1, in seconds.
    public var renewalTime: UInt32?
    /// Option 59 (section 9.12): T2, in seconds.
    public var rebindingTime: UInt32?
    /// Option 61 (section 9.14): a type octet and the identifier.
    public var clientIdentifier: [UInt8]?

    public init(messageType: DHCPMessageType? = nil) {
        self.messageType = messageType
    }

    /// Option codes (RFC 2132).
    enum Code {
        static let pad: UInt8 = 0
        static let subnetMask: UInt8 = 1
        static let routers: UInt8 = 3
        static let domainNameServers: UInt8 = 6
        static let hostName: UInt8 = 12
        static let domainName: UInt8 = 15
        static let interfaceMTU: UInt8 = 26
        static let broadcastAddress: UInt8 = 28
        static let requestedAddress: UInt8 = 50
        static let leaseTime: UInt8 = 51
        static let overload: UInt8 = 52
        static let messageType: UInt8 = 53
        static let serverIdentifier: UInt8 = 54
        static let parameterRequestList: UInt8 = 55
        static let message: UInt8 = 56
        static let maximumMessageSize: UInt8 = 57
        static let renewalTime: UInt8 = 58
        static let rebindingTime: UInt8 = 59
        static let clientIdentifier: UInt8 = 61
        static let end: UInt8 = 255
    }
}

// MARK: Reading

extension DHCPOptions {
    /// The values of the options in `fields` (each a run of options ended by `end` or its own
    /// end), concatenated by code (RFC 3396): at most 256 values, none longer than the fields.
    /// - Throws: ``WireError/truncated(needed:available:)`` when an option runs past its field.
    static func values(in fields: [UnsafeRawBufferPointer]) throws(WireError) -> [UInt8: [UInt8]] {
        var values: [UInt8: [UInt8]] = [:]
        for field in fields {
            var offset = 0
            scan: while offset < field.count {
                let code = field[offset]
                switch code {
                case Code.pad:
                    offset += 1
                case Code.end:
                    break scan
                default:
                    guard offset + 1 < field.count else { throw .truncated(needed: offset + 2, available: field.count) }
                    let length = Int(field[offset + 1])
                    let start = offset + 2
                    guard start + length <= field.count else { throw .truncated(needed: start + length, available: field.count) }
                    values[code, default: []].append(contentsOf: field[start ..< start + length])
                    offset = start + length
                }
            }
        }
        return values
    }

    /// Option 52 in the options field (RFC 2132 section 9.3): 1 when `file` holds options, 2 for
    /// `sname`, 3 for both; 0 without it.
    static func overload(in options: UnsafeRawBufferPointer) throws(WireError) -> UInt8 {
        guard let value = try values(in: [options])[Code.overload] else { return 0 }
        guard value.count == 1, (1 ... 3).contains(value[0]) else {
            throw .malformed(field: "DHCP option overload", value: UInt32(value.first ?? 0))
        }
        return value[0]
    }

    /// Reads the typed options from concatenated values.
    /// - Throws: ``WireError/malformed(field:value:)`` naming the option whose length or value is
    ///   not what RFC 2132 allows (the value is its length, or the bad value).
    init(values: [UInt8: [UInt8]]) throws(WireError) {
        if let value = values[Code.messageType] {
            guard value.count == 1 else { throw .malformed(field: "DHCP message type length", value: UInt32(value.count)) }
            guard let type = DHCPMessageType(rawValue: value[0]) else {
                throw .malformed(field: "DHCP message type", value: UInt32(value[0]))
            }
            messageType = type
        }
        subnetMask = try Self.address(values[Code.subnetMask], "DHCP subnet mask length")
        routers = try Self.addresses(values[Code.routers], "DHCP routers length")
        domainNameServers = try Self.addresses(values[Code.domainNameServers], "DHCP domain name servers length")
        hostName = try Self.text(values[Code.hostName], "DHCP host name length")
        domainName = try Self.text(values[Code.domainName], "DHCP domain name length")
        if let mtu = try Self.integer(values[Code.interfaceMTU], as: UInt16.self, "DHCP interface MTU length") {
            guard mtu >= 68 else { throw .malformed(field: "DHCP interface MTU", value: UInt32(mtu)) }
            interfaceMTU = mtu
        }
        broadcastAddress = try Self.address(values[Code.broadcastAddress], "DHCP broadcast address length")
        requestedAddress = try Self.address(values[Code.requestedAddress], "DHCP requested address length")
        leaseTime = try Self.integer(values[Code.leaseTime], as: UInt32.self, "DHCP lease time length")
        serverIdentifier = try Self.address(values[Code.serverIdentifier], "DHCP server identifier length")
        if let list = values[Code.parameterRequestList] {
            guard !list.isEmpty else { throw .malformed(field: "DHCP parameter request list length", value: 0) }
            parameterRequestList = list
        }
        message = try Self.text(values[Code.message], "DHCP message length")
        if let size = try Self.integer(values[Code.maximumMessageSize], as: UInt16.self, "DHCP maximum message size length") {
            guard size >= 576 else { throw .malformed(field: "DHCP maximum message size", value: UInt32(size)) }
            maximumMessageSize = size
        }
        renewalTime = try Self.integer(values[Code.renewalTime], as: UInt32.self, "DHCP renewal time length")
        rebindingTime = try Self.integer(values[Code.rebindingTime], as: UInt32.self, "DHCP rebinding time length")
        if let identifier = values[Code.clientIdentifier] {
            guard identifier.count >= 2 else {
                throw .malformed(field: "DHCP client identifier length", value: UInt32(identifier.count))
            }
            clientIdentifier = identifier
        }
    }

    private static func address(_ value: [UInt8]?, _ field: StaticString) throws(WireError) -> IPv4Address? {
        guard let value else { return nil }
        guard value.count == 4 else { throw .malformed(field: field, value: UInt32(value.count)) }
        return IPv4Address(bytes: value)
    }

    private static func addresses(_ value: [UInt8]?, _ field: StaticString) throws(WireError) -> [IPv4Address] {
        guard let value else { return [] }
        guard !value.isEmpty, value.count % 4 == 0 else { throw .malformed(field: field, value: UInt32(value.count)) }
        return stride(from: 0, to: value.count, by: 4).map { IPv4Address(bytes: value[$0 ..< $0 + 4]) }
    }

    private static func integer<Value: FixedWidthInteger>(_ value: [UInt8]?, as: Value.Type, _ field: StaticString) throws(WireError) -> Value? {
        guard let value else { return nil }
        guard value.count == MemoryLayout<Value>.size else { throw .malformed(field: field, value: UInt32(value.count)) }
        return value.reduce(Value(0)) { $0 << 8 | Value($1) }
    }

    /// A text option: at least one octet (RFC 2132), trailing NULs some servers add removed; one
    /// of NULs only is taken as absent.
    private static func text(_ value: [UInt8]?, _ field: StaticString) throws(WireError) -> String? {
        guard var value else { return nil }
        guard !value.isEmpty else { throw .malformed(field: field, value: 0) }
        while value.last == 0 { value.removeLast() }
        return value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
    }
}

// MARK: Writing

extension DHCPOptions {
    /// The options as they go on the wire, `end` included.
    var encoded: [UInt8] {
        var bytes: [UInt8] = []
        func put(_ code: UInt8, _ value: [UInt8]) {
            // A value longer than 255 octets goes in several options of the same code (RFC 3396).
            var start = 0
            repeat {
                let end = Swift.min(start + 255, value.count)
                bytes.append(code)
                bytes.append(UInt8(end - start))
                bytes.append(contentsOf: value[start ..< end])
                start = end
            } while start < value.count
        }
        func be<Value: FixedWidthInteger>(_ value: Value) -> [UInt8] {
            (0 ..< MemoryLayout<Value>.size).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        }
        if let messageType { put(Code.messageType, [messageType.rawValue]) }
        if let clientIdentifier { put(Code.clientIdentifier, clientIdentifier) }
        if let serverIdentifier { put(Code.serverIdentifier, serverIdentifier.bytes) }
        if let requestedAddress { put(Code.requestedAddress, requestedAddress.bytes) }
        if let leaseTime { put(Code.leaseTime, be(leaseTime)) }
        if let renewalTime { put(Code.renewalTime, be(renewalTime)) }
        if let rebindingTime { put(Code.rebindingTime, be(rebindingTime)) }
        if let subnetMask { put(Code.subnetMask, subnetMask.bytes) }
        if let broadcastAddress { put(Code.broadcastAddress, broadcastAddress.bytes) }
        if !routers.isEmpty { put(Code.routers, routers.flatMap { $0.bytes }) }
        if !domainNameServers.isEmpty { put(Code.domainNameServers, domainNameServers.flatMap { $0.bytes }) }
        if let domainName, !domainName.isEmpty { put(Code.domainName, Array(domainName.utf8)) }
        if let hostName, !hostName.isEmpty { put(Code.hostName, Array(hostName.utf8)) }
        if let interfaceMTU { put(Code.interfaceMTU, be(interfaceMTU)) }
        if let maximumMessageSize { put(Code.maximumMessageSize, be(maximumMessageSize)) }
        if !parameterRequestList.isEmpty { put(Code.parameterRequestList, parameterRequestList) }
        if let message, !message.isEmpty { put(Code.message, Array(message.utf8)) }
        bytes.append(Code.end)
        return bytes
    }
}
