import Foundation
import MirageConfig
import MirageTool
import Testing

@Suite("Manifest evaluation and validation", .serialized)
struct ManifestTests {
    @Test("config.swift of the hello example evaluates to its description")
    func helloDescription() throws {
        let description = try UnikernelProject(directory: repository.root + "/Examples/hello", repository: repository).loadDescription()
        #expect(description.version == 1)
        #expect(description.name == "hello")
        #expect(description.main.typeName == "Hello")
        #expect(description.main.devices.isEmpty)
        #expect(description.main.keys == ["hello"])
        let key = try #require(description.keys.first)
        #expect(key.name == "hello" && key.stage == .boot && key.type == "String" && key.defaultValue == "hello")
        #expect(description.location.file.hasSuffix("Examples/hello/config.swift"))
        #expect(description.location.line == 7)
    }

    @Test("the block example names a block device with its image and size")
    func blockDescription() throws {
        let description = try UnikernelProject(directory: repository.root + "/Examples/block", repository: repository).loadDescription()
        #expect(description.main.signatures == ["BlockDevice"])
        #expect(description.devices == [
            DeviceDescription(
                id: "block:storage", kind: "block", signature: "BlockDevice", name: "storage",
                parameters: ["image": "disk.img", "size": "1048576"], dependencies: [],
                location: SourceLocation(file: repository.root + "/Examples/block/config.swift", line: 5)),
        ])
    }

    @Test("a device of the wrong type does not compile, and the error names config.swift's line")
    func wrongDeviceType() throws {
        let message = try #require(loadError(fixture("wrong-device-type")))
        #expect(message.contains("wrong-device-type/config.swift:5:"))
        #expect(message.contains("Device<Console>"))
        #expect(message.contains("Device<Block>"))
    }

    @Test("an invalid unikernel name is reported at the register call")
    func badName() throws {
        let message = try #require(loadError(fixture("bad-name")))
        #expect(message.hasSuffix("bad-name/config.swift:5: error: unikernel name 'Hello World' must start with a lowercase letter and hold only lowercase letters, digits and '-'"))
    }

    @Test("a key declared twice, and a key shadowing --help, are reported at their lines")
    func duplicateKey() throws {
        let message = try #require(loadError(fixture("duplicate-key")))
        let lines = message.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].hasSuffix("duplicate-key/config.swift:4: error: key 'greeting' is already declared at \(fixture("duplicate-key"))/config.swift:3"))
        #expect(lines[1].hasSuffix("duplicate-key/config.swift:5: error: key name 'help' is reserved for the runtime (--help, -l/--logs)"))
    }

    @Test("a manifest that never calls register says so")
    func noRegister() throws {
        let message = try #require(loadError(fixture("no-register")))
        #expect(message.hasSuffix("no-register/config.swift: error: the manifest does not call register(...) to describe its unikernel"))
    }

    @Test("a device the target cannot provide is a configure error at its line")
    func deviceNotOnTarget() throws {
        let project = UnikernelProject(directory: fixture("network-on-unix"), repository: repository)
        #expect(throws: ToolError("\(fixture("network-on-unix"))/config.swift:5: error: the network device 'service' is not available on target 'unix'")) {
            try project.configure(target: .unix)
        }
    }

    @Test("an unknown target is a usage error listing the targets")
    func unknownTarget() {
        #expect(throws: ToolError("unknown target 'xen' (available: unix, hvt)", exitCode: 64)) { try Target.named("xen") }
    }

    @Test("configure-time keys: unknown, boot-time and malformed values are refused")
    func configureValues() throws {
        let description = try UnikernelProject(directory: fixture("keys"), repository: repository).loadDescription()
        #expect(try UnikernelProject.parseConfigureValues(["--count=7"], for: description) == ["count": "7"])
        #expect(try UnikernelProject.parseConfigureValues(["--count", "9"], for: description) == ["count": "9"])
        #expect(throws: ToolError("unknown configure-time key '--size' (known: --count)", exitCode: 64)) {
            try UnikernelProject.parseConfigureValues(["--size=3"], for: description)
        }
        #expect(throws: ToolError("'--greeting' is a boot-time key: give it when the unikernel starts (swift-mirage run -- --greeting=hi)", exitCode: 64)) {
            try UnikernelProject.parseConfigureValues(["--greeting=hi"], for: description)
        }
        #expect(throws: ToolError("key 'count' needs an integer, not 'many'", exitCode: 64)) {
            try WiringGenerator(description: description, target: .unix, configureValues: ["count": "many"]).mainSwift()
        }
    }
}

