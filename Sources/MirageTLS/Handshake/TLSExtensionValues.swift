/// The extensions the engine reads and writes, each decoded from and encoded to its data
/// (RFC 8446 section 4.2 and the RFCs named on each). Decoding checks every vector's range and
/// refuses trailing bytes (`decode_error`); values the RFCs forbid are `illegal_parameter`.

/// `server_name` (RFC 6066 section 3): the host name the client wants. Only `host_name` (0) is
/// defined; a second name of one type is refused.
public struct TLSServerName: Equatable, Sendable {
    public let hostName: String

    public init(hostName: String) { self.hostName = hostName }

    public init(extensionData: [UInt8]) throws(TLSError) {
        var reader = TLSWireReader(extensionData)
        var list = try reader.readVector(lengthBytes: 2, minimum: 1, maximum: 0xFFFF)
        try reader.expectEnd("server_name")
        var found: String?
        while !list.isAtEnd {
            let type = try list.readUInt8()
            let name = try list.readOpaque(lengthBytes: 2, minimum: 1, maximum: 0xFFFF)
            guard type == 0 else { continue }
            guard found == nil else { throw .illegal("two host names in server_name") }
            // RFC 6066: ASCII, no trailing dot; RFC 5890 labels are at most 253 bytes in all.
            guard name.count <= 253, name.allSatisfy({ $0 > 0x20 && $0 < 0x7F }), name.last != UInt8(ascii: ".") else {
                throw .illegal("a host name that is not an ASCII DNS name")
            }
            found = String(decoding: name, as: UTF8.self)
        }
        guard let found else { throw .illegal("server_name without a host name") }
        hostName = found
    }

    public var extensionData: [UInt8] {
        var writer = TLSWireWriter()
        writer.appendVector(lengthBytes: 2) {
            $0.append(UInt8(0))
            $0.appendOpaque(lengthBytes: 2, Array(hostName.utf8))
        }
        return writer.bytes
    }
}

/// A list of 16-bit code points behind a two-byte length: `supported_groups` (RFC 8446
/// section 4.2.7), `signature_algorithms` and `signature_algorithms_cert` (section 4.2.3).
public enum TLSCodePointList {
    public static func decode(_ data: [UInt8], what: String) throws(TLSError) -> [UInt16] {
        var reader = TLSWireReader(data)
        var list = try reader.readVector(lengthBytes: 2, minimum: 2, maximum: 0xFFFE)
        try reader.expectEnd(what)
        guard list.remaining % 2 == 0 else { throw .decode("\(what) of an odd length") }
        var values: [UInt16] = []
        values.reserveCapacity(list.remaining / 2)
        while !list.isAtEnd { values.append(try list.readUInt16()) }
        return values
    }

    public static func encode(_ values: [UInt16]) -> [UInt8] {
        var writer = TLSWireWriter()
        writer.appendVector(lengthBytes: 2) { for value in values { $0.append(value) } }
        return writer.bytes
    }
}

/// `supported_versions` (RFC 8446 section 4.2.1): the client's list, or the server's choice.
public enum TLSSupportedVersions {
    public static func decodeClient(_ data: [UInt8]) throws(TLSError) -> [TLSProtocolVersion] {
        var reader = TLSWireReader(data)
        var list = try reader.readVector(lengthBytes: 1, minimum: 2, maximum: 254)
        try reader.expectEnd("supported_versions")
        guard list.remaining % 2 == 0 else { throw .decode("supported_versions of an odd length") }
        var versions: [TLSProtocolVersion] = []
        while !list.isAtEnd { versions.append(TLSProtocolVersion(rawValue: try list.readUInt16())) }
        return versions
    }

    public static func encodeClient(_ versions: [TLSProtocolVersion]) -> [UInt8] {
        var writer = TLSWireWriter()
        writer.appendVector(lengthBytes: 1) { for version in versions { $0.append(version.rawValue) } }
        return writer.bytes
    }

    public static func decodeServer(_ data: [UInt8]) throws(TLSError) -> TLSProtocolVersion {
        var reader = TLSWireReader(data)
        let version = TLSProtocolVersion(rawValue: try reader.readUInt16())
        try reader.expectEnd("supported_versions")
        return version
    }

