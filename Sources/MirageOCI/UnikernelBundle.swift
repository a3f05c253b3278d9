#if canImport(Glibc)
import Glibc
#endif
import CLinux

/// An OCI runtime bundle (runtime-spec `bundle.md`: `config.json` and the root file system it
/// names) that `mirage-runc` is asked to create, and the changes that make a packaged unikernel
/// run in it: the tender's command line with a tap for each network device, `/dev/kvm` and
/// `/dev/net/tun` in the container and allowed by its device cgroup. A bundle without our
/// metadata (``UnikernelImageMetadata/path`` in its root file system), or of a unix unikernel (a
/// plain process), is left for runc as it is.
public struct UnikernelBundle {
    /// The parsed `config.json`, every field kept, ours changed.
    public private(set) var configuration: JSONValue
    public let metadata: UnikernelImageMetadata
    /// The guest's memory in MiB: the bundle's ``memoryAnnotation``, else the packaged one.
    public let memoryMiB: Int?

    /// A device the container gets (runtime-spec `config-linux.md`, "Devices"): `c` for a
    /// character device, `b` for a block device.
    public struct Device: Equatable, Sendable {
        public var path: String
        public var type: String
        public var major: Int
        public var minor: Int

        public init(path: String, type: String = "c", major: Int, minor: Int) {
            self.path = path
            self.type = type
            self.major = major
            self.minor = minor
        }

        /// The major and minor numbers of a `dev_t` (glibc's `gnu_dev_major`, `gnu_dev_minor`).
        public static func numbers(_ device: dev_t) -> (major: Int, minor: Int) {
            let value = UInt64(device)
            return (Int((value >> 8) & 0xfff | (value >> 32) & ~0xfff), Int(value & 0xff | (value >> 12) & ~0xff))
        }

        /// The character device at `path` on the host; nil when there is none.
        public static func host(_ path: String) -> Device? {
            guard case let .characterDevice(major, minor) = UnikernelBundle.hostFileKind(path) else { return nil }
            return Device(path: path, major: major, minor: minor)
        }
    }

    /// Reads the bundle at `directory`; nil when it holds no unikernel for us to start.
    /// - Throws: a message naming the problem when the metadata or `config.json` is malformed.
    public static func open(_ directory: String) throws(RuntimeError) -> UnikernelBundle? {
        guard let bytes = try HostFile.read(directory + "/config.json") else {
            throw RuntimeError("the bundle \(directory) has no config.json")
        }
        let configuration: JSONValue
        do {
            configuration = try JSONValue(parsing: bytes)
        } catch {
            throw RuntimeError("the bundle's config.json is not JSON: \(error)")
        }
        guard configuration.objectValue != nil else { throw RuntimeError("the bundle's config.json is not a JSON object") }
        guard let root = configuration["root"]?["path"]?.stringValue else {
            throw RuntimeError("the bundle's config.json names no root file system (root.path)")
        }
        let rootfs = root.hasPrefix("/") ? root : directory + "/" + root
        guard let metadataBytes = try HostFile.read(rootfs + UnikernelImageMetadata.path) else {
            try checkUnclaimed(configuration)
            return nil
        }
        let metadata: UnikernelImageMetadata
        do throws(RuntimeError) {
            let json: JSONValue
            do { json = try JSONValue(parsing: metadataBytes) } catch { throw RuntimeError("\(error)") }
            metadata = try UnikernelImageMetadata(json: json)
        } catch {
            throw RuntimeError("\(UnikernelImageMetadata.path) in the image is malformed: \(error)")
        }
        guard metadata.target == "hvt" else { return nil } // a unix unikernel is a plain process
        return try UnikernelBundle(configuration: configuration, metadata: metadata)
    }

    public init(configuration: JSONValue, metadata: UnikernelImageMetadata) throws(RuntimeError) {
        self.configuration = configuration
        self.metadata = metadata
        try Self.check(metadata)
        memoryMiB = try Self.checkAnnotations(configuration["annotations"]?.stringMembers ?? [:], of: metadata) ?? metadata.memoryMiB
        try Self.checkMemoryLimit(configuration, guestMiB: memoryMiB ?? 32) // mirage-hvt's default
    }

