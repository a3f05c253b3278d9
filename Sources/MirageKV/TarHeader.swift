import MirageCore

/// One 512-byte header of a tar archive (POSIX.1-2017 `pax` format, section "ustar Interchange
/// Format"; the GNU `ustar  ` magic is read as well), as far as a read-only store needs it.
struct TarHeader: Equatable {
    static let blockSize = 512

    enum Kind: Equatable {
        case file
        case directory
        /// A pax extended header: its records apply to the next entry.
        case extendedHeader
        /// A GNU long name (`L`): its data is the next entry's name.
        case longName
        /// A pax global header, or another kind this store skips (links, devices).
        case other(UInt8)
    }

    var name: String
    var size: UInt64
    var modified: Int64
    var kind: Kind

    /// Parses `block`, 512 bytes. - Returns: nil for a block of zeros (the end of the archive).
    /// - Throws: ``TarError`` for a bad checksum, magic or number.
    static func parse(_ block: ArraySlice<UInt8>, at offset: UInt64) throws(TarError) -> TarHeader? {
        precondition(block.count == blockSize, "a tar header is 512 bytes")
        let bytes = Array(block)
        if bytes.allSatisfy({ $0 == 0 }) { return nil }
        guard let recorded = octal(bytes[148..<156]) else { throw .malformed(offset: offset, "an unreadable checksum") }
        var sum: UInt64 = 0
        for (index, byte) in bytes.enumerated() { sum += (148..<156).contains(index) ? 32 : UInt64(byte) }
        guard sum == recorded else { throw .malformed(offset: offset, "a header checksum that does not match") }
        let magic = Array(bytes[257..<263])
        guard magic == Array("ustar\u{0}".utf8) || magic == Array("ustar ".utf8) else {
            throw .malformed(offset: offset, "no ustar magic")
        }
        guard let size = octal(bytes[124..<136]) else { throw .malformed(offset: offset, "an unreadable size") }
        guard let modified = octal(bytes[136..<148]) else { throw .malformed(offset: offset, "an unreadable modification time") }
        var name = string(bytes[0..<100])
        let prefix = string(bytes[345..<500])
        if !prefix.isEmpty { name = prefix + "/" + name }
        let kind: Kind = switch bytes[156] {
        case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): .file
        case UInt8(ascii: "5"): .directory
        case UInt8(ascii: "x"): .extendedHeader
        case UInt8(ascii: "L"): .longName
        case let other: .other(other)
        }
        return TarHeader(name: name, size: size, modified: Int64(modified), kind: kind)
    }

    /// A NUL-terminated (or full) field as text.
    static func string(_ field: ArraySlice<UInt8>) -> String {
        String(decoding: field.prefix { $0 != 0 }, as: UTF8.self)
    }

    /// An octal number field: digits, optionally led by spaces and ended by NUL or space.
    static func octal(_ field: ArraySlice<UInt8>) -> UInt64? {
        var value: UInt64 = 0, digits = 0
        for byte in field {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                guard digits < 21 else { return nil }
                value = value << 3 | UInt64(byte - 48)
                digits += 1
            case 0, 32:
                if digits > 0 { return value }
            default:
                return nil
            }
        }
        return digits > 0 ? value : nil
    }

    /// The records of a pax extended header's data (`"%d %s=%s\n"`, each length counting
    /// itself): `path`, `size` and `mtime` are used.
    static func paxRecords(_ data: [UInt8], at offset: UInt64) throws(TarError) -> [String: String] {
        var records: [String: String] = [:]
        var index = 0
        while index < data.count {
            if data[index] == 0 { break }
            guard let space = data[index...].firstIndex(of: 32),
                  let length = Int(String(decoding: data[index..<space], as: UTF8.self)), length > 0,
                  length <= data.count - index, data[index + length - 1] == 10,
                  let equals = data[(space + 1)..<(index + length)].firstIndex(of: UInt8(ascii: "=")) else {
                throw .malformed(offset: offset, "a malformed pax record")
            }
            let key = String(decoding: data[(space + 1)..<equals], as: UTF8.self)
            records[key] = String(decoding: data[(equals + 1)..<(index + length - 1)], as: UTF8.self)
            index += length
        }
        return records
    }
}

/// Why a tar archive could not be indexed.
public enum TarError: Error, Equatable, CustomStringConvertible {
    /// The archive is damaged at this byte offset.
    case malformed(offset: UInt64, String)
    /// The archive ends before an entry does.
    case truncated(offset: UInt64)
    /// The block device failed.
    case storage(BlockError)

    public var description: String {
        switch self {
        case let .malformed(offset, reason): "a corrupt tar archive: \(reason) at byte \(offset)"
        case let .truncated(offset): "a truncated tar archive: an entry at byte \(offset) runs past the device's end"
        case let .storage(error): "cannot read the tar archive: \(error)"
        }
    }
}
