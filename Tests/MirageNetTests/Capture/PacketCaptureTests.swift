import MirageCore
import MirageNet
import Testing

@Suite("PacketCapture")
struct PacketCaptureTests {
    @Test("golden bytes: the file header is the nanosecond magic, version 2.4, snaplen 65535, Ethernet, little-endian")
    func fileHeader() {
        // Python: struct.pack('<IHHiIII', 0xa1b23c4d, 2, 4, 0, 0, 65535, 1)
        #expect(PcapFormat.fileHeader() == [
            0x4D, 0x3C, 0xB2, 0xA1, 0x02, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
        ])
        #expect(PcapFormat.fileHeader().count == PcapFormat.fileHeaderLength)
    }

    @Test("golden bytes: a record header holds seconds, nanoseconds, captured and original length")
    func recordHeader() {
        // Python: struct.pack('<IIII', 1700000000, 123456789, 60, 60)
        let header = PcapFormat.recordHeader(
            at: WallTime(seconds: 1_700_000_000, nanoseconds: 123_456_789), capturedLength: 60, originalLength: 60)
        #expect(header == [
            0x00, 0xF1, 0x53, 0x65, 0x15, 0xCD, 0x5B, 0x07, 0x3C, 0x00, 0x00, 0x00, 0x3C, 0x00, 0x00, 0x00,
        ])
    }

    @Test("a record of a frame longer than the snapshot length holds 65535 bytes and the full length")
    func snapshotLength() {
        var file: [UInt8] = []
        PcapFormat.appendRecord(of: PacketBuffer([UInt8](repeating: 7, count: 70_000)), at: WallTime(seconds: 0), to: &file)
        #expect(file.count == 16 + 65_535)
        // Python: struct.pack('<IIII', 0, 0, 65535, 70000)[8:]
        #expect(Array(file[8..<16]) == [0xFF, 0xFF, 0x00, 0x00, 0x70, 0x11, 0x01, 0x00])
    }

    @Test("times outside the format's 32-bit seconds are clamped to 1970 and 2106")
    func clampedTimes() {
        let before = PcapFormat.recordHeader(at: WallTime(seconds: -5, nanoseconds: 1), capturedLength: 0, originalLength: 0)
        #expect(Array(before[0..<8]) == [0, 0, 0, 0, 1, 0, 0, 0])
        let after = PcapFormat.recordHeader(at: WallTime(seconds: 1 << 40), capturedLength: 0, originalLength: 0)
        #expect(Array(after[0..<4]) == [0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test("the capturing device records received and transmitted frames in the order the stack saw them")
    func capturesBothDirections() async throws {
        let device = FakeDevice(arriving: [[1, 1, 1], [2, 2]])
        let clock = SteppingWallClock(start: WallTime(seconds: 1_000, nanoseconds: 999_999_000))
        let sink = MemoryCaptureSink()
        let capturing = CapturingNetworkDevice(device, sink: sink, clock: clock)

        var delivered: [[UInt8]] = []
        try await capturing.transmit(PacketBuffer([9, 9, 9, 9]))
        try await capturing.receive { delivered.append($0.bytes) }
        try await capturing.transmit(PacketBuffer([8]))

        #expect(delivered == [[1, 1, 1], [2, 2]])
        #expect(device.transmitted == [[9, 9, 9, 9], [8]])
        #expect(sink.frameCount == 4)
        #expect(Array(sink.bytes.prefix(24)) == PcapFormat.fileHeader())
        let records = PcapRecords.read(sink.bytes)
        #expect(records.map(\.frame) == [[9, 9, 9, 9], [1, 1, 1], [2, 2], [8]])
        #expect(records.map(\.time) == [
            WallTime(seconds: 1_000, nanoseconds: 999_999_000), WallTime(seconds: 1_001, nanoseconds: 0),
            WallTime(seconds: 1_001, nanoseconds: 1_000), WallTime(seconds: 1_001, nanoseconds: 2_000),
        ])
        #expect(records.allSatisfy { $0.originalLength == $0.frame.count })
    }

    @Test("the capturing device passes on the wrapped device's address, MTU, statistics and errors")
    func passesThrough() async {
        let device = FakeDevice(arriving: [])
        let capturing = CapturingNetworkDevice(device, sink: MemoryCaptureSink(), clock: SteppingWallClock(start: WallTime(seconds: 0)))
        #expect(capturing.mac == device.mac)
        #expect(capturing.mtu == 1500)
        device.refusing = .disconnected
        await #expect(throws: NetworkError.disconnected) { try await capturing.transmit(PacketBuffer([1])) }
        #expect(capturing.statistics.dropped == 1)
        // The stack sent the frame, so it is in the capture even though the device refused it.
        #expect(capturing.sink?.frameCount == 1)
    }
}

/// A network device that hands out frames given up front and keeps what it is given to send.
private final class FakeDevice: NetworkDevice {
    let mac = MACAddress(0x02, 0, 0, 0, 0, 0x0F)
    let mtu = 1500
    var statistics = NetworkStatistics()
    var arriving: [[UInt8]]
    var transmitted: [[UInt8]] = []
    /// The error ``transmit(_:)`` throws, when set.
    var refusing: NetworkError?

    init(arriving: [[UInt8]]) { self.arriving = arriving }

    func receive(_ handler: (consuming PacketBuffer) -> Void) async throws(NetworkError) {
        guard !arriving.isEmpty else { throw .disconnected }
        for frame in arriving { handler(PacketBuffer(frame)) }
        arriving = []
    }

    func transmit(_ frame: PacketBuffer) async throws(NetworkError) {
        if let refusing {
            statistics.dropped += 1
            throw refusing
        }
        transmitted.append(frame.bytes)
    }
}

/// A wall clock that moves on by a microsecond every time it is read.
private final class SteppingWallClock: WallClock {
    var next: WallTime
    init(start: WallTime) { next = start }

    func now() -> WallTime {
        defer {
            let nanoseconds = next.nanoseconds + 1_000
            next = nanoseconds >= 1_000_000_000
                ? WallTime(seconds: next.seconds + 1, nanoseconds: nanoseconds - 1_000_000_000)
                : WallTime(seconds: next.seconds, nanoseconds: nanoseconds)
        }
        return next
    }
}

/// Reads the records of a little-endian pcap file, as a check independent of the writer.
private enum PcapRecords {
    struct Record {
        var time: WallTime
        var originalLength: Int
        var frame: [UInt8]
    }

    static func read(_ file: [UInt8]) -> [Record] {
        func word(_ offset: Int) -> UInt32 {
            (0..<4).reduce(0) { $0 | UInt32(file[offset + $1]) << (8 * $1) }
        }
        var records: [Record] = []
        var offset = 24
        while offset + 16 <= file.count {
            let captured = Int(word(offset + 8))
            records.append(Record(
                time: WallTime(seconds: Int64(word(offset)), nanoseconds: word(offset + 4)),
                originalLength: Int(word(offset + 12)),
                frame: Array(file[(offset + 16)..<(offset + 16 + captured)])))
            offset += 16 + captured
        }
        return records
    }
}
