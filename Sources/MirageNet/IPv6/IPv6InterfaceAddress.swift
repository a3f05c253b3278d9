import MirageCore

/// One address of an IPv6 interface and where it is in its life (RFC 4862 section 5).
public struct IPv6InterfaceAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Origin: Hashable, Sendable {
        /// `fe80::` and the interface identifier (RFC 4862 section 5.3).
        case linkLocal
        /// Given with `--ipv6=`.
        case fixed
        /// Formed from a prefix a router advertised (RFC 4862 section 5.5.3).
        case autoconfigured
    }

    /// The address and its prefix length.
    public var prefix: IPv6Prefix
    public var origin: Origin
    /// Still being checked for duplicates: neither used nor answered for (RFC 4862 section 5.4).
    public var isTentative = true
    /// Solicitations sent for duplicate address detection.
    var probesSent = 0
    /// When the next probe goes, or the address stops being tentative.
    var nextProbe: Instant?
    /// When the address stops being preferred (new connections use another) and valid (it is
    /// removed); nil: never (RFC 4862 section 5.5.4).
    public var preferredUntil: Instant?
    public var validUntil: Instant?

    public var address: IPv6Address { prefix.address }

    public var description: String { "\(prefix)" + (isTentative ? " (tentative)" : "") }

    /// Whether the address may be the source of new communication at `now`.
    func isPreferred(at now: Instant) -> Bool {
        !isTentative && (preferredUntil.map { now < $0 } ?? true)
    }
}