    /// Refuses metadata that would make the tender do what the image did not ask for: paths
    /// outside the image's own files, names that are not device names, absurd memory.
    static func check(_ metadata: UnikernelImageMetadata) throws(RuntimeError) {
        guard let tender = metadata.tender, tender.hasPrefix("/"), metadata.image.hasPrefix("/") else {
            throw RuntimeError("\(UnikernelImageMetadata.path): an hvt image needs absolute tender and image paths")
        }
        for path in [tender, metadata.image] + metadata.blocks.values where path.includes("..") || path.includes("\0") {
            throw RuntimeError("\(UnikernelImageMetadata.path): the path \(path) is not allowed")
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
        for name in metadata.networks + metadata.blocks.keys where name.isEmpty || name.count > 32 || !name.allSatisfy(allowed.contains) {
            throw RuntimeError("\(UnikernelImageMetadata.path): \"\(name)\" is not a device name")
        }
        if let memory = metadata.memoryMiB, !memoryRange.contains(memory) {
            throw RuntimeError("\(UnikernelImageMetadata.path): memory \(memory) MiB is outside \(memoryRange.lowerBound) to \(memoryRange.upperBound)")
        }
    }

    /// The process's arguments now: the tender, its memory and block devices (`volumes` in place
    /// of the packaged files), a tap for each network device (`taps[name]`), then the image, the
    /// packaged boot arguments and what the container's command adds (what follows the image's
    /// entry point, or all of it when the command was replaced), and `network` (the pod's address
    /// for the guest). A runtime that starts the tender itself, outside the container, gives its
    /// own `tender` and `hostPath`, which turns a path in the container into the host's.
    public mutating func rewriteProcess(taps: [String: String], volumes: [String: String] = [:], network: [String] = [],
                                        tender: String? = nil, hostPath: (String) -> String = { $0 }) throws(RuntimeError) {
        let given = configuration["process"]?["args"]?.stringArray ?? []
        let entrypoint = metadata.entrypoint
        let extra = given.starts(with: entrypoint) ? Array(given.dropFirst(entrypoint.count)) : (given.first == metadata.tender ? [] : given)
        // The image's layers do not change while it runs: the guests of one image share its code.
        var arguments = [tender ?? metadata.tender!, "--share-image"]
        if let memoryMiB { arguments.append("--mem=\(memoryMiB)") }
        var blocks = metadata.blocks
        for (name, file) in volumes { blocks[name] = file }
        for (name, file) in blocks.sorted(by: { $0.key < $1.key }) {
            arguments.append("--block:\(name)=\(hostPath(file))")
        }
        for name in metadata.networks {
            guard let tap = taps[name] else { throw RuntimeError("no tap for the network device \(name)") }
            arguments.append("--net:\(name)=\(tap)")
        }
        arguments += ["--", hostPath(metadata.image)] + metadata.bootArguments + network + extra
        var process = configuration["process"] ?? .object([])
        process["args"] = .array(arguments.map { .string($0) })
        configuration["process"] = process
    }

    /// Gives the container `devices` (those not listed yet) and allows them in its device cgroup
    /// (read, write, mknod); `mounted` are only allowed (a bind mount puts them in place).
    public mutating func add(_ devices: [Device], mounted: [Device] = []) {
        var linux = configuration["linux"] ?? .object([])
        var listed = linux["devices"]?.arrayValue ?? []
        var resources = linux["resources"] ?? .object([])
        var rules = resources["devices"]?.arrayValue ?? []
        for device in devices where !listed.contains(where: { $0["path"]?.stringValue == device.path }) {
            listed.append(.object([("path", .string(device.path)), ("type", .string(device.type)), ("major", .integer(device.major)),
                                   ("minor", .integer(device.minor)), ("fileMode", .integer(0o666)), ("uid", .integer(0)), ("gid", .integer(0))]))
        }
        for device in devices + mounted {
            rules.append(.object([("allow", .bool(true)), ("type", .string(device.type)), ("major", .integer(device.major)),
                                  ("minor", .integer(device.minor)), ("access", .string("rwm"))]))
        }
        linux["devices"] = .array(listed)
        resources["devices"] = .array(rules)
        linux["resources"] = resources
        configuration["linux"] = linux
    }

    /// The path of the network namespace the container joins; nil when it gets a new one.
    public var networkNamespacePath: String? {
        let namespaces = configuration["linux"]?["namespaces"]?.arrayValue ?? []
        return namespaces.first { $0["type"]?.stringValue == "network" }?["path"]?.stringValue
    }

    /// The configuration as `config.json` bytes.
    public var encoded: [UInt8] { configuration.serialized }
}
