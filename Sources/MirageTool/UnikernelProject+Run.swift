import Foundation
import MirageConfig

/// `swift-mirage run`: configure and build when needed, create block images and the tap device,
/// and start the unikernel (under the tender for hvt).
extension UnikernelProject {
    /// Configures (when needed), builds and starts the unikernel with `bootArguments`, in its folder.
    /// Does not return: the unikernel (or, for hvt, the tender running it) replaces the tool; with
    /// `createTap`, the tool creates the tap interface first, waits for the unikernel and deletes
    /// the interface again, then exits with the unikernel's status.
    /// - Parameter createTap: the host's address on a tap interface to create for the run
    ///   (`--create-tap=10.0.0.1/24`); the interface is the one the unikernel's network device
    ///   is given (`--net:NAME=TAP`, default tap0).
    public func run(target: Target?, network: NetworkMode? = nil, configureArguments: [String] = [], bootArguments: [String],
                    release: Bool = true, createTap: String? = nil, log: (String) -> Void) throws(ToolError) -> Never {
        let record = readRecord()
        // Configure again when the target, the stack or the configure-time keys asked for differ
        // from the last configuration; keys not given keep their configured values.
        let configuredTarget = target ?? record?.target ?? .unix
        let sameTarget = record?.target == configuredTarget
        let configuredNetwork = network ?? (sameTarget ? record?.network : nil)
        var values = sameTarget ? record?.configureValues ?? [:] : [:]
        if !configureArguments.isEmpty {
            values = try Self.parseConfigureValues(configureArguments, for: try loadDescription())
        }
        if record == nil || !sameTarget || configuredNetwork != record?.network || values != record?.configureValues {
            let keys = values.sorted { $0.key < $1.key }.map { "--\($0.key)=\($0.value)" }
            log("configuring \(relativeDirectory) for target \(configuredTarget.rawValue)" + (keys.isEmpty ? "" : " with " + keys.joined(separator: " ")))
            try configure(target: configuredTarget, network: configuredNetwork, configureArguments: keys)
        }
        let image = try build(release: release, log: log)
        let configured = readRecord()?.target ?? .unix
        let tap = try createTap.map { address throws(ToolError) in
            try hostTap(address: address, target: configured, network: readRecord()?.network, bootArguments: bootArguments)
        }
        for path in try createMissingImages(target: configured) {
            log("created block device image \(relative(path))")
        }
        guard FileManager.default.changeCurrentDirectoryPath(directory) else {
            throw ToolError("cannot change to \(directory)")
        }
        var argv = [image] + bootArguments
        if configured == .hvt {
            argv = try tenderCommandLine(image: image, bootArguments: bootArguments, log: log)
        }
        if let tap {
            try tap.create()
            log("created tap device \(tap.name) with the host at \(tap.hostAddress)")
            let status: Int32
            do {
                status = try ChildProcess.run(argv)
            } catch {
                tap.delete()
                throw error
            }
            tap.delete()
            log("deleted tap device \(tap.name)")
            exit(status)
        }
        var cArguments = argv.map { strdup($0) } + [nil]
        Shell.removeChildTemporaryDirectory()
        execv(argv[0], &cArguments)
        throw ToolError("cannot start \(argv[0]): \(String(cString: strerror(errno)))")
    }

    /// Creates the images of block devices that do not exist yet, at the sizes the manifest gives.
    func createMissingImages(target: Target) throws(ToolError) -> [String] {
        var created: [String] = []
        for image in try configuredGenerator(target: target).images() {
            let path = image.path.hasPrefix("/") ? image.path : directory + "/" + image.path
            if FileManager.default.fileExists(atPath: path) { continue }
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: path) else {
                throw ToolError("cannot create the block device image \(path)")
            }
            do { try handle.truncate(atOffset: image.bytes); try handle.close() } catch {
                throw ToolError("cannot size the block device image \(path): \(error)")
            }
            created.append(path)
        }
        return created
    }

    /// The tap interface `run --create-tap=ADDRESS` makes: the one behind the unikernel's single
    /// tap-backed network device, named by `--net:NAME=TAP` in `bootArguments` or tap0.
    /// - Throws: when the unikernel has no such device (no network, or the host's sockets), or
    ///   more than one.
    func hostTap(address: String, target: Target, network: NetworkMode?, bootArguments: [String]) throws(ToolError) -> HostTap {
        let description = try loadDescription()
        let names = try WiringGenerator(description: description, target: target, network: network).tapNetworks()
        guard let name = names.first else {
            let reason = description.devices.contains { $0.kind == DeviceKind.stack.name }
                ? "it uses the host's sockets (configure --net=direct for our stack over a tap device)"
                : "it has no network device"
            throw ToolError("--create-tap: \(description.name) on \(target.rawValue) needs no tap device: \(reason)", exitCode: 64)
        }
        guard names.count == 1 else {
            throw ToolError("--create-tap sets up one tap device, and \(description.name) has \(names.count) (\(names.joined(separator: ", "))): create them with 'ip tuntap add' instead", exitCode: 64)
        }
        return try HostTap(name: Self.tapName(of: name, in: bootArguments), hostAddress: address)
    }

    /// The tap interface behind network device `name`: the value of the last `--net:NAME=TAP` in
    /// `bootArguments`, else tap0 (the default of unix's boot key and of the hvt tender's command
    /// line that `run` writes).
    static func tapName(of name: String, in bootArguments: [String]) -> String {
        let option = "--net:\(name)="
        return bootArguments.last { $0.hasPrefix(option) }.map { String($0.dropFirst(option.count)) } ?? defaultTap
    }

    /// The tap interface of a network device that no `--net:NAME=TAP` names.
    static let defaultTap = "tap0"
}
