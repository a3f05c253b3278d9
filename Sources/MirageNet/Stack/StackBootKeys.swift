import MirageCore
import MirageRuntime

/// The boot arguments of a direct stack, the same on every target (MirageOS's `--ipv4` and
/// `--ipv4-gateway`).
public enum StackBootKeys {
    /// `--ipv4=ADDRESS/PREFIX`: our address and on-link network.
    public static let ipv4 = BootKey("ipv4", of: IPv4Prefix.self,
                                     default: IPv4Prefix(address: IPv4Address(10, 0, 0, 2), length: 24),
                                     documentation: "The stack's IPv4 address and network.", group: .network)
    /// `--ipv4-gateway=ADDRESS`: where packets for other networks go.
    public static let gateway = BootKey("ipv4-gateway", of: IPv4Address.self,
                                        documentation: "The IPv4 gateway (none: only the local network is reachable).",
                                        group: .network)

    /// The stack configuration the boot arguments describe.
    /// - Parameter memory: the guest's memory in bytes, when the caps should be scaled to it
    ///   (``StackConfiguration/scaleLimits(toMemory:)``); a cap given as a boot argument wins.
    public static func configuration(_ arguments: BootArguments, memory: Int? = nil) -> StackConfiguration {
        var configuration = StackConfiguration(address: arguments.value("ipv4", as: IPv4Prefix.self),
                                               gateway: arguments.optionalValue("ipv4-gateway", as: IPv4Address.self))
        if let memory { configuration.scaleLimits(toMemory: memory) }
        applyLimits(arguments, to: &configuration, givenOnly: memory != nil)
        return configuration
    }
}
