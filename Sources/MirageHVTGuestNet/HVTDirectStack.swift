import MirageHVTGuest
import MirageNet
import MirageRuntime

/// The direct stack of an hvt unikernel: our TCP/IP over the tender's net device, which it serves
/// from a host tap interface (`mirage-hvt --net:NAME=TAP`).
public typealias HVTDirectStack = DirectStack<HVTNetworkDevice, HVTMonotonicClock>

extension DirectStack where Device == HVTNetworkDevice, Clock == HVTMonotonicClock {
    /// Connects the tender's net device `name` and starts the stack on it with `--ipv4` and
    /// `--ipv4-gateway`, as ``UnixDirectStack``'s `overTap` does on unix. The tap interface is
    /// the tender's business (`--net:NAME=TAP` on its command line), not a boot argument. The
    /// stack's caps not given as boot arguments are scaled to the guest's memory (`--mem` of the
    /// tender).
    /// With `--ipv4=dhcp` it returns once DHCP has bound a lease.
    public static func overTender(network name: String, platform: HVTPlatform, arguments: BootArguments) async throws(HVTNetworkError) -> HVTDirectStack {
        let device = try HVTNetworkDevice.connect(name: name, platform: platform)
        return await StackBootKeys.start(device: device, clock: platform.monotonicClock, entropy: HVTEntropy(),
                                         arguments: arguments, memory: Int(bootInfo().pointee.memory_size))
    }
}
