import Foundation
import Testing

/// Whether containerd, ctr and runc from Debian are here and the tests run as root (containerd
/// needs it); when not, the suite prints why and skips.
let containerdAvailable: Bool = {
    if geteuid() != 0 {
        print("SKIP: containerd tests: not running as root (containerd needs it)")
        return false
    }
    for binary in ["/usr/bin/containerd", "/usr/bin/ctr", "/usr/sbin/runc"] where !FileManager.default.isExecutableFile(atPath: binary) {
        print("SKIP: containerd tests: \(binary) is missing (scripts/test installs containerd and runc)")
        return false
    }
    return true
}()

/// A containerd of its own for one test: root, state and socket in a temporary folder, no
/// systemd; stopped and its folder removed when released. With `cri`, its CRI plugin is configured
/// by `Fixtures/cri/cri_client.py containerd-config` (as Benchmarks/fleet's): runtime handlers `runc`
/// and `mirage` (mirage-runc as `BinaryName`), Debian's CNI bridge, the pause sandbox image. With
/// `networkNamespace`, it runs in that network namespace (entered with nsenter, which keeps the
/// host's mounts, cgroups among them), so that CNI's bridge is made there and not on the host.
final class Containerd {
    let folder: String
    private(set) var process = Process()
    var socket: String { folder + "/containerd.sock" }
    /// The CNI network's name (host-local keeps its leases under /var/lib/cni/networks/NAME).
    let networkName: String

    init(cri: Bool = false, networkNamespace: String? = nil) throws {
        let suffix = "\(getpid())-\(UInt32.random(in: 0 ... .max))"
        folder = scratchDirectory + "mirage-containerd-" + suffix
        networkName = "mirage-" + suffix
        try FileManager.default.createDirectory(atPath: folder + "/cni", withIntermediateDirectories: true)
        if cri {
            let written = try run(["/usr/bin/python3", repositoryRoot + "/Tests/EndToEndTests/Fixtures/cri/cri_client.py", "containerd-config",
                                   folder, repositoryRoot + "/.build/debug/mirage-runc", networkName, "10.88.0.0/24"])
            guard written.status == 0 else { throw ToolFailure(description: "containerd-config: \(written.errorOutput)") }
        } else {
            let config = """
                version = 2
                root = "\(folder)/root"
                state = "\(folder)/state"
                disabled_plugins = ["io.containerd.grpc.v1.cri"]
                [grpc]
                  address = "\(folder)/containerd.sock"
                """
            try config.write(toFile: folder + "/config.toml", atomically: true, encoding: .utf8)
        }
        // Our shim (containerd-shim-mirage-v2, runtime type io.containerd.mirage.v2) is looked
        // up on containerd's PATH; `swift build` put it and the tender it starts there.
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = repositoryRoot + "/.build/debug:" + (environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin")
        process.environment = environment
        if let networkNamespace {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/nsenter")
            process.arguments = ["--net=/var/run/netns/" + networkNamespace, "/usr/bin/containerd", "--config", folder + "/config.toml"]
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/containerd")
            process.arguments = ["--config", folder + "/config.toml"]
        }
        _ = FileManager.default.createFile(atPath: folder + "/log", contents: nil)
        try launch()
    }

    /// Starts `process` and waits until containerd answers.
    private func launch() throws {
        let log = FileHandle(forWritingAtPath: folder + "/log")
        log?.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        for _ in 0 ..< 100 {
            if (try? ctr(["version"]))?.status == 0 { return }
            usleep(100_000)
        }
        throw ToolFailure(description: "containerd did not come up:\n" + self.log())
    }

    /// Stops containerd and starts it again with the same configuration and state, as an
    /// upgrade of the node's containerd would: running tasks stay with their shims.
    func restart() throws {
        // Not `waitUntilExit`: once, here, Foundation's monitor missed this exit and it never
        // returned. containerd has stopped when its process is gone or a zombie (`ctr` would
        // wait at the stale socket).
        let pid = process.processIdentifier
        process.terminate()
        for _ in 0 ..< 100 {
            let state = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8))?.split(separator: ")").last?.dropFirst().first
            if state == nil || state == "Z" { break }
            usleep(100_000)
        }
        let next = Process()
        next.executableURL = process.executableURL
        next.arguments = process.arguments
        next.environment = process.environment
        process = next
        try launch()
    }

    /// Runs `ctr` against this containerd.
    func ctr(_ arguments: [String]) throws -> Finished {
        try run(["/usr/bin/ctr", "--address", socket] + arguments)
    }

    /// containerd's log so far.
    func log() -> String {
        (try? String(contentsOfFile: folder + "/log", encoding: .utf8)) ?? ""
    }

    /// Stops containerd and removes its folder; again is nothing.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
        // The snapshots are bind mounts while containers run; none should be left, but unmount before removing.
        _ = try? run(["/usr/bin/umount", "-R", folder + "/root"])
        try? FileManager.default.removeItem(atPath: folder)
        try? FileManager.default.removeItem(atPath: "/var/lib/cni/networks/" + networkName)
    }

    deinit { stop() }
}

