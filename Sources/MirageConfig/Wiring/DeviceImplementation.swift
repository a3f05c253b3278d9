/// How a target builds one device: what `describe` calls it, the boot arguments it reads, the
/// Swift that connects it, and what the tool must prepare around it.
package struct DeviceImplementation {
    /// What implements the device, for `swift-mirage describe`: the type and what it works over,
    /// such as `HVTDirectStack, our stack over the tender's net device --net:service`.
    package var summary: String
    /// Boot keys the device adds, as Swift `BootKey(...)` expressions.
    package var bootKeys: [String] = []
    /// The expression that creates the device, with `platform` and `arguments` in scope; `try`
    /// marks one that throws `errorType`.
    package var connect: String
    /// The error the connect expression throws, or nil when it cannot fail.
    package var errorType: String? = nil
    /// A file `swift-mirage run` creates when missing, with its size in bytes.
    package var image: (path: String, bytes: UInt64)? = nil
    /// The device as the hvt tender's command line and the image's manifest name it.
    package var tenderDevice: TenderDevice? = nil
    /// Whether the device sends and receives over a host tap interface (`--net:NAME=TAP`), which
    /// `swift-mirage run --create-tap` can make.
    package var usesTap = false
    /// A tar archive `swift-mirage build` writes from a folder of files (both relative to the
    /// unikernel's folder), for a `keyValueStore` in tar mode.
    package var archive: (path: String, folder: String)? = nil
    /// A folder (relative to the unikernel's) whose files `configure` compiles into the image, in
    /// `crunched.swift`, for a crunch store.
    package var compiledFolder: String? = nil
    /// Dependencies (by id) this implementation does not use, such as the certificate store of a
    /// TLS device switched off: the wiring leaves them out unless something else needs them.
    package var unusedDependencies: [String] = []
}

/// A device the hvt tender attaches (`mirage-hvt --block:NAME=FILE`, `--net:NAME=TAP`), listed in
/// the image's `.mirage.devices` section so that the tender can check its command line.
package struct TenderDevice: Equatable, Sendable {
    package enum Kind: String, Sendable {
        case block
        case net
    }

    package var kind: Kind
    package var name: String

    /// `block:NAME` or `net:NAME`: the entry in `.mirage.devices`, and the tender's option
    /// without its dashes.
    package var id: String { "\(kind.rawValue):\(name)" }
}

/// What `configure` chose besides the target, which some device kinds read: `--net` for stacks,
/// `--kv` for key-value stores.
package struct ConfigureChoices: Sendable {
    /// `configure --net=`; nil for the target's default.
    package var network: NetworkMode?
    /// `configure --kv=`: how `keyValueStore` devices hold their files.
    package var keyValue: KeyValueMode
    /// The configure-time keys' values (their defaults where not given), for devices that a key
    /// switches on or off.
    package var values: [String: String]

    package init(network: NetworkMode? = nil, keyValue: KeyValueMode = .crunch, values: [String: String] = [:]) {
        self.network = network
        self.keyValue = keyValue
        self.values = values
    }
}

/// Why a target cannot provide a device: said at the device's line in `config.swift`.
package struct DeviceUnavailable: Error, Equatable {
    /// The reason, such as `the network device 'service' is not available on target 'unix'`.
    package var reason: String

    package init(_ reason: String) { self.reason = reason }

    /// The target has no implementation of the device's kind.
    package static func notOnTarget(_ device: DeviceDescription, _ target: Target) -> DeviceUnavailable {
        DeviceUnavailable("the \(device.kind) device '\(device.name)' is not available on target '\(target.rawValue)'")
    }
}
