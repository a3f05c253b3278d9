import MirageCore
import MirageNet
import MirageRuntime
import Testing

/// The stack's caps as boot arguments: each sets its field of the configuration, defaults are
/// the configuration's own, and a count of 0 is taken as 1.
@Suite("Stack limits as boot arguments")
struct StackBootKeyLimitTests {
    static let keys = [StackBootKeys.ipv4, StackBootKeys.gateway] + StackBootKeys.limits

    func configuration(_ arguments: [String]) throws -> StackConfiguration {
        guard case let .success(parsed) = BootArguments.parse(arguments, keys: Self.keys) else {
            throw FlowError.closed
        }
        return StackBootKeys.configuration(parsed)
    }

    @Test("without them the defaults hold")
    func defaults() throws {
        let configuration = try configuration([])
        let defaults = StackConfiguration(address: configuration.address)
        #expect(configuration.connectionLimits == defaults.connectionLimits)
        #expect(configuration.tcpReceiveMemoryLimit == defaults.tcpReceiveMemoryLimit)
        #expect(configuration.reassembly.memoryLimit == defaults.reassembly.memoryLimit)
        #expect(configuration.arp.entryLimit == defaults.arp.entryLimit)
        #expect(configuration.udpQueueMemoryLimit == defaults.udpQueueMemoryLimit)
    }

    @Test("each sets its limit; a count of 0 is 1")
    func given() throws {
        let configuration = try configuration([
            "--tcp-connections=16", "--tcp-time-wait=8", "--tcp-orphans=4", "--tcp-half-open=2",
            "--tcp-receive-memory-kib=2048", "--reassembly-memory-kib=64", "--arp-entries=0", "--path-mtu-entries=32",
            "--udp-queue-memory-kib=128",
        ])
        #expect(configuration.connectionLimits.connections == 16)
        #expect(configuration.connectionLimits.timeWait == 8)
        #expect(configuration.connectionLimits.orphans == 4)
        #expect(configuration.halfOpenLimit == 2)
        #expect(configuration.tcpReceiveMemoryLimit == 2048 * 1024)
        #expect(configuration.reassembly.memoryLimit == 64 * 1024)
        #expect(configuration.arp.entryLimit == 1)
        #expect(configuration.pathMTUEntryLimit == 32)
        #expect(configuration.udpQueueMemoryLimit == 128 * 1024)
    }

    @Test("a value that is not a count is refused, naming the key")
    func refused() {
        guard case let .failure(error) = BootArguments.parse(["--tcp-connections=-1"], keys: Self.keys) else {
            Issue.record("a negative count was accepted")
            return
        }
        #expect(error.description.contains("tcp-connections"))
    }
}
