import Foundation
import MirageConfig

/// `swift-mirage configure`: the wiring, its build package and the crunched files.
extension UnikernelProject {
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
}
