import Foundation
import Testing

extension EndToEnd {
    /// `mirage-hvt --serve` keeps a VM ready; `mirage-hvt --via` runs a guest in it as the tender
    /// would itself: the same output, arguments, devices, signals and exit statuses.
    @Suite("mirage-hvt kept-ready VMs (--serve, --via)", .enabled(if: kvmAvailable, "SKIP: /dev/kvm is absent or not writable"))
    struct HVTReadyTests {
        /// A `mirage-hvt --serve` running for one test.
        final class Server {
            let socket: String
            let process = Process()

            init(_ extra: [String] = [], socket: String? = nil, errors: FileHandle? = nil) throws {
                self.socket = socket ?? scratchDirectory + "mirage-ready-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
                process.executableURL = URL(fileURLWithPath: tender)
                process.arguments = ["--serve=\(self.socket)"] + extra
                if let errors { process.standardError = errors }
                try process.run()
                for _ in 0..<1000 where !FileManager.default.fileExists(atPath: self.socket) { usleep(10_000) }
            }

            /// The server's children: the one waiting for a request, and one per running guest.
            var children: [Int32] {
                let parent = process.processIdentifier
                return ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }.filter { pid in
                    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                          let close = stat.lastIndex(of: ")") else { return false }
                    return stat[stat.index(close, offsetBy: 2)...].split(separator: " ").dropFirst().first.flatMap { Int32($0) } == parent
                }
            }

            /// The server's children once there are `count` of them, or as they are after
            /// `seconds`: the server forks the child waiting for the next request only when the
            /// one before took its request (or, at the start, after making its socket), so a
            /// count taken at once can be early.
            func children(count: Int, within seconds: Double = 5) -> [Int32] {
                var found = children
                for _ in 0..<Int(seconds * 100) where found.count != count {
                    usleep(10_000)
                    found = children
                }
                return found
            }

            /// Stops the server as SIGTERM does; its exit status.
            @discardableResult
            func stop() -> Int32 {
                if process.isRunning { process.terminate() }
                process.waitUntilExit()
                return process.terminationStatus
            }

            deinit {
                stop()
                try? FileManager.default.removeItem(atPath: socket)
            }
        }

        @Test("a guest through --via prints what it prints under the tender, from the client's working directory, with the client's boot arguments and exit status")
        func runsAsTheTender() throws {
            _ = try HVTTests.buildGuest(HVTTests.hello)
            let server = try Server()
            let greeted = try run([tender, "--via=\(server.socket)", "--", "dist/hello.hvt", "--hello=ready"], in: HVTTests.hello)
            #expect(greeted.status == 0, "\(greeted.errorOutput)")
            #expect(greeted.errorLines.compactMap(parseLogLine).map(\.rest) == Array(repeating: "[INFO] [application] ready", count: 4))
            let unknown = try run([tender, "--via=\(server.socket)", "dist/hello.hvt", "--nope"], in: HVTTests.hello)
            #expect(unknown.status == 64)
            #expect(unknown.errorLines.first == "hello: unknown boot argument '--nope'")
            // A --mem other than the ready VM's gets a VM of its own.
            let larger = try run([tender, "--via=\(server.socket)", "--mem=64", "dist/hello.hvt", "--help"], in: HVTTests.hello)
            #expect(larger.status == 0, "\(larger.errorOutput)")
            #expect(larger.errorOutput.contains("--hello=STRING"))
            #expect(server.stop() == 0)
            #expect(!FileManager.default.fileExists(atPath: server.socket), "the server removes its socket")
        }

        @Test("a block device through --via: its file is opened from the client's working directory and keeps what the guest wrote")
        func blockDevice() throws {
            let image = try HVTTests.buildGuest(HVTTests.block)
            let directory = scratchDirectory + "mirage-ready-block-\(getpid())"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            FileManager.default.createFile(atPath: directory + "/disk.img", contents: Data(count: 64 * 1024))
            let server = try Server()
            let result = try run([tender, "--via=\(server.socket)", "--block:storage=disk.img", "--", image], in: directory)
            #expect(result.status == 0, "\(result.errorOutput)")
            let contents = try #require(FileManager.default.contents(atPath: directory + "/disk.img"))
            #expect(Array(contents[5 * 512..<6 * 512]) == EndToEnd.BlockTests.pattern(sector: 5, sectorSize: 512))
        }

