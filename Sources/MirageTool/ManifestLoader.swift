import Foundation
import MirageConfig

/// Evaluates a unikernel's `config.swift` as SwiftPM evaluates `Package.swift`: compiles it
/// against `MirageConfig`, runs it, and reads the ``UnikernelDescription`` it registers.
///
/// `MirageConfig` is compiled once per version of its sources into the checkout's
/// `.build-mirage/`, and each manifest once per version of its text.
public struct ManifestLoader {
    public let repository: Repository

    public init(repository: Repository) { self.repository = repository }

    /// Compiles and runs `manifestPath`, returning the unikernel it describes.
    ///
    /// - Throws: a ``ToolError`` carrying the compiler's messages (which name `config.swift`'s
    ///   lines) when it does not compile, or what it printed when it fails.
    public func load(_ manifestPath: String) throws(ToolError) -> UnikernelDescription {
        guard FileManager.default.fileExists(atPath: manifestPath) else {
            throw ToolError("no manifest at \(manifestPath): a unikernel's folder needs a config.swift")
        }
        let library = try configLibrary()
        guard let manifestText = FileManager.default.contents(atPath: manifestPath) else {
            throw ToolError("cannot read \(manifestPath)")
        }
        let key = Fingerprint.of([Data(library.utf8), Data(manifestPath.utf8), manifestText])
        let directory = repository.cacheDirectory + "/manifests/" + key
        let executable = directory + "/config"
        if !FileManager.default.fileExists(atPath: executable) {
            try createDirectory(directory)
            let partial = executable + Self.partialSuffix()
            let compile = try Shell.capture([
                "swiftc", "-module-name", "config", "-I", library, "-L", library, "-lMirageConfig",
                "-Xlinker", "-rpath", "-Xlinker", library, manifestPath, "-o", partial,
            ])
            guard compile.status == 0 else {
                try? FileManager.default.removeItem(atPath: partial)
                throw ToolError(compile.errorOutput + compile.output + "error: \(manifestPath) does not compile")
            }
            try move(partial, to: executable)
        }
        let output = directory + "/description" + Self.partialSuffix() + ".json"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let run = try Shell.capture([executable], environment: ["MIRAGE_DESCRIPTION_OUTPUT": output])
        guard run.status == 0 else {
            throw ToolError(run.errorOutput + run.output + "error: \(manifestPath) failed when run (status \(run.status))")
        }
        guard let data = FileManager.default.contents(atPath: output) else {
            throw ToolError("\(manifestPath): error: the manifest does not call register(...) to describe its unikernel")
        }
        do {
            return try JSONDecoder().decode(UnikernelDescription.self, from: data)
        } catch {
            throw ToolError("\(manifestPath): error: its description cannot be read (\(error)); is MirageConfig older than the tool?")
        }
    }

    /// Compiles `MirageConfig` into a shared library when its sources changed; returns its folder.
    func configLibrary() throws(ToolError) -> String {
        let sourceDirectory = repository.root + "/Sources/MirageConfig"
        // Its folders too: the device kinds (`DeviceKinds/`) and what the wiring needs (`Wiring/`).
        let names = ((try? FileManager.default.subpathsOfDirectory(atPath: sourceDirectory)) ?? [])
            .filter { $0.hasSuffix(".swift") }.sorted()
        guard !names.isEmpty else { throw ToolError("no MirageConfig sources in \(sourceDirectory)") }
        let sources = names.map { sourceDirectory + "/" + $0 }
        let version = try Shell.capture(["swiftc", "--version"]).output
        let key = Fingerprint.of([Data(version.utf8)] + sources.map { Data($0.utf8) + (FileManager.default.contents(atPath: $0) ?? Data()) })
        let directory = repository.cacheDirectory + "/config-library/" + key
        if FileManager.default.fileExists(atPath: directory + "/libMirageConfig.so") { return directory }
        let partial = directory + Self.partialSuffix()
        try createDirectory(partial)
        let compile = try Shell.capture([
            // The package name lets the library compile its `package` declarations, which the
            // tool uses and a manifest, compiled without it, does not see.
            "swiftc", "-emit-library", "-emit-module", "-module-name", "MirageConfig", "-package-name", "swift_mirage",
            "-parse-as-library",
            "-emit-module-path", partial + "/MirageConfig.swiftmodule",
            "-o", partial + "/libMirageConfig.so",
        ] + sources)
        guard compile.status == 0 else {
            try? FileManager.default.removeItem(atPath: partial)
            throw ToolError(compile.errorOutput + "error: cannot compile MirageConfig from \(sourceDirectory)")
        }
        try move(partial, to: directory)
        return directory
    }

    /// A suffix for files being written, unique across concurrent runs of the tool, so that two
    /// runs never write the same file; the finished file is then moved into place.
    static func partialSuffix() -> String {
        ".partial-\(getpid())-\(UInt32.random(in: 0 ... .max))"
    }

    private func createDirectory(_ path: String) throws(ToolError) {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw ToolError("cannot create \(path): \(error)")
        }
    }

    private func move(_ source: String, to destination: String) throws(ToolError) {
        do { try FileManager.default.moveItem(atPath: source, toPath: destination) } catch {
            if FileManager.default.fileExists(atPath: destination) {
                // Another run finished the same file first; theirs is as good as ours.
                try? FileManager.default.removeItem(atPath: source)
                return
            }
            throw ToolError("cannot move \(source) to \(destination): \(error)")
        }
    }
}

/// A short, stable hash for cache keys (64-bit FNV-1a, in hexadecimal).
enum Fingerprint {
    static func of(_ parts: [Data]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for part in parts {
            for byte in part {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
            hash = (hash ^ 0xff) &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
