import Foundation

/// The swift-mirage checkout the tool belongs to: where `MirageConfig`'s sources and the OS
/// libraries a unikernel's build package depends on are.
public struct Repository: Equatable {
    /// The checkout's root: the folder holding swift-mirage's `Package.swift`.
    public var root: String

    public init(root: String) { self.root = root }

    /// Finds the checkout: `$SWIFT_MIRAGE_ROOT` when set, else the folder above the running tool
    /// (which SwiftPM builds inside the checkout's `.build`), else the one this file was compiled in.
    public static func locate() throws(ToolError) -> Repository {
        if let root = ProcessInfo.processInfo.environment["SWIFT_MIRAGE_ROOT"], !root.isEmpty {
            guard isCheckout(root) else {
                throw ToolError("SWIFT_MIRAGE_ROOT=\(root) is not a swift-mirage checkout (no Sources/MirageConfig)")
            }
            return Repository(root: root)
        }
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var directory = (executable as NSString).deletingLastPathComponent
            while directory != "/" && !directory.isEmpty {
                if isCheckout(directory) { return Repository(root: directory) }
                directory = (directory as NSString).deletingLastPathComponent
            }
        }
        let compiledIn = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        if isCheckout(compiledIn) { return Repository(root: compiledIn) }
        throw ToolError("cannot find the swift-mirage checkout; set SWIFT_MIRAGE_ROOT to its folder")
    }

    static func isCheckout(_ directory: String) -> Bool {
        FileManager.default.fileExists(atPath: directory + "/Package.swift")
            && FileManager.default.fileExists(atPath: directory + "/Sources/MirageConfig")
    }

    /// The mirage-hvt tender beside the running tool, built first when missing.
    func tender(log: (String) -> Void) throws(ToolError) -> String {
        let besideTool = ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "")
            .split(separator: "/").dropLast().joined(separator: "/")
        let candidate = "/" + besideTool + "/mirage-hvt"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        log("building the mirage-hvt tender")
        let status = try Shell.stream(["swift", "build", "--package-path", root, "--product", "mirage-hvt"])
        let binPath = try Shell.capture(["swift", "build", "--package-path", root, "--show-bin-path"]).output
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard status == 0, FileManager.default.isExecutableFile(atPath: binPath + "/mirage-hvt") else {
            throw ToolError("cannot build the mirage-hvt tender (swift build --product mirage-hvt)")
        }
        return binPath + "/mirage-hvt"
    }

    /// Where the tool keeps what it compiles for manifests.
    var cacheDirectory: String { root + "/.build-mirage" }

    /// The SwiftPM identity of the checkout when a build package depends on it by path.
    public var packageIdentity: String { (root as NSString).lastPathComponent.lowercased() }
}
