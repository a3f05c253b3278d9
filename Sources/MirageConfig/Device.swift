/// A device in the manifest, typed by the ``Signature`` it satisfies.
///
/// Made by the functions below (``block(_:image:size:file:line:)``, ``defaultConsole``...), and
/// passed to a ``Main`` that needs that signature.
public struct Device<S: Signature> {
    let description: DeviceDescription
    /// Devices this one is built on, dependencies first.
    let dependencies: [DeviceDescription]

    init(kind: String, name: String, parameters: [String: String] = [:], dependsOn: [DeviceDescription] = [], file: String, line: Int) {
        description = DeviceDescription(
            id: "\(kind):\(name)", kind: kind, signature: S.name, name: name, parameters: parameters,
            dependencies: dependsOn.map(\.id), location: SourceLocation(file: file, line: line))
        dependencies = dependsOn
    }
}

/// A size in bytes, for block device images.
public struct ByteCount: Equatable, Sendable {
    public var bytes: UInt64
    public init(bytes: UInt64) { self.bytes = bytes }
    public static func kibibytes(_ count: UInt64) -> ByteCount { ByteCount(bytes: count << 10) }
    public static func mebibytes(_ count: UInt64) -> ByteCount { ByteCount(bytes: count << 20) }
    public static func gibibytes(_ count: UInt64) -> ByteCount { ByteCount(bytes: count << 30) }
}

/// A block device called `name`, given at boot as `--block:NAME=FILE` (on unix a file, on hvt
/// the tender's `--block:NAME=FILE`), as MirageOS's `block_of_file`.
///
/// - Parameters:
///   - image: the file used when the boot argument is absent, relative to where the unikernel
///     runs.
///   - size: the size `swift-mirage run` creates a missing image with.
public func block(_ name: String, image: String? = nil, size: ByteCount = .mebibytes(1),
                  file: String = #filePath, line: Int = #line) -> Device<Block> {
    var parameters = ["size": String(size.bytes)]
    if let image { parameters["image"] = image }
    return Device(kind: "block", name: name, parameters: parameters, file: file, line: line)
}

/// A read-only key-value store called `name` of the files in `directory` (relative to
/// config.swift; the name by default), compiled into the image at configure time (MirageOS's
/// `crunch`): the same on every target.
public func crunch(_ name: String, directory: String? = nil, file: String = #filePath, line: Int = #line) -> Device<KV> {
    Device(kind: "crunch", name: name, parameters: ["directory": directory ?? name], file: file, line: line)
}

/// A read-only key-value store called `name` of the files in `directory` (relative to
/// config.swift; the name by default), whose kind `configure --kv=` picks (MirageOS's
/// `generic_kv_ro`): `crunch` (the default) compiles the files into the image; `tar` has
/// `swift-mirage build` write them to `dist/NAME.tar`, read at start from the block device
/// `--block:NAME=FILE` (that archive unless given), so the files can change without a rebuild.
public func keyValueStore(_ name: String, directory: String? = nil, file: String = #filePath, line: Int = #line) -> Device<KV> {
    Device(kind: "kv", name: name, parameters: ["directory": directory ?? name], file: file, line: line)
}

/// The platform's console: standard error on unix, the tender's console on hvt.
public func defaultConsole(file: String = #filePath, line: Int = #line) -> Device<Console> {
    Device(kind: "console", name: "default", file: file, line: line)
}

/// The platform's entropy source: `getrandom` on unix.
public func defaultEntropy(file: String = #filePath, line: Int = #line) -> Device<Entropy> {
    Device(kind: "entropy", name: "default", file: file, line: line)
}

/// The platform's monotonic clock.
public func defaultMonotonicClock(file: String = #filePath, line: Int = #line) -> Device<MonotonicTime> {
    Device(kind: "monotonic-clock", name: "default", file: file, line: line)
}

/// The platform's wall clock.
public func defaultWallClock(file: String = #filePath, line: Int = #line) -> Device<WallTime> {
    Device(kind: "wall-clock", name: "default", file: file, line: line)
}

/// An Ethernet device called `name`, attached at boot with `--net:NAME=TAP` (default name
/// `service`, as the hvt tender spells it).
public func network(_ name: String = "service", file: String = #filePath, line: Int = #line) -> Device<Network> {
    Device(kind: "network", name: name, file: file, line: line)
}

/// A TCP/IP stack on the network device `network` (MirageOS's `generic_stackv4v6 default_network`).
/// On unix, `configure --net=socket` (the default) uses the host's sockets and `--net=direct` our
/// stack over the tap device `--net:NAME=TAP`; on hvt it is always our stack, over the tender's tap.
public func stack(network: String = "service", file: String = #filePath, line: Int = #line) -> Device<Stack> {
    Device(kind: "stack", name: network, file: file, line: line)
}