extension EndToEnd {
    @Suite("unikernels as OCI images under containerd", .enabled(if: containerdAvailable && kvmAvailable,
                                                               "SKIP: containerd tests need root, containerd, runc and /dev/kvm"))
    struct ContainerdTests {
        let hello = repositoryRoot + "/Examples/hello"

        /// Packages hello for hvt into a fresh folder and returns the digest the tool printed.
        func package(into folder: String, arguments: [String] = []) throws -> (digest: String, archive: String) {
            try swiftMirage(["configure", "-t", "hvt"], in: hello)
            let packaged = try swiftMirage(["package", "--output", folder + "/hello.oci"] + arguments, in: hello)
            let digest = packaged.output.split(separator: "\n").last.map(String.init) ?? ""
            return (digest, folder + "/hello.oci.tar")
        }

        @Test("swift-mirage package makes the same image twice; ctr imports it and runs it with /dev/kvm: four lines, exit 0")
        func helloUnderContainerd() throws {
            let folder = scratchDirectory + "mirage-package-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let first = try package(into: folder + "/a")
            let second = try package(into: folder + "/b")
            #expect(first.digest.hasPrefix("sha256:") && first.digest.count == 71, "\(first.digest)")
            #expect(first.digest == second.digest, "the same files give the same image")
            #expect(FileManager.default.contents(atPath: first.archive) == FileManager.default.contents(atPath: second.archive))
            let containerd = try Containerd()
            let imported = try containerd.ctr(["image", "import", first.archive])
            #expect(imported.status == 0 && imported.output.contains("localhost/hello:latest"), "\(imported.output)\(imported.errorOutput)")
            let listed = try containerd.ctr(["image", "ls", "-q"])
            #expect(listed.output.contains("localhost/hello:latest"), "\(listed.output)")
            let ran = try containerd.ctr(["run", "--rm", "--device", "/dev/kvm", "localhost/hello:latest", "hello-\(getpid())"])
            let lines = (ran.output + ran.errorOutput).split(separator: "\n").filter { $0.hasSuffix("[INFO] [application] hello") }
            #expect(ran.status == 0, "\(ran.output)\(ran.errorOutput)")
            #expect(lines.count == 4, "\(ran.output)")
            // Boot arguments packaged in, and the guest's memory.
            let greeting = try package(into: folder + "/c", arguments: ["--name", "localhost/hello:bonjour", "--mem", "8", "--", "--hello=bonjour"])
            #expect(greeting.digest != first.digest)
            _ = try containerd.ctr(["image", "import", greeting.archive])
            let greeted = try containerd.ctr(["run", "--rm", "--device", "/dev/kvm", "localhost/hello:bonjour", "bonjour-\(getpid())"])
            #expect(greeted.status == 0 && (greeted.output + greeted.errorOutput).components(separatedBy: "[INFO] [application] bonjour").count == 5,
                    "\(greeted.output)\(greeted.errorOutput)")
            // No task or container left behind.
            #expect(try containerd.ctr(["task", "ls", "-q"]).output.isEmpty)
            #expect(try containerd.ctr(["container", "ls", "-q"]).output.isEmpty)
        }

        @Test("a unix unikernel packages with the libraries the loader finds for it, and runs under ctr as a plain process: four lines, exit 0")
        func unixHello() throws {
            let folder = scratchDirectory + "mirage-package-unix-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try swiftMirage(["configure", "-t", "unix"], in: hello)
            let packaged = try swiftMirage(["package", "--output", folder + "/hello.oci", "--name", "localhost/hello:unix", "--", "--hello=salut"], in: hello)
            #expect(packaged.output.hasSuffix("\n") && packaged.output.contains("sha256:"), "\(packaged.output)")
            let containerd = try Containerd()
            _ = try containerd.ctr(["image", "import", folder + "/hello.oci.tar"])
            let ran = try containerd.ctr(["run", "--rm", "localhost/hello:unix", "unix-\(getpid())"])
            let lines = (ran.output + ran.errorOutput).split(separator: "\n").filter { $0.hasSuffix("[INFO] [application] salut") }
            #expect(ran.status == 0 && lines.count == 4, "\(ran.output)\(ran.errorOutput)")
        }

