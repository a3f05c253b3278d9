import MirageCore

/// A resolver that answers any question, not only for addresses (MirageOS's `Dns_client.S`):
/// what a unikernel's manifest gets from `resolver(over:)`.
public protocol DNSResolving: NameResolver {
    /// The records of `type` for `name` (presentation form), following aliases.
    func resolve(_ name: String, type: DNSRecordType) async throws(DNSResolverError) -> DNSAnswer
}

extension DNSStubResolver: DNSResolving {}
