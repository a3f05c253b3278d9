/// TLS clients over `stack` (MirageOS's `tls_mirage` on the client side, with `ca-certs-nss`'s
/// role played by a store): each server's certificate chain is validated against the certificate
/// authorities in `trustAnchors`, every certificate of its `.pem` and `.crt` files (a
/// development CA's `ca.pem`, a system's `ca-certificates.crt`), and must name the host
/// connected to (RFC 9525). The application connects through it as through a TCP stack; an
/// `HTTPClient` over it speaks HTTPS. An empty store trusts no server.
public func tlsClient(over stack: Device<Stack>, trusting trustAnchors: Device<KV>, file: String = #filePath, line: Int = #line) -> Device<TLS> {
    Device(.tlsClient, name: trustAnchors.description.name,
           parameters: ["stack": stack.description.id, "trustAnchors": trustAnchors.description.id],
           dependsOn: [stack.description, trustAnchors.description], file: file, line: line)
}

extension DeviceKind {
    /// ``tlsClient(over:trusting:file:line:)``: a `TLSStack` connecting over the stack device,
    /// its trust anchors read from the key-value store at start; its generator is MirageCrypto's
    /// `CryptoRandom` over getrandom on unix, the guest's own on hvt.
    package static let tlsClient = DeviceKind("tls-client", signature: TLS.self, modules: [.tls, .crypto], targets: [
        .unix: OnTarget { device, _ in device.tlsClientImplementation(random: "CryptoRandom(source: UnixEntropy())") },
        .hvt: OnTarget { device, _ in device.tlsClientImplementation(random: "HVTEntropy()") },
    ])
}

extension DeviceDescription {
    fileprivate func tlsClientImplementation(random: String) -> DeviceImplementation {
        let stack = lowerCamelCase(parameters["stack"] ?? ""), anchors = lowerCamelCase(parameters["trustAnchors"] ?? "")
        return DeviceImplementation(
            summary: "TLSStack connecting over \(parameters["stack"] ?? ""), trusting the CAs of the .pem and .crt files of \(parameters["trustAnchors"] ?? "")",
            connect: "try await TLSStack.connecting(\(stack), trusting: \(anchors), random: \(random), now: { platform.wallClock.now() })",
            errorType: "TLSCredentialsError")
    }
}
