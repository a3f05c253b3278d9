import MirageHVTHost
import Testing

@Suite("A --via client's request to a kept-ready VM")
struct ReadyRequestTests {
    static func decode(_ bytes: [UInt8]) throws(TenderError) -> ReadyRequest { try ReadyRequest(decoding: bytes) }

    @Test("the arguments, empty ones and UTF-8 too, and the trace's instant come back as sent")
    func roundTrip() throws {
        for request in [
            ReadyRequest(arguments: ["--mem=64", "--block:storage=disk.img", "--", "dist/block.hvt", "", "--name=é✓"]),
            ReadyRequest(arguments: ["probe.hvt"], traceEntered: 58_821_771_548_162),
            ReadyRequest(arguments: [], traceEntered: 0),
        ] {
            #expect(try Self.decode(request.encoded) == request)
        }
        #expect(ReadyRequest(arguments: ["a", "bc"]).encoded == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 97, 0, 98, 99, 0])
    }

    @Test("a malformed request is refused with a message naming the problem", arguments: [
        ([1, 0, 0], "3 bytes, shorter than its header"),
        ([2, 0, 0, 0, 0, 0, 0, 0, 0, 0], "version 2, not 1 (a client and server of different tenders)"),
        ([1, 2, 0, 0, 0, 0, 0, 0, 0, 0], "unknown flags 0x2"),
        ([1, 0, 5, 0, 0, 0, 0, 0, 0, 0], "a trace's instant without the trace flag"),
        ([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 97, 0, 98], "its last argument does not end with a zero byte"),
    ] as [([UInt8], String)])
    func malformed(bytes: [UInt8], reason: String) {
        #expect(throws: TenderError("a request to the ready VM: \(reason)", status: TenderExitStatus.usage)) {
            try Self.decode(bytes)
        }
    }

    @Test("a request larger than the cap (64 KiB) is refused, one at the cap is read")
    func cap() throws {
        let atCap = [UInt8](repeating: 1, count: 10) + [UInt8](repeating: 97, count: ReadyRequest.maximumSize - 11) + [0]
        var header = atCap
        header[1] = 0
        for index in 2..<10 { header[index] = 0 }
        #expect(try Self.decode(header).arguments.first?.utf8.count == ReadyRequest.maximumSize - 11)
        #expect(throws: TenderError("a request to the ready VM: larger than \(ReadyRequest.maximumSize) bytes", status: TenderExitStatus.usage)) {
            try Self.decode(header + [0])
        }
    }
}
