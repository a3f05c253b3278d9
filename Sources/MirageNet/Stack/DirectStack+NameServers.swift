import MirageCore

extension DirectStack: NameServerSource {
    /// The DNS resolvers of the DHCP lease (RFC 2132 section 3.8), in its order; none with a
    /// fixed address. IPv6 router advertisements' RDNSS option (RFC 8106) is not read yet.
    public var nameServers: [IPAddress] {
        lease?.domainNameServers.map { .v4($0) } ?? []
    }
}