@Suite("Validation rules")
struct ValidationTests {
    static let location = SourceLocation(file: "config.swift", line: 1)

    func description(name: String = "ok", typeName: String = "App", devices: [DeviceDescription] = [], keys: [KeyDescription] = []) -> UnikernelDescription {
        UnikernelDescription(
            name: name,
            main: MainDescription(typeName: typeName, signatures: [], devices: [], keys: [], location: Self.location),
            devices: devices, keys: keys, location: Self.location)
    }

    @Test("a valid description has no diagnostics")
    func valid() {
        #expect(ManifestValidator.diagnose(description()).isEmpty)
    }

    @Test("names are checked", arguments: [
        ("Hello", "unikernel name 'Hello' must start with a lowercase letter and hold only lowercase letters, digits and '-'"),
        ("9lives", "unikernel name '9lives' must start with a lowercase letter and hold only lowercase letters, digits and '-'"),
        ("", "unikernel name '' must start with a lowercase letter and hold only lowercase letters, digits and '-'"),
    ])
    func unikernelNames(name: String, message: String) {
        #expect(ManifestValidator.diagnose(description(name: name)).map(\.message) == [message])
    }

    @Test("every device and key the description names must be declared (found by fuzzing: the wiring generator trapped)")
    func undeclaredReferences() {
        var broken = description(devices: [DeviceDescription(id: "net", kind: "network", signature: "NetworkDevice", name: "service",
                                                             parameters: [:], dependencies: ["phantom"], location: Self.location)])
        broken.main.devices = ["stack"]
        broken.main.keys = ["port"]
        #expect(ManifestValidator.diagnose(broken).map(\.message) == [
            "the unikernel uses device 'stack', which is not declared",
            "the unikernel uses key 'port', which is not declared",
            "device 'service' depends on device 'phantom', which is not declared",
        ])
    }

    @Test("the main type must be a Swift type name")
    func typeName() {
        #expect(ManifestValidator.diagnose(description(typeName: "Not a type")).map(\.message) == ["'Not a type' is not a Swift type name"])
    }

    @Test("two different devices with one name conflict")
    func conflictingDevices() {
        let first = DeviceDescription(id: "block:disk", kind: "block", signature: "BlockDevice", name: "disk", parameters: ["size": "1"], dependencies: [], location: SourceLocation(file: "config.swift", line: 3))
        var second = first
        second.parameters = ["size": "2"]
        second.location.line = 4
        #expect(ManifestValidator.diagnose(description(devices: [first, second])).map(\.description) == [
            "config.swift:4: error: a different block device named 'disk' is already declared at config.swift:3",
        ])
    }

    @Test("a device of a kind the tool does not know, or with another signature than its kind's, is reported at its line")
    func deviceKinds() {
        let unknown = DeviceDescription(id: "floppy:a", kind: "floppy", signature: "BlockDevice", name: "a", parameters: [:], dependencies: [], location: SourceLocation(file: "config.swift", line: 3))
        let mistyped = DeviceDescription(id: "block:disk", kind: "block", signature: "Console", name: "disk", parameters: [:], dependencies: [], location: SourceLocation(file: "config.swift", line: 4))
        #expect(ManifestValidator.diagnose(description(devices: [unknown, mistyped])).map(\.description) == [
            "config.swift:3: error: unknown device kind 'floppy' for device 'a' (known: block, crunch, kv, console, entropy, monotonic-clock, wall-clock, network, stack, tls, tls-client, resolver, kv-rw); is MirageConfig newer than the tool?",
            "config.swift:4: error: the block device 'disk' has the signature Console, but block devices are BlockDevice",
        ])
    }

    @Test("a description from a newer MirageConfig is refused")
    func version() {
        var newer = description()
        newer.version = 2
        #expect(ManifestValidator.diagnose(newer).map(\.message) == ["the manifest's description is version 2, this tool reads version 1"])
    }
}
