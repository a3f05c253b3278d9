import Foundation
import Testing

/// containerd-shim-mirage-v2, our own containerd shim (runtime type `io.containerd.mirage.v2`):
/// one server process for all unikernel tasks of a containerd namespace, starting the tenders
/// itself.
extension EndToEnd.ContainerdTests {
    /// The shim servers running now, as `pgrep -a` lists them.
    func shimServers() throws -> [String] {
        try run(["/usr/bin/pgrep", "-af", "containerd-shim-mirage-v2"]).output.split(separator: "\n").map(String.init)
            .filter { $0.contains(" serve") }
    }

    /// The shim servers still running after up to five seconds (a server exits when containerd
    /// has shut down its last task).
    func shimServersAfterTheLastTask() throws -> [String] {
        var left = try shimServers()
        for _ in 0 ..< 50 where !left.isEmpty {
            usleep(100_000)
            left = try shimServers()
        }
        return left
    }

    @Test("containerd-shim-mirage-v2 runs hello under ctr (--runtime io.containerd.mirage.v2): four lines, exit 0; two at once share one shim server, which exits with the last; echo in a given network namespace answers, its tender in the container's cgroup with its memory limit, metrics from there, and runs on through a restart of containerd; a killed server takes its guests with it; an image that is no hvt unikernel is refused with a message; nothing is left mounted")
    func shimHello() throws {
        let folder = scratchDirectory + "mirage-shim-hello-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let packaged = try package(into: folder)
        let containerd = try Containerd()
        _ = try containerd.ctr(["image", "import", packaged.archive])
        let runtime = ["--runtime", "io.containerd.mirage.v2"]
        let ran = try containerd.ctr(["run", "--rm"] + runtime + ["localhost/hello:latest", "shim-hello-\(getpid())"])
        let lines = (ran.output + ran.errorOutput).split(separator: "\n").filter { $0.hasSuffix("[INFO] [application] hello") }
        #expect(ran.status == 0 && lines.count == 4, "\(ran.output)\(ran.errorOutput)")

        // Two at once: one server.
        var ids: [String] = []
        for index in 0 ..< 2 {
            let id = "shim-both-\(index)-\(getpid())"
            let started = try containerd.ctr(["run", "-d"] + runtime + ["localhost/hello:latest", id])
            #expect(started.status == 0, "\(started.output)\(started.errorOutput)")
            ids.append(id)
        }
        let servers = try shimServers()
        #expect(servers.count == 1, "\(servers)")
        let tenders = try run(["/usr/bin/pgrep", "-f", "/unikernel/hello.hvt"]).output.split(separator: "\n")
        #expect(tenders.count == 2, "two tenders: \(tenders)")
        for id in ids {
            var status = ""
            for _ in 0 ..< 100 where !status.contains("STOPPED") {
                usleep(100_000)
                status = try containerd.ctr(["task", "ls"]).output.split(separator: "\n").first { $0.hasPrefix(id) }.map(String.init) ?? ""
            }
            #expect(status.contains("STOPPED"), "\(status)")
            #expect(try containerd.ctr(["task", "delete", id]).status == 0)
            #expect(try containerd.ctr(["container", "rm", id]).status == 0)
        }
        let left = try shimServersAfterTheLastTask()
        #expect(left.isEmpty, "the server exits with its last task: \(left)")

        // In a network namespace given to ctr, with a memory limit: the echo guest takes its
        // tap; the tender is in the container's cgroup, limited, and metrics come from there.
        let echoFolder = folder + "/echo"
        try swiftMirage(["configure", "-t", "hvt"], in: repositoryRoot + "/Examples/echo")
        try swiftMirage(["package", "--output", echoFolder + "/echo.oci"], in: repositoryRoot + "/Examples/echo")
        _ = try containerd.ctr(["image", "import", echoFolder + "/echo.oci.tar"])
        let (pod, peer) = try podAndPeer()
        let echo = "shim-echo-\(getpid())"
        let started = try containerd.ctr(["run", "-d"] + runtime + ["--memory-limit", "\(96 << 20)", "--with-ns", "network:/var/run/netns/" + pod.name,
                                          "localhost/echo:latest", echo])
        #expect(started.status == 0, "\(started.output)\(started.errorOutput)")
        let echoed = try peer.exec(["/usr/bin/python3", "-c", """
            import socket; s = socket.create_connection(("10.0.0.2", 7), timeout=10); s.sendall(b"through the shim"); print(s.recv(100).decode())
            """])
        #expect(echoed.output.contains("through the shim"), "\(echoed.output)\(echoed.errorOutput)")
        let tender = try run(["/usr/bin/pgrep", "-f", "/unikernel/echo.hvt"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let cgroup = (try? String(contentsOfFile: "/proc/\(tender)/cgroup", encoding: .utf8)) ?? ""
        #expect(cgroup.contains("/default/\(echo)"), "the tender is in the container's cgroup: \(cgroup)")
        let limit = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
            ? "/sys/fs/cgroup/default/\(echo)/memory.max" : "/sys/fs/cgroup/memory/default/\(echo)/memory.limit_in_bytes"
        #expect((try? String(contentsOfFile: limit, encoding: .utf8))?.hasPrefix("\(96 << 20)") == true, "\(limit)")
        let metrics = try containerd.ctr(["task", "metrics", echo]).output
        #expect(metrics.contains("memory.usage_in_bytes") || metrics.contains("memory.usage"), "\(metrics)")
        // containerd restarts: it finds the task's shim again (the bundle's `address`) and the
        // guest runs on.
        try containerd.restart()
        let listed = try containerd.ctr(["task", "ls"]).output
        #expect(listed.contains(echo) && listed.contains("RUNNING"), "\(listed)\n\(containerd.log().suffix(2000))")
        let again = try peer.exec(["/usr/bin/python3", "-c", """
            import socket; s = socket.create_connection(("10.0.0.2", 7), timeout=10); s.sendall(b"after a restart"); print(s.recv(100).decode())
            """])
        #expect(again.output.contains("after a restart"), "\(again.output)\(again.errorOutput)")
        // The shim server dies: its guest does not outlive it.
        let server = try shimServers().first?.split(separator: " ").first.map(String.init) ?? ""
        #expect(!server.isEmpty)
        _ = try run(["/bin/kill", "-9", server])
        var alive = "x"
        for _ in 0 ..< 50 where !alive.isEmpty {
            usleep(100_000)
            alive = try run(["/usr/bin/pgrep", "-f", "/unikernel/echo.hvt"]).output
        }
        #expect(alive.isEmpty, "the tender stops with the server: \(alive)")
        _ = try containerd.ctr(["task", "delete", "--force", echo])
        _ = try containerd.ctr(["container", "rm", echo])

        // No hvt unikernel: refused, with the message, and nothing left.
        try swiftMirage(["configure", "-t", "unix"], in: hello)
        try swiftMirage(["package", "--output", folder + "/unix.oci", "--name", "localhost/hello:unix"], in: hello)
        _ = try containerd.ctr(["image", "import", folder + "/unix.oci.tar"])
        let refused = try containerd.ctr(["run", "--rm"] + runtime + ["localhost/hello:unix", "shim-unix-\(getpid())"])
        #expect(refused.status != 0 && refused.errorOutput.contains("containerd-shim-mirage-v2 runs hvt unikernels packaged by swift-mirage package"),
                "\(refused.errorOutput)")
        _ = try containerd.ctr(["container", "rm", "shim-unix-\(getpid())"])
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(containerd.folder), "no root file system left mounted: \(mounts)")
    }

