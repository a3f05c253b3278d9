import Foundation
import Testing

/// The figures of one "holding ..." line of the `net` source's debug log (`StackHoldings.summary`).
struct LoggedHoldings {
    var connections = 0, halfOpen = 0, orphans = 0, timeWait = 0
    var tcpReceiveBytes = 0, reassemblyBytes = 0, udpQueueBytes = 0, arpEntries = 0, neighborEntries = 0, pathMTUEntries = 0

    private static let pattern = try! NSRegularExpression(pattern:
        #"holding TCP (\d+) connections \((\d+) half-open, (\d+) orphans\), (\d+) in TIME-WAIT, (\d+) bytes received unread; "#
            + #"reassembly (\d+) bytes; UDP queues (\d+) bytes; ARP (\d+) entries; neighbours (\d+) entries; path MTU (\d+) entries"#)

    /// Every holdings line of `log`, in order.
    static func all(in log: String) -> [LoggedHoldings] {
        let range = NSRange(log.startIndex..., in: log)
        return pattern.matches(in: log, range: range).map { match in
            let figures = (1...10).map { Int((log as NSString).substring(with: match.range(at: $0)))! }
            return LoggedHoldings(connections: figures[0], halfOpen: figures[1], orphans: figures[2], timeWait: figures[3],
                                  tcpReceiveBytes: figures[4], reassemblyBytes: figures[5], udpQueueBytes: figures[6],
                                  arpEntries: figures[7], neighborEntries: figures[8], pathMTUEntries: figures[9])
        }
    }
}

extension EndToEnd {
    /// Issue 13: each class of frame-level attack, crafted with scapy from hosts that exist only
    /// on the wire, against the echo server on our stack over tap (a unix process, --net=direct),
    /// with small caps given as boot arguments. The peer script counts what the unikernel sends
    /// back where that is the bound and checks that a real client is still served; the tests check
    /// the unikernel's debug log: what it held never passed its caps.
    @Suite("Attacks with crafted frames over tap: bounds hold, a real client is served", .serialized, .enabled(if: networkTestsAvailable))
    struct AttackTests {
        static let caps = ["--tcp-connections=64", "--tcp-receive-memory-kib=1024", "--reassembly-memory-kib=256", "--arp-entries=64",
                           "--path-mtu-entries=16"]

        /// Runs the echo server with ``caps`` and debug logs, and the attack; returns the log's
        /// holdings lines (at least one).
        func attack(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ([LoggedHoldings], String) {
            let (result, log) = try checkEchoServer([try EchoImages.image(network: "direct"), "--ipv4=10.0.0.2/24", "-l", "net:debug"] + Self.caps,
                                                    peer: ["attack-" + name], sourceLocation: sourceLocation)
            print(result.output, terminator: "")
            let holdings = LoggedHoldings.all(in: log)
            print("holdings peaks: TCP connections \(Self.peak(holdings, \.connections)), "
                + "unread TCP bytes \(Self.peak(holdings, \.tcpReceiveBytes)), reassembly bytes \(Self.peak(holdings, \.reassemblyBytes)), "
                + "ARP entries \(Self.peak(holdings, \.arpEntries)), path MTU entries \(Self.peak(holdings, \.pathMTUEntries))")
            #expect(!holdings.isEmpty, "no holdings line in the log:\n\(log.suffix(3000))", sourceLocation: sourceLocation)
            return (holdings, log)
        }

        /// The largest value of `figure` over the logged holdings.
        static func peak(_ holdings: [LoggedHoldings], _ figure: KeyPath<LoggedHoldings, Int>) -> Int {
            holdings.map { $0[keyPath: figure] }.max() ?? 0
        }

        /// Expects the peak of `figure` to stay at or under the cap `atMost` and to reach
        /// `reached` (so that the attack is known to have pressed on the cap).
        func expectPeak(_ holdings: [LoggedHoldings], _ figure: KeyPath<LoggedHoldings, Int>, atMost cap: Int, reached: Int,
                        log: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let peak = Self.peak(holdings, figure)
            #expect(peak <= cap, "peak \(peak) > \(cap)", sourceLocation: sourceLocation)
            #expect(peak >= reached, "the attack did not press on the cap: peak \(peak)\n\(log.suffix(2000))", sourceLocation: sourceLocation)
        }

        @Test("class 1, SACK islands: at most 16 retransmissions per ACK, none tiny; a real client is served")
        func sack() throws {
            let (holdings, _) = try attack("sack")
            #expect(holdings.allSatisfy { $0.connections <= 64 })
        }

        @Test("class 2, 1-byte segments to a connection that does not read: received data held stays under the cap")
        func tinySegments() throws {
            let (holdings, log) = try attack("tiny-segments")
            // The cap (1 MiB), and the 16 KiB each of the two connections is guaranteed, and one
            // frame's buffer.
            expectPeak(holdings, \.tcpReceiveBytes, atMost: 1024 * 1024 + 2 * 16 * 1024 + 4096, reached: 64 * 1024 + 1, log: log)
        }

        @Test("class 3, idle connections past --tcp-connections=64: never more than 64; after resets a real client is served")
        func connections() throws {
            let (holdings, log) = try attack("connections")
            expectPeak(holdings, \.connections, atMost: 64, reached: 60, log: log)
        }

        @Test("class 4, forged fragmentation-needed messages: none believed, no path MTU entry")
        func pathMTU() throws {
            let (holdings, _) = try attack("path-mtu")
            #expect(holdings.allSatisfy { $0.pathMTUEntries == 0 })
        }

        @Test("class 5, 8-byte and never-completed fragments: reassembly holds at most its 256 KiB")
        func fragments() throws {
            let (holdings, log) = try attack("fragments")
            expectPeak(holdings, \.reassemblyBytes, atMost: 256 * 1024, reached: 64 * 1024 + 1, log: log)
        }

        @Test("class 6, ARP senders on and off the subnet: the table stays at its 64 entries, and a real client is served")
        func arp() throws {
            let (holdings, log) = try attack("arp")
            expectPeak(holdings, \.arpEntries, atMost: 64, reached: 60, log: log)
        }
    }
}
