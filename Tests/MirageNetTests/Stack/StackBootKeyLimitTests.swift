import MirageCore
import MirageNet
import MirageRuntime
import Testing

/// The stack's caps as boot arguments: each sets its field of the configuration, defaults are
/// the configuration's own, and a count of 0 is taken as 1.
@Suite("Stack limits as boot arguments")
struct StackBootKeyLimitTests {
    static let keys = [StackBootKeys.ipv4, StackBootKeys.gateway, StackBootKeys.ipv6, StackBootKeys.ipv6Gateway] + StackBootKeys.limits

    func configuration(_ arguments: [String], memory: Int? = nil) throws -> StackConfiguration {
        guard case let .success(parsed) = BootArguments.parse(arguments, keys: Self.keys) else {
            throw FlowError.closed
        }
        return StackBootKeys.configuration(parsed, memory: memory)
    }

    @Test("scaled to the guest's memory: 32 MiB keeps the defaults, 8 MiB a quarter, 256 MiB eight times; given caps win")
    func scaledToMemory() throws {
        let defaults = try configuration([])
        #expect(try configuration([], memory: 32 << 20).connectionLimits == defaults.connectionLimits)
        #expect(try configuration([], memory: 32 << 20).tcpReceiveMemoryLimit == defaults.tcpReceiveMemoryLimit)
        let small = try configuration([], memory: 8 << 20)
        #expect(small.tcpReceiveMemoryLimit == defaults.tcpReceiveMemoryLimit / 4)
        #expect(small.reassembly.memoryLimit == defaults.reassembly.memoryLimit / 4)
        #expect(small.connectionLimits.connections == defaults.connectionLimits.connections / 4)
        #expect(small.arp.entryLimit == defaults.arp.entryLimit / 4)
        #expect(small.udpQueueMemoryLimit == defaults.udpQueueMemoryLimit / 4)
        let large = try configuration([], memory: 256 << 20)
        #expect(large.tcpReceiveMemoryLimit == defaults.tcpReceiveMemoryLimit * 8)
        #expect(large.connectionLimits.timeWait == defaults.connectionLimits.timeWait * 8)
        // A tiny guest keeps the floors; absurd sizes do not overflow.
        let tiny = try configuration([], memory: 1 << 20)
        #expect(tiny.connectionLimits.connections == 64 && tiny.reassembly.memoryLimit == 64 * 1024)
        #expect(try configuration([], memory: .max).tcpReceiveMemoryLimit > 0)
        // A cap given on the command line is taken as given, scaled or not.
        let given = try configuration(["--tcp-connections=100", "--reassembly-memory-kib=512"], memory: 8 << 20)
        #expect(given.connectionLimits.connections == 100 && given.reassembly.memoryLimit == 512 * 1024)
        #expect(given.arp.entryLimit == defaults.arp.entryLimit / 4)
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
