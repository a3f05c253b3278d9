import MirageCore
import MirageRuntime

/// The resolvers `--resolver=` names: addresses separated by commas, each with `@PORT` when the
/// resolver is not on port 53 (`--resolver=192.0.2.53,2001:db8::53@5353`).
public struct DNSServerList: Hashable, Sendable, BootValue {
    public var servers: [Endpoint]

    public init(_ servers: [Endpoint]) { self.servers = servers }

    public init?(bootArgument text: String) {
        var servers: [Endpoint] = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
            var port: UInt16 = 53
            if parts.count == 2 {
                guard let given = UInt16(parts[1]), given != 0 else { return nil }
                port = given
            }
            if let address = IPv4Address(parts[0]) {
                servers.append(Endpoint(.v4(address), port: port))
            } else if let address = IPv6Address(parts[0]) {
                servers.append(Endpoint(.v6(address), port: port))
            } else {
                return nil
            }
        }
        guard !servers.isEmpty, servers.count <= 8 else { return nil }
        self.servers = servers
    }

    public var bootArgumentText: String {
        var text = ""
        for server in servers {
            if !text.isEmpty { text += "," }
            text += server.address.description
            if server.port != 53 { text += "@\(server.port)" }
        }
        return text
    }

    public static var bootArgumentForm: String { "ADDRESS[@PORT],..." }
    public static var bootArgumentExpectation: String {
        "up to 8 IPv4 or IPv6 addresses separated by commas, each with @PORT when not 53, such as 192.0.2.53,2001:db8::53"
    }
}

extension DNSServerList {
    /// `--resolver=ADDRESS[@PORT],...`: the recursive resolvers to ask instead of those the
    /// network offers.
    public static let bootKey = BootKey("resolver", of: DNSServerList.self,
                                        documentation: "The DNS resolvers to ask (else those DHCP gave, or /etc/resolv.conf's on host sockets).",
                                        group: .network)
}

extension DNSStubResolver where Stack: NameServerSource {
    /// A resolver over `stack` asking the resolvers of `--resolver=`, else those the stack
    /// learnt from its network at the time of each query.
    public convenience init(stack: Stack, clock: Clock, entropy: any EntropySource, arguments: BootArguments,
                            configuration: DNSResolverConfiguration = DNSResolverConfiguration()) {
        let given = arguments.optionalValue("resolver", as: DNSServerList.self)
        self.init(stack: stack, clock: clock, entropy: entropy, configuration: configuration) {
            given?.servers ?? stack.nameServers.map { Endpoint($0, port: 53) }
        }
    }
}
