import Foundation
import MirageOCI
import Testing

/// The JSON value of a Swift literal of dictionaries, arrays, strings, booleans and integers
/// (members in key order): the bundles the tests hand to ``UnikernelBundle``.
func json(_ value: Any) -> JSONValue {
    switch value {
    case let object as [String: Any]: .object(object.sorted { $0.key < $1.key }.map { ($0.key, json($0.value)) })
    case let array as [Any]: .array(array.map(json))
    case let string as String: .string(string)
    case let bool as Bool: .bool(bool)
    case let integer as Int: .integer(integer)
    default: .null
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
        var bundle = try UnikernelBundle(configuration: json(configuration(args: metadata.entrypoint + ["--echo-port=7"])), metadata: metadata)
        #expect(bundle.networkNamespacePath == "/var/run/netns/pod")
        try bundle.rewriteProcess(taps: ["service": "tap0"], network: ["--ipv4=10.1.2.3/24"])
        bundle.add([.init(path: "/dev/kvm", major: 10, minor: 232), .init(path: "/dev/net/tun", major: 10, minor: 200)])
        let written = try #require(try JSONSerialization.jsonObject(with: Data(bundle.encoded)) as? [String: Any])
        let process = try #require(written["process"] as? [String: Any])
        #expect(process["args"] as? [String] == ["/mirage-hvt", "--share-image", "--mem=16", "--block:data=/unikernel/data.tar", "--net:service=tap0", "--",
                                                "/unikernel/echo.hvt", "-l", "net:debug", "--ipv4=10.1.2.3/24", "--echo-port=7"])
        #expect(process["cwd"] as? String == "/unikernel")
        let linux = try #require(written["linux"] as? [String: Any])
        let devices = try #require(linux["devices"] as? [[String: Any]])
        #expect(devices.map { $0["path"] as? String } == ["/dev/kvm", "/dev/net/tun"])
        let rules = try #require((linux["resources"] as? [String: Any])?["devices"] as? [[String: Any]])
        #expect(rules.count == 3 && rules[1]["minor"] as? Int == 232 && rules[1]["allow"] as? Bool == true)
        #expect(written["ociVersion"] as? String == "1.0.2")
        var missing = try UnikernelBundle(configuration: json(configuration(args: [])), metadata: metadata)
        #expect(throws: RuntimeError.self) { try missing.rewriteProcess(taps: [:]) }
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
                _ = try UnikernelBundle(configuration: json(configuration(args: [])), metadata: bad)
            } throws: { error in
                (error as? RuntimeError)?.message.contains(says) == true
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
            (error as? RuntimeError)?.message.contains("mirage.json in the image is malformed") == true
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
            return try UnikernelBundle(configuration: json(configuration), metadata: metadata)
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
        let written = try #require(try JSONSerialization.jsonObject(with: Data(withFile.encoded)) as? [String: Any])
        #expect((written["process"] as? [String: Any])?["args"] as? [String] == ["/mirage-hvt", "--share-image", "--mem=16", "--block:data=/unikernel/block/data",
                                                                                "--net:service=tap0", "--", "/unikernel/echo.hvt", "-l", "net:debug"])

        var mountedDevice = file
        mountedDevice["source"] = "/dev/loop7"
        var withDevice = try bundle(mounts: [mountedDevice])
        let deviceVolumes = try withDevice.blockVolumes(hostFile: host)
        #expect(deviceVolumes.mountedDevices == [.init(path: "/unikernel/block/data", type: "b", major: 7, minor: 7)])
        withDevice.add([], mounted: deviceVolumes.mountedDevices)
        let linux = try #require(try JSONSerialization.jsonObject(with: Data(withDevice.encoded)) as? [String: Any])["linux"] as? [String: Any]
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
                (error as? RuntimeError)?.message.contains(says) == true
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
            return try UnikernelBundle(configuration: json(configuration), metadata: metadata)
        }
        var sized = try bundle([UnikernelBundle.memoryAnnotation: "64", "com.urunc.unikernel.unikernelType": "mirage",
                                "com.urunc.unikernel.hypervisor": "hvt", "com.urunc.unikernel.binary": "/unikernel/echo.hvt",
                                "org.swift-mirage.unikernel.name": "echo", "io.kubernetes.cri.container-type": "container"], limit: 128 << 20)
        #expect(sized.memoryMiB == 64)
        try sized.rewriteProcess(taps: ["service": "tap0"])
        let args = (try JSONSerialization.jsonObject(with: Data(sized.encoded)) as? [String: Any])?["process"] as? [String: Any]
        #expect((args?["args"] as? [String])?.prefix(3) == ["/mirage-hvt", "--share-image", "--mem=64"])
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
                (error as? RuntimeError)?.message.contains(says) == true
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
                (error as? RuntimeError)?.message.contains(says) == true
            }
        }
        // A pod's annotations of ours reach its sandbox and any plain container in it: not refused.
        var plain = configuration(args: ["/pause"])
        plain["annotations"] = [UnikernelBundle.memoryAnnotation: "64"]
        try JSONSerialization.data(withJSONObject: plain).write(to: URL(fileURLWithPath: folder + "/config.json"))
        #expect(try UnikernelBundle.open(folder) == nil)
    }
}
