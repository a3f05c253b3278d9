import Foundation
import MirageConfig
import MirageOCI

/// `swift-mirage package`: the built unikernel as an OCI image.
extension UnikernelProject {
    /// What ``package(reference:output:tender:log:)`` made.
    public struct PackagedImage {
        /// The image layout directory.
        public var layout: String
        /// The layout as a tar archive, for `ctr image import`.
        public var archive: String
        public var reference: String
        /// The manifest's digest, `sha256:…`: the same files give the same one.
        public var digest: String
        public var metadata: UnikernelImageMetadata
    }

    /// Builds the configured unikernel when needed and packages it as an OCI image of one layer:
    /// for hvt the static tender at `/mirage-hvt`, the image and the block devices' default files
    /// in `/unikernel/` (made empty at the manifest's sizes when missing, as `run` does); for unix the program in `/unikernel/` with the shared libraries it
    /// needs, where the dynamic loader finds them on this machine; and the metadata
    /// (``UnikernelImageMetadata``) in both. Reproducible: no time stamps, fixed owners and order.
    /// - Parameters:
    ///   - reference: the image's name; `localhost/<name>:latest` by default (containerd wants
    ///     full names).
    ///   - output: where the layout goes; `dist/<name>.oci` by default, the archive beside it
    ///     with `.tar` added.
    ///   - tender: the mirage-hvt to put in; the one beside the tool by default. It must be
    ///     static: a container has no libraries for it.
    ///   - memoryMiB: the guest's memory; the tender's default (32) when nil.
    public func package(reference: String? = nil, output: String? = nil, tender: String? = nil, memoryMiB: Int? = nil,
                        bootArguments: [String] = [], log: (String) -> Void) throws(ToolError) -> PackagedImage {
        let image = try build(release: true, log: log)
        guard let record = readRecord() else { throw ToolError("\(relativeDirectory) is not configured") }
        let reference = reference ?? "localhost/\(record.name.lowercased()):latest"
        guard Self.isFullReference(reference) else {
            throw ToolError("the image name \(reference) is not a full reference: give one as localhost/NAME:TAG")
        }
        let program = try Self.read(image)
        var layer = TarWriter()
        try layer.addDirectory("unikernel")
        var directories: Set<String> = ["unikernel"]
        var metadata = UnikernelImageMetadata(name: record.name, target: record.target.rawValue,
                                              image: "/unikernel/" + record.target.imageName(record.name),
                                              tender: nil, memoryMiB: nil, networks: [], blocks: [:], bootArguments: bootArguments)
        let generator = try configuredGenerator(target: record.target)
        if record.target == .hvt {
            let tenderPath: String
            if let tender { tenderPath = tender } else { tenderPath = try repository.tender(log: log) }
            let tenderBytes = try Self.read(tenderPath)
            guard !ELFFile.needsInterpreter(tenderBytes) else {
                throw ToolError("the tender \(tenderPath) is linked dynamically: a container has no libraries for it; give a static one with --tender")
            }
            try layer.addFile("mirage-hvt", contents: tenderBytes, mode: 0o755)
            metadata.tender = "/mirage-hvt"
            metadata.memoryMiB = memoryMiB
            metadata.networks = try generator.tapNetworks()
            for path in try createMissingImages(target: record.target) {
                log("created block device image \(relative(path))")
            }
            for (name, path) in try generator.tenderBlockDefaults() {
                let file = path.hasPrefix("/") ? path : directory + "/" + path
                let inImage = "unikernel/" + (file as NSString).lastPathComponent
                try layer.addFile(inImage, contents: try Self.read(file), mode: 0o644)
                metadata.blocks[name] = "/" + inImage
            }
        } else if ELFFile.needsInterpreter(program) {
            // The program and the libraries the dynamic loader finds for it (the Swift runtime,
            // libc), each at the path it is found at, so the same loader finds them again.
            for library in try Self.sharedLibraries(of: image) {
                let parts = library.split(separator: "/").map(String.init)
                for depth in 1 ..< parts.count where !directories.contains(parts[..<depth].joined(separator: "/")) {
                    let folder = parts[..<depth].joined(separator: "/")
                    directories.insert(folder)
                    try layer.addDirectory(folder)
                }
                try layer.addFile(parts.joined(separator: "/"), contents: try Self.read(library), mode: 0o755)
            }
        }
        try layer.addFile(String(metadata.image.dropFirst()), contents: program, mode: 0o755)
        try layer.addFile(String(UnikernelImageMetadata.path.dropFirst()), contents: try OCIImageLayout.json(metadata), mode: 0o644)
        let configuration = OCIImageLayout.ImageConfiguration(
            architecture: "amd64",
            config: .init(Entrypoint: metadata.entrypoint, Cmd: nil, Env: ["PATH=/"], WorkingDir: "/unikernel", Labels: metadata.annotations),
            rootfs: .init(diff_ids: []))
        let layout = try OCIImageLayout(layer: layer.finished(), configuration: configuration,
                                        annotations: metadata.annotations, reference: reference)
        let destination = output ?? distDirectory + "/" + record.name + ".oci"
        try layout.write(to: destination)
        let archive = destination + ".tar"
        guard FileManager.default.createFile(atPath: archive, contents: Data(try layout.archive())) else {
            throw ToolError("cannot write \(archive)")
        }
        log("packaged \(reference) (\(layout.manifestDigest)) in \(relative(destination)) and \(relative(archive))")
        return PackagedImage(layout: destination, archive: archive, reference: reference, digest: layout.manifestDigest, metadata: metadata)
    }

