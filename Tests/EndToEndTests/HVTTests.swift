import Foundation
import Testing

/// Whether KVM can be used here; the hvt tests say so and skip when it cannot.
let kvmAvailable: Bool = {
    let usable = FileManager.default.isWritableFile(atPath: "/dev/kvm")
    if !usable { print("SKIP: hvt tests: /dev/kvm is absent or not writable, so no KVM guest can run here") }
    return usable
}()

/// The tender `swift build` made beside the tool.
let tender = repositoryRoot + "/.build/debug/mirage-hvt"

extension EndToEnd {
    /// The examples as KVM guests under the mirage-hvt tender, with the same application code.
    @Suite("hvt unikernels end to end", .enabled(if: kvmAvailable, "SKIP: /dev/kvm is absent or not writable"))
    struct HVTTests {
        static let hello = repositoryRoot + "/Examples/hello"
        static let block = repositoryRoot + "/Examples/block"

        /// Configures and builds `directory` for hvt; returns the image.
        @discardableResult
        static func buildGuest(_ directory: String) throws -> String {
            try swiftMirage(["configure", "-t", "hvt", directory], in: repositoryRoot)
            try swiftMirage(["build", directory], in: repositoryRoot)
            let name = (directory as NSString).lastPathComponent
            return directory + "/dist/" + name + ".hvt"
        }

        @Test("hello.hvt prints the four hello lines a second apart and exits 0")
        func hello() throws {
            let image = try Self.buildGuest(Self.hello)
            let start = Date()
            let result = try run([tender, "--", image])
            let elapsed = Date().timeIntervalSince(start)
            #expect(result.status == 0, "\(result.errorOutput)")
            let parsed = result.errorLines.compactMap(parseLogLine)
            #expect(parsed.map(\.rest) == Array(repeating: "[INFO] [application] hello", count: 4), "\(result.errorOutput)")
            for (earlier, later) in zip(parsed, parsed.dropFirst()) {
                #expect([1, 2].contains(later.seconds - earlier.seconds))
            }
            #expect(elapsed >= 3)
        }

        @Test("boot arguments reach the guest: --hello and --help")
        func bootArguments() throws {
            let image = try Self.buildGuest(Self.hello)
            let greeted = try run([tender, "--", image, "--hello=bonjour", "-l", "*:info"])
            #expect(greeted.errorLines.compactMap(parseLogLine).map(\.rest) == Array(repeating: "[INFO] [application] bonjour", count: 4))
            let help = try run([tender, "--", image, "--help"])
            #expect(help.status == 0)
            #expect(help.errorOutput.contains("--hello=STRING"))
            let unknown = try run([tender, "--", image, "--nope"])
            #expect(unknown.status == 64)
            #expect(unknown.errorLines.first == "hello: unknown boot argument '--nope'")
        }

        @Test("block.hvt writes and verifies the pattern in a disk image file, which keeps it after exit: through the block ring, and through the block hypercalls when told not to spin",
              arguments: [[], ["--poll-spin=0"]])
        func blockDevice(options: [String]) throws {
            let image = try Self.buildGuest(Self.block)
            let disk = scratchDirectory + "mirage-hvt-block-\(getpid())-\(options.count).img"
            defer { try? FileManager.default.removeItem(atPath: disk) }
            FileManager.default.createFile(atPath: disk, contents: Data(count: 64 * 1024))
            let result = try run([tender, "--block:storage=\(disk)"] + options + ["--", image])
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(result.errorLines.compactMap(parseLogLine).map(\.rest) == [
                "[INFO] [application] block device: 128 sectors of 512 bytes, read-write",
                "[INFO] [application] wrote the pattern to all 128 sectors",
                "[INFO] [application] read back and verified all 128 sectors",
                "[INFO] [application] reading sector 128 was refused as expected: sectors 128 ..< 129 are outside the device's 128 sectors",
            ])
            let contents = try #require(FileManager.default.contents(atPath: disk))
            for sector in [0, 5, 127] as [UInt64] {
                let start = Int(sector) * 512
                #expect(Array(contents[start..<start + 512]) == EndToEnd.BlockTests.pattern(sector: sector, sectorSize: 512))
            }
        }

        @Test("swift-mirage run -t hvt starts the tender with the manifest's devices")
        func runThroughTool() throws {
            let result = try run([tool, "run", "-t", "hvt", Self.hello, "--", "--hello=hvt"])
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(result.errorLines.compactMap(parseLogLine).map(\.rest) == Array(repeating: "[INFO] [application] hvt", count: 4))
        }

        @Test("SIGTERM to the tender stops the guest cleanly with status 0")
        func sigterm() throws {
            let image = try Self.buildGuest(Self.hello)
            let result = try run([tender, "--", image], signal: SIGTERM, signalAfterLines: 1)
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(result.errorLines.compactMap(parseLogLine).last?.rest == "[INFO] [runtime] stopping: the platform was asked to stop")
        }
    }