        /// Configures `Examples/NAME` for hvt, packages it into `folder` and imports it into a
        /// containerd of its own, which it returns.
        func containerd(withPackaged name: String, in folder: String) throws -> Containerd {
            let example = repositoryRoot + "/Examples/" + name
            try swiftMirage(["configure", "-t", "hvt"], in: example)
            try swiftMirage(["package", "--output", folder + "/\(name).oci"], in: example)
            let containerd = try Containerd()
            let imported = try containerd.ctr(["image", "import", folder + "/\(name).oci.tar"])
            guard imported.status == 0 else { throw ToolFailure(description: "ctr image import: \(imported.errorOutput)") }
            return containerd
        }

        /// mirage-runc, which `swift build` put beside the tool.
        let mirageRunc = repositoryRoot + "/.build/debug/mirage-runc"

        @Test("mirage-runc gives an hvt unikernel /dev/kvm itself: hello runs without --device; under plain runc it cannot open /dev/kvm")
        func mirageRuncHello() throws {
            let folder = scratchDirectory + "mirage-runc-hello-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let packaged = try package(into: folder)
            let containerd = try Containerd()
            _ = try containerd.ctr(["image", "import", packaged.archive])
            let ran = try containerd.ctr(["run", "--rm", "--runc-binary", mirageRunc, "localhost/hello:latest", "runc-hello-\(getpid())"])
            let lines = (ran.output + ran.errorOutput).split(separator: "\n").filter { $0.hasSuffix("[INFO] [application] hello") }
            #expect(ran.status == 0 && lines.count == 4, "\(ran.output)\(ran.errorOutput)")
            let plain = try containerd.ctr(["run", "--rm", "localhost/hello:latest", "plain-hello-\(getpid())"])
            #expect(plain.status != 0 && (plain.output + plain.errorOutput).contains("cannot open /dev/kvm"), "\(plain.output)\(plain.errorOutput)")
        }

        @Test("mirage-runc runs the echo unikernel in a pod's network namespace: a tap joined to the pod's interface, the pod's address; ping and TCP echo from the peer; SIGTERM stops it; delete leaves no tap or redirect")
        func mirageRuncPodNetwork() throws {
            let folder = scratchDirectory + "mirage-runc-echo-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let containerd = try containerd(withPackaged: "echo", in: folder)
            // The pod as CNI would leave it: eth0 with an address and a default route, its peer
            // in another namespace (the node's side).
            let (pod, peer) = try podAndPeer()
            let id = "pod-echo-\(getpid())"
            let started = try containerd.ctr(["run", "-d", "--runc-binary", mirageRunc, "--with-ns", "network:/var/run/netns/" + pod.name,
                                              "localhost/echo:latest", id])
            #expect(started.status == 0, "\(started.output)\(started.errorOutput)")
            let links = try pod.exec(["ip", "-o", "link"]).output
            #expect(links.contains("tap0"), "\(links)")
            let ping = try peer.exec(["ping", "-c", "3", "-i", "0.3", "-W", "5", "10.0.0.2"])
            #expect(ping.status == 0, "\(ping.output)")
            let echoed = try peer.exec(["/usr/bin/python3", "-c", """
                import socket; s = socket.create_connection(("10.0.0.2", 7), timeout=10); s.sendall(b"through the pod"); print(s.recv(100).decode())
                """])
            #expect(echoed.output.contains("through the pod"), "\(echoed.output)\(echoed.errorOutput)")
            let killed = try containerd.ctr(["task", "kill", id]) // SIGTERM
            #expect(killed.status == 0, "\(killed.errorOutput)")
            var status = ""
            for _ in 0 ..< 50 where !status.contains("STOPPED") {
                usleep(100_000)
                status = try containerd.ctr(["task", "ls"]).output
            }
            #expect(status.contains("STOPPED"), "\(status)")
            _ = try containerd.ctr(["task", "delete", id])
            let removed = try containerd.ctr(["container", "rm", id])
            #expect(removed.status == 0, "\(removed.errorOutput)")
            let after = try pod.exec(["ip", "-o", "link"]).output
            #expect(!after.contains("tap0"), "\(after)")
            #expect(!(try pod.exec(["tc", "qdisc", "show", "dev", "eth0"]).output.contains("ingress")))
            #expect(try run(["/usr/bin/pgrep", "-f", "/unikernel/echo.hvt"]).output.isEmpty, "no tender left")
        }

