import MirageConfig

/// Where a unikernel runs; each target implements the device kinds it can.
public enum Target: String, CaseIterable, Codable, Sendable {
    /// A Linux process, for development (DESIGN.md, "Targets").
    case unix
    /// A freestanding ELF booted as a KVM guest by the mirage-hvt tender.
    case hvt

    /// Parses a target name, with an error listing the targets there are.
    public static func named(_ name: String) throws(ToolError) -> Target {
        guard let target = Target(rawValue: name) else {
            let known = Target.allCases.map(\.rawValue).joined(separator: ", ")
            throw ToolError("unknown target '\(name)' (available: \(known))", exitCode: 64)
        }
        return target
    }

    /// The modules the wiring imports.
    var platformModule: String {
        switch self {
        case .unix: "MirageUnix"
        case .hvt: "MirageHVTGuest"
        }
    }

    /// The module of the target's network devices and stacks, when it is not the platform
    /// module: the wiring of a unikernel with a network imports it.
    var networkModule: String? {
        switch self {
        case .unix: nil
        case .hvt: "MirageHVTGuestNet"
        }
    }

    /// The platform type the wiring creates.
    var platformType: String {
        switch self {
        case .unix: "UnixPlatform"
        case .hvt: "HVTPlatform"
        }
    }

    /// Whether the image is Embedded Swift, built with `SWIFT_EMBEDDED=1` for a freestanding link.
    var isEmbedded: Bool { self == .hvt }

    /// The image's file name in `dist/`.
    func imageName(_ unikernel: String) -> String {
        switch self {
        case .unix: unikernel
        case .hvt: unikernel + ".hvt"
        }
    }

    /// The Swift settings of the unikernel's own target. For hvt these are the Embedded flags of
    /// PLATFORM-NOTES.md with `-Osize`, as the root Package.swift's `embeddedSwiftSettings` gives
    /// the libraries outside the network data path.
    var executableSwiftSettings: [String] {
        switch self {
        case .unix:
            return []
        case .hvt:
            return [
                #".enableExperimentalFeature("Embedded")"#,
                #".enableExperimentalFeature("Extern")"#,
                #".unsafeFlags(["-Osize", "-wmo", "-Xfrontend", "-disable-stack-protector", "-Xcc", "-mno-red-zone", "-Xfrontend", "-function-sections"])"#,
            ]
        }
    }
}

/// Which TCP/IP stack a unix unikernel uses (`configure --net=`): the host's sockets, or ours
/// over a tap device. hvt has only ours.
public enum NetworkMode: String, CaseIterable, Codable, Sendable {
    case socket
    case direct

    /// Parses a mode name, with an error listing the modes there are.
    public static func named(_ name: String) throws(ToolError) -> NetworkMode {
        guard let mode = NetworkMode(rawValue: name) else {
            throw ToolError("unknown network mode '\(name)' (available: socket, direct)", exitCode: 64)
        }
        return mode
    }
}

/// How a `keyValueStore` device holds its files (`configure --kv=`): compiled into the image, or
/// in a tar archive on a block device.
public enum KeyValueMode: String, CaseIterable, Codable, Sendable {
    case crunch
    case tar

    /// The configure-time key that picks the mode, known to every unikernel with a
    /// `keyValueStore` device.
    public static let key = "kv"

    /// Parses a mode name, with an error listing the modes there are.
    public static func named(_ name: String) throws(ToolError) -> KeyValueMode {
        guard let mode = KeyValueMode(rawValue: name) else {
            throw ToolError("unknown key-value store kind '\(name)' for --kv (available: crunch, tar)", exitCode: 64)
        }
        return mode
    }
}

/// How a target builds one device: the boot arguments it reads and the Swift that connects it.
struct DeviceImplementation {
    /// Boot keys the device adds, as Swift `BootKey(...)` expressions.
    var bootKeys: [String]
    /// The expression that creates the device, with `arguments` in scope; `try` marks one that
    /// throws `errorType`.
    var connect: String
    /// The error the connect expression throws, or nil when it cannot fail.
    var errorType: String?
    /// A file `swift-mirage run` creates when missing, with its size in bytes.
    var image: (path: String, bytes: UInt64)?
    /// The device as the hvt tender's command line and the image's manifest name it: `block:NAME`
    /// or `net:NAME`.
    var tenderDevice: String?
    /// Whether the device sends and receives over a host tap interface (`--net:NAME=TAP`), which
    /// `swift-mirage run --create-tap` can make.
    var usesTap = false
    /// A tar archive `swift-mirage build` writes from a folder of files (both relative to the
    /// unikernel's folder), for a `keyValueStore` in tar mode.
    var archive: (path: String, folder: String)?
}