    /// Whether `reference` names a registry or `localhost`, a path, and a tag or a digest, in
    /// the characters references allow (lower case).
    static func isFullReference(_ reference: String) -> Bool {
        let parts = reference.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2, parts.allSatisfy({ !$0.isEmpty }) else { return false }
        let host = parts[0]
        guard host == "localhost" || host.contains(".") || host.contains(":") else { return false }
        guard let last = parts.last, last.contains(":") || last.contains("@") else { return false }
        let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789._-:@/")
        return reference.allSatisfy { allowed.contains($0) }
    }

    /// The shared libraries `ldd` finds for `program`, the dynamic loader included, in its order.
    static func sharedLibraries(of program: String) throws(ToolError) -> [String] {
        let result = try Shell.capture(["ldd", program])
        guard result.status == 0 else { throw ToolError("ldd \(program) failed: \(result.errorOutput)") }
        var libraries: [String] = []
        for line in result.output.split(separator: "\n") {
            // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            let path = words.first { $0.hasPrefix("/") }
            if let path, !libraries.contains(String(path)) { libraries.append(String(path)) }
        }
        return libraries
    }

    static func read(_ path: String) throws(ToolError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ToolError("cannot read \(path)") }
        return Array(data)
    }
}

/// Just enough of an ELF file's program headers (System V ABI, "Program Header") to tell a
/// static executable from one that needs the dynamic loader.
enum ELFFile {
    /// Whether the ELF64 file has a PT_INTERP segment; false for what is not ELF64.
    static func needsInterpreter(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 64, bytes[0] == 0x7f, bytes[1] == UInt8(ascii: "E"), bytes[2] == UInt8(ascii: "L"),
              bytes[3] == UInt8(ascii: "F"), bytes[4] == 2, bytes[5] == 1 else { return false }
        func little(_ offset: Int, _ width: Int) -> Int {
            (0 ..< width).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
        }
        let table = little(0x20, 8), entrySize = little(0x36, 2), count = little(0x38, 2)
        for index in 0 ..< count {
            let entry = table + index * entrySize
            guard entry + 4 <= bytes.count else { return false }
            if little(entry, 4) == 3 { return true } // PT_INTERP
        }
        return false
    }
}
