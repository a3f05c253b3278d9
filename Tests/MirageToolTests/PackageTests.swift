import Foundation
import MirageOCI
@testable import MirageTool
import Testing

/// `swift-mirage package`'s pieces: the reproducible tar, the OCI layout, the checks on names
/// and tenders. Packaging a real unikernel and running it under containerd is in
/// `Tests/EndToEndTests/ContainerdTests.swift`.
struct PackageTests {
    /// Runs `command` and returns its standard output.
    func output(_ command: [String], input: [UInt8]? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let pipe = Pipe(), inputPipe = Pipe()
        process.standardOutput = pipe
        if input != nil { process.standardInput = inputPipe }
        try process.run()
        if let input {
            inputPipe.fileHandleForWriting.write(Data(input))
            try inputPipe.fileHandleForWriting.close()
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(command)")
        return String(decoding: data, as: UTF8.self)
    }

    @Test("the tar writer's archives read back with GNU tar and Python's tarfile: names (a long one split into prefix and name), modes, sizes, contents, owner root, time 0")
    func tarReadsBack() throws {
        var tar = TarWriter()
        try tar.addDirectory("unikernel")
        try tar.addFile("unikernel/hello.hvt", contents: Array("ELF?".utf8), mode: 0o755)
        let long = "unikernel/" + String(repeating: "d", count: 90) + "/" + String(repeating: "f", count: 60)
        try tar.addFile(long, contents: [UInt8](repeating: 7, count: 1000))
        try tar.addFile("empty", contents: [])
        let archive = tar.finished()
        #expect(archive.count % 512 == 0)
        let listing = try output(["/usr/bin/tar", "-tvf", "-", "--numeric-owner", "--full-time"], input: archive)
        let lines = listing.split(separator: "\n").map(String.init)
        #expect(lines.count == 4, "\(listing)")
        #expect(lines[0].hasPrefix("drwxr-xr-x 0/0") && lines[0].hasSuffix("1970-01-01 00:00:00 unikernel/"), "\(lines[0])")
        #expect(lines[1].hasPrefix("-rwxr-xr-x 0/0") && lines[1].contains(" 4 1970-01-01 00:00:00 unikernel/hello.hvt"), "\(lines[1])")
        #expect(lines[2].hasSuffix(long) && lines[2].contains(" 1000 "), "\(lines[2])")
        let python = """
            import sys, tarfile, io
            t = tarfile.open(fileobj=io.BytesIO(sys.stdin.buffer.read()))
            for m in t.getmembers():
                data = t.extractfile(m).read() if m.isfile() else b""
                print(m.name, oct(m.mode), m.size, m.mtime, m.uid, m.gid, sum(data))
            """
        let read = try output(["/usr/bin/python3", "-c", python], input: archive).split(separator: "\n").map(String.init)
        #expect(read == ["unikernel 0o755 0 0 0 0 0", "unikernel/hello.hvt 0o755 4 0 0 0 \(Array("ELF?".utf8).reduce(0) { $0 + Int($1) })",
                         "\(long) 0o644 1000 0 0 0 7000", "empty 0o644 0 0 0 0 0"], "\(read)")
        var tooLong = TarWriter()
        #expect(throws: ToolError.self) { try tooLong.addFile(String(repeating: "x", count: 101), contents: []) }
    }

    @Test("an OCI layout names its blobs by their SHA-256, the manifest names the config and the layer, the config the layer's diff ID; the same files give the same digest")
    func layout() throws {
        var tar = TarWriter()
        try tar.addFile("a", contents: Array("first".utf8))
        let metadata = UnikernelImageMetadata(name: "hello", target: "hvt", image: "/unikernel/hello.hvt", tender: "/mirage-hvt", memoryMiB: 16,
                                              networks: ["service"], blocks: ["data": "/unikernel/data.tar"], bootArguments: ["--hello=hi"])
        let configuration = OCIImageLayout.ImageConfiguration(
            architecture: "amd64", config: .init(Entrypoint: metadata.entrypoint, Cmd: nil, Env: [], WorkingDir: "/", Labels: metadata.annotations),
            rootfs: .init(diff_ids: []))
        let layout = try OCIImageLayout(layer: tar.finished(), configuration: configuration, annotations: metadata.annotations,
                                        reference: "localhost/hello:v1")
        let again = try OCIImageLayout(layer: tar.finished(), configuration: configuration, annotations: metadata.annotations,
                                       reference: "localhost/hello:v1")
        #expect(layout.manifestDigest == again.manifestDigest)
        #expect(try layout.archive() == again.archive())
        #expect(metadata.entrypoint == ["/mirage-hvt", "--share-image", "--mem=16", "--block:data=/unikernel/data.tar", "--", "/unikernel/hello.hvt", "--hello=hi"])
        let files = Dictionary(uniqueKeysWithValues: try layout.files().map { ($0.path, $0.contents) })
        for (path, contents) in files where path.hasPrefix("blobs/sha256/") {
            #expect(try OCIImageLayout.digest(of: contents) == "sha256:" + path.dropFirst("blobs/sha256/".count))
        }
        let index = try JSONDecoder().decode(OCIImageLayout.Index.self, from: Data(try #require(files["index.json"])))
        #expect(index.manifests.count == 1)
        #expect(index.manifests[0].annotations?["io.containerd.image.name"] == "localhost/hello:v1")
        #expect(index.manifests[0].annotations?["org.opencontainers.image.ref.name"] == "v1")
        let manifestBytes = try #require(files["blobs/sha256/" + index.manifests[0].digest.dropFirst(7)])
        #expect(manifestBytes.count == index.manifests[0].size)
        let manifest = try JSONDecoder().decode(OCIImageLayout.Manifest.self, from: Data(manifestBytes))
        #expect(manifest.annotations?["com.urunc.unikernel.hypervisor"] == "hvt")
        #expect(manifest.annotations?["org.swift-mirage.unikernel.networks"] == "service")
        let config = try JSONDecoder().decode(OCIImageLayout.ImageConfiguration.self,
                                              from: Data(try #require(files["blobs/sha256/" + manifest.config.digest.dropFirst(7)])))
        #expect(config.rootfs.diff_ids == [manifest.layers[0].digest])
        #expect(config.config.Entrypoint == metadata.entrypoint)
        // The SHA-256 is the standard one (FIPS 180-4's "abc").
        #expect(try OCIImageLayout.digest(of: Array("abc".utf8)) == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("image names must be full references; a dynamically linked tender is told apart from a static one")
    func checks() throws {
        for good in ["localhost/hello:latest", "registry.example.com/team/web:1.0", "localhost:5000/dns@sha256:abc"] {
            #expect(UnikernelProject.isFullReference(good), "\(good)")
        }
        for bad in ["hello", "hello:latest", "docker.io/hello", "localhost/Hello:1", "localhost//x:1", "localhost/hello world:1"] {
            #expect(!UnikernelProject.isFullReference(bad), "\(bad)")
        }
        let python = try #require(FileManager.default.contents(atPath: "/usr/bin/python3"))
        #expect(ELFFile.needsInterpreter(Array(python)))
        let ldconfig = try #require(FileManager.default.contents(atPath: "/sbin/ldconfig")) // static-pie on Debian
        #expect(!ELFFile.needsInterpreter(Array(ldconfig)))
        #expect(!ELFFile.needsInterpreter(Array("#!/bin/sh\n".utf8)))
    }
}
