import MirageCore
@testable import MirageDNS
import MirageTesting
import Testing

/// The name written `text`, which the test knows to be valid.
func name(_ text: String) -> DNSName {
    try! DNSName(parsing: text)
}

/// The bytes of `text` as a label or string.
func ascii(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The wire form of a name written without compression: length bytes, labels, the root.
func wireName(_ text: String) -> [UInt8] {
    name(text).storage + [0]
}

/// The error decoding `bytes` throws, or nil.
func wireError(_ bytes: some Collection<UInt8>, allowingTrailingBytes: Bool = false) -> DNSWireError? {
    do {
        _ = try DNSMessage.decode(bytes, allowingTrailingBytes: allowingTrailingBytes)
        return nil
    } catch {
        return error
    }
}

/// A header: id, flags and the four counts.
func header(id: UInt16 = 0x1234, flags: UInt16 = 0, counts: [UInt16]) -> [UInt8] {
    var bytes = [UInt8(id >> 8), UInt8(id & 0xff), UInt8(flags >> 8), UInt8(flags & 0xff)]
    for count in counts { bytes += [UInt8(count >> 8), UInt8(count & 0xff)] }
    return bytes
}
