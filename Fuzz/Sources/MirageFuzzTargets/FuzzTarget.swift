/// One parser of outside bytes, or one whole component, driven by a fuzzer's input. A target must
/// never trap, whatever the bytes; where it can, it checks the component's own bounds and traps
/// (a crash the fuzzer reports) when one is broken.
public struct FuzzTarget: Sendable {
    public let name: String
    /// What the target covers, for `scripts/fuzz --list`.
    public let summary: String
    public let run: @Sendable (UnsafeRawBufferPointer) -> Void

    public init(_ name: String, _ summary: String, run: @escaping @Sendable (UnsafeRawBufferPointer) -> Void) {
        self.name = name
        self.summary = summary
        self.run = run
    }

    /// Runs the target on `bytes`.
    public func callAsFunction(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { run($0) }
    }
}

/// Every fuzz target: what `mirage-fuzz` runs (chosen by `MIRAGE_FUZZ_TARGET`), and what the
/// corpus replay test feeds its committed inputs to.
public enum FuzzTargets {
    public static let all: [FuzzTarget] = [
        stack, reassembly, tcpHeader, dhcpMessage, ipv6Packet, httpRequest, httpResponse, dnsMessage, dnsQuery, dnsZone, dnsAnswer, tar, elf,
        bootArguments, manifest, hypercalls, netRings, blockRing, keys, tlsRecords, tlsHandshake, tlsEngine, x509, ociBundle, ttrpc,
        readyRequest,
    ]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// Stops the fuzzer with `message` when `condition` does not hold: a bound the component
/// promises was broken.
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError("fuzz invariant broken: \(message())") }
}
