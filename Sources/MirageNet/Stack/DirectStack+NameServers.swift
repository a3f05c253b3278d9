import MirageCore

extension DirectStack: NameServerSource {
    /// The DNS resolvers of the DHCP lease (RFC 2132 section 3.8), in its order, then those of
    /// IPv6 router advertisements (RDNSS, RFC 8106); none with fixed addresses on a network that
    /// advertises none.
    public var nameServers: [IPAddress] {
        (lease?.domainNameServers.map { .v4($0) } ?? []) + core.ipv6DNSServers.map { .v6($0) }
    }
}
