import Foundation
import MirageConfig

/// A unikernel's folder: `config.swift`, the application's Swift files, and what the tool makes:
/// `mirage/` (the wiring and its build package) and `dist/` (the image).
public struct UnikernelProject {
    /// The folder, absolute.
    public let directory: String
    public let repository: Repository

    public init(directory: String, repository: Repository) {
        let absolute = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
        self.directory = URL(fileURLWithPath: absolute).standardizedFileURL.path
        self.repository = repository
    }

    public var manifestPath: String { directory + "/config.swift" }
    public var wiringDirectory: String { directory + "/mirage" }
    public var distDirectory: String { directory + "/dist" }
    var recordPath: String { wiringDirectory + "/configuration.json" }

    /// The application's sources: every `.swift` file in the folder but `config.swift`.
    var applicationSources: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".swift") && $0 != "config.swift" }.sorted()
    }

    /// The protocol libraries the application's sources import (`import MirageHTTP`), which
    /// its build package then depends on.
    func importedLibraries() -> [String] {
        var found: [String] = []
        for source in applicationSources {
            guard let text = try? String(contentsOfFile: directory + "/" + source, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ")
                guard words.count >= 2, words[0] == "import" || (words[0].hasPrefix("@") && words.count >= 3 && words[1] == "import") else { continue }
                let module = String(words[words[0] == "import" ? 1 : 2])
                if WiringGenerator.applicationLibraries.contains(module), !found.contains(module) { found.append(module) }
            }
        }
        return found.sorted()
    }

    /// Evaluates and validates the manifest.
    public func loadDescription() throws(ToolError) -> UnikernelDescription {
        let description = try ManifestLoader(repository: repository).load(manifestPath)
        let problems = ManifestValidator.diagnose(description)
        guard problems.isEmpty else {
            throw ToolError(problems.map { relative($0).description }.joined(separator: "\n"))
        }
        return description
    }

    /// What `configure` recorded: the target, the configure-time values, the manifest's fingerprint.
    struct ConfigurationRecord: Codable, Equatable {
        var name: String
        var target: Target
        /// `configure --net=`; nil for the target's default.
        var network: NetworkMode?
        var configureValues: [String: String]
        var manifestFingerprint: String
    }

    func readRecord() -> ConfigurationRecord? {
        guard let data = FileManager.default.contents(atPath: recordPath) else { return nil }
        return try? JSONDecoder().decode(ConfigurationRecord.self, from: data)
    }

    var manifestFingerprint: String {
        Fingerprint.of([FileManager.default.contents(atPath: manifestPath) ?? Data()])
    }

    /// Parses configure-time key settings (`--name=value` or `--name value`) against the manifest.
    public static func parseConfigureValues(_ arguments: [String], for description: UnikernelDescription) throws(ToolError) -> [String: String] {
        var values: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw ToolError("unexpected argument '\(argument)' (configure-time keys are written --name=value)", exitCode: 64)
            }
            var name = String(argument.dropFirst(2))
            var value: String
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            } else {
                index += 1
                guard index < arguments.count else { throw ToolError("key '--\(name)' needs a value", exitCode: 64) }
                value = arguments[index]
            }
            let hasKeyValueStore = description.devices.contains { $0.kind == DeviceKind.keyValueStore.name }
            if name == KeyValueMode.key, hasKeyValueStore, !description.keys.contains(where: { $0.name == name }) {
                values[name] = try KeyValueMode.named(value).rawValue
                index += 1
                continue
            }
            guard let key = description.keys.first(where: { $0.name == name }) else {
                let known = description.keys.filter { $0.stage == .configure }.map { "--" + $0.name }
                    + (hasKeyValueStore ? ["--" + KeyValueMode.key] : [])
                throw ToolError("unknown configure-time key '--\(name)'" + (known.isEmpty ? " (this unikernel has none)" : " (known: \(known.joined(separator: ", ")))"), exitCode: 64)
            }
            guard key.stage == .configure else {
                throw ToolError("'--\(name)' is a boot-time key: give it when the unikernel starts (swift-mirage run -- --\(name)=\(value))", exitCode: 64)
            }
            value = value.trimmingCharacters(in: .whitespaces)
            values[name] = value
            index += 1
        }
        return values
    }

    /// Writes `mirage/main.swift`, `mirage/Package.swift` and links to the application's sources.
    @discardableResult
    public func configure(target: Target, network: NetworkMode? = nil, configureArguments: [String] = []) throws(ToolError) -> UnikernelDescription {
        let description = try loadDescription()
        let values = try Self.parseConfigureValues(configureArguments, for: description)
        let generator = WiringGenerator(description: description, target: target, configureValues: values, network: network,
                                        libraries: importedLibraries())
        let main = try generator.mainSwift()
        let package = generator.packageSwift(repositoryPath: relativePath(from: wiringDirectory, to: repository.root),
                                             repositoryIdentity: repository.packageIdentity)
        try write(main, to: wiringDirectory + "/main.swift")
        try write(package, to: wiringDirectory + "/Package.swift")
        if !generator.crunchDevices.isEmpty {
            var files: [String: [WiringGenerator.CrunchedFile]] = [:]
            for store in generator.crunchStores {
                files[store.device.id] = try crunchedFiles(in: store.folder, of: store.device)
            }
            try write(generator.crunchedSwift(files), to: wiringDirectory + "/crunched.swift")
        } else {
            try? FileManager.default.removeItem(atPath: wiringDirectory + "/crunched.swift")
        }
        try linkApplicationSources()
        let record = ConfigurationRecord(name: description.name, target: target, network: network, configureValues: values,
                                         manifestFingerprint: manifestFingerprint)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(String(decoding: (try? encoder.encode(record)) ?? Data(), as: UTF8.self), to: recordPath)
        return description
    }

    /// The files of a key-value store's folder (relative to the unikernel's), recursively, with
    /// paths relative to it; hidden files (names starting with `.`) are left out.
    func crunchedFiles(in storeFolder: String, of device: DeviceDescription, reading: Bool = true) throws(ToolError) -> [WiringGenerator.CrunchedFile] {
        let folder = directory + "/" + storeFolder
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ToolError("\(device.location): error: key-value store '\(device.name)': no folder \(folder)")
        }
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else {
            throw ToolError("\(device.location): error: key-value store '\(device.name)': cannot list \(folder)")
        }
        var files: [WiringGenerator.CrunchedFile] = []
        while let relative = enumerator.nextObject() as? String {
            if relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            let path = folder + "/" + relative
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular else { continue }
            guard let data = reading ? FileManager.default.contents(atPath: path) : Data() else {
                throw ToolError("\(device.location): error: key-value store '\(device.name)': cannot read \(path)")
            }
            let modified = (attributes[.modificationDate] as? Date).map { Int64($0.timeIntervalSince1970) } ?? 0
            files.append(WiringGenerator.CrunchedFile(path: relative, contents: [UInt8](data), modified: modified))
        }
        return files
    }

    /// Writes the tar archives of `keyValueStore` devices configured `--kv=tar`, from their
    /// folders (the files crunch would compile in), with GNU tar in pax format.
    func writeArchives(record: ConfigurationRecord, log: (String) -> Void) throws(ToolError) {
        for archive in try configuredGenerator(target: record.target).archives() {
            let files = try crunchedFiles(in: archive.folder, of: archive.device, reading: false).map(\.path).sorted()
            // In the build's scratch folder: beside the wiring it would be a file SwiftPM warns of.
            let list = wiringDirectory + "/.build-\(record.target.rawValue)/\(archive.device.name).files"
            try write(files.map { $0 + "\n" }.joined(), to: list)
            let output = directory + "/" + archive.path
            try? FileManager.default.createDirectory(atPath: (output as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let tar = try Shell.capture([
                "tar", "--create", "--format=pax", "--owner=0", "--group=0", "--numeric-owner",
                "--file", output, "--directory", directory + "/" + archive.folder,
                "--verbatim-files-from", "--files-from", list,
            ])
            guard tar.status == 0 else {
                throw ToolError("\(archive.device.location): error: cannot write the tar archive \(archive.path): \(tar.errorOutput)")
            }
            log("wrote \(archive.path) (\(files.count) files) for key-value store '\(archive.device.name)'")
        }
    }

    /// Links each application source into `mirage/app/`, removing links to files that are gone.
    func linkApplicationSources() throws(ToolError) {
        let appDirectory = wiringDirectory + "/app"
        try? FileManager.default.removeItem(atPath: appDirectory)
        do {
            try FileManager.default.createDirectory(atPath: appDirectory, withIntermediateDirectories: true)
            for source in applicationSources {
                try FileManager.default.createSymbolicLink(atPath: appDirectory + "/" + source, withDestinationPath: "../../" + source)
            }
        } catch {
            throw ToolError("cannot link the application's sources into \(appDirectory): \(error)")
        }
        if applicationSources.isEmpty {
            throw ToolError("\(directory) has no application sources: put the unikernel's Swift files beside config.swift")
        }
    }

    /// Builds `dist/<name>`, configuring first when never configured or when `config.swift` changed.
    /// - Returns: the image's path.
    @discardableResult
    public func build(release: Bool = true, log: (String) -> Void = { _ in }) throws(ToolError) -> String {
        guard var record = readRecord() else {
            throw ToolError("\(relativeDirectory) is not configured: run 'swift-mirage configure -t unix' there first")
        }
        if record.manifestFingerprint != manifestFingerprint {
            log("config.swift changed since configure: configuring again for target \(record.target.rawValue)")
            let arguments = record.configureValues.sorted { $0.key < $1.key }.map { "--\($0.key)=\($0.value)" }
            try configure(target: record.target, network: record.network, configureArguments: arguments)
            record = readRecord() ?? record
        } else {
            try linkApplicationSources()
        }
        try writeArchives(record: record, log: log)
        let configuration = release ? "release" : "debug"
        let target = record.target
        log("building \(record.name) for target \(target.rawValue) (\(configuration))")
        var swiftBuild = ["swift", "build", "--package-path", wiringDirectory, "-c", configuration]
        var environment: [String: String] = [:]
        let binPath: String
        // SwiftPM 6.3.1 reuses `<configuration>.yaml`, its build plan, without noticing source
        // files added to the library (a path dependency): after an update the build fails on
        // the missing declarations. With --triple equal to the host's it also writes its
        // plugin-tools plan over that file, and the next build fails with "unknown build
        // description". Removing the plan makes it plan again, which takes well under a second.
        let scratch = wiringDirectory + (target.isEmbedded ? "/.build-\(target.rawValue)" : "/.build")
        try? FileManager.default.removeItem(atPath: scratch + "/" + configuration + ".yaml")
        if target.isEmbedded {
            // For the reason above the bin path is computed rather than asked of
            // `swift build --show-bin-path`.
            swiftBuild += ["--triple", Self.guestTriple, "--scratch-path", scratch]
            environment["SWIFT_EMBEDDED"] = "1"
            binPath = scratch + "/" + Self.guestTriple + "/" + configuration
        } else {
            binPath = wiringDirectory + "/.build/" + configuration
        }
        let status = try Shell.stream(swiftBuild + ["--product", record.name], environment: environment)
        guard status == 0 else { throw ToolError("error: building \(record.name) failed (swift build exited \(status))") }
        let image = distDirectory + "/" + target.imageName(record.name)
        do {
            try FileManager.default.createDirectory(atPath: distDirectory, withIntermediateDirectories: true)
            try? FileManager.default.removeItem(atPath: image)
            if target.isEmbedded {
                try finishGuestImage(binPath + "/" + record.name, into: image, target: target)
            } else {
                try FileManager.default.copyItem(atPath: binPath + "/" + record.name, toPath: image)
            }
        } catch let error as ToolError {
            throw error
        } catch {
            throw ToolError("cannot copy the image to \(image): \(error)")
        }
        log("built \(relative(image))")
        return image
    }

    /// The wiring generator for the configuration in effect: the manifest with the configure-time
    /// values and network mode last configured for `target`.
    func configuredGenerator(target: Target) throws(ToolError) -> WiringGenerator {
        let record = readRecord().flatMap { $0.target == target ? $0 : nil }
        return WiringGenerator(description: try loadDescription(), target: target,
                               configureValues: record?.configureValues ?? [:], network: record?.network)
    }

    /// The triple guests build for: the one whose Embedded Swift has `_Concurrency` (PLATFORM-NOTES.md).
    static let guestTriple = "x86_64-unknown-linux-gnu"

    /// Strips the guest ELF and adds its device manifest (the `.mirage.devices` section the tender
    /// checks its command line against).
    func finishGuestImage(_ linked: String, into image: String, target: Target) throws(ToolError) {
        let devices = try configuredGenerator(target: target).tenderDevices()
        // Inside the build's scratch folder: a file beside the wiring would be an unhandled
        // source file to SwiftPM ("found 1 file(s) which are unhandled").
        let manifest = wiringDirectory + "/.build-\(target.rawValue)/devices.txt"
        guard FileManager.default.createFile(atPath: manifest, contents: Data(devices.map { $0 + "\n" }.joined().utf8)) else {
            throw ToolError("cannot write \(manifest)")
        }
        let objcopy = try Shell.capture([
            "llvm-objcopy", "--strip-all", "--remove-section=.swift_ast",
            "--add-section", ".mirage.devices=" + manifest,
            linked, image,
        ])
        guard objcopy.status == 0 else {
            throw ToolError("llvm-objcopy could not finish \(image):\n\(objcopy.errorOutput)")
        }
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

    /// Configures (when needed), builds and starts the unikernel with `bootArguments`, in its folder.
    /// Does not return: the unikernel (or, for hvt, the tender running it) replaces the tool; with
    /// `createTap`, the tool creates the tap interface first, waits for the unikernel and deletes
    /// the interface again, then exits with the unikernel's status.
    /// - Parameter createTap: the host's address on a tap interface to create for the run
    ///   (`--create-tap=10.0.0.1/24`); the interface is the one the unikernel's network device
    ///   is given (`--net:NAME=TAP`, default tap0).
    public func run(target: Target?, network: NetworkMode? = nil, bootArguments: [String], release: Bool = true,
                    createTap: String? = nil, log: (String) -> Void) throws(ToolError) -> Never {
        let record = readRecord()
        if let target, record?.target != target || (network != nil && record?.network != network) {
            log("configuring \(relativeDirectory) for target \(target.rawValue)")
            try configure(target: target, network: network)
        } else if let network, let record, record.network != network {
            log("configuring \(relativeDirectory) for target \(record.target.rawValue) with --net=\(network.rawValue)")
            try configure(target: record.target, network: network)
        } else if record == nil {
            log("configuring \(relativeDirectory) for target unix")
            try configure(target: .unix, network: network)
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
        execv(argv[0], &cArguments)
        throw ToolError("cannot start \(argv[0]): \(String(cString: strerror(errno)))")
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

    /// The tender's command line for an hvt image: tender options (`--mem=`, `--block:NAME=FILE`,
    /// `--net:NAME=TAP`) taken from `bootArguments` or from the manifest's defaults (a block
    /// device's image, tap0 for a network device), then `--`, the image and the guest's own boot
    /// arguments.
    func tenderCommandLine(image: String, bootArguments: [String], log: (String) -> Void) throws(ToolError) -> [String] {
        let tender = try repository.tender(log: log)
        var tenderOptions: [String] = []
        var guestArguments: [String] = []
        for argument in bootArguments {
            let isTenderOption = argument.hasPrefix("--mem=") || argument.hasPrefix("--block:") || argument.hasPrefix("--net:")
            if isTenderOption { tenderOptions.append(argument) } else { guestArguments.append(argument) }
        }
        let generator = try configuredGenerator(target: .hvt)
        for (name, path) in try generator.tenderBlockDefaults() {
            let option = "--block:\(name)="
            if !tenderOptions.contains(where: { $0.hasPrefix(option) }) { tenderOptions.append(option + path) }
        }
        for name in try generator.tapNetworks() {
            let option = "--net:\(name)="
            if !tenderOptions.contains(where: { $0.hasPrefix(option) }) {
                tenderOptions.append(option + Self.defaultTap)
            }
        }
        return [tender] + tenderOptions + ["--", image] + guestArguments
    }

    /// Removes what configure and build made: `mirage/` and `dist/`.
    /// - Returns: the paths removed.
    @discardableResult
    public func clean() throws(ToolError) -> [String] {
        var removed: [String] = []
        for path in [wiringDirectory, distDirectory] where FileManager.default.fileExists(atPath: path) {
            do { try FileManager.default.removeItem(atPath: path) } catch {
                throw ToolError("cannot remove \(path): \(error)")
            }
            removed.append(path)
        }
        return removed
    }

    private func write(_ text: String, to path: String) throws(ToolError) {
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            if (try? String(contentsOfFile: path, encoding: .utf8)) == text { return }
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
            throw ToolError("cannot write \(path): \(error)")
        }
    }

    /// `path` relative to the current directory when it is below it.
    public func relative(_ path: String) -> String {
        let current = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(current) ? String(path.dropFirst(current.count)) : path
    }

    func relative(_ diagnostic: Diagnostic) -> Diagnostic {
        var result = diagnostic
        result.location.file = relative(diagnostic.location.file)
        return result
    }

    var relativeDirectory: String {
        let path = relative(directory)
        return path == directory && directory == FileManager.default.currentDirectoryPath ? "." : path
    }
}

/// The relative path from folder `from` to folder `to`, both absolute.
func relativePath(from: String, to: String) -> String {
    let fromParts = URL(fileURLWithPath: from).standardizedFileURL.pathComponents
    let toParts = URL(fileURLWithPath: to).standardizedFileURL.pathComponents
    var common = 0
    while common < min(fromParts.count, toParts.count) && fromParts[common] == toParts[common] { common += 1 }
    let ups = Array(repeating: "..", count: fromParts.count - common)
    let path = (ups + toParts[common...]).joined(separator: "/")
    return path.isEmpty ? "." : path
}
