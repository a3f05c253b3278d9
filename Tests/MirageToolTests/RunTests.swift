import Foundation
@testable import MirageTool
import Testing

/// What `swift-mirage run` starts: the tender's command line for hvt, and the tap interface
/// `--create-tap` makes.
@Suite("run: the tender's command line and --create-tap", .serialized)
struct RunTests {
    static let echo = UnikernelProject(directory: repository.root + "/Examples/echo", repository: repository)
    static let block = UnikernelProject(directory: repository.root + "/Examples/block", repository: repository)
    static let hello = UnikernelProject(directory: repository.root + "/Examples/hello", repository: repository)

    /// The tender's command line without the tender itself.
    func tenderArguments(_ project: UnikernelProject, _ bootArguments: [String]) throws -> [String] {
        Array(try project.tenderCommandLine(image: "dist/x.hvt", bootArguments: bootArguments, log: { _ in }).dropFirst())
    }

    @Test("each net device gets --net:NAME=tap0 unless the boot arguments name its tap")
    func netDevicesOnTheTenderCommandLine() throws {
        #expect(try tenderArguments(Self.echo, ["--ipv4=10.0.0.2/24"]) == ["--net:service=tap0", "--", "dist/x.hvt", "--ipv4=10.0.0.2/24"])
        #expect(try tenderArguments(Self.echo, ["--net:service=tap7", "--mem=64", "-l", "net:debug"])
            == ["--net:service=tap7", "--mem=64", "--", "dist/x.hvt", "-l", "net:debug"])
        #expect(try tenderArguments(Self.block, []) == ["--block:storage=disk.img", "--", "dist/x.hvt"])
        #expect(try tenderArguments(Self.hello, ["--hello=hi"]) == ["--", "dist/x.hvt", "--hello=hi"])
    }

    @Test("the tap of a network device: the last --net:NAME=TAP, else tap0")
    func tapName() {
        #expect(UnikernelProject.tapName(of: "service", in: []) == "tap0")
        #expect(UnikernelProject.tapName(of: "service", in: ["--net:service=tap3", "--net:other=tap4"]) == "tap3")
        #expect(UnikernelProject.tapName(of: "service", in: ["--net:service=tap3", "--net:service=tap5"]) == "tap5")
        #expect(UnikernelProject.tapName(of: "uplink", in: ["--net:service=tap3"]) == "tap0")
    }

    @Test("--create-tap makes the tap of the unikernel's one tap-backed device")
    func hostTapOfEcho() throws {
        #expect(try Self.echo.hostTap(address: "10.0.0.1/24", target: .hvt, network: nil, bootArguments: ["--net:service=tap2"])
            == HostTap(name: "tap2", hostAddress: "10.0.0.1/24"))
        #expect(try Self.echo.hostTap(address: "192.168.7.1/30", target: .unix, network: .direct, bootArguments: [])
            == HostTap(name: "tap0", hostAddress: "192.168.7.1/30"))
    }

    @Test("--create-tap for a unikernel without a tap is a usage error saying why")
    func hostTapRefused() throws {
        #expect(throws: ToolError("--create-tap: echo on unix needs no tap device: it uses the host's sockets (configure --net=direct for our stack over a tap device)", exitCode: 64)) {
            try Self.echo.hostTap(address: "10.0.0.1/24", target: .unix, network: .socket, bootArguments: [])
        }
        #expect(throws: ToolError("--create-tap: hello on hvt needs no tap device: it has no network device", exitCode: 64)) {
            try Self.hello.hostTap(address: "10.0.0.1/24", target: .hvt, network: nil, bootArguments: [])
        }
    }

    @Test("--create-tap checks the address and the interface name before touching the host", arguments: [
        ("tap0", "10.0.0.1", "--create-tap=10.0.0.1: give the host's address as A.B.C.D/PREFIX, such as 10.0.0.1/24"),
        ("tap0", "10.0.0.256/24", "--create-tap=10.0.0.256/24: give the host's address as A.B.C.D/PREFIX, such as 10.0.0.1/24"),
        ("tap0", "10.0.0.1/33", "--create-tap=10.0.0.1/33: give the host's address as A.B.C.D/PREFIX, such as 10.0.0.1/24"),
        ("tap0", "fe80::1/64", "--create-tap=fe80::1/64: give the host's address as A.B.C.D/PREFIX, such as 10.0.0.1/24"),
        ("tap%d", "10.0.0.1/24", "'tap%d' is not a tap interface name (1 to 15 characters, no '/', '%' or spaces)"),
        ("a-very-long-name", "10.0.0.1/24", "'a-very-long-name' is not a tap interface name (1 to 15 characters, no '/', '%' or spaces)"),
    ])
    func hostTapValidation(name: String, address: String, message: String) {
        #expect(throws: ToolError(message, exitCode: 64)) { try HostTap(name: name, hostAddress: address) }
    }

    @Test("addresses with a prefix length")
    func prefixes() {
        for good in ["10.0.0.1/24", "0.0.0.0/0", "255.255.255.255/32", "192.168.1.10/30"] { #expect(HostTap.isPrefix(good), "\(good)") }
        for bad in ["10.0.0.1", "10.0.0/24", "10.0.0.1.1/24", "10.0.0.1/", "/24", "1.2.3.4/-1", "a.b.c.d/8", "10.0.0.1/24/1", "1.2.3.+4/8"] {
            #expect(!HostTap.isPrefix(bad), "\(bad)")
        }
    }
}