    /// The tender refuses bad images, bad command lines and misbehaving guests with a clear message
    /// and its own exit status.
    @Suite("mirage-hvt robustness", .enabled(if: kvmAvailable, "SKIP: /dev/kvm is absent or not writable"))
    struct TenderRobustnessTests {
        @Test("a truncated image is refused: exit 65")
        func truncated() throws {
            let image = try HVTTests.buildGuest(HVTTests.hello)
            let bytes = try #require(FileManager.default.contents(atPath: image))
            let cut = scratchDirectory + "mirage-truncated-\(getpid()).hvt"
            defer { try? FileManager.default.removeItem(atPath: cut) }
            FileManager.default.createFile(atPath: cut, contents: bytes.prefix(bytes.count / 2))
            let result = try run([tender, "--", cut])
            #expect(result.status == 65)
            #expect(result.errorOutput.hasPrefix("mirage-hvt: \(cut): "))
        }

        @Test("once the guest runs, the tender is under its seccomp filter (Seccomp: 2 in /proc), and a call outside it ends the tender with SIGSYS")
        func seccomp() throws {
            let image = try HVTTests.buildGuest(HVTTests.hello)
            var status = ""
            let running = try run([tender, "--", image], signal: SIGTERM, signalAfterLines: 1) { pid in
                status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
            }
            #expect(running.status == 0, "\(running.errorOutput)")
            #expect(status.split(separator: "\n").contains("Seccomp:\t2"), "\(status)")
            let forbidden = try run([tender, "--", image], environment: ["MIRAGE_HVT_TEST_FORBIDDEN_CALL": "1"])
            #expect(forbidden.status == SIGSYS, "exit status \(forbidden.status): \(forbidden.errorOutput)")
        }

