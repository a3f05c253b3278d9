import Foundation

/// An OCI image (image-spec 1.1: a layer, its config, the manifest naming both, and the index
/// naming the manifest), held as blobs by digest and written as an image layout directory
/// (`oci-layout`, `index.json`, `blobs/sha256/…`) or as a tar of that directory, which
/// `ctr image import` and `podman load` take. Every JSON document is written with sorted keys
/// and no time stamps, and the layer is an uncompressed reproducible tar, so the same files
/// give the same digests.
struct OCIImageLayout {
    struct Descriptor: Codable, Equatable {
        var mediaType: String
        var digest: String
        var size: Int
        var annotations: [String: String]?
    }

    struct Manifest: Codable {
        var schemaVersion = 2
        var mediaType = MediaType.manifest
        var config: Descriptor
        var layers: [Descriptor]
        var annotations: [String: String]?
    }

    struct Index: Codable {
        var schemaVersion = 2
        var mediaType = MediaType.index
        var manifests: [Descriptor]
    }

    /// The image configuration (image-spec `config.md`): what runs, and the layers' diff IDs.
    struct ImageConfiguration: Codable {
        struct Execution: Codable {
            var Entrypoint: [String]
            var Cmd: [String]?
            var Env: [String]
            var WorkingDir: String
            var Labels: [String: String]
        }

        struct RootFS: Codable {
            var type = "layers"
            var diff_ids: [String]
        }

        var architecture: String
        var os = "linux"
        var config: Execution
        var rootfs: RootFS
    }

    enum MediaType {
        static let manifest = "application/vnd.oci.image.manifest.v1+json"
        static let index = "application/vnd.oci.image.index.v1+json"
        static let config = "application/vnd.oci.image.config.v1+json"
        static let layer = "application/vnd.oci.image.layer.v1.tar"
    }

    /// The blobs by digest (`sha256:…`).
    private(set) var blobs: [String: [UInt8]] = [:]
    /// The index, naming the one manifest.
    private(set) var index: Index

    /// Makes the image of one layer.
    /// - Parameter reference: the full name (`localhost/hello:latest`), which containerd takes
    ///   from the `io.containerd.image.name` annotation.
    init(layer: [UInt8], configuration: ImageConfiguration, annotations: [String: String], reference: String) throws(ToolError) {
        var configuration = configuration
        let layerDescriptor = try Self.descriptor(of: layer, mediaType: MediaType.layer)
        configuration.rootfs.diff_ids = [layerDescriptor.digest] // uncompressed: the diff ID is the digest
        let configBytes = try Self.json(configuration)
        let configDescriptor = try Self.descriptor(of: configBytes, mediaType: MediaType.config)
        let manifestBytes = try Self.json(Manifest(config: configDescriptor, layers: [layerDescriptor], annotations: annotations))
        var manifestDescriptor = try Self.descriptor(of: manifestBytes, mediaType: MediaType.manifest)
        let tag = reference.split(separator: ":").last.map(String.init) ?? "latest"
        manifestDescriptor.annotations = ["io.containerd.image.name": reference, "org.opencontainers.image.ref.name": tag]
        index = Index(manifests: [manifestDescriptor])
        for (bytes, descriptor) in [(layer, layerDescriptor), (configBytes, configDescriptor), (manifestBytes, manifestDescriptor)] {
            blobs[descriptor.digest] = bytes
        }
    }

    /// The manifest's digest: the image's identity.
    var manifestDigest: String { index.manifests[0].digest }

    /// The files of the layout directory, in a fixed order: `oci-layout`, `index.json`, then
    /// the blobs by digest.
    func files() throws(ToolError) -> [(path: String, contents: [UInt8])] {
        var files: [(path: String, contents: [UInt8])] = [
            ("oci-layout", Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)),
            ("index.json", try Self.json(index)),
        ]
        for digest in blobs.keys.sorted() {
            files.append(("blobs/sha256/" + digest.dropFirst("sha256:".count), blobs[digest]!))
        }
        return files
    }

    /// Writes the layout directory at `directory`, replacing what was there.
    func write(to directory: String) throws(ToolError) {
        let manager = FileManager.default
        do {
            try? manager.removeItem(atPath: directory)
            try manager.createDirectory(atPath: directory + "/blobs/sha256", withIntermediateDirectories: true)
            for file in try files() {
                guard manager.createFile(atPath: directory + "/" + file.path, contents: Data(file.contents)) else {
                    throw ToolError("cannot write \(directory)/\(file.path)")
                }
            }
        } catch let error as ToolError {
            throw error
        } catch {
            throw ToolError("cannot write the image layout \(directory): \(error)")
        }
    }

    /// The layout as one tar archive, for `ctr image import`.
    func archive() throws(ToolError) -> [UInt8] {
        var tar = TarWriter()
        try tar.addDirectory("blobs")
        try tar.addDirectory("blobs/sha256")
        for file in try files() { try tar.addFile(file.path, contents: file.contents) }
        return tar.finished()
    }

    static func descriptor(of bytes: [UInt8], mediaType: String) throws(ToolError) -> Descriptor {
        Descriptor(mediaType: mediaType, digest: try digest(of: bytes), size: bytes.count, annotations: nil)
    }

    /// `sha256:` and the hex SHA-256 of `bytes` (image-spec `descriptor.md`), by coreutils'
    /// `sha256sum`: the tool builds without a crypto library, and no secret is hashed here.
    static func digest(of bytes: [UInt8]) throws(ToolError) -> String {
        let path = NSTemporaryDirectory() + "swift-mirage-blob-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw ToolError("cannot write \(path)") }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Shell.capture(["sha256sum", path])
        guard result.status == 0, let hex = result.output.split(separator: " ").first, hex.count == 64 else {
            throw ToolError("sha256sum failed: \(result.errorOutput)")
        }
        return "sha256:" + hex
    }

    static func json(_ value: some Encodable) throws(ToolError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            throw ToolError("cannot encode \(type(of: value)): \(error)")
        }
    }
}