        @Test("a net device through --via: the server's child opens the tap in the server's namespace, the guest answers pings, and SIGTERM to the client stops it", .enabled(if: networkTestsAvailable))
        func netDevice() throws {
            let image = try EchoImages.image(target: "hvt")
            let namespace = try NetworkNamespace()
            let socket = scratchDirectory + namespace.name + ".sock"
            let server = try namespace.start([tender, "--serve=\(socket)"], log: scratchDirectory + namespace.name + "-server.log")
            for _ in 0..<1000 where !FileManager.default.fileExists(atPath: socket) { usleep(10_000) }
            let log = scratchDirectory + namespace.name + ".log"
            let client = try namespace.start([tender, "--via=\(socket)", "--net:service=tap0", "--", image, "--ipv4=10.0.0.2/24"], log: log)
            try waitUntilListening(log, client)
            let result = try namespace.exec(["/usr/bin/python3", peerScript, "ping"])
            #expect(result.output.contains("ping -s 1472: 3/3 replies"), "\(result.output)\(result.errorOutput)")
            client.terminate()
            client.waitUntilExit()
            #expect(client.terminationStatus == 0)
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(text.contains("[INFO] [runtime] stopping: the platform was asked to stop"), "\(text)")
            server.terminate()
            server.waitUntilExit()
            #expect(server.terminationStatus == 0)
        }

        @Test("SIGTERM to the client stops the guest cleanly (status 0), which ran under the seccomp filter in the server's child")
        func sigterm() throws {
            let image = try HVTTests.buildGuest(HVTTests.hello)
            let server = try Server()
            var filtered: [String] = []
            let result = try run([tender, "--via=\(server.socket)", image], signal: SIGTERM, signalAfterLines: 1) { _ in
                filtered = server.children(count: 2, within: 2).map { pid in
                    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
                    return status.split(separator: "\n").first { $0.hasPrefix("Seccomp:") }.map(String.init) ?? "?"
                }.sorted()
            }
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(result.errorLines.compactMap(parseLogLine).last?.rest == "[INFO] [runtime] stopping: the platform was asked to stop")
            // The child running the guest, filtered; the one waiting for the next request, not yet.
            #expect(filtered == ["Seccomp:\t0", "Seccomp:\t2"])
        }

        @Test("a client that is killed stops its guest: the server's child running it ends")
        func clientKilled() throws {
            let image = try HVTTests.buildGuest(HVTTests.hello)
            let server = try Server()
            var during = 0
            let result = try run([tender, "--via=\(server.socket)", image], signal: SIGKILL, signalAfterLines: 1) { _ in
                during = server.children(count: 2, within: 2).count
            }
            #expect(result.status == 9 + 128 || result.status == 9, "killed: \(result.status)")
            #expect(during == 2)
            let after = server.children(count: 1).count
            #expect(after == 1, "only the child waiting for the next request is left")
        }

        @Test("failures reach the client with the tender's message and status")
        func failures() throws {
            let server = try Server()
            let missing = try run([tender, "--via=\(server.socket)", "nothere.hvt"])
            #expect(missing.status == 66)
            #expect(missing.errorOutput == "mirage-hvt: nothere.hvt: No such file or directory\n")
            let usage = try run([tender, "--via=\(server.socket)", "--mem=1", "x.hvt"])
            #expect(usage.status == 64)
            #expect(usage.errorLines.first == "mirage-hvt: --mem=1: give the guest's memory in MiB, from 2 to 3072")
            let nobody = scratchDirectory + "mirage-ready-nobody-\(getpid()).sock"
            let unanswered = try run([tender, "--via=\(nobody)", "x.hvt"])
            #expect(unanswered.status == 71)
            #expect(unanswered.errorOutput.hasPrefix("mirage-hvt: --via=\(nobody): no server of ready VMs answers there"), "\(unanswered.errorOutput)")
        }

        /// A client of the server's socket that is not `--via`: sends one message of `size` bytes
        /// (a valid request's header, then zeros) carrying `descriptors` copies of its standard
        /// error, and prints the status that comes back.
        static let rawClient = """
            import socket, struct, sys
            path, size, descriptors = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
            client = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            client.connect(path)
            message = bytes([1, 0]) + bytes(size - 2)
            socket.send_fds(client, [message], [2] * descriptors)
            reply = client.recv(4)
            print(struct.unpack("<i", reply)[0] if len(reply) == 4 else "no status")
            """

