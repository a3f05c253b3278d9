import Foundation
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
        #expect(metadata.entrypoint == ["/mirage-hvt", "--mem=16", "--block:data=/unikernel/data.tar", "--", "/unikernel/hello.hvt", "--hello=hi"])
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

/// mirage-runc's changes to a bundle, and what it refuses.
struct UnikernelBundleTests {
    let metadata = UnikernelImageMetadata(name: "echo", target: "hvt", image: "/unikernel/echo.hvt", tender: "/mirage-hvt", memoryMiB: 16,
                                          networks: ["service"], blocks: ["data": "/unikernel/data.tar"], bootArguments: ["-l", "net:debug"])

    func configuration(args: [String]) -> [String: Any] {
        ["ociVersion": "1.0.2", "root": ["path": "rootfs"], "process": ["args": args, "cwd": "/unikernel", "terminal": false],
         "linux": ["namespaces": [["type": "pid"], ["type": "network", "path": "/var/run/netns/pod"]],
                   "resources": ["devices": [["allow": false, "access": "rwm"]]]]]
    }

    @Test("the process becomes the tender with the tap and the pod's address, the container's extra arguments kept; /dev/kvm and /dev/net/tun are given and allowed; other fields stay")
    func rewrite() throws {
        var bundle = try UnikernelBundle(configuration: configuration(args: metadata.entrypoint + ["--echo-port=7"]), metadata: metadata)
        #expect(bundle.networkNamespacePath == "/var/run/netns/pod")
        try bundle.rewriteProcess(taps: ["service": "tap0"], network: ["--ipv4=10.1.2.3/24"])
        bundle.add([.init(path: "/dev/kvm", major: 10, minor: 232), .init(path: "/dev/net/tun", major: 10, minor: 200)])
        let written = try #require(try JSONSerialization.jsonObject(with: bundle.encoded()) as? [String: Any])
        let process = try #require(written["process"] as? [String: Any])
        #expect(process["args"] as? [String] == ["/mirage-hvt", "--mem=16", "--block:data=/unikernel/data.tar", "--net:service=tap0", "--",
                                                "/unikernel/echo.hvt", "-l", "net:debug", "--ipv4=10.1.2.3/24", "--echo-port=7"])
        #expect(process["cwd"] as? String == "/unikernel")
        let linux = try #require(written["linux"] as? [String: Any])
        let devices = try #require(linux["devices"] as? [[String: Any]])
        #expect(devices.map { $0["path"] as? String } == ["/dev/kvm", "/dev/net/tun"])
        let rules = try #require((linux["resources"] as? [String: Any])?["devices"] as? [[String: Any]])
        #expect(rules.count == 3 && rules[1]["minor"] as? Int == 232 && rules[1]["allow"] as? Bool == true)
        #expect(written["ociVersion"] as? String == "1.0.2")
        var missing = try UnikernelBundle(configuration: configuration(args: []), metadata: metadata)
        #expect(throws: ToolError.self) { try missing.rewriteProcess(taps: [:]) }
    }

    @Test("metadata that would reach outside the image or name odd devices is refused, with a message; so is a malformed mirage.json; a bundle without one is not ours")
    func refusals() throws {
        var escaping = metadata
        escaping.blocks = ["data": "/unikernel/../../etc/shadow"]
        var badName = metadata
        badName.networks = ["service;rm"]
        var memory = metadata
        memory.memoryMiB = 1 << 20
        var relative = metadata
        relative.tender = "mirage-hvt"
        for (bad, says) in [(escaping, "is not allowed"), (badName, "is not a device name"), (memory, "outside 2 to 3072"), (relative, "absolute")] {
            #expect {
                _ = try UnikernelBundle(configuration: configuration(args: []), metadata: bad)
            } throws: { error in
                (error as? ToolError)?.message.contains(says) == true
            }
        }
        let folder = NSTemporaryDirectory() + "mirage-bundle-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/rootfs/unikernel", withIntermediateDirectories: true)
        try JSONSerialization.data(withJSONObject: configuration(args: ["/bin/sh"])).write(to: URL(fileURLWithPath: folder + "/config.json"))
        #expect(try UnikernelBundle.open(folder) == nil, "no metadata: runc's")
        try Data("{\"name\": 3}".utf8).write(to: URL(fileURLWithPath: folder + "/rootfs/unikernel/mirage.json"))
        #expect {
            _ = try UnikernelBundle.open(folder)
        } throws: { error in
            (error as? ToolError)?.message.contains("mirage.json in the image is malformed") == true
        }
    }
    @Test("volumes under /unikernel/block/ replace the packaged files: a file mount, a bind-mounted host block device (allowed in the device cgroup), a raw block device; a volume for a device the manifest does not name, a directory, a missing source and two volumes for one device are refused")
    func volumes() throws {
        func bundle(mounts: [[String: Any]], devices: [[String: Any]] = []) throws -> UnikernelBundle {
            var configuration = configuration(args: metadata.entrypoint)
            configuration["mounts"] = [["destination": "/proc", "type": "proc", "source": "proc"]] + mounts
            var linux = configuration["linux"] as? [String: Any] ?? [:]
            linux["devices"] = devices
            configuration["linux"] = linux
            return try UnikernelBundle(configuration: configuration, metadata: metadata)
        }
        let host: (String) -> UnikernelBundle.HostFileKind = { path in
            switch path {
            case "/srv/data.img": .regularFile
            case "/dev/loop7": .blockDevice(major: 7, minor: 7)
            case "/srv": .directory
            default: .missing
            }
        }
        let file = ["destination": "/unikernel/block/data/", "type": "bind", "source": "/srv/data.img", "options": ["rbind", "rw"]] as [String: Any]
        var withFile = try bundle(mounts: [file])
        let volumes = try withFile.blockVolumes(hostFile: host)
        #expect(volumes == .init(files: ["data": "/unikernel/block/data"], mountedDevices: []))
        try withFile.rewriteProcess(taps: ["service": "tap0"], volumes: volumes.files)
        let written = try #require(try JSONSerialization.jsonObject(with: withFile.encoded()) as? [String: Any])
        #expect((written["process"] as? [String: Any])?["args"] as? [String] == ["/mirage-hvt", "--mem=16", "--block:data=/unikernel/block/data",
                                                                                "--net:service=tap0", "--", "/unikernel/echo.hvt", "-l", "net:debug"])

        var mountedDevice = file
        mountedDevice["source"] = "/dev/loop7"
        var withDevice = try bundle(mounts: [mountedDevice])
        let deviceVolumes = try withDevice.blockVolumes(hostFile: host)
        #expect(deviceVolumes.mountedDevices == [.init(path: "/unikernel/block/data", type: "b", major: 7, minor: 7)])
        withDevice.add([], mounted: deviceVolumes.mountedDevices)
        let linux = try #require(try JSONSerialization.jsonObject(with: withDevice.encoded()) as? [String: Any])["linux"] as? [String: Any]
        #expect((linux?["devices"] as? [Any])?.isEmpty == true, "a bind mount puts the node in place: it is not listed")
        let rules = (linux?["resources"] as? [String: Any])?["devices"] as? [[String: Any]] ?? []
        #expect(rules.last?["type"] as? String == "b" && rules.last?["major"] as? Int == 7)

        let raw = try bundle(mounts: [], devices: [["path": "/unikernel/block/data", "type": "b", "major": 8, "minor": 0]])
        #expect(try raw.blockVolumes(hostFile: host).files == ["data": "/unikernel/block/data"])

        var unnamed = file
        unnamed["destination"] = "/unikernel/block/logs"
        var directory = file
        directory["source"] = "/srv"
        var missing = file
        missing["source"] = "/srv/none.img"
        let cases: [(UnikernelBundle, String)] = [
            (try bundle(mounts: [unnamed]), "block device \"logs\", which the image's manifest does not name (it names: data)"),
            (try bundle(mounts: [directory]), "is a directory"),
            (try bundle(mounts: [missing]), "neither a file nor a block device"),
            (try bundle(mounts: [file], devices: [["path": "/unikernel/block/data", "type": "b", "major": 8, "minor": 0]]), "two volumes"),
            (try bundle(mounts: [], devices: [["path": "/unikernel/block/data", "type": "c", "major": 1, "minor": 3]]), "is not a block device"),
        ]
        for (bad, says) in cases {
            #expect {
                _ = try bad.blockVolumes(hostFile: host)
            } throws: { error in
                (error as? ToolError)?.message.contains(says) == true
            }
        }
    }

    @Test("annotations: ours set the guest's memory (bounded, and within the container's memory limit); those describing the image, ours and urunc's, must match it; unknown keys are refused; a bundle with urunc's annotations but no mirage.json is refused, one with ours passes to runc")
    func annotations() throws {
        func bundle(_ annotations: [String: String], limit: Int? = nil) throws -> UnikernelBundle {
            var configuration = configuration(args: metadata.entrypoint)
            configuration["annotations"] = annotations
            if let limit {
                var linux = configuration["linux"] as? [String: Any] ?? [:]
                var resources = linux["resources"] as? [String: Any] ?? [:]
                resources["memory"] = ["limit": limit]
                linux["resources"] = resources
                configuration["linux"] = linux
            }
            return try UnikernelBundle(configuration: configuration, metadata: metadata)
        }
        var sized = try bundle([UnikernelBundle.memoryAnnotation: "64", "com.urunc.unikernel.unikernelType": "mirage",
                                "com.urunc.unikernel.hypervisor": "hvt", "com.urunc.unikernel.binary": "/unikernel/echo.hvt",
                                "org.swift-mirage.unikernel.name": "echo", "io.kubernetes.cri.container-type": "container"], limit: 128 << 20)
        #expect(sized.memoryMiB == 64)
        try sized.rewriteProcess(taps: ["service": "tap0"])
        let args = (try JSONSerialization.jsonObject(with: sized.encoded()) as? [String: Any])?["process"] as? [String: Any]
        #expect((args?["args"] as? [String])?.prefix(2) == ["/mirage-hvt", "--mem=64"])
        #expect(try bundle([:]).memoryMiB == 16)

        let cases: [([String: String], Int?, String)] = [
            ([UnikernelBundle.memoryAnnotation: "lots"], nil, "is not a memory size in MiB from 2 to 3072"),
            ([UnikernelBundle.memoryAnnotation: "4096"], nil, "is not a memory size"),
            ([UnikernelBundle.memoryAnnotation: "64"], 32 << 20, "the guest's 64 MiB do not fit the container's memory limit of 32 MiB"),
            ([:], 8 << 20, "the guest's 16 MiB do not fit"),
            (["com.urunc.unikernel.hypervisor": "qemu"], nil, "does not match the image, whose /unikernel/mirage.json says hvt"),
            (["com.urunc.unikernel.unikernelType": "unikraft"], nil, "does not match the image"),
            (["com.urunc.unikernel.initrd": "/initrd"], nil, "is not one mirage-runc knows"),
            (["org.swift-mirage.unikernel.memroy": "64"], nil, "is not one mirage-runc knows"),
        ]
        for (annotations, limit, says) in cases {
            #expect {
                _ = try bundle(annotations, limit: limit)
            } throws: { error in
                (error as? ToolError)?.message.contains(says) == true
            }
        }

        let folder = NSTemporaryDirectory() + "mirage-bundle-annotations-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder + "/rootfs", withIntermediateDirectories: true)
        for (annotations, says) in [(["com.urunc.unikernel.unikernelType": "mirage"], "has no /unikernel/mirage.json: package the unikernel"),
                                    (["com.urunc.unikernel.unikernelType": "rumprun", "com.urunc.unikernel.hypervisor": "qemu"],
                                     "is a rumprun unikernel for qemu")] {
            var configuration = configuration(args: ["/bin/sh"])
            configuration["annotations"] = annotations
            try JSONSerialization.data(withJSONObject: configuration).write(to: URL(fileURLWithPath: folder + "/config.json"))
            #expect {
                _ = try UnikernelBundle.open(folder)
            } throws: { error in
                (error as? ToolError)?.message.contains(says) == true
            }
        }
        // A pod's annotations of ours reach its sandbox and any plain container in it: not refused.
        var plain = configuration(args: ["/pause"])
        plain["annotations"] = [UnikernelBundle.memoryAnnotation: "64"]
        try JSONSerialization.data(withJSONObject: plain).write(to: URL(fileURLWithPath: folder + "/config.json"))
        #expect(try UnikernelBundle.open(folder) == nil)
    }
}
