import Foundation
import MirageConfig
import MirageTool
import Testing

/// Compares generated wiring with the files in Fixtures/golden; `UPDATE_GOLDEN=1 swift test`
/// rewrites them after an intended change (review the diff).
@Suite("Generated wiring", .serialized)
struct WiringTests {
    static let cases: [(unikernel: String, target: Target, configure: [String])] = [
        ("Examples/hello", .unix, []),
        ("Examples/block", .unix, []),
        ("Examples/hello", .hvt, []),
        ("Examples/block", .hvt, []),
        ("Examples/echo", .hvt, []),
        ("Examples/static-website", .unix, []),
        ("Examples/static-website", .hvt, ["--kv=tar"]),
        ("Examples/static-website", .unix, ["--tls=true"]),
        ("Examples/static-website", .hvt, ["--tls=true"]),
        ("Examples/dns-server", .hvt, []),
        ("Examples/fetch", .hvt, []),
        ("Examples/dhcp-server", .hvt, []),
        ("Tests/MirageToolTests/Fixtures/keys", .unix, ["--count=7"]),
    ]

    @Test("main.swift is the golden file for each example and target", arguments: 0..<cases.count)
    func goldenMain(index: Int) throws {
        let (unikernel, target, configure) = Self.cases[index]
        let project = UnikernelProject(directory: repository.root + "/" + unikernel, repository: repository)
        let description = try project.loadDescription()
        let values = try UnikernelProject.parseConfigureValues(configure, for: description)
        let generated = try WiringGenerator(description: description, target: target, configureValues: values).mainSwift()
        let variant = (configure.contains("--kv=tar") ? ".tar" : "") + (configure.contains("--tls=true") ? ".tls" : "")
        let golden = fixture("golden/\(description.name).\(target.rawValue)\(variant).main.swift")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try generated.write(toFile: golden, atomically: true, encoding: .utf8)
        }
        #expect(generated == (try String(contentsOfFile: golden, encoding: .utf8)))
    }

    @Test("entropy on unix is a CryptoRandom over getrandom: MirageCrypto imported and in the package, so the build needs BearSSL")
    func unixEntropyIsADRBG() throws {
        let project = UnikernelProject(directory: repository.root + "/Tests/EndToEndTests/Fixtures/crypto-vectors", repository: repository)
        let generator = WiringGenerator(description: try project.loadDescription(), target: .unix)
        let main = try generator.mainSwift()
        #expect(main.contains("import MirageCrypto\n"))
        #expect(main.contains("= CryptoRandom(source: UnixEntropy())\n"))
        #expect(generator.packageSwift(repositoryPath: "/r", repositoryIdentity: "r").contains("\"MirageCrypto\""))
        let hvt = try WiringGenerator(description: try project.loadDescription(), target: .hvt).mainSwift()
        #expect(hvt.contains("= HVTEntropy()\n"))
    }

    @Test("a key-value store: crunch by default (its files as byte arrays in crunched.swift), MirageKV imported, the application's own libraries in the package")
    func crunch() throws {
        let project = UnikernelProject(directory: repository.root + "/Examples/static-website", repository: repository)
        let description = try project.loadDescription()
        let generator = WiringGenerator(description: description, target: .unix, libraries: ["MirageHTTP"])
        #expect(try generator.mainSwift().contains("let kvHtdocs = CrunchStore(files: kvHtdocsFiles)\n"))
        #expect(try generator.mainSwift().contains("import MirageKV\n"))
        #expect(try generator.archives().isEmpty)
        let crunched = generator.crunchedSwift(["kv:htdocs": [
            .init(path: "b.txt", contents: Array(0..<30), modified: 5), .init(path: "a.txt", contents: [0xFF], modified: 7),
        ]])
        #expect(crunched.hasSuffix("""

            let kvHtdocsFiles: [CrunchStore.File] = [
                CrunchStore.File(path: "a.txt", contents: [UInt8]([
                    0xff,
                ]), lastModified: WallTime(seconds: 7)),
                CrunchStore.File(path: "b.txt", contents: [UInt8]([
                    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
                ]), lastModified: WallTime(seconds: 5)),
            ]

            """))
        let package = generator.packageSwift(repositoryPath: "../../..", repositoryIdentity: "main")
        #expect(package.contains(#".product(name: "MirageKV", package: "main")"#))
        #expect(package.contains(#".product(name: "MirageHTTP", package: "main")"#))
        #expect(package.contains(#"sources: ["main.swift", "app", "crunched.swift"]"#))
    }

    @Test("a key-value store with --kv=tar: an archive the build writes, opened from a read-only block device")
    func tarStore() throws {
        let project = UnikernelProject(directory: repository.root + "/Examples/static-website", repository: repository)
        let description = try project.loadDescription()
        let values = try UnikernelProject.parseConfigureValues(["--kv", "tar"], for: description)
        #expect(values == ["kv": "tar"])
        let unix = WiringGenerator(description: description, target: .unix, configureValues: values)
        #expect(unix.crunchDevices.isEmpty)
        #expect(try unix.archives().map { "\($0.path) from \($0.folder)" } == ["dist/htdocs.tar from htdocs"])
        let main = try unix.mainSwift()
        #expect(main.contains(#"BootKey("block:htdocs", of: String.self, default: "dist/htdocs.tar""#))
        #expect(main.contains("FileBlockDevice.connect(path: arguments.value(\"block:htdocs\", as: String.self), readOnly: true)"))
        #expect(!unix.packageSwift(repositoryPath: "..", repositoryIdentity: "main").contains("crunched.swift"))
        let hvt = WiringGenerator(description: description, target: .hvt, configureValues: values)
        #expect(try hvt.tenderDevices() == ["net:service", "block:htdocs"])
        #expect(try hvt.tenderBlockDefaults().map { "\($0.name)=\($0.path)" } == ["htdocs=dist/htdocs.tar"])
        #expect(try hvt.images().isEmpty, "the archive is written by the build, not created empty by run")
    }

    @Test("--kv takes crunch or tar, and only where there is a keyValueStore")
    func keyValueModeErrors() throws {
        let website = try UnikernelProject(directory: repository.root + "/Examples/static-website", repository: repository).loadDescription()
        #expect(throws: ToolError("unknown key-value store kind 'zip' for --kv (available: crunch, tar)", exitCode: 64)) {
            try UnikernelProject.parseConfigureValues(["--kv=zip"], for: website)
        }
        let hello = try UnikernelProject(directory: repository.root + "/Examples/hello", repository: repository).loadDescription()
        #expect(throws: ToolError.self) { try UnikernelProject.parseConfigureValues(["--kv=tar"], for: hello) }
    }

    @Test("an hvt image lists the devices the tender must attach")
    func tenderDevices() throws {
        let description = try UnikernelProject(directory: repository.root + "/Examples/block", repository: repository).loadDescription()
        #expect(try WiringGenerator(description: description, target: .hvt).tenderDevices() == ["block:storage"])
        #expect(try WiringGenerator(description: description, target: .unix).tenderDevices() == [])
    }

    @Test("on hvt, stack() is our stack over the tender's net device, with unix direct's boot keys")
    func hvtStack() throws {
        let description = try UnikernelProject(directory: repository.root + "/Examples/echo", repository: repository).loadDescription()
        let hvt = WiringGenerator(description: description, target: .hvt)
        #expect(try hvt.tenderDevices() == ["net:service"])
        #expect(try hvt.tapNetworks() == ["service"])
        let main = try hvt.mainSwift()
        #expect(main.contains("try await HVTDirectStack.overTender(network: \"service\", platform: platform, arguments: arguments)"))
        #expect(main.contains("    StackBootKeys.ipv4,\n    StackBootKeys.gateway,\n"))
        #expect(!main.contains("TapDevice.bootKey"), "the tap is the tender's, not a boot argument")
        #expect(main.contains("import MirageNet\n"))
        let package = hvt.packageSwift(repositoryPath: "../../..", repositoryIdentity: "main")
        #expect(package.contains(#".product(name: "MirageNet", package: "main")"#))
        #expect(package.contains(#".product(name: "MirageHVTGuestNet", package: "main")"#))
        #expect(main.contains("import MirageHVTGuestNet\n"))
        // --net=direct is hvt's default and its only stack.
        #expect(try WiringGenerator(description: description, target: .hvt, network: .direct).mainSwift() == main)
        #expect(throws: ToolError("\(description.devices[0].location): error: the host-socket stack (--net=socket) is not available on target hvt: a VM has no host sockets; use --net=direct")) {
            try WiringGenerator(description: description, target: .hvt, network: .socket).mainSwift()
        }
    }

    @Test("on hvt, network() is the tender's net device itself")
    func hvtNetworkDevice() throws {
        let description = try UnikernelProject(directory: fixture("network-on-unix"), repository: repository).loadDescription()
        let hvt = WiringGenerator(description: description, target: .hvt)
        #expect(try hvt.tenderDevices() == ["net:service"])
        let main = try hvt.mainSwift()
        #expect(main.contains("guard let networkService = await Mirage.connect(\"network:service\", { () throws(HVTNetworkError) in"))
        #expect(main.contains("try HVTNetworkDevice.connect(name: \"service\", platform: platform)"))
    }

    @Test("which network devices run over a tap: unix --net=direct and hvt, not the host's sockets")
    func tapNetworks() throws {
        let echo = try UnikernelProject(directory: repository.root + "/Examples/echo", repository: repository).loadDescription()
        #expect(try WiringGenerator(description: echo, target: .unix).tapNetworks() == [])
        #expect(try WiringGenerator(description: echo, target: .unix, network: .socket).tapNetworks() == [])
        #expect(try WiringGenerator(description: echo, target: .unix, network: .direct).tapNetworks() == ["service"])
        #expect(try WiringGenerator(description: echo, target: .hvt).tapNetworks() == ["service"])
        let hello = try UnikernelProject(directory: repository.root + "/Examples/hello", repository: repository).loadDescription()
        #expect(try WiringGenerator(description: hello, target: .hvt).tapNetworks() == [])
    }

    @Test("the hvt build package compiles the unikernel in Embedded Swift")
    func hvtPackage() throws {
        let description = try UnikernelProject(directory: repository.root + "/Examples/hello", repository: repository).loadDescription()
        let package = WiringGenerator(description: description, target: .hvt).packageSwift(repositoryPath: "../../..", repositoryIdentity: "main")
        #expect(package.contains(#".product(name: "MirageHVTGuest", package: "main")"#))
        #expect(package.contains(#".enableExperimentalFeature("Embedded")"#))
        #expect(package.contains(#".enableUpcomingFeature("NonisolatedNonsendingByDefault")"#))
    }

    @Test("the build package depends on the checkout by relative path and builds main.swift with the app")
    func packageSwift() throws {
        let description = try UnikernelProject(directory: repository.root + "/Examples/hello", repository: repository).loadDescription()
        let package = WiringGenerator(description: description, target: .unix).packageSwift(repositoryPath: "../../..", repositoryIdentity: "swift-mirage")
        #expect(package.contains(#"dependencies: [.package(path: "../../..")]"#))
        #expect(package.contains(#".product(name: "MirageUnix", package: "swift-mirage")"#))
        #expect(package.contains(#"sources: ["main.swift", "app"]"#))
        #expect(package.hasPrefix("// swift-tools-version: 6.1\n"))
        // As the libraries are built (Package.swift's runOnCallersExecutor): async closure types
        // are mangled by it, so the unikernel could not link against them otherwise.
        #expect(package.contains(#".enableUpcomingFeature("NonisolatedNonsendingByDefault")"#))
    }
}
