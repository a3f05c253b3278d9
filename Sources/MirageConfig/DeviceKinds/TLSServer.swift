/// TLS over `stack` with the certificate chains and keys in `certificates` (`server.pem` and
/// `server.key`; `scripts/dev-certificate` makes a development pair): the application listens on
/// it as on a TCP stack and its connections are TLS 1.3 sessions (MirageOS's `tls_mirage`).
/// With `enabledBy`, a configure-time `Bool` key switches it: off, nothing is loaded and
/// listening on it is refused, so the application serves without TLS. A `client-ca.pem` in the
/// store makes the server require client certificates issued by its CAs; with
/// `requiringClientCertificates` the unikernel does not start without that file, so that a
/// service that must only answer authenticated clients cannot be started answering everyone.
public func tlsServer(over stack: Device<Stack>, certificates: Device<KV>, enabledBy key: Key<Bool>? = nil,
                      requiringClientCertificates: Bool = false, file: String = #filePath, line: Int = #line) -> Device<TLS> {
    var parameters = ["stack": stack.description.id, "certificates": certificates.description.id]
    if let key { parameters["enabledBy"] = key.description.name }
    if requiringClientCertificates { parameters["clientCertificates"] = "required" }
    return Device(.tls, name: certificates.description.name, parameters: parameters,
                  dependsOn: [stack.description, certificates.description], file: file, line: line)
}

extension DeviceKind {
    /// ``tlsServer(over:certificates:enabledBy:file:line:)``: a `TLSStack` over the stack device,
    /// its credentials read from the key-value store at start; its generator is MirageCrypto's
    /// `CryptoRandom` over getrandom on unix, the guest's own on hvt.
    package static let tls = DeviceKind("tls", signature: TLS.self, modules: [.tls, .crypto], targets: [
        .unix: OnTarget { device, choices in device.tlsImplementation(choices, random: "CryptoRandom(source: UnixEntropy())") },
        .hvt: OnTarget { device, choices in device.tlsImplementation(choices, random: "HVTEntropy()") },
    ])
}

extension DeviceDescription {
    fileprivate func tlsImplementation(_ choices: ConfigureChoices, random: String) -> DeviceImplementation {
        let stack = lowerCamelCase(parameters["stack"] ?? ""), certificates = lowerCamelCase(parameters["certificates"] ?? "")
        if let key = parameters["enabledBy"], !key.isEmpty, choices.values[key] != "true" {
            return DeviceImplementation(summary: "TLS switched off (--\(key)=false): listening on it is refused",
                                        connect: "TLSStack(disabledOver: \(stack))",
                                        unusedDependencies: [parameters["certificates"] ?? ""])
        }
        let requiring = parameters["clientCertificates"] == "required"
        return DeviceImplementation(
            summary: "TLSStack over \(parameters["stack"] ?? ""), its certificate server.pem and key server.key from \(parameters["certificates"] ?? "")"
                + (requiring ? ", requiring client certificates from its client-ca.pem" : ""),
            bootKeys: [#"BootKey("tls-tickets", of: Bool.self, default: true, documentation: "Give TLS clients session tickets to resume with: TLS 1.3 PSK tickets, TLS 1.2 RFC 5077 ones (false: every handshake is a full one).", group: .device)"#],
            connect: "try await TLSStack.serving(\(stack), certificates: \(certificates), random: \(random), now: { platform.wallClock.now() }, "
                + "sessionTickets: arguments.value(\"tls-tickets\", as: Bool.self)" + (requiring ? ", requiringClientCertificates: true)" : ")"),
            errorType: "TLSCredentialsError")
    }
}
