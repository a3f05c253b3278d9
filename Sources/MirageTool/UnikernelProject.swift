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

    /// The wiring generator for the configuration in effect: the manifest with the configure-time
    /// values and network mode last configured for `target`.
    func configuredGenerator(target: Target) throws(ToolError) -> WiringGenerator {
        let record = readRecord().flatMap { $0.target == target ? $0 : nil }
        return WiringGenerator(description: try loadDescription(), target: target,
                               configureValues: record?.configureValues ?? [:], network: record?.network)
    }
    func write(_ text: String, to path: String) throws(ToolError) {
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
