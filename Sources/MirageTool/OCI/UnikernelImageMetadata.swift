/// What a packaged unikernel's container needs to know to start it, kept in the image at
/// ``path`` and, in short, in the image's labels and the manifest's annotations (``annotations``):
/// the target, where the image and the tender are, the guest's memory, the network devices to
/// give taps and the block devices with the files they default to, and the default boot
/// arguments. A runtime that starts unikernels (urunc; our own) reads it from the bundle.
public struct UnikernelImageMetadata: Codable, Equatable, Sendable {
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
        var command = [tender]
        if let memoryMiB { command.append("--mem=\(memoryMiB)") }
        for (name, file) in blocks.sorted(by: { $0.key < $1.key }) { command.append("--block:\(name)=\(file)") }
        return command + ["--", image] + bootArguments
    }
}