        @Test("mirage-runc passes a bundle that is no hvt unikernel to runc unchanged: the unix hello image runs as under runc")
        func mirageRuncPassThrough() throws {
            let folder = scratchDirectory + "mirage-runc-unix-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try swiftMirage(["configure", "-t", "unix"], in: hello)
            try swiftMirage(["package", "--output", folder + "/hello.oci", "--name", "localhost/hello:unix"], in: hello)
            let containerd = try Containerd()
            _ = try containerd.ctr(["image", "import", folder + "/hello.oci.tar"])
            let ran = try containerd.ctr(["run", "--rm", "--runc-binary", mirageRunc, "localhost/hello:unix", "runc-unix-\(getpid())"])
            let lines = (ran.output + ran.errorOutput).split(separator: "\n").filter { $0.hasSuffix("[INFO] [application] hello") }
            #expect(ran.status == 0 && lines.count == 4, "\(ran.output)\(ran.errorOutput)")
        }

        @Test("mirage-runc refuses an hvt unikernel on a host without /dev/kvm, naming it, in its log and on standard error (a mount namespace whose /dev is empty stands in for such a host)")
        func mirageRuncWithoutKVM() throws {
            let bundle = scratchDirectory + "mirage-runc-nokvm-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: bundle) }
            try FileManager.default.createDirectory(atPath: bundle + "/rootfs/unikernel", withIntermediateDirectories: true)
            let metadata = #"{"name":"hello","target":"hvt","image":"/unikernel/hello.hvt","tender":"/mirage-hvt","networks":[],"blocks":{},"bootArguments":[]}"#
            try metadata.write(toFile: bundle + "/rootfs/unikernel/mirage.json", atomically: true, encoding: .utf8)
            let config = #"{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["/mirage-hvt","--","/unikernel/hello.hvt"]}}"#
            try config.write(toFile: bundle + "/config.json", atomically: true, encoding: .utf8)
            let refused = try run(["/usr/bin/unshare", "--mount", "/bin/sh", "-c",
                                   "mount -t tmpfs none /dev && exec \"$0\" --log \"$1/log.json\" create --bundle \"$1\" nokvm", mirageRunc, bundle])
            #expect(refused.status == 1 && refused.errorOutput.contains("mirage-runc: hello is an hvt unikernel and this host has no /dev/kvm"),
                    "\(refused.status) \(refused.errorOutput)")
            let log = (try? String(contentsOfFile: bundle + "/log.json", encoding: .utf8)) ?? ""
            #expect(log.contains(#""level":"error""#) && log.contains("has no /dev/kvm: it cannot run here"), "\(log)")
        }

        @Test("mirage-runc refuses a unikernel with a network device but no pod namespace to join, with a message containerd reports")
        func mirageRuncNeedsPodNetwork() throws {
            let folder = scratchDirectory + "mirage-runc-nons-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let containerd = try containerd(withPackaged: "echo", in: folder)
            let ran = try containerd.ctr(["run", "--rm", "--runc-binary", mirageRunc, "localhost/echo:latest", "nons-\(getpid())"])
            #expect(ran.status != 0 && ran.errorOutput.contains("no existing network namespace to join"), "\(ran.errorOutput)")
        }

        @Test("volumes are block devices: a host file bind-mounted at /unikernel/block/storage, then a loop device, replace the packaged disk (the guest writes its pattern into them); a volume for a device the manifest does not name and a bad annotation are refused with a message")
        func mirageRuncBlockVolumes() throws {
            let folder = scratchDirectory + "mirage-runc-block-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let containerd = try containerd(withPackaged: "block", in: folder)
            let disk = folder + "/volume.img", raw = folder + "/raw.img"
            _ = FileManager.default.createFile(atPath: disk, contents: Data(count: 256 << 10))
            _ = FileManager.default.createFile(atPath: raw, contents: Data(count: 128 << 10))
            func runBlock(_ id: String, _ options: [String]) throws -> String {
                let ran = try containerd.ctr(["run", "--rm", "--runc-binary", mirageRunc] + options + ["localhost/block:latest", "\(id)-\(getpid())"])
                return "status \(ran.status)\n" + ran.output + ran.errorOutput
            }
            let filed = try runBlock("volume", ["--mount", "type=bind,src=\(disk),dst=/unikernel/block/storage,options=rbind:rw"])
            #expect(filed.hasPrefix("status 0") && filed.contains("block device: 512 sectors of 512 bytes, read-write")
                    && filed.contains("read back and verified all 512 sectors"), "\(filed)")
            #expect(FileManager.default.contents(atPath: disk)?.contains { $0 != 0 } == true, "the guest wrote into the volume")

            let loop = try run(["/usr/sbin/losetup", "--find", "--show", raw]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(loop.hasPrefix("/dev/loop"), "losetup: \(loop)")
            if loop.hasPrefix("/dev/loop") {
                defer { _ = try? run(["/usr/sbin/losetup", "-d", loop]) }
                let looped = try runBlock("loop", ["--mount", "type=bind,src=\(loop),dst=/unikernel/block/storage,options=rbind:rw"])
                #expect(looped.hasPrefix("status 0") && looped.contains("block device: 256 sectors of 512 bytes, read-write"), "\(looped)")
            }
            #expect(FileManager.default.contents(atPath: raw)?.contains { $0 != 0 } == true, "the guest wrote through the loop device")

            let unnamed = try runBlock("unnamed", ["--mount", "type=bind,src=\(disk),dst=/unikernel/block/logs,options=rbind:rw"])
            #expect(!unnamed.hasPrefix("status 0") && unnamed.contains("block device \"logs\", which the image's manifest does not name (it names: storage)"),
                    "\(unnamed)")
            let annotated = try runBlock("annotated", ["--annotation", "org.swift-mirage.unikernel.memory=lots"])
            #expect(!annotated.hasPrefix("status 0") && annotated.contains("org.swift-mirage.unikernel.memory=lots is not a memory size"), "\(annotated)")
            let sized = try runBlock("sized", ["--annotation", "org.swift-mirage.unikernel.memory=6"])
            #expect(sized.hasPrefix("status 0") && sized.contains("read back and verified"), "\(sized)")
            #expect(try containerd.ctr(["container", "ls", "-q"]).output.isEmpty, "refused containers are not left behind")
        }

        /// A pod's network namespace as CNI would leave it (eth0 with 10.0.0.2/24 and a default
        /// route) and its peer on the other end of the veth (10.0.0.1, the node's side).
        func podAndPeer() throws -> (pod: NetworkNamespace, peer: NetworkNamespace) {
            let pod = try NetworkNamespace(withTap: false), peer = try NetworkNamespace(withTap: false)
            _ = try run(["/usr/sbin/ip", "link", "add", "eth0", "netns", pod.name, "type", "veth", "peer", "name", "veth0", "netns", peer.name])
            try pod.exec(["ip", "addr", "add", "10.0.0.2/24", "dev", "eth0"])
            try pod.exec(["ip", "link", "set", "eth0", "up"])
            try pod.exec(["ip", "route", "add", "default", "via", "10.0.0.1"])
            try peer.exec(["ip", "addr", "add", "10.0.0.1/24", "dev", "veth0"])
            try peer.exec(["ip", "link", "set", "veth0", "up"])
            return (pod, peer)
        }

        /// The website's page at `address` fetched with curl from `node`, tried for up to ten
        /// seconds (a pod answers once its guest has booted); what curl got last.
        func websitePage(at address: String, from node: NetworkNamespace) -> String {
            var page = ""
            for _ in 0 ..< 50 where !page.contains("Served by a unikernel") {
                page = (try? node.exec(["curl", "-s", "-m", "2", "http://\(address)/"]))?.output ?? ""
                if !page.contains("Served by a unikernel") { usleep(200_000) }
            }
            return page
        }

        /// A node for website pods: the hvt website packaged into `folder`, the pause image, and
        /// a containerd with the CRI in a network namespace of its own (CNI's bridge goes there),
        /// both images imported.
        func websiteNode(in folder: String) throws -> (node: NetworkNamespace, containerd: Containerd) {
            let website = repositoryRoot + "/Examples/static-website"
            try swiftMirage(["configure", "-t", "hvt"], in: website)
            try swiftMirage(["package", "--output", folder + "/website.oci"], in: website)
            _ = try cri(["pause-image", folder + "/pause.tar", repositoryRoot + "/.build/debug/mirage-pause", "localhost/mirage-pause:latest"])
            let node = try NetworkNamespace(withTap: false)
            let containerd = try Containerd(cri: true, networkNamespace: node.name)
            for archive in [folder + "/pause.tar", folder + "/website.oci.tar"] {
                let imported = try containerd.ctr(["-n", "k8s.io", "image", "import", archive])
                guard imported.status == 0 else { throw ToolFailure(description: "ctr image import: \(imported.errorOutput)") }
            }
            return (node, containerd)
        }

        /// The CRI client of `Fixtures/cri/cri_client.py` with `arguments`; its output's last line.
        func cri(_ arguments: [String]) throws -> String {
            let result = try run(["/usr/bin/python3", repositoryRoot + "/Tests/EndToEndTests/Fixtures/cri/cri_client.py"] + arguments)
            guard result.status == 0 else { throw ToolFailure(description: "cri_client.py \(arguments.joined(separator: " ")): \(result.errorOutput)") }
            return result.output.split(separator: "\n").last.map(String.init) ?? ""
        }

        @Test("the website as a Kubernetes pod through the CRI: RunPodSandbox with the mirage runtime handler, CreateContainer and StartContainer; it takes the pod's CNI address and answers curl, with the memory the pod's annotation asks for (a bad one is refused with a message); the pod's log has its lines; removing the pod leaves no tender, container or network namespace")
        func websitePod() throws {
            let folder = scratchDirectory + "mirage-cri-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            let (node, containerd) = try websiteNode(in: folder)
            defer { containerd.stop() }
            #expect(try cri(["version", containerd.socket]).hasPrefix("containerd"))
            let logs = folder + "/logs"
            let memory = "org.swift-mirage.unikernel.memory=6"
            let pod = try cri(["run-pod", containerd.socket, "website", "mirage", logs, memory])
            _ = try cri(["start-container", containerd.socket, pod, "web", "localhost/static-website:latest", "website", logs, "--pod-annotation=" + memory])
            let address = try cri(["pod-ip", containerd.socket, pod])
            #expect(address.hasPrefix("10.88.0."), "\(address)")
            let page = websitePage(at: address, from: node)
            #expect(page.contains("Served by a unikernel"), "\(page)\n\(containerd.log())")
            let tender = try run(["/usr/bin/pgrep", "-af", "/unikernel/static-website.hvt"]).output
            #expect(tender.contains("/mirage-hvt --share-image --mem=6 "), "the pod's memory annotation reaches the tender: \(tender)")
            let log = (try? String(contentsOfFile: logs + "/web.log", encoding: .utf8)) ?? ""
            #expect(log.contains("[INFO] [net] IPv4 \(address)/24") && log.contains("[INFO] [http] GET / 200"), "\(log)")
            #expect(try cri(["remove-pod", containerd.socket, pod]) == "removed")
            // A bad annotation: the sandbox starts (it is no unikernel), the container is refused with the message.
            let bad = "org.swift-mirage.unikernel.memory=lots"
            let badPod = try cri(["run-pod", containerd.socket, "bad", "mirage", logs, bad])
            #expect {
                _ = try cri(["start-container", containerd.socket, badPod, "web", "localhost/static-website:latest", "bad", logs, "--pod-annotation=" + bad])
            } throws: { error in
                "\(error)".contains("mirage-runc: the annotation org.swift-mirage.unikernel.memory=lots is not a memory size")
            }
            #expect(try cri(["remove-pod", containerd.socket, badPod]) == "removed")
            #expect(try containerd.ctr(["-n", "k8s.io", "container", "ls", "-q"]).output.isEmpty)
            #expect(try run(["/usr/bin/pgrep", "-f", "/unikernel/static-website.hvt"]).output.isEmpty, "no tender left")
            #expect(!(try run(["/usr/sbin/ip", "netns", "list"]).output.contains("cni-")), "the pod's namespace is gone")
        }

        @Test("a name that is not a full reference and a dynamically linked tender are refused with a message")
        func refusals() throws {
            let folder = scratchDirectory + "mirage-package-bad-\(getpid())"
            defer { try? FileManager.default.removeItem(atPath: folder) }
            try swiftMirage(["configure", "-t", "hvt"], in: hello)
            let name = try run([tool, "package", "--output", folder + "/x.oci", "--name", "hello:latest"], in: hello)
            #expect(name.status != 0 && name.errorOutput.contains("hello:latest is not a full reference"), "\(name.errorOutput)")
            let dynamic = try run([tool, "package", "--output", folder + "/x.oci", "--tender", "/usr/bin/python3"], in: hello)
            #expect(dynamic.status != 0 && dynamic.errorOutput.contains("/usr/bin/python3 is linked dynamically"), "\(dynamic.errorOutput)")
            #expect(!FileManager.default.fileExists(atPath: folder + "/x.oci.tar"))
        }
    }
}
