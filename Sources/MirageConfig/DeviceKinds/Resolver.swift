/// A DNS stub resolver over `stack` (MirageOS's `generic_dns_client`): it asks the resolvers of
/// `--resolver=ADDRESS[@PORT],...`, else those the network offers (DHCP's on our stack,
/// `/etc/resolv.conf`'s on the host's sockets), over UDP with TCP for truncated answers, and
/// caches answers while their TTLs last. The application gets a `MirageDNS.DNSResolving`.
public func resolver(over stack: Device<Stack>, file: String = #filePath, line: Int = #line) -> Device<Resolver> {
    Device(.resolver, name: stack.description.name, parameters: ["stack": stack.description.id],
           dependsOn: [stack.description], file: file, line: line)
}

extension DeviceKind {
    /// ``resolver(over:file:line:)``: a `DNSStubResolver` over the stack device, its identifiers
    /// and source ports drawn from the platform's entropy.
    package static let resolver = DeviceKind("resolver", signature: Resolver.self, modules: [.dns], targets: [
        .unix: OnTarget { device, _ in device.resolverImplementation(entropy: "UnixEntropy()") },
        .hvt: OnTarget { device, _ in device.resolverImplementation(entropy: "HVTEntropy()") },
    ])
}

extension DeviceDescription {
    fileprivate func resolverImplementation(entropy: String) -> DeviceImplementation {
        let stack = lowerCamelCase(parameters["stack"] ?? "")
        return DeviceImplementation(
            summary: "DNSStubResolver over \(parameters["stack"] ?? ""): --resolver=, else the network's resolvers",
            bootKeys: ["DNSServerList.bootKey"],
            connect: "DNSStubResolver(stack: \(stack), clock: platform.monotonicClock, entropy: \(entropy), arguments: arguments)")
    }
}