        @Test("with MIRAGE_HVT_BOOT_TRACE the tender prints each step of the boot once, in order, at instants that never go back; without it, nothing")
        func bootTrace() throws {
            let image = try HVTTests.buildGuest(HVTTests.hello)
            var before = timespec()
            clock_gettime(CLOCK_MONOTONIC, &before)
            let traced = try run([tender, "--", image], environment: ["MIRAGE_HVT_BOOT_TRACE": "1"])
            #expect(traced.status == 0, "\(traced.errorOutput)")
            let prefix = "mirage-hvt: boot trace (CLOCK_MONOTONIC ns): "
            let line = try #require(traced.errorLines.first { $0.hasPrefix(prefix) }, "\(traced.errorOutput)")
            let marks = line.dropFirst(prefix.count).split(separator: " ").map { $0.split(separator: "=") }
            // hello has no net device: no I/O thread.
            #expect(marks.map { String($0[0]) } == [
                "entry", "main", "options", "image", "devices", "kvm-open", "create-vm", "memory", "irqchip", "create-vcpu",
                "cpuid", "run-page", "load", "registers", "seccomp", "first-hypercall", "first-output", "halt",
            ])
            let instants = marks.compactMap { UInt64($0[1]) }
            #expect(instants.count == marks.count)
            #expect(instants.first.map { $0 >= UInt64(before.tv_sec) * 1_000_000_000 + UInt64(before.tv_nsec) } == true)
            #expect(instants == instants.sorted(), "\(line)")
            let untraced = try run([tender, "--", image])
            #expect(!untraced.errorOutput.contains("boot trace"), "\(untraced.errorOutput)")
        }

        @Test("--help prints the usage and the options on standard output: exit 0")
        func help() throws {
            let result = try run([tender, "--help"])
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(result.output.hasPrefix("""
                usage: mirage-hvt [--mem=MiB] [--net:NAME=TAP] [--block:NAME=FILE] [--share-image] [--poll-spin=µs] [--io-spin=µs] [--exit-with-parent] [--via=SOCKET] [--] IMAGE [BOOT ARGUMENTS]
                usage: mirage-hvt --serve=SOCKET [--mem=MiB]

                """), "\(result.output)")
            #expect(result.output.contains("--exit-with-parent stop the guest"))
            #expect(result.output.contains("--serve=SOCKET     keep a VM"))
            #expect(result.output.contains("--net:NAME=TAP"))
            #expect(result.errorOutput.isEmpty)
        }

        @Test("an image built for another hvt ABI version is refused, naming both versions: exit 65")
        func otherABIVersion() throws {
            let image = try HVTTests.buildGuest(HVTTests.hello)
            let old = scratchDirectory + "mirage-abi1-\(getpid()).hvt"
            let section = scratchDirectory + "mirage-abi1-\(getpid()).bin"
            defer {
                try? FileManager.default.removeItem(atPath: old)
                try? FileManager.default.removeItem(atPath: section)
            }
            FileManager.default.createFile(atPath: section, contents: Data([1, 0, 0, 0, 0, 0, 0, 0]))
            let objcopy = try run(["/usr/bin/env", "llvm-objcopy", "--update-section", ".mirage.abi=" + section, image, old])
            #expect(objcopy.status == 0, "\(objcopy.errorOutput)")
            let result = try run([tender, "--", old])
            #expect(result.status == 65)
            #expect(result.errorOutput == "mirage-hvt: \(old): it was built for hvt ABI version 1, and this tender speaks version 5; rebuild it with this checkout's swift-mirage build\n")
        }

        @Test("segments outside guest memory are refused: exit 65")
        func segmentsOutsideMemory() throws {
            let image = try HVTTests.buildGuest(HVTTests.hello)
            let result = try run([tender, "--mem=2", "--", image])
            #expect(result.status == 65)
            #expect(result.errorOutput.contains("outside guest memory"), "\(result.errorOutput)")
        }

        @Test("missing and extra devices are named: exit 64")
        func deviceMismatch() throws {
            let block = try HVTTests.buildGuest(HVTTests.block)
            let missing = try run([tender, "--", block])
            #expect(missing.status == 64)
            #expect(missing.errorOutput == "mirage-hvt: the image needs --block:storage=FILE\n")
            let hello = try HVTTests.buildGuest(HVTTests.hello)
            let extra = try run([tender, "--block:spare=/dev/null", "--", hello])
            #expect(extra.status == 64)
            #expect(extra.errorOutput == "mirage-hvt: the image has no device block:spare (it needs no devices)\n")
        }

        @Test("bad tender options are usage errors: exit 64")
        func badOptions() throws {
            let noImage = try run([tender])
            #expect(noImage.status == 64)
            #expect(noImage.errorLines.first == "mirage-hvt: no image given")
            let badMemory = try run([tender, "--mem=lots", "--", "x.hvt"])
            #expect(badMemory.status == 64)
            #expect(badMemory.errorLines.first == "mirage-hvt: --mem=lots: give the guest's memory in MiB, from 2 to 3072")
            let missingFile = try run([tender, "--", "/nonexistent.hvt"])
            #expect(missingFile.status == 66)
            #expect(missingFile.errorOutput == "mirage-hvt: /nonexistent.hvt: No such file or directory\n")
        }

        static let hostile = repositoryRoot + "/Tests/EndToEndTests/Fixtures/hostile"

        @Test("a guest passing memory outside itself to a hypercall is stopped: exit 70", arguments: ["console", "halt-pointer"])
        func hostilePointer(attack: String) throws {
            let image = try HVTTests.buildGuest(Self.hostile)
            let result = try run([tender, "--", image, "--attack=\(attack)"])
            #expect(result.status == 70, "\(result.errorOutput)")
            #expect(result.errorOutput.contains("mirage-hvt: the guest crashed: the guest "), "\(result.errorOutput)")
            #expect(result.errorOutput.contains("outside its memory"))
            #expect(!result.errorOutput.contains("survived"))
        }

        static let hostileBlock = repositoryRoot + "/Tests/EndToEndTests/Fixtures/hostile-block"

        /// Runs the hostile block guest with `attack` over a fresh 64 KiB file.
        func runHostileBlock(_ attack: String, options: [String] = []) throws -> Finished {
            let image = try HVTTests.buildGuest(Self.hostileBlock)
            let disk = scratchDirectory + "mirage-hostile-block-\(getpid())-\(attack)-\(options.count).img"
            FileManager.default.createFile(atPath: disk, contents: Data(count: 64 * 1024))
            defer { try? FileManager.default.removeItem(atPath: disk) }
            return try run([tender, "--block:storage=\(disk)"] + options + ["--", image, "--attack=\(attack)"])
        }

        @Test("a guest misusing its block ring is stopped with the reason: exit 70, never a trap or an access outside it",
              arguments: zip(["data-pointer", "data-wrap", "ring-claim", "region", "argument", "rewrite"],
                             ["outside its memory", "outside its memory", "more than its 64 slots", "outside its memory",
                              "outside its memory", "outside its memory"]))
        func hostileBlockRing(attack: String, reason: String) throws {
            let result = try runHostileBlock(attack)
            #expect(result.status == 70, "\(result.errorOutput)")
            #expect(result.errorOutput.contains("mirage-hvt: the guest crashed: the guest "), "\(result.errorOutput)")
            #expect(result.errorOutput.contains(reason), "\(result.errorOutput)")
            #expect(!result.errorOutput.contains("survived"))
        }

        @Test("requests in the block ring past the device's end, of a part sector or of no known operation are answered INVALID, and the guest runs on")
        func refusedBlockRequests() throws {
            let result = try runHostileBlock("refused")
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(result.errorOutput.contains("statuses: 2 2 2 0"), "\(result.errorOutput)")
            #expect(result.errorOutput.contains("survived"))
        }

        @Test("a guest told not to spin (--poll-spin=0) keeps its block device on the hypercalls: it hands over no ring")
        func noBlockRingWithoutSpin() throws {
            let result = try runHostileBlock("refused", options: ["--poll-spin=0"])
            #expect(result.status == 0, "\(result.errorOutput)")
            #expect(result.errorOutput.contains("no block ring"), "\(result.errorOutput)")
        }

        @Test("a guest that traps is reported with its instruction pointer: exit 70")
        func trap() throws {
            let image = try HVTTests.buildGuest(Self.hostile)
            let result = try run([tender, "--", image, "--attack=trap"])
            #expect(result.status == 70, "\(result.errorOutput)")
            #expect(result.errorOutput.contains("mirage-hvt: the guest crashed: "))
            #expect(result.errorOutput.contains("(rip 0x"))
        }

        @Test("the guest's clock starts from the tender's anchor (boot information): its first monotonic reading is the host's clock, taken before the guest's first hypercall, not by it")
        func clockAnchor() throws {
            let image = try HVTTests.buildGuest(Self.hostile)
            var before = timespec()
            clock_gettime(CLOCK_MONOTONIC, &before)
            let result = try run([tender, "--", image, "--attack=clock"], environment: ["MIRAGE_HVT_BOOT_TRACE": "1"])
            var after = timespec()
            clock_gettime(CLOCK_MONOTONIC, &after)
            #expect(result.status == 0, "\(result.errorOutput)")
            let lines = (result.output + result.errorOutput).split(separator: "\n")
            let reported = try #require(lines.first { $0.contains("monotonic: ") }, "\(result.output)")
            let reading = try #require(reported.components(separatedBy: "monotonic: ").last.flatMap { UInt64($0) })
            let trace = try #require(lines.first { $0.hasPrefix("mirage-hvt: boot trace") })
            let firstHypercall = try #require(trace.split(separator: " ").first { $0.hasPrefix("first-hypercall=") }
                .flatMap { UInt64($0.dropFirst("first-hypercall=".count)) })
            let start = UInt64(before.tv_sec) * 1_000_000_000 + UInt64(before.tv_nsec)
            let end = UInt64(after.tv_sec) * 1_000_000_000 + UInt64(after.tv_nsec)
            #expect(start < reading && reading < end, "reading \(reading), host \(start)..\(end)")
            // By a MIRAGE_HVT_MONOTONIC hypercall, the reading would be taken after the tender saw it.
            #expect(reading < firstHypercall, "reading \(reading), first hypercall \(firstHypercall)")
        }

        @Test("MIRAGE_HVT_PROFILE samples where the guest runs; scripts/profile-guest names the functions")
        func profile() throws {
            let image = try HVTTests.buildGuest(Self.hostile)
            let unstripped = repositoryRoot + "/.build-mirage/build/hvt/x86_64-unknown-linux-gnu/release/hostile"
            let profile = scratchDirectory + "mirage-guest-\(getpid()).profile"
            defer { try? FileManager.default.removeItem(atPath: profile) }
            // Filling 64 MiB a megabyte at a time keeps the guest busy for a few timer periods.
            let result = try run([tender, "--mem=64", "--", image, "--attack=out-of-memory"], environment: ["MIRAGE_HVT_PROFILE": profile])
            #expect(result.status == 66, "\(result.errorOutput)")
            let lines = ((try? String(contentsOfFile: profile, encoding: .utf8)) ?? "").split(separator: "\n")
            #expect(!lines.isEmpty, "no samples")
            for line in lines {
                let fields = line.split(separator: " ")
                #expect(fields.count == 2 && UInt64(fields[0], radix: 16).map { $0 >= 0x100000 } == true && Int(fields[1]).map { $0 > 0 } == true,
                        "\(line)")
            }
            let named = try run(["/usr/bin/python3", repositoryRoot + "/scripts/profile-guest", unstripped, profile])
            #expect(named.status == 0 && named.output.contains(" samples\n"), "\(named.output) \(named.errorOutput)")
            #expect(!named.output.contains("  ?"), "an address outside the image's functions: \(named.output)")
        }

        @Test("a guest that runs out of memory says so and halts with status 66")
        func outOfMemory() throws {
            let image = try HVTTests.buildGuest(Self.hostile)
            let result = try run([tender, "--mem=8", "--", image, "--attack=out-of-memory"])
            #expect(result.status == 66, "\(result.errorOutput)")
            #expect(result.errorOutput.contains("out of memory"))
        }
    }
}
