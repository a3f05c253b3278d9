import MirageCore

/// The snapshot format: a header, then the entries.
///
/// Header (``headerSize`` bytes, big-endian): the magic `MIRAGEKV`, a version (1), the sequence
/// number (8 bytes), the payload's length (4) and CRC-32C (4), and the CRC-32C of those 28 bytes.
/// Payload: the number of entries (4), then for each the key's path in UTF-8 with its length
/// (2), the time it was last modified in seconds since 1970 (8, signed) and the value with its
/// length (4).
extension BlockKeyValueStore {
    static var headerSize: Int { 32 }
    private static var magic: [UInt8] { Array("MIRAGEKV".utf8) }

    static func header(sequence: UInt64, payload: [UInt8], sectorSize: Int) -> [UInt8] {
        var header = magic
        append(UInt32(1), to: &header)
        append(sequence, to: &header)
        append(UInt32(payload.count), to: &header)
        append(CRC32C.checksum(payload), to: &header)
        append(CRC32C.checksum(header), to: &header)
        return header
    }

    static func parseHeader(_ bytes: [UInt8]) -> (sequence: UInt64, length: Int, crc: UInt32)? {
        guard bytes.count >= headerSize, Array(bytes[0..<8]) == magic, read(bytes, 8, as: UInt32.self) == 1,
              CRC32C.checksum(bytes[0..<28]) == read(bytes, 28, as: UInt32.self) else { return nil }
        return (read(bytes, 12, as: UInt64.self), Int(read(bytes, 20, as: UInt32.self)), read(bytes, 24, as: UInt32.self))
    }

    static func encode(_ values: [KeyValueKey: Value]) -> [UInt8] {
        var bytes: [UInt8] = []
        append(UInt32(values.count), to: &bytes)
        for (key, value) in values.sorted(by: { $0.key.description < $1.key.description }) {
            let path = Array(key.description.utf8)
            append(UInt16(path.count), to: &bytes)
            bytes += path
            append(UInt64(bitPattern: value.modified.seconds), to: &bytes)
            append(UInt32(value.bytes.count), to: &bytes)
            bytes += value.bytes
        }
        return bytes
    }

    /// The entries of a payload whose CRC matched; nil when it does not parse (a bug or a
    /// device written by something else), which makes the snapshot count as absent.
    static func decode(_ payload: ArraySlice<UInt8>) -> [KeyValueKey: Value]? {
        let bytes = Array(payload)
        var offset = 0
        func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count <= bytes.count - offset else { return nil }
            defer { offset += count }
            return bytes[offset..<offset + count]
        }
        guard let countBytes = take(4) else { return nil }
        let count = Int(read(Array(countBytes), 0, as: UInt32.self))
        var values: [KeyValueKey: Value] = [:]
        for _ in 0..<count {
            guard let pathLength = take(2), let path = take(Int(read(Array(pathLength), 0, as: UInt16.self))),
                  let modified = take(8), let valueLength = take(4),
                  let value = take(Int(read(Array(valueLength), 0, as: UInt32.self))) else { return nil }
            let key = KeyValueKey(String(decoding: path, as: UTF8.self))
            guard key != .root else { return nil }
            values[key] = Value(bytes: Array(value), modified: WallTime(seconds: Int64(bitPattern: read(Array(modified), 0, as: UInt64.self))))
        }
        return offset == bytes.count ? values : nil
    }

    private static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    private static func read<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, as: T.Type) -> T {
        var value: T = 0
        for index in 0..<MemoryLayout<T>.size { value = value << 8 | T(bytes[offset + index]) }
        return value
    }
}
