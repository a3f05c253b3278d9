import MirageCore
import MirageNet
import MirageRuntime

/// Two of our stacks (`DirectStack`) on one ``SimulatedNetwork``, 10.0.0.1 (the client) and
/// 10.0.0.2 (the server), driven by the scheduler on a ``SimulatedPlatform``'s manual clock: for
/// testing protocols over real TCP in simulated time, with the network's impairments.
public final class SimulatedStackPair {
    public static let clientAddress = IPv4Address(10, 0, 0, 1)
    public static let serverAddress = IPv4Address(10, 0, 0, 2)

    public let platform = SimulatedPlatform()
    public let network: SimulatedNetwork
    public let tcp: TCPConfiguration
    public let offloads: NetworkOffloads
    /// Changes to both stacks' configurations beyond ``tcp``, then to the server's alone.
    public let configure: (inout StackConfiguration) -> Void
    public let configureServer: (inout StackConfiguration) -> Void
    public private(set) var client: DirectStack<SimulatedNetworkDevice, ManualClock>!
    public private(set) var server: DirectStack<SimulatedNetworkDevice, ManualClock>!

    public init(seed: UInt64, impairments: SimulatedNetwork.Impairments = SimulatedNetwork.Impairments(),
                tcp: TCPConfiguration = TCPConfiguration(), offloads: NetworkOffloads = [],
                configure: @escaping (inout StackConfiguration) -> Void = { _ in },
                configureServer: @escaping (inout StackConfiguration) -> Void = { _ in }) {
        network = SimulatedNetwork(seed: seed, impairments: impairments)
        self.tcp = tcp
        self.offloads = offloads
        self.configure = configure
        self.configureServer = configureServer
    }

    /// Creates the stacks (inside the scheduler) and runs `body`; returns its status.
    /// - Parameter limit: simulated time after which the run stops, so that a stack that stalls
    ///   fails its test instead of hanging it.
    public func run(limit: Duration = .seconds(1000), _ body: @escaping (SimulatedStackPair) async -> Int32) -> Int32 {
        Mirage.runToCompletion(platform) { [self] in
            let platform = self.platform
            Task {
                try? await sleep(for: limit)
                platform.stopRequested = true
            }
            var clientConfiguration = StackConfiguration(address: IPv4Prefix(address: Self.clientAddress, length: 24))
            clientConfiguration.tcp = tcp
            var serverConfiguration = StackConfiguration(address: IPv4Prefix(address: Self.serverAddress, length: 24))
            serverConfiguration.tcp = tcp
            configure(&clientConfiguration)
            configure(&serverConfiguration)
            configureServer(&serverConfiguration)
            client = DirectStack(device: network.attach(mac: MACAddress(2, 0, 0, 0, 0, 1), offloads: offloads),
                                 clock: platform.monotonicClock, entropy: SeededEntropy(seed: 11), configuration: clientConfiguration)
            server = DirectStack(device: network.attach(mac: MACAddress(2, 0, 0, 0, 0, 2), offloads: offloads),
                                 clock: platform.monotonicClock, entropy: SeededEntropy(seed: 22), configuration: serverConfiguration)
            return await body(self)
        }
    }
}
