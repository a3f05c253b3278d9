import Foundation
import Glibc
import MirageCore
import MirageNet
import MirageUnix
import Testing

/// Whether tcpdump is here to read the files back; the test says why not.
let tcpdumpAvailable: Bool = {
    let available = HostCommand.exists("tcpdump")
    if !available { print("SKIP: pcap file test: tcpdump is not installed, so nothing independent can read the file") }
    return available
}()

@Suite("PacketCapture to a file")
struct PacketCaptureFileTests {
    /// A fresh path in /tmp, removed after `body`.
    func withCapturePath(_ body: (String) throws -> Void) rethrows {
        let path = "/tmp/mirage-capture-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).pcap"
        defer { unlink(path) }
        try body(path)
    }

    @Test("tcpdump reads what PcapFileSink wrote: an ARP request and reply at nanosecond times",
          .enabled(if: tcpdumpAvailable, "SKIP: tcpdump is not installed"))
    func tcpdumpReadsTheFile() throws {
        let host = MACAddress(0x02, 0, 0, 0, 0, 1)
        let request = ARPPacket(operation: .request, senderHardware: host, senderProtocol: TestLink.hostAddress,
                                targetHardware: .zero, targetProtocol: TestLink.ourAddress)
        let reply = ARPPacket(operation: .reply, senderHardware: TestLink.ourMAC, senderProtocol: TestLink.ourAddress,
                              targetHardware: host, targetProtocol: TestLink.hostAddress)
        try withCapturePath { path in
            let sink = try PcapFileSink(path: path)
            sink.capture(Frames.arp(request, to: .broadcast), at: WallTime(seconds: 1_700_000_000, nanoseconds: 123_456_789))
            sink.capture(Frames.arp(reply, to: host), at: WallTime(seconds: 1_700_000_001, nanoseconds: 5))
            #expect(sink.frameCount == 2)
            #expect(sink.writeError == nil)
            sink.close()

            let output = try HostCommand.check(["tcpdump", "-r", path, "-n", "-tt", "--time-stamp-precision=nano"])
            let lines = output.split(separator: "\n").filter { !$0.hasPrefix("reading from file") }
            #expect(lines == [
                "1700000000.123456789 ARP, Request who-has 10.0.0.2 tell 10.0.0.1, length 28",
                "1700000001.000000005 ARP, Reply 10.0.0.2 is-at 02:00:00:00:00:02, length 28",
            ])
            #expect(output.contains("link-type EN10MB (Ethernet), snapshot length 65535"))
        }
    }

    @Test("the file is the header and one record per frame, byte for byte what PcapFormat makes")
    func fileBytes() throws {
        try withCapturePath { path in
            let sink = try PcapFileSink(path: path)
            let frame = PacketBuffer([UInt8](0..<60), headroom: 64)
            let time = WallTime(seconds: 1_700_000_000, nanoseconds: 1)
            sink.capture(frame, at: time)
            sink.capture(frame.slice(0..<14), at: time)
            var expected = PcapFormat.fileHeader()
            PcapFormat.appendRecord(of: frame, at: time, to: &expected)
            PcapFormat.appendRecord(of: frame.slice(0..<14), at: time, to: &expected)
            #expect(FileManager.default.contents(atPath: path).map(Array.init) == expected)
        }
    }

    @Test("a file that cannot be created is a typed error naming it")
    func cannotCreate() {
        #expect(throws: PcapFileError.cannotCreate(path: "/nonexistent/capture.pcap", reason: "No such file or directory")) {
            try PcapFileSink(path: "/nonexistent/capture.pcap")
        }
    }
}