    public static func encodeServer(_ version: TLSProtocolVersion) -> [UInt8] {
        [UInt8(version.rawValue >> 8), UInt8(version.rawValue & 0xFF)]
    }
}

/// One key share (RFC 8446 section 4.2.8): a group and a public value.
public struct TLSKeyShareEntry: Equatable, Sendable {
    public let group: TLSNamedGroup
    public let keyExchange: [UInt8]

    public init(group: TLSNamedGroup, keyExchange: [UInt8]) {
        self.group = group
        self.keyExchange = keyExchange
    }

    init(from reader: inout TLSWireReader) throws(TLSError) {
        group = TLSNamedGroup(rawValue: try reader.readUInt16())
        keyExchange = try reader.readOpaque(lengthBytes: 2, minimum: 1, maximum: 0xFFFF)
    }

    func write(to writer: inout TLSWireWriter) {
        writer.append(group.rawValue)
        writer.appendOpaque(lengthBytes: 2, keyExchange)
    }
}

/// `key_share` (RFC 8446 section 4.2.8): the client's shares, the server's one share, or a
/// HelloRetryRequest's selected group.
public enum TLSKeyShare {
    /// The client's shares; two for one group are `illegal_parameter`.
    public static func decodeClient(_ data: [UInt8]) throws(TLSError) -> [TLSKeyShareEntry] {
        var reader = TLSWireReader(data)
        var list = try reader.readVector(lengthBytes: 2, maximum: 0xFFFF)
        try reader.expectEnd("key_share")
        var entries: [TLSKeyShareEntry] = []
        while !list.isAtEnd {
            let entry = try TLSKeyShareEntry(from: &list)
            guard !entries.contains(where: { $0.group == entry.group }) else { throw .illegal("two key shares for group \(entry.group.rawValue)") }
            entries.append(entry)
        }
        return entries
    }

    public static func encodeClient(_ entries: [TLSKeyShareEntry]) -> [UInt8] {
        var writer = TLSWireWriter()
        writer.appendVector(lengthBytes: 2) { for entry in entries { entry.write(to: &$0) } }
        return writer.bytes
    }

    public static func decodeServer(_ data: [UInt8]) throws(TLSError) -> TLSKeyShareEntry {
        var reader = TLSWireReader(data)
        let entry = try TLSKeyShareEntry(from: &reader)
        try reader.expectEnd("key_share")
        return entry
    }

    public static func encodeServer(_ entry: TLSKeyShareEntry) -> [UInt8] {
        var writer = TLSWireWriter()
        entry.write(to: &writer)
        return writer.bytes
    }

    public static func decodeRetry(_ data: [UInt8]) throws(TLSError) -> TLSNamedGroup {
        var reader = TLSWireReader(data)
        let group = TLSNamedGroup(rawValue: try reader.readUInt16())
        try reader.expectEnd("key_share")
        return group
    }

    public static func encodeRetry(_ group: TLSNamedGroup) -> [UInt8] {
        [UInt8(group.rawValue >> 8), UInt8(group.rawValue & 0xFF)]
    }
}

/// `application_layer_protocol_negotiation` (RFC 7301 section 3.1): protocol names such as
/// `h2` and `http/1.1`; empty names are refused.
public enum TLSALPN {
    public static func decode(_ data: [UInt8]) throws(TLSError) -> [[UInt8]] {
        var reader = TLSWireReader(data)
        var list = try reader.readVector(lengthBytes: 2, minimum: 2, maximum: 0xFFFF)
        try reader.expectEnd("application_layer_protocol_negotiation")
        var names: [[UInt8]] = []
        while !list.isAtEnd { names.append(try list.readOpaque(lengthBytes: 1, minimum: 1, maximum: 0xFF)) }
        return names
    }

    public static func encode(_ names: [[UInt8]]) -> [UInt8] {
        var writer = TLSWireWriter()
        writer.appendVector(lengthBytes: 2) { for name in names { $0.appendOpaque(lengthBytes: 1, name) } }
        return writer.bytes
    }
}

