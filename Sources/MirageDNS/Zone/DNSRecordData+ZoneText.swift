import MirageCore

extension DNSRecordData {
    /// Reads RDATA of `type` in presentation form (RFC 1035 section 5; RFC 3596 section 2.4;
    /// RFC 2782; RFC 8659 section 4.1.1), or in the generic form `\# length hex` for any type
    /// (RFC 3597 section 5). Generic data of a known type must be valid data of that type and is
    /// decoded into it; types without a presentation form here must use the generic form.
    static func parse(type: DNSRecordType, from fields: inout DNSZoneFields) throws(DNSZoneError.Problem) -> DNSRecordData {
        if let first = fields.peek, first.isWord("\\#") {
            _ = try fields.next("\\#")
            return try parseGeneric(type: type, from: &fields)
        }
        let data: DNSRecordData
        switch type {
        case .a:
            let token = try fields.next("an IPv4 address")
            do {
                data = .a(try IPv4Address.parse(token.text))
            } catch {
                throw .badIPv4Address(token.text, error)
            }
        case .aaaa:
            let token = try fields.next("an IPv6 address")
            do {
                data = .aaaa(try IPv6Address.parse(token.text))
            } catch {
                throw .badIPv6Address(token.text, error)
            }
        case .ns:
            data = .ns(try fields.name("a name server"))
        case .cname:
            data = .cname(try fields.name("a canonical name"))
        case .ptr:
            data = .ptr(try fields.name("a pointer name"))
        case .mx:
            let preference = UInt16(try fields.number("an MX preference", maximum: 65535))
            data = .mx(preference: preference, exchange: try fields.name("an MX exchange"))
        case .txt:
            var strings: [[UInt8]] = [try fields.characterString("a TXT string")]
            while !fields.isAtEnd { strings.append(try fields.characterString("a TXT string")) }
            data = .txt(strings)
        case .soa:
            let primary = try fields.name("the SOA primary server")
            let mailbox = try fields.name("the SOA mailbox")
            let serial = UInt32(try fields.number("the SOA serial", maximum: 0xffff_ffff))
            data = .soa(DNSSOA(
                primaryServer: primary, responsibleMailbox: mailbox, serial: serial,
                refresh: try fields.duration("the SOA refresh"), retry: try fields.duration("the SOA retry"),
                expire: try fields.duration("the SOA expire"), minimum: try fields.duration("the SOA minimum")))
        case .srv:
            let priority = UInt16(try fields.number("an SRV priority", maximum: 65535))
            let weight = UInt16(try fields.number("an SRV weight", maximum: 65535))
            let port = UInt16(try fields.number("an SRV port", maximum: 65535))
            data = .srv(DNSSRV(priority: priority, weight: weight, port: port, target: try fields.name("an SRV target")))
        case .caa:
            let flags = UInt8(try fields.number("CAA flags", maximum: 255))
            let tagToken = try fields.next("a CAA tag")
            let tag = tagToken.bytes
            let isAlphanumeric = tag.allSatisfy { ASCIIDigit.isDecimal($0) || DNSName.lower($0) &- 97 < 26 }
            guard !tagToken.isQuoted, (1...15).contains(tag.count), isAlphanumeric else { throw .badCAATag(tagToken.text) }
            data = .caa(DNSCAA(flags: flags, tag: tag, value: try fields.characterString("a CAA value", maximumLength: 65000)))
        default:
            throw .genericFormRequired(type)
        }
        try fields.expectEnd()
        return data
    }

    /// The rest of `\# length hex...`: the length in decimal, then that many bytes in
    /// hexadecimal, split into words anywhere (RFC 3597 section 5).
    private static func parseGeneric(type: DNSRecordType, from fields: inout DNSZoneFields) throws(DNSZoneError.Problem) -> DNSRecordData {
        let lengthToken = try fields.next("the generic data length")
        guard !lengthToken.isQuoted, let length = ASCIIDigit.decimalNumber(lengthToken.bytes, maximum: 65535) else {
            throw .badGenericData("'" + lengthToken.text + "' is not a length from 0 to 65535")
        }
        var digits: [UInt8] = []
        while !fields.isAtEnd {
            let word = try fields.next("hexadecimal data")
            for byte in word.bytes {
                guard !word.isQuoted, let digit = ASCIIDigit.hexadecimalValue(byte) else {
                    throw .badGenericData("'" + word.text + "' is not hexadecimal")
                }
                digits.append(digit)
            }
        }
        guard digits.count % 2 == 0 else { throw .badGenericData("an odd number of hexadecimal digits") }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) { bytes.append(digits[index] << 4 | digits[index + 1]) }
        guard bytes.count == Int(length) else {
            throw .badGenericData("the length says " + String(length) + " bytes, the data has " + String(bytes.count))
        }
        do {
            return try DNSRecordData.decode(type: type, bytes: bytes)
        } catch {
            throw .badGenericData(error.description)
        }
    }
}
