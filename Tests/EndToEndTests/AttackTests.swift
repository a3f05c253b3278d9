import Foundation
import Testing

/// The figures of one "holding ..." line of the `net` source's debug log (`StackHoldings.summary`).
struct LoggedHoldings {
    var connections = 0, halfOpen = 0, orphans = 0, timeWait = 0
    var tcpReceiveBytes = 0, reassemblyBytes = 0, udpQueueBytes = 0, arpEntries = 0, pathMTUEntries = 0

    private static let pattern = try! NSRegularExpression(pattern:
        #"holding TCP (\d+) connections \((\d+) half-open, (\d+) orphans\), (\d+) in TIME-WAIT, (\d+) bytes received unread; "#
            + #"reassembly (\d+) bytes; UDP queues (\d+) bytes; ARP (\d+) entries; path MTU (\d+) entries"#)

    /// Every holdings line of `log`, in order.
    static func all(in log: String) -> [LoggedHoldings] {
        let range = NSRange(log.startIndex..., in: log)
        return pattern.matches(in: log, range: range).map { match in
            let figures = (1...9).map { Int((log as NSString).substring(with: match.range(at: $0)))! }
            return LoggedHoldings(connections: figures[0], halfOpen: figures[1], orphans: figures[2], timeWait: figures[3],
                                  tcpReceiveBytes: figures[4], reassemblyBytes: figures[5], udpQueueBytes: figures[6],
                                  arpEntries: figures[7], pathMTUEntries: figures[8])
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
            print("holdings peaks: TCP connections \(holdings.map(\.connections).max() ?? 0), "
                + "unread TCP bytes \(holdings.map(\.tcpReceiveBytes).max() ?? 0), reassembly bytes \(holdings.map(\.reassemblyBytes).max() ?? 0), "
                + "ARP entries \(holdings.map(\.arpEntries).max() ?? 0), path MTU entries \(holdings.map(\.pathMTUEntries).max() ?? 0)")
            #expect(!holdings.isEmpty, "no holdings line in the log:\n\(log.suffix(3000))", sourceLocation: sourceLocation)
            return (holdings, log)
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
            let bound = 1024 * 1024 + 2 * 16 * 1024 + 4096
            let peak = holdings.map(\.tcpReceiveBytes).max() ?? 0
            #expect(peak <= bound, "peak \(peak) > \(bound)")
            #expect(peak > 64 * 1024, "the attack never made the connection hold data: \(peak)\n\(log.suffix(2000))")
        }

        @Test("class 3, idle connections past --tcp-connections=64: never more than 64; after resets a real client is served")
        func connections() throws {
            let (holdings, _) = try attack("connections")
            let peak = holdings.map(\.connections).max() ?? 0
            #expect(peak <= 64, "peak \(peak)")
            #expect(peak >= 60, "the attack did not reach the cap: \(peak)")
        }

        @Test("class 4, forged fragmentation-needed messages: none believed, no path MTU entry")
        func pathMTU() throws {
            let (holdings, _) = try attack("path-mtu")
            #expect(holdings.allSatisfy { $0.pathMTUEntries == 0 })
        }

        @Test("class 5, 8-byte and never-completed fragments: reassembly holds at most its 256 KiB")
        func fragments() throws {
            let (holdings, log) = try attack("fragments")
            let peak = holdings.map(\.reassemblyBytes).max() ?? 0
            #expect(peak <= 256 * 1024, "peak \(peak)")
            #expect(peak > 64 * 1024, "the attack never filled reassembly: \(peak)\n\(log.suffix(2000))")
        }

        @Test("class 6, ARP senders on and off the subnet: at most 64 entries, none off the subnet")
        func arp() throws {
            let (holdings, _) = try attack("arp")
            let peak = holdings.map(\.arpEntries).max() ?? 0
            #expect(peak <= 64, "peak \(peak)")
            #expect(peak >= 60, "the attack did not reach the cap: \(peak)")
        }
    }
}
