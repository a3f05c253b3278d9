/// An Ethernet device called `name`, attached at boot with `--net:NAME=TAP` (default name
/// `service`, as the hvt tender spells it).
public func network(_ name: String = "service", file: String = #filePath, line: Int = #line) -> Device<Network> {
    Device(.network, name: name, file: file, line: line)
}

extension DeviceKind {
    /// ``network(_:file:line:)``: the tender's net device on hvt; unix has none of its own.
    package static let network = DeviceKind("network", signature: Network.self, modules: [.net], targets: [
        .hvt: OnTarget(modules: [.hvtNet]) { device, _ in
            DeviceImplementation(
                summary: "HVTNetworkDevice, the tender's net device --net:\(device.name)=TAP",
                connect: "try HVTNetworkDevice.connect(name: \(swiftLiteral(device.name)), platform: platform)",
                errorType: "HVTNetworkError",
                tenderDevice: TenderDevice(kind: .net, name: device.name),
                usesTap: true)
        },
    ])
}
