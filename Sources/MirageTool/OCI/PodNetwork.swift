import Foundation

/// A pod's network namespace, as CNI left it (an interface with the pod's IPv4 address and a
/// default route), given to a unikernel: a tap beside that interface with tc redirects both ways
/// (every frame that arrives on the interface leaves through the tap to the guest, and every frame
/// the guest sends leaves through the interface), and the address, gateway and MTU for the
/// guest's boot arguments. The kernel keeps the address but sees no frame of the pod's any more.
public struct PodNetwork: Codable, Equatable, Sendable {
    /// The namespace's path (`/var/run/netns/…`, `/proc/PID/ns/net`).
    public var namespace: String
    /// The pod's interface CNI made (`eth0`).
    public var interface: String
    public var tap: String
    /// `ADDRESS/PREFIX`.
    public var address: String
    public var gateway: String?
    public var mtu: Int

    /// The guest's boot arguments for the pod's address and route.
    public var bootArguments: [String] {
        ["--ipv4=\(address)"] + (gateway.map { ["--ipv4-gateway=\($0)"] } ?? [])
    }

    /// Finds the pod's interface in `namespace` (the first with an IPv4 address but loopback),
    /// makes `tap` beside it and redirects both ways.
    public static func attach(tap: String, namespace: String) throws(ToolError) -> PodNetwork {
        let addresses = try json(in: namespace, ["ip", "-j", "-4", "addr", "show"])
        guard let found = addresses.first(where: { ($0["ifname"] as? String) != "lo" && !(($0["addr_info"] as? [[String: Any]]) ?? []).isEmpty }),
              let interface = found["ifname"] as? String,
              let info = (found["addr_info"] as? [[String: Any]])?.first,
              let local = info["local"] as? String, let length = info["prefixlen"] as? Int else {
            throw ToolError("the pod's network namespace \(namespace) has no interface with an IPv4 address (did CNI run?)")
        }
        let routes = try json(in: namespace, ["ip", "-j", "-4", "route", "show", "default"])
        let gateway = routes.first?["gateway"] as? String
        let network = PodNetwork(namespace: namespace, interface: interface, tap: tap, address: "\(local)/\(length)",
                                 gateway: gateway, mtu: found["mtu"] as? Int ?? 1500)
        do {
            try network.run(["ip", "tuntap", "add", "dev", tap, "mode", "tap"])
            try network.run(["ip", "link", "set", tap, "mtu", String(network.mtu), "up"])
            for (from, to) in [(interface, tap), (tap, interface)] {
                try network.run(["tc", "qdisc", "add", "dev", from, "ingress"])
                // u32 matching every packet: matchall is not in every kernel (not in this VM's).
                try network.run(["tc", "filter", "add", "dev", from, "parent", "ffff:", "protocol", "all", "u32", "match", "u32", "0", "0",
                                 "action", "mirred", "egress", "redirect", "dev", to])
            }
        } catch {
            network.detach()
            throw error
        }
        return network
    }

    /// Removes the tap and the interface's redirect; what is already gone is no error.
    public func detach() {
        _ = try? Shell.capture(["nsenter", "--net=" + namespace, "tc", "qdisc", "del", "dev", interface, "ingress"])
        _ = try? Shell.capture(["nsenter", "--net=" + namespace, "ip", "link", "del", tap])
    }

    private func run(_ command: [String]) throws(ToolError) {
        let result = try Shell.capture(["nsenter", "--net=" + namespace] + command)
        guard result.status == 0 else {
            throw ToolError("\(command.joined(separator: " ")) in \(namespace) failed: \(result.errorOutput.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }

    private static func json(in namespace: String, _ command: [String]) throws(ToolError) -> [[String: Any]] {
        let result = try Shell.capture(["nsenter", "--net=" + namespace] + command)
        guard result.status == 0 else {
            throw ToolError("cannot read the pod's network namespace \(namespace): \(result.errorOutput.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return (try? JSONSerialization.jsonObject(with: Data(result.output.utf8))) as? [[String: Any]] ?? []
    }
}
