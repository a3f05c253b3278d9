import MirageCore

extension DNSRecordData {
    /// Decodes `length` bytes of RDATA of `type` at the reader (RFC 1035 section 3.3 and 4.1.3).
    ///
    /// Names in the data of the types of RFC 1035 may be compressed; so may an SRV target, which
    /// early servers compressed (RFC 3597 section 4). The data must fill exactly `length` bytes.
    /// Types this library does not know are kept as bytes (RFC 3597 section 2).
    static func decode(
        type: DNSRecordType, length: Int, from reader: inout DNSWireReader
    ) throws(DNSWireError) -> DNSRecordData {
        let start = reader.offset
        guard length <= reader.remaining else { throw .truncated(offset: start) }
        let savedEnd = reader.end
        reader.end = start + length
        defer { reader.end = savedEnd }
        let data: DNSRecordData
        do {
            data = try decodeFields(type: type, length: length, from: &reader)
        } catch {
            // Running out of RDATA is data that does not match its type; anything else (a bad
            // pointer, a long label) says more as it is.
            if case .truncated = error { throw .badRecordData(type, offset: start) }
            throw error
        }
        guard reader.offset == start + length else { throw .badRecordData(type, offset: start) }
        return data
    }

    private static func decodeFields(
        type: DNSRecordType, length: Int, from reader: inout DNSWireReader
    ) throws(DNSWireError) -> DNSRecordData {
        switch type {
        case .a:
            guard length == 4 else { throw .badRecordData(type, offset: reader.offset) }
            return .a(IPv4Address(value: try reader.readUInt32()))
        case .aaaa:
            guard length == 16 else { throw .badRecordData(type, offset: reader.offset) }
            return .aaaa(IPv6Address(bytes: try reader.readBytes(16)))
        case .ns:
            return .ns(try reader.readName())
        case .cname:
            return .cname(try reader.readName())
        case .ptr:
            return .ptr(try reader.readName())
        case .mx:
            let preference = try reader.readUInt16()
            return .mx(preference: preference, exchange: try reader.readName())
        case .soa:
            let primary = try reader.readName()
            let mailbox = try reader.readName()
            return .soa(DNSSOA(
                primaryServer: primary, responsibleMailbox: mailbox, serial: try reader.readUInt32(),
                refresh: try reader.readUInt32(), retry: try reader.readUInt32(),
                expire: try reader.readUInt32(), minimum: try reader.readUInt32()))
        case .txt:
            var strings: [[UInt8]] = []
            while reader.remaining > 0 { strings.append(try reader.readCharacterString()) }
            return .txt(strings)
        case .srv:
            let priority = try reader.readUInt16()
            let weight = try reader.readUInt16()
            let port = try reader.readUInt16()
            return .srv(DNSSRV(priority: priority, weight: weight, port: port, target: try reader.readName()))
        case .caa:
            let flags = try reader.readUInt8()
            let tagLength = Int(try reader.readUInt8())
            guard tagLength >= 1 else { throw .badRecordData(type, offset: reader.offset - 1) }
            let tag = try reader.readBytes(tagLength)
            return .caa(DNSCAA(flags: flags, tag: tag, value: try reader.readBytes(reader.remaining)))
        default:
            return .unknown(type, try reader.readBytes(length))
        }
    }

    /// Decodes RDATA of `type` on its own, outside any message: as read from a master file's
    /// generic form (RFC 3597 section 5). Names in it may not be compressed.
    public static func decode(type: DNSRecordType, bytes: [UInt8]) throws(DNSWireError) -> DNSRecordData {
        var reader = DNSWireReader(bytes, allowsCompression: false)
        return try decode(type: type, length: bytes.count, from: &reader)
    }

    /// Writes the RDATA, without its length (RFC 1035 section 3.3).
    ///
    /// Names are compressed only in the types of RFC 1035 (RFC 3597 section 4); not in SRV
    /// targets (RFC 2782) nor anywhere else.
    func encode(into writer: inout DNSWireWriter) {
        switch self {
        case let .a(address):
            writer.write(address.value)
        case let .aaaa(address):
            writer.write(bytes: address.bytes)
        case let .ns(name), let .cname(name), let .ptr(name):
            writer.writeName(name, compressing: true)
        case let .mx(preference, exchange):
            writer.write(preference)
            writer.writeName(exchange, compressing: true)
        case let .soa(soa):
            writer.writeName(soa.primaryServer, compressing: true)
            writer.writeName(soa.responsibleMailbox, compressing: true)
            writer.write(soa.serial)
            writer.write(soa.refresh)
            writer.write(soa.retry)
            writer.write(soa.expire)
            writer.write(soa.minimum)
        case let .txt(strings):
            for string in strings { writer.writeCharacterString(string) }
        case let .srv(srv):
            writer.write(srv.priority)
            writer.write(srv.weight)
            writer.write(srv.port)
            writer.writeName(srv.target, compressing: false)
        case let .caa(caa):
            writer.write(caa.flags)
            writer.writeCharacterString(caa.tag)
            writer.write(bytes: caa.value)
        case let .unknown(_, bytes):
            writer.write(bytes: bytes)
        }
    }

    /// The RDATA in wire form, uncompressed: the generic form's bytes (RFC 3597 section 5).
    public var wireBytes: [UInt8] {
        var writer = DNSWireWriter(capacity: 64)
        encodeUncompressed(into: &writer)
        return writer.bytes
    }

    /// Writes the RDATA with no name compressed, for when no message surrounds it.
    private func encodeUncompressed(into writer: inout DNSWireWriter) {
        switch self {
        case let .ns(name), let .cname(name), let .ptr(name):
            writer.writeName(name, compressing: false)
        case let .mx(preference, exchange):
            writer.write(preference)
            writer.writeName(exchange, compressing: false)
        case let .soa(soa):
            writer.writeName(soa.primaryServer, compressing: false)
            writer.writeName(soa.responsibleMailbox, compressing: false)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { writer.write(value) }
        default:
            encode(into: &writer)
        }
    }
}
