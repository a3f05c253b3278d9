import MirageCore
import MirageRuntime

/// The boot arguments of a direct stack, the same on every target (MirageOS's `--ipv4`,
/// `--ipv4-gateway`, `--ipv6` and `--ipv6-gateway`).
public enum StackBootKeys {
    /// `--ipv4=ADDRESS/PREFIX`: our address and on-link network; `--ipv4=dhcp`, the default:
    /// from a DHCP server (``DirectStack/acquireAddress(_:seed:)``), as every cloud and home
    /// network hands addresses out.
    public static let ipv4 = BootKey("ipv4", of: IPv4Assignment.self, default: IPv4Assignment.dhcp,
                                     documentation: "The stack's IPv4 address and network, or dhcp to ask a DHCP server.",
                                     group: .network)
    /// `--ipv4-gateway=ADDRESS`: where packets for other networks go.
    public static let gateway = BootKey("ipv4-gateway", of: IPv4Address.self,
                                        documentation: "The IPv4 gateway (none: only the local network is reachable).",
                                        group: .network)

    /// `--ipv6=ADDRESS/PREFIX|auto|none`: IPv6 beside IPv4; `auto`, the default, takes a
    /// link-local address and forms others from routers' advertisements (SLAAC).
    public static let ipv6 = BootKey("ipv6", of: IPv6Assignment.self, default: IPv6Assignment.automatic,
                                     documentation: "The stack's IPv6 address and prefix, auto (link-local and SLAAC) or none.",
                                     group: .network)
    /// `--ipv6-gateway=ADDRESS`: a default IPv6 router given by hand, beside advertised ones.
    public static let ipv6Gateway = BootKey("ipv6-gateway", of: IPv6Address.self,
                                            documentation: "An IPv6 default router (else those that advertise themselves).",
                                            group: .network)

    /// `--dhcp-probes=N`: the ARP probes sent for a leased address, 200 ms apart, before it is
    /// used (RFC 5227 section 2.1.1; an answer declines it). 0 skips the check, as dhcpcd's
    /// `noarp` does; at most 10.
    public static let dhcpProbes = BootKey("dhcp-probes", of: Int.self, default: 2,
                                           documentation: "ARP probes for a DHCP lease's address before it is used, 200 ms apart (0: none).",
                                           group: .network)

    /// How the boot arguments say the address comes: fixed, or from DHCP.
    public static func assignment(_ arguments: BootArguments) -> IPv4Assignment {
        arguments.value("ipv4", as: IPv4Assignment.self)
    }

    /// Creates a direct stack as the boot arguments describe it and, with `--ipv4=dhcp`, returns
    /// once DHCP has bound a lease. `seed` is drawn from the stack's entropy.
    public static func start<Device: NetworkDevice, Clock: MonotonicClock>(
        device: Device, clock: Clock, entropy: any EntropySource, arguments: BootArguments, memory: Int? = nil
    ) async -> DirectStack<Device, Clock> {
        let stack = DirectStack(device: device, clock: clock, entropy: entropy, configuration: configuration(arguments, memory: memory))
        if case .dhcp = assignment(arguments) {
            var settings = DHCPClient.Configuration()
            settings.addressProbes = Swift.min(Swift.max(arguments.value("dhcp-probes", as: Int.self), 0), 10)
            await stack.acquireAddress(settings, seed: entropy.next())
        }
        return stack
    }

    /// The stack configuration the boot arguments describe.
    /// - Parameter memory: the guest's memory in bytes, when the caps should be scaled to it
    ///   (``StackConfiguration/scaleLimits(toMemory:)``); a cap given as a boot argument wins.
    public static func configuration(_ arguments: BootArguments, memory: Int? = nil) -> StackConfiguration {
        var configuration: StackConfiguration
        switch assignment(arguments) {
        case .dhcp: configuration = StackConfiguration(address: StackCore.unconfigured)
        case let .fixed(prefix):
            configuration = StackConfiguration(address: prefix, gateway: arguments.optionalValue("ipv4-gateway", as: IPv4Address.self))
        }
        configuration.ipv6 = IPv6Configuration(mode: arguments.value("ipv6", as: IPv6Assignment.self).mode,
                                               gateway: arguments.optionalValue("ipv6-gateway", as: IPv6Address.self))
        if let memory { configuration.scaleLimits(toMemory: memory) }
        applyLimits(arguments, to: &configuration, givenOnly: memory != nil)
        return configuration
    }
}
