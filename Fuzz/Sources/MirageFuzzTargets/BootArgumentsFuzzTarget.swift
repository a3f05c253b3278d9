import MirageCore
import MirageNet
import MirageRuntime

extension FuzzTargets {
    /// Keys of every value type the boot arguments read, as a unikernel declares them.
    static let bootKeys: [BootKey] = [
        StackBootKeys.ipv4, StackBootKeys.gateway, StackBootKeys.ipv6, StackBootKeys.ipv6Gateway,
        BootKey("port", of: UInt16.self, default: 80, documentation: "A port."),
        BootKey("count", of: Int.self, documentation: "A number."),
        BootKey("name", of: String.self, required: true, documentation: "A name."),
        BootKey("verbose", of: Bool.self, default: false, documentation: "A flag."),
        BootKey("peer", of: IPv4Address.self, documentation: "An address."),
    ]

    /// Boot arguments (the command line a tender passes): split on NUL bytes into arguments, parsed
    /// against keys of every type, every value read back, and `--help` made.
    static let bootArguments = FuzzTarget("boot-arguments", "BootArguments.parse against keys of every value type") { bytes in
        let arguments = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        switch BootArguments.parse(arguments, keys: bootKeys) {
        case let .success(parsed):
            _ = parsed.value("port", as: UInt16.self)
            _ = parsed.optionalValue("count", as: Int.self)
            _ = parsed.value("name", as: String.self)
            _ = StackBootKeys.configuration(parsed)
        case .help:
            _ = BootArguments.help(unikernel: "fuzz", keys: bootKeys)
        case let .failure(error):
            _ = error.description
        }
    }
}