extension Target {
    /// How this target provides `device`.
    /// - Throws: a ``ToolError`` naming the device and its line when the target cannot provide it.
    func implementation(of device: DeviceDescription, network: NetworkMode = .socket,
                        keyValue: KeyValueMode = .crunch) throws(ToolError) -> DeviceImplementation {
        switch (self, device.kind) {
        case (.unix, "stack") where network == .socket:
            return DeviceImplementation(bootKeys: [], connect: "SocketStack(platform: platform)", errorType: nil)
        case (.unix, "stack"):
            return DeviceImplementation(
                bootKeys: ["StackBootKeys.ipv4", "StackBootKeys.gateway",
                           "TapDevice.bootKey(network: \(swiftLiteral(device.name)))", "PcapFileSink.bootKey"],
                connect: "try UnixDirectStack.overTap(network: \(swiftLiteral(device.name)), platform: platform, arguments: arguments)",
                errorType: "UnixNetworkError",
                usesTap: true)
        case (.unix, "block"):
            let key = "block:\(device.name)"
            let image = device.parameters["image"]
            let defaultArgument = image.map { ", default: \(swiftLiteral($0))" } ?? ", required: true"
            return DeviceImplementation(
                bootKeys: ["BootKey(\(swiftLiteral(key)), of: String.self\(defaultArgument), form: \"FILE\", documentation: \(swiftLiteral("The file backing block device '\(device.name)'.")), group: .device)"],
                connect: "try FileBlockDevice.connect(path: arguments.value(\(swiftLiteral(key)), as: String.self))",
                errorType: "BlockError",
                image: image.map { ($0, UInt64(device.parameters["size"] ?? "") ?? 1 << 20) })
        case (.hvt, "block"):
            // The tender attaches the file (`mirage-hvt --block:NAME=FILE`); the image lists the
            // device in its `.mirage.devices` section so the tender can check the command line.
            let image = device.parameters["image"]
            return DeviceImplementation(
                bootKeys: [],
                connect: "try HVTBlockDevice.connect(name: \(swiftLiteral(device.name)))",
                errorType: "BlockError",
                image: image.map { ($0, UInt64(device.parameters["size"] ?? "") ?? 1 << 20) },
                tenderDevice: "block:\(device.name)")
        case (.hvt, "stack"):
            // Our stack over the tender's net device (`mirage-hvt --net:NAME=TAP`), with the same
            // boot keys as the unix direct stack; the tap is named on the tender's command line.
            return DeviceImplementation(
                bootKeys: ["StackBootKeys.ipv4", "StackBootKeys.gateway"],
                connect: "try HVTDirectStack.overTender(network: \(swiftLiteral(device.name)), platform: platform, arguments: arguments)",
                errorType: "HVTNetworkError",
                tenderDevice: "net:\(device.name)",
                usesTap: true)
        case (.hvt, "network"):
            return DeviceImplementation(
                bootKeys: [],
                connect: "try HVTNetworkDevice.connect(name: \(swiftLiteral(device.name)), platform: platform)",
                errorType: "HVTNetworkError",
                tenderDevice: "net:\(device.name)",
                usesTap: true)
        case (_, "kv") where keyValue == .tar:
            return tarStore(device)
        case (_, "crunch"), (_, "kv"):
            // The files are compiled in: `crunched.swift` beside the wiring holds them.
            return DeviceImplementation(bootKeys: [], connect: "CrunchStore(files: \(WiringGenerator.crunchedFilesName(of: device)))",
                                        errorType: nil)
        case (.hvt, "console"):
            return DeviceImplementation(bootKeys: [], connect: "platform.console", errorType: nil)
        case (.hvt, "monotonic-clock"):
            return DeviceImplementation(bootKeys: [], connect: "platform.monotonicClock", errorType: nil)
        case (.hvt, "wall-clock"):
            return DeviceImplementation(bootKeys: [], connect: "platform.wallClock", errorType: nil)
        case (.hvt, "entropy"):
            return DeviceImplementation(bootKeys: [], connect: "HVTEntropy()", errorType: nil)
        case (.unix, "console"):
            return DeviceImplementation(bootKeys: [], connect: "platform.console", errorType: nil)
        case (.unix, "entropy"):
            return DeviceImplementation(bootKeys: [], connect: "UnixEntropy()", errorType: nil)
        case (.unix, "monotonic-clock"):
            return DeviceImplementation(bootKeys: [], connect: "platform.monotonicClock", errorType: nil)
        case (.unix, "wall-clock"):
            return DeviceImplementation(bootKeys: [], connect: "platform.wallClock", errorType: nil)
        default:
            throw ToolError("\(device.location): error: the \(device.kind) device '\(device.name)' is not available on target '\(rawValue)'")
        }
    }
}

extension Target {
    /// A `keyValueStore` in tar mode: `dist/NAME.tar`, written by the build from the device's
    /// folder, read at start through a read-only block device (`--block:NAME=FILE` on unix, the
    /// tender's block device on hvt).
    func tarStore(_ device: DeviceDescription) -> DeviceImplementation {
        let archive = "dist/\(device.name).tar"
        let folder = device.parameters["directory"] ?? device.name
        switch self {
        case .unix:
            let key = "block:\(device.name)"
            return DeviceImplementation(
                bootKeys: ["BootKey(\(swiftLiteral(key)), of: String.self, default: \(swiftLiteral(archive)), form: \"FILE\", documentation: \(swiftLiteral("The tar archive holding key-value store '\(device.name)'.")), group: .device)"],
                connect: "try await TarStore.open { () throws(BlockError) in try FileBlockDevice.connect(path: arguments.value(\(swiftLiteral(key)), as: String.self), readOnly: true) }",
                errorType: "TarError",
                archive: (archive, folder))
        case .hvt:
            return DeviceImplementation(
                bootKeys: [],
                connect: "try await TarStore.open { () throws(BlockError) in try HVTBlockDevice.connect(name: \(swiftLiteral(device.name))) }",
                errorType: "TarError",
                tenderDevice: "block:\(device.name)",
                archive: (archive, folder))
        }
    }
}

/// `text` as a Swift string literal.
func swiftLiteral(_ text: String) -> String {
    var literal = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": literal += "\\\""
        case "\\": literal += "\\\\"
        case "\n": literal += "\\n"
        case "\t": literal += "\\t"
        case "\r": literal += "\\r"
        default:
            if scalar.value < 0x20 { literal += "\\u{\(String(scalar.value, radix: 16))}" } else { literal.unicodeScalars.append(scalar) }
        }
    }
    return literal + "\""
}
