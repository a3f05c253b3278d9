import Foundation

/// An OCI runtime bundle (runtime-spec `bundle.md`: `config.json` and the root file system it
/// names) that `mirage-runc` is asked to create, and the changes that make a packaged unikernel
/// run in it: the tender's command line with a tap for each network device, `/dev/kvm` and
/// `/dev/net/tun` in the container and allowed by its device cgroup. A bundle without our
/// metadata (``UnikernelImageMetadata/path`` in its root file system), or of a unix unikernel (a
/// plain process), is left for runc as it is.
public struct UnikernelBundle {
    /// The parsed `config.json`, every field kept, ours changed.
    public private(set) var configuration: [String: Any]
    public let metadata: UnikernelImageMetadata

    /// A character device the container gets (runtime-spec `config-linux.md`, "Devices").
    public struct Device: Equatable, Sendable {
        public var path: String
        public var major: Int
        public var minor: Int

        public init(path: String, major: Int, minor: Int) {
            self.path = path
            self.major = major
            self.minor = minor
        }
    }

    /// Reads the bundle at `directory`; nil when it holds no unikernel for us to start.
    /// - Throws: a message naming the problem when the metadata or `config.json` is malformed.
    public static func open(_ directory: String) throws(ToolError) -> UnikernelBundle? {
        guard let data = FileManager.default.contents(atPath: directory + "/config.json") else {
            throw ToolError("the bundle \(directory) has no config.json")
        }
        guard let configuration = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ToolError("the bundle's config.json is not a JSON object")
        }
        guard let root = (configuration["root"] as? [String: Any])?["path"] as? String else {
            throw ToolError("the bundle's config.json names no root file system (root.path)")
        }
        let rootfs = root.hasPrefix("/") ? root : directory + "/" + root
        guard let metadataBytes = FileManager.default.contents(atPath: rootfs + UnikernelImageMetadata.path) else { return nil }
        let metadata: UnikernelImageMetadata
        do {
            metadata = try JSONDecoder().decode(UnikernelImageMetadata.self, from: metadataBytes)
        } catch {
            throw ToolError("\(UnikernelImageMetadata.path) in the image is malformed: \(error)")
        }
        guard metadata.target == "hvt" else { return nil } // a unix unikernel is a plain process
        return try UnikernelBundle(configuration: configuration, metadata: metadata)
    }

    public init(configuration: [String: Any], metadata: UnikernelImageMetadata) throws(ToolError) {
        self.configuration = configuration
        self.metadata = metadata
        try Self.check(metadata)
    }

    /// Refuses metadata that would make the tender do what the image did not ask for: paths
    /// outside the image's own files, names that are not device names, absurd memory.
    static func check(_ metadata: UnikernelImageMetadata) throws(ToolError) {
        guard let tender = metadata.tender, tender.hasPrefix("/"), metadata.image.hasPrefix("/") else {
            throw ToolError("\(UnikernelImageMetadata.path): an hvt image needs absolute tender and image paths")
        }
        for path in [tender, metadata.image] + metadata.blocks.values where path.contains("..") || path.contains("\0") {
            throw ToolError("\(UnikernelImageMetadata.path): the path \(path) is not allowed")
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
        for name in metadata.networks + metadata.blocks.keys where name.isEmpty || name.count > 32 || !name.allSatisfy(allowed.contains) {
            throw ToolError("\(UnikernelImageMetadata.path): \"\(name)\" is not a device name")
        }
        if let memory = metadata.memoryMiB, !(2 ... 3072).contains(memory) {
            throw ToolError("\(UnikernelImageMetadata.path): memory \(memory) MiB is outside 2 to 3072")
        }
    }

    /// The process's arguments now: the tender, its memory and block devices, a tap for each
    /// network device (`taps[name]`), then the image, the packaged boot arguments and what the
    /// container's command adds (what follows the image's entry point, or all of it when the
    /// command was replaced), and `network` (the pod's address for the guest).
    public mutating func rewriteProcess(taps: [String: String], network: [String] = []) throws(ToolError) {
        var process = configuration["process"] as? [String: Any] ?? [:]
        let given = process["args"] as? [String] ?? []
        let entrypoint = metadata.entrypoint
        let extra = given.starts(with: entrypoint) ? Array(given.dropFirst(entrypoint.count)) : (given.first == metadata.tender ? [] : given)
        var arguments = [metadata.tender!]
        if let memory = metadata.memoryMiB { arguments.append("--mem=\(memory)") }
        for (name, file) in metadata.blocks.sorted(by: { $0.key < $1.key }) { arguments.append("--block:\(name)=\(file)") }
        for name in metadata.networks {
            guard let tap = taps[name] else { throw ToolError("no tap for the network device \(name)") }
            arguments.append("--net:\(name)=\(tap)")
        }
        arguments += ["--", metadata.image] + metadata.bootArguments + network + extra
        process["args"] = arguments
        configuration["process"] = process
    }

    /// Gives the container `devices` and allows them in its device cgroup (read, write, mknod).
    public mutating func add(_ devices: [Device]) {
        var linux = configuration["linux"] as? [String: Any] ?? [:]
        var listed = linux["devices"] as? [[String: Any]] ?? []
        var resources = linux["resources"] as? [String: Any] ?? [:]
        var rules = resources["devices"] as? [[String: Any]] ?? []
        for device in devices {
            if !listed.contains(where: { $0["path"] as? String == device.path }) {
                listed.append(["path": device.path, "type": "c", "major": device.major, "minor": device.minor,
                               "fileMode": 0o666, "uid": 0, "gid": 0])
            }
            rules.append(["allow": true, "type": "c", "major": device.major, "minor": device.minor, "access": "rwm"])
        }
        linux["devices"] = listed
        resources["devices"] = rules
        linux["resources"] = resources
        configuration["linux"] = linux
    }

    /// The path of the network namespace the container joins; nil when it gets a new one.
    public var networkNamespacePath: String? {
        let namespaces = (configuration["linux"] as? [String: Any])?["namespaces"] as? [[String: Any]] ?? []
        return namespaces.first { $0["type"] as? String == "network" }?["path"] as? String
    }

    /// The configuration as `config.json` bytes.
    public func encoded() throws(ToolError) -> Data {
        do {
            return try JSONSerialization.data(withJSONObject: configuration, options: [.sortedKeys])
        } catch {
            throw ToolError("cannot write config.json: \(error)")
        }
    }
}
