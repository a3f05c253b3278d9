/// A TCP/IP stack on the network device `network` (MirageOS's `generic_stackv4v6 default_network`).
/// On unix, `configure --net=socket` (the default) uses the host's sockets and `--net=direct` our
/// stack over the tap device `--net:NAME=TAP`; on hvt it is always our stack, over the tender's tap.
public func stack(network: String = "service", file: String = #filePath, line: Int = #line) -> Device<Stack> {
    Device(.stack, name: network, file: file, line: line)
}

/// Which TCP/IP stack a unix unikernel uses (`configure --net=`): the host's sockets, or ours
/// over a tap device. hvt has only ours.
public enum NetworkMode: String, CaseIterable, Codable, Sendable {
    case socket
    case direct
}

/// The boot keys of our stack on every target: its addresses and its limits (`StackBootKeys`).
let directStackBootKeys = ["StackBootKeys.ipv4", "StackBootKeys.gateway", "StackBootKeys.ipv6", "StackBootKeys.ipv6Gateway", "StackBootKeys.dhcpProbes"] + [
    "tcpConnections", "tcpTimeWait", "tcpOrphans", "tcpHalfOpen", "tcpReceiveMemory", "reassemblyMemory", "arpEntries",
    "pathMTUEntries", "udpQueueMemory",
].map { "StackBootKeys." + $0 }

extension DeviceKind {
    /// ``stack(network:file:line:)``: on unix the host's sockets or, `--net=direct`, our stack over
    /// a tap device; on hvt our stack over the tender's net device.
    package static let stack = DeviceKind("stack", signature: Stack.self, modules: [.net], targets: [
        .unix: OnTarget { device, choices in
            guard choices.network == .direct else {
                return DeviceImplementation(summary: "SocketStack over the host's sockets", connect: "SocketStack(platform: platform)")
            }
            return DeviceImplementation(
                summary: "UnixDirectStack, our stack over the tap device --net:\(device.name)=TAP",
                bootKeys: directStackBootKeys + ["TapDevice.bootKey(network: \(swiftLiteral(device.name)))", "PcapFileSink.bootKey"],
                connect: "try await UnixDirectStack.overTap(network: \(swiftLiteral(device.name)), platform: platform, arguments: arguments)",
                errorType: "UnixNetworkError",
                usesTap: true)
        },
        // Our stack over the tender's net device (`mirage-hvt --net:NAME=TAP`), with the same
        // boot keys as the unix direct stack; the tap is named on the tender's command line.
        .hvt: OnTarget(modules: [.hvtNet]) { device, choices throws(DeviceUnavailable) in
            guard choices.network != .socket else {
                throw DeviceUnavailable("the host-socket stack (--net=socket) is not available on target hvt: a VM has no host sockets; use --net=direct")
            }
            return DeviceImplementation(
                summary: "HVTDirectStack, our stack over the tender's net device --net:\(device.name)=TAP",
                bootKeys: directStackBootKeys,
                connect: "try await HVTDirectStack.overTender(network: \(swiftLiteral(device.name)), platform: platform, arguments: arguments)",
                errorType: "HVTNetworkError",
                tenderDevice: TenderDevice(kind: .net, name: device.name),
                usesTap: true)
        },
    ])
}
