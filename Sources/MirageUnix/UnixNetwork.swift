import MirageCore
import MirageNet
import MirageRuntime

/// The direct stack of a unix unikernel (`configure --net=direct`): our TCP/IP over a tap device,
/// optionally captured to a pcap file.
public typealias UnixDirectStack = DirectStack<CapturingNetworkDevice<TapDevice, PcapFileSink, UnixWallClock>, UnixMonotonicClock>

/// Why the unix network could not be set up.
public enum UnixNetworkError: Error, CustomStringConvertible {
    case tap(name: String, NetworkError)
    case pcap(PcapFileError)

    public var description: String {
        switch self {
        case let .tap(name, error): "tap device \(name): \(error) (create it with 'ip tuntap add dev \(name) mode tap', or run as root)"
        case let .pcap(error): "\(error)"
        }
    }
}

extension TapDevice {
    /// `--net:NAME=TAP`: the tap device behind network device `NAME`, spelled as the hvt tender
    /// spells it.
    public static func bootKey(network name: String) -> BootKey {
        BootKey("net:\(name)", of: String.self, default: "tap0", form: "TAP",
                documentation: "The tap device behind network device '\(name)'.", group: .network)
    }
}

extension PcapFileSink {
    /// `--pcap=FILE`: every frame the stack sends or receives, for tcpdump or Wireshark.
    public static let bootKey = BootKey("pcap", of: String.self, form: "FILE",
                                        documentation: "Write every frame of the direct stack to this pcap file.",
                                        group: .network)
}

extension DirectStack where Device == CapturingNetworkDevice<TapDevice, PcapFileSink, UnixWallClock>, Clock == UnixMonotonicClock {
    /// Opens the tap device that `--net:NAME` names, wraps it for `--pcap`, and starts the stack
    /// with `--ipv4` and `--ipv4-gateway`.
    /// With `--ipv4=dhcp` it returns once DHCP has bound a lease.
    public static func overTap(network name: String, platform: UnixPlatform, arguments: BootArguments) async throws(UnixNetworkError) -> UnixDirectStack {
        let entropy = UnixEntropy()
        let tapName = arguments.value("net:\(name)", as: String.self)
        let tap: TapDevice
        do {
            tap = try TapDevice(name: tapName, platform: platform, mac: TapDevice.randomLocalMAC(from: entropy))
        } catch {
            throw .tap(name: tapName, error)
        }
        var sink: PcapFileSink?
        if let path = arguments.optionalValue("pcap", as: String.self) {
            do { sink = try PcapFileSink(path: path) } catch { throw .pcap(error) }
        }
        let device = CapturingNetworkDevice(tap, sink: sink, clock: platform.wallClock)
        return await StackBootKeys.start(device: device, clock: platform.monotonicClock, entropy: entropy, arguments: arguments)
    }
}