/// `record_size_limit` (RFC 8449 section 4): the largest record plaintext the sender will
/// receive; below 64 is `illegal_parameter`.
public enum TLSRecordSizeLimit {
    public static func decode(_ data: [UInt8]) throws(TLSError) -> Int {
        var reader = TLSWireReader(data)
        let limit = Int(try reader.readUInt16())
        try reader.expectEnd("record_size_limit")
        guard limit >= 64 else { throw .illegal("a record size limit of \(limit)") }
        return limit
    }

    public static func encode(_ limit: Int) -> [UInt8] {
        [UInt8(limit >> 8), UInt8(limit & 0xFF)]
    }
}

/// The client's `pre_shared_key` (RFC 8446 section 4.2.11): identities, each with an obfuscated
/// ticket age, and one binder per identity.
public struct TLSOfferedPSKs: Equatable, Sendable {
    public struct Identity: Equatable, Sendable {
        public let identity: [UInt8]
        public let obfuscatedTicketAge: UInt32

        public init(identity: [UInt8], obfuscatedTicketAge: UInt32) {
            self.identity = identity
            self.obfuscatedTicketAge = obfuscatedTicketAge
        }
    }

    public let identities: [Identity]
    public let binders: [[UInt8]]

    public init(identities: [Identity], binders: [[UInt8]]) {
        precondition(identities.count == binders.count, "one binder per identity")
        self.identities = identities
        self.binders = binders
    }

    public init(extensionData: [UInt8]) throws(TLSError) {
        var reader = TLSWireReader(extensionData)
        var identityList = try reader.readVector(lengthBytes: 2, minimum: 7, maximum: 0xFFFF)
        var binderList = try reader.readVector(lengthBytes: 2, minimum: 33, maximum: 0xFFFF)
        try reader.expectEnd("pre_shared_key")
        var identities: [Identity] = []
        while !identityList.isAtEnd {
            let identity = try identityList.readOpaque(lengthBytes: 2, minimum: 1, maximum: 0xFFFF)
            identities.append(Identity(identity: identity, obfuscatedTicketAge: try identityList.readUInt32()))
        }
        var binders: [[UInt8]] = []
        while !binderList.isAtEnd { binders.append(try binderList.readOpaque(lengthBytes: 1, minimum: 32, maximum: 255)) }
        guard identities.count == binders.count else { throw .illegal("\(identities.count) PSK identities and \(binders.count) binders") }
        self.identities = identities
        self.binders = binders
    }

    /// Bytes of the binders vector with its length: what ClientHello's binders do not cover.
    public var bindersLength: Int { 2 + binders.reduce(0) { $0 + 1 + $1.count } }

    public var extensionData: [UInt8] {
        var writer = TLSWireWriter()
        writer.appendVector(lengthBytes: 2) {
            for item in identities {
                $0.appendOpaque(lengthBytes: 2, item.identity)
                $0.append(item.obfuscatedTicketAge)
            }
        }
        writer.appendVector(lengthBytes: 2) { for binder in binders { $0.appendOpaque(lengthBytes: 1, binder) } }
        return writer.bytes
    }
}

/// Extensions holding one opaque vector: `cookie` (RFC 8446 section 4.2.2, 1 to 2^16-1 bytes),
/// `renegotiation_info` (RFC 5746 section 3.2, 0 to 255), `psk_key_exchange_modes` (RFC 8446
/// section 4.2.9, 1 to 255 modes).
public enum TLSOpaqueExtension {
    public static func decode(_ data: [UInt8], lengthBytes: Int, minimum: Int, maximum: Int, what: String) throws(TLSError) -> [UInt8] {
        var reader = TLSWireReader(data)
        let value = try reader.readOpaque(lengthBytes: lengthBytes, minimum: minimum, maximum: maximum)
        try reader.expectEnd(what)
        return value
    }

    public static func encode(_ value: [UInt8], lengthBytes: Int) -> [UInt8] {
        var writer = TLSWireWriter()
        writer.appendOpaque(lengthBytes: lengthBytes, value)
        return writer.bytes
    }
}
