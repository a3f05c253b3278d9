import MirageCore

/// How a direct stack sets up IPv6 (boot arguments `--ipv6` and `--ipv6-gateway`).
public struct IPv6Configuration: Sendable {
    /// Where the addresses come from.
    public enum Mode: Hashable, Sendable {
        /// No IPv6 at all.
        case disabled
        /// A link-local address, and addresses from the prefixes routers advertise (SLAAC,
        /// RFC 4862); the default, as on Linux.
        case automatic
        /// A link-local address and this one (with its on-link prefix); routers' prefixes give
        /// no addresses.
        case fixed(IPv6Prefix)
    }

    public var mode: Mode = .automatic
    /// A default router given by hand (`--ipv6-gateway`), beside those that advertise.
    public var gateway: IPv6Address?
    public var neighbors = NeighborCache.Configuration()
    /// DupAddrDetectTransmits (RFC 4862 section 5.1): solicitations before an address is used.
    public var duplicateAddressProbes = 1
    /// The first probe for an address waits a random delay below this, after its group is
    /// joined (RFC 4862 section 5.4.2, MAX_RTR_SOLICITATION_DELAY, as Linux does): hosts started
    /// together do not solicit at once, and a link that has just come up (a tap the kernel has
    /// not yet seen carrier on, a switch port) gets a moment to pass the probe, so that a
    /// duplicate is not missed. Zero sends it at once.
    public var firstProbeDelayLimit: Duration = .seconds(1)
    /// Addresses formed from advertised prefixes, at most: each spoofed prefix would cost one.
    public var autoconfiguredAddressLimit = 4
    /// On-link prefixes and default routers kept from advertisements, at most.
    public var prefixLimit = 8
    public var routerLimit = 4
    /// Recursive DNS servers kept from advertisements (RFC 8106 section 5.3.1 asks for at least
    /// three): past it, the one that expires first makes room.
    public var dnsServerLimit = 3

    public init(mode: Mode = .automatic, gateway: IPv6Address? = nil) {
        self.mode = mode
        self.gateway = gateway
    }
}
