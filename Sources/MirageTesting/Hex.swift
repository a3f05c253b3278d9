import MirageCore

/// The bytes a hexadecimal string spells, as test vectors write them; characters other than
/// hex digits (spaces, colons, line breaks) are skipped.
public func hex(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.utf8.count / 2)
    var high: UInt8?
    for character in text.utf8 {
        guard let value = ASCIIDigit.hexadecimalValue(character) else { continue }
        if let h = high { bytes.append(h << 4 | value); high = nil } else { high = value }
    }
    return bytes
}

/// `bytes` in lower-case hexadecimal, two digits each.
public func hexString(_ bytes: [UInt8]) -> String {
    ASCIIDigit.lowercaseHex(bytes)
}
