import MirageCore

/// The presentation form of RDATA and records (RFC 1035 section 5.1; RFC 3597 section 5), as
/// master files and dig write them.
extension DNSRecordData: CustomStringConvertible {
    /// The RDATA in presentation form; the generic `\# length hex` for unknown types.
    public var description: String {
        switch self {
        case let .a(address): address.description
        case let .aaaa(address): address.description
        case let .ns(name), let .cname(name), let .ptr(name): name.description
        case let .mx(preference, exchange): String(preference) + " " + exchange.description
        case let .soa(soa):
            soa.primaryServer.description + " " + soa.responsibleMailbox.description + " "
                + String(soa.serial) + " " + String(soa.refresh) + " " + String(soa.retry) + " "
                + String(soa.expire) + " " + String(soa.minimum)
        case let .txt(strings): strings.map(Self.quoted).joined(separator: " ")
        case let .srv(srv):
            String(srv.priority) + " " + String(srv.weight) + " " + String(srv.port) + " " + srv.target.description
        case let .caa(caa):
            String(caa.flags) + " " + String(decoding: caa.tag, as: UTF8.self) + " " + Self.quoted(caa.value)
        case let .unknown(_, bytes):
            "\\# " + String(bytes.count) + (bytes.isEmpty ? "" : " " + DNSText.hex(bytes))
        }
    }

    /// `bytes` as a quoted character-string: `"` and `\` escaped, bytes that are not printable
    /// ASCII as `\DDD`.
    static func quoted(_ bytes: [UInt8]) -> String {
        var text: [UInt8] = [UInt8(ascii: "\"")]
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                text.append(UInt8(ascii: "\\"))
                text.append(byte)
            case 0x20...0x7e:
                text.append(byte)
            default:
                DNSText.appendDecimalEscape(byte, to: &text)
            }
        }
        text.append(UInt8(ascii: "\""))
        return String(decoding: text, as: UTF8.self)
    }
}

extension DNSRecord: CustomStringConvertible {
    /// `owner TTL class type RDATA`, one line of a master file.
    public var description: String {
        name.description + " " + String(ttl) + " " + recordClass.description + " " + type.description + " "
            + data.description
    }
}
