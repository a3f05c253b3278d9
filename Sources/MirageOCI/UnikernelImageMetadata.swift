/// What a packaged unikernel's container needs to know to start it, kept in the image at
/// ``path`` and, in short, in the image's labels and the manifest's annotations (``annotations``):
/// the target, where the image and the tender are, the guest's memory, the network devices to
/// give taps and the block devices with the files they default to, and the default boot
/// arguments. A runtime that starts unikernels (urunc; our own) reads it from the bundle.
public struct UnikernelImageMetadata: Equatable, Sendable {
    /// Where it is in the image's file system.
    public static let path = "/unikernel/mirage.json"
    /// The annotation prefix of ours; urunc's (`com.urunc.unikernel.`) are set as well.
    public static let annotationPrefix = "org.swift-mirage.unikernel."

    public var name: String
    /// `hvt` or `unix`.
    public var target: String
    /// The unikernel's image: the guest ELF for hvt, the program for unix.
    public var image: String
    /// The tender for hvt; nil for unix.
    public var tender: String?
    /// Guest memory in MiB (hvt).
    public var memoryMiB: Int?
    /// The network devices that take a tap (`--net:NAME=TAP`), by name.
    public var networks: [String]
    /// The block devices and the files in the image they default to (`--block:NAME=FILE`).
    public var blocks: [String: String]
    /// Boot arguments given to every start, before those of the container's command.
    public var bootArguments: [String]

    public init(name: String, target: String, image: String, tender: String?, memoryMiB: Int?, networks: [String],
                blocks: [String: String], bootArguments: [String]) {
        self.name = name
        self.target = target
        self.image = image
        self.tender = tender
        self.memoryMiB = memoryMiB
        self.networks = networks
        self.blocks = blocks
        self.bootArguments = bootArguments
    }

    /// The labels and annotations saying the image is a unikernel, ours and urunc's.
    public var annotations: [String: String] {
        var result = [
            Self.annotationPrefix + "name": name,
            Self.annotationPrefix + "target": target,
            Self.annotationPrefix + "image": image,
            Self.annotationPrefix + "metadata": Self.path,
            "com.urunc.unikernel.unikernelType": "mirage",
            "com.urunc.unikernel.hypervisor": target,
            "com.urunc.unikernel.binary": image,
            "com.urunc.unikernel.cmdline": bootArguments.joined(separator: " "),
        ]
        if let tender { result[Self.annotationPrefix + "tender"] = tender }
        if !networks.isEmpty { result[Self.annotationPrefix + "networks"] = networks.joined(separator: ",") }
        return result
    }

    /// The command line a plain container runtime starts: the tender with the guest's memory and
    /// block devices, then the image (hvt); or the program (unix). Network devices need a tap,
    /// which a plain runtime does not make: ours adds them.
    public var entrypoint: [String] {
        guard let tender else { return [image] + bootArguments }
        var command = [tender, "--share-image"] // a container image's files do not change
        if let memoryMiB { command.append("--mem=\(memoryMiB)") }
        for (name, file) in blocks.sorted(by: { $0.key < $1.key }) { command.append("--block:\(name)=\(file)") }
        return command + ["--", image] + bootArguments
    }
}

extension UnikernelImageMetadata {
    /// Reads the metadata from its JSON (as `swift-mirage package` writes it with `Codable`).
    /// - Throws: a message naming the first member that is missing or of the wrong type.
    public init(json: JSONValue) throws(RuntimeError) {
        func string(_ key: String) throws(RuntimeError) -> String {
            guard let value = json[key]?.stringValue else { throw RuntimeError("\(key) is missing or not a string") }
            return value
        }
        func optional<T>(_ key: String, _ read: (JSONValue) -> T?) throws(RuntimeError) -> T? {
            guard let value = json[key], value != .null else { return nil }
            guard let result = read(value) else { throw RuntimeError("\(key) has the wrong type") }
            return result
        }
        guard json.objectValue != nil else { throw RuntimeError("it is not a JSON object") }
        name = try string("name")
        target = try string("target")
        image = try string("image")
        tender = try optional("tender") { $0.stringValue }
        memoryMiB = try optional("memoryMiB") { $0.intValue }
        guard let networks = json["networks"]?.stringArray else { throw RuntimeError("networks is missing or not an array of strings") }
        self.networks = networks
        guard let blocks = json["blocks"], let members = blocks.objectValue, members.allSatisfy({ $0.value.stringValue != nil }) else {
            throw RuntimeError("blocks is missing or not an object of strings")
        }
        self.blocks = blocks.stringMembers
        guard let bootArguments = json["bootArguments"]?.stringArray else { throw RuntimeError("bootArguments is missing or not an array of strings") }
        self.bootArguments = bootArguments
    }
}

#if !hasFeature(Embedded)
/// `swift-mirage package` writes the metadata with `Codable` (which Embedded Swift lacks: the
/// shim reads it with ``UnikernelImageMetadata/init(json:)``).
extension UnikernelImageMetadata: Codable {}
#endif