        @Test("a request of the wrong shape from a client that is not --via is refused with a message naming the problem and the usage status; the server goes on", arguments: [
            (size: 64, descriptors: 3, refusal: "3 descriptors, not its 4 (standard input, output, error and working directory)"),
            (size: 64, descriptors: 9, refusal: "more than 8 descriptors, not its 4"),
            (size: 65_537, descriptors: 4, refusal: "larger than 65536 bytes"),
            (size: 64, descriptors: 0, refusal: "0 descriptors, not its 4 (standard input, output, error and working directory)"),
        ])
        func malformedRequests(size: Int, descriptors: Int, refusal: String) throws {
            let log = scratchDirectory + "mirage-ready-errors-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            FileManager.default.createFile(atPath: log, contents: Data())
            defer { try? FileManager.default.removeItem(atPath: log) }
            let server = try Server(errors: FileHandle(forWritingAtPath: log))
            let sent = try run(["/usr/bin/python3", "-c", Self.rawClient, server.socket, "\(size)", "\(descriptors)"])
            #expect(sent.status == 0, "\(sent.errorOutput)")
            #expect(sent.output == "64\n", "the usage status comes back")
            let expected = "mirage-hvt: a request to the ready VM: \(refusal)\n"
            var reported = ""
            for _ in 0..<500 where reported != expected {
                usleep(10_000)
                reported = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            }
            #expect(reported == expected)
            // The next ready VM serves as usual.
            let help = try run([tender, "--via=\(server.socket)", "--", try HVTTests.buildGuest(HVTTests.hello), "--help"])
            #expect(help.status == 0, "\(help.errorOutput)")
        }

        @Test("the socket is its owner's only (0600); a second server is refused; a dead server's socket is replaced")
        func socket() throws {
            let server = try Server()
            let mode = try FileManager.default.attributesOfItem(atPath: server.socket)[.posixPermissions] as? Int
            #expect(mode == 0o600)
            let second = try run([tender, "--serve=\(server.socket)"])
            #expect(second.status == 64)
            #expect(second.errorOutput == "mirage-hvt: --serve=\(server.socket): a server already listens there\n")
            let waiting = server.children(count: 1)
            #expect(waiting.count == 1)
            kill(server.process.processIdentifier, SIGKILL)
            server.process.waitUntilExit()
            #expect(FileManager.default.fileExists(atPath: server.socket), "a killed server leaves its socket")
            for _ in 0..<500 where waiting.contains(where: { kill($0, 0) == 0 }) { usleep(10_000) }
            #expect(waiting.allSatisfy { kill($0, 0) != 0 }, "the child waiting for a request went with the server")
            let next = try Server(socket: server.socket)
            let help = try run([tender, "--via=\(next.socket)", "--", try HVTTests.buildGuest(HVTTests.hello), "--help"])
            #expect(help.status == 0, "\(help.errorOutput)")
            let file = scratchDirectory + "mirage-ready-file-\(getpid())"
            FileManager.default.createFile(atPath: file, contents: Data())
            defer { try? FileManager.default.removeItem(atPath: file) }
            let notSocket = try run([tender, "--serve=\(file)"])
            #expect(notSocket.status == 64)
            #expect(notSocket.errorOutput == "mirage-hvt: --serve=\(file): the file exists and is not a socket\n")
        }

        @Test("with MIRAGE_HVT_BOOT_TRACE in the client's environment the trace starts at the client's entry and has no VM creation in it: the VM was ready")
        func bootTrace() throws {
            let image = try HVTTests.buildGuest(HVTTests.hello)
            let server = try Server()
            let traced = try run([tender, "--via=\(server.socket)", image, "--help"], environment: ["MIRAGE_HVT_BOOT_TRACE": "1"])
            #expect(traced.status == 0, "\(traced.errorOutput)")
            let prefix = "mirage-hvt: boot trace (CLOCK_MONOTONIC ns): "
            let lines = traced.errorLines.filter { $0.hasPrefix(prefix) }
            #expect(lines.count == 1, "one trace, the VM's process's: \(traced.errorOutput)")
            let marks = try #require(lines.first).dropFirst(prefix.count).split(separator: " ").map { $0.split(separator: "=") }
            #expect(marks.map { String($0[0]) } == [
                "entry", "request", "main", "options", "image", "devices", "load", "registers", "seccomp", "first-hypercall", "first-output", "halt",
            ])
            let instants = marks.compactMap { UInt64($0[1]) }
            #expect(instants == instants.sorted(), "\(lines)")
        }
    }
}
