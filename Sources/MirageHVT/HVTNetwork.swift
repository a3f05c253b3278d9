import MirageNet
import MirageRuntime

/// The direct stack of an hvt unikernel: our TCP/IP over the tender's net device, which it serves
/// from a host tap interface (`mirage-hvt --net:NAME=TAP`).
public typealias HVTDirectStack = DirectStack<HVTNetworkDevice, HVTMonotonicClock>

/// Why the hvt network could not be set up.
public enum HVTNetworkError: Error, CustomStringConvertible {
    /// The tender attached no net device of this name.
    case notAttached(name: String)

    public var description: String {
        switch self {
        case let .notAttached(name):
            "the tender attached no net device '\(name)' (start it with mirage-hvt --net:\(name)=TAP)"
        }
    }
}

extension DirectStack where Device == HVTNetworkDevice, Clock == HVTMonotonicClock {
    /// Connects the tender's net device `name` and starts the stack on it with `--ipv4` and
    /// `--ipv4-gateway`, as ``UnixDirectStack``'s `overTap` does on unix. The tap interface is
    /// the tender's business (`--net:NAME=TAP` on its command line), not a boot argument.
    public static func overTender(network name: String, platform: HVTPlatform, arguments: BootArguments) throws(HVTNetworkError) -> HVTDirectStack {
        let device = try HVTNetworkDevice.connect(name: name, platform: platform)
        return HVTDirectStack(device: device, clock: platform.monotonicClock, entropy: HVTEntropy(),
                              configuration: StackBootKeys.configuration(arguments))
    }
}
