import MirageKV
import MirageTesting
import Testing


/// Hand-made archives with numbers no tar writes: the store throws a ``TarError`` for each,
/// never traps on the arithmetic.
@Suite("tar: hostile numbers")
struct TarHostileNumberTests {
    /// A ustar header block for `name` of `size` bytes and `type` ("0" file, "x" pax header).
    static func header(_ name: String, size: Int, type: Character) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        block.replaceSubrange(0..<name.utf8.count, with: Array(name.utf8))
        for (offset, field) in [(100, "0000644"), (108, "0000000"), (116, "0000000"), (136, "00000000000")] {
            block.replaceSubrange(offset..<offset + field.utf8.count, with: Array(field.utf8))
        }
        let octalSize = String(size, radix: 8).leftPadded(to: 11)
        block.replaceSubrange(124..<135, with: Array(octalSize.utf8))
        block[156] = UInt8(ascii: type.unicodeScalars.first!)
        block.replaceSubrange(257..<265, with: Array("ustar\u{0}00".utf8))
        var sum = 0
        for (index, byte) in block.enumerated() { sum += (148..<156).contains(index) ? 32 : Int(byte) }
        block.replaceSubrange(148..<156, with: Array((String(sum, radix: 8).leftPadded(to: 6) + "\u{0} ").utf8))
        return block
    }

    /// A pax header whose data is `records`, then a file of 4 bytes, then the end.
    static func archive(paxRecords records: String) -> [UInt8] {
        let data = Array(records.utf8)
        return header("./PaxHeaders/a", size: data.count, type: "x") + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
            + header("a", size: 4, type: "0") + Array("abcd".utf8) + [UInt8](repeating: 0, count: 508) + [UInt8](repeating: 0, count: 1024)
    }

    static func open(_ bytes: [UInt8]) -> String {
        inScheduler {
            let device = MemoryBlockDevice(sectorSize: 512, sectorCount: UInt64(bytes.count / 512))
            try? await device.write(at: 0, from: bytes)
            do { _ = try await TarStore.open(device); return "opened" } catch { return "\(error)" }
        }
    }

    @Test("a well-formed hand-made archive opens, so the refusals below are about the numbers")
    func wellFormed() {
        #expect(Self.open(Self.archive(paxRecords: "10 path=b\n")) == "opened")
    }

    @Test("a pax size near UInt64.max is a truncated entry", arguments: ["18446744073709551615", "18446744073709551104", "18446744073709550000"])
    func hugePaxSize(size: String) {
        let record = "size=\(size)\n"
        let text = "\(record.utf8.count + 3) \(record)"
        #expect(Self.open(Self.archive(paxRecords: text)).contains("truncated"))
    }

    @Test("a pax record length near Int.max is a malformed record", arguments: ["9223372036854775807", "9223372036854775806", "99999999999999999999"])
    func hugeRecordLength(length: String) {
        #expect(Self.open(Self.archive(paxRecords: "\(length) path=b\n")).contains("a malformed pax record"))
    }
}