    @Test("the website as pods through the CRI with the mirage-shim handler (containerd-shim-mirage-v2): no pause process, two pods served by one shim server, each answering curl on its CNI address; a bad annotation is refused with a message; removing the pods leaves no tender, shim, tap or network namespace")
    func shimWebsitePods() throws {
        let folder = scratchDirectory + "mirage-shim-cri-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (node, containerd) = try websiteNode(in: folder)
        defer { containerd.stop() }
        let logs = folder + "/logs"
        var pods: [(id: String, address: String)] = []
        for name in ["one", "two"] {
            let memory = "org.swift-mirage.unikernel.memory=6"
            let pod = try cri(["run-pod", containerd.socket, name, "mirage-shim", logs, memory])
            _ = try cri(["start-container", containerd.socket, pod, "web-" + name, "localhost/static-website:latest", name, logs, "--pod-annotation=" + memory])
            pods.append((pod, try cri(["pod-ip", containerd.socket, pod])))
        }
        let servers = try shimServers()
        #expect(servers.count == 1, "one shim server for both pods: \(servers)")
        #expect(try run(["/usr/bin/pgrep", "-f", "mirage-pause"]).output.isEmpty, "no pause process")
        for (_, address) in pods {
            #expect(address.hasPrefix("10.88.0."), "\(address)")
            let page = websitePage(at: address, from: node)
            #expect(page.contains("Served by a unikernel"), "\(address): \(page)\n\(containerd.log())")
        }
        let tenders = try run(["/usr/bin/pgrep", "-af", "/unikernel/static-website.hvt"]).output
        #expect(tenders.split(separator: "\n").count == 2 && tenders.contains("mirage-hvt --exit-with-parent --share-image --mem=6 "), "\(tenders)")
        let log = (try? String(contentsOfFile: logs + "/web-one.log", encoding: .utf8)) ?? ""
        #expect(log.contains("[INFO] [net] IPv4 \(pods[0].address)/24") && log.contains("[INFO] [http] GET / 200"), "\(log)")

        let bad = "org.swift-mirage.unikernel.memory=lots"
        let badPod = try cri(["run-pod", containerd.socket, "bad", "mirage-shim", logs, bad])
        #expect {
            _ = try cri(["start-container", containerd.socket, badPod, "web", "localhost/static-website:latest", "bad", logs, "--pod-annotation=" + bad])
        } throws: { error in
            "\(error)".contains("the annotation org.swift-mirage.unikernel.memory=lots is not a memory size")
        }
        for pod in pods.map(\.id) + [badPod] {
            #expect(try cri(["remove-pod", containerd.socket, pod]) == "removed")
        }
        #expect(try containerd.ctr(["-n", "k8s.io", "container", "ls", "-q"]).output.isEmpty)
        #expect(try run(["/usr/bin/pgrep", "-f", "/unikernel/static-website.hvt"]).output.isEmpty, "no tender left")
        let left = try shimServersAfterTheLastTask()
        #expect(left.isEmpty, "the shim server exits with the last pod: \(left)")
        #expect(!(try run(["/usr/sbin/ip", "netns", "list"]).output.contains("cni-")), "the pods' namespaces are gone")
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        #expect(!mounts.contains(containerd.folder + "/state"), "no root file system left mounted")
    }
}
