import ArgumentParser
import Foundation
import MirageConfig
import MirageTool

@main
struct SwiftMirage: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "swift-mirage",
        abstract: "Build unikernels: Swift network services compiled with only the OS they use.",
        discussion: """
            A unikernel is a folder holding config.swift (the manifest: the application type and \
            the devices it needs) and the application's Swift files. The everyday loop:

              cd Examples/hello
              swift-mirage configure -t unix
              swift-mirage build
              ./dist/hello
            """,
        subcommands: [Configure.self, Build.self, Run.self, Package.self, Describe.self, Clean.self])

    /// Parses the command line and runs the subcommand. `--create-tap` may come without a value
    /// (`--create-tap[=HOSTADDR/PREFIX]`), which ArgumentParser cannot express: a bare one before
    /// any `--`, not followed by an address, gets the default address.
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        if let bare = arguments.prefix(while: { $0 != "--" }).firstIndex(of: "--create-tap"),
           !(bare + 1 < arguments.count && HostTap.isPrefix(arguments[bare + 1])) {
            arguments[bare] = "--create-tap=" + HostTap.defaultHostAddress
        }
        main(arguments)
    }
}

/// The options every subcommand shares: which unikernel.
struct UnikernelOptions: ParsableArguments {
    @Argument(help: "The unikernel's folder, holding config.swift.", completion: .directory)
    var directory: String = "."

    init() {}

    init(directory: String) { self.directory = directory }

    func project() throws -> UnikernelProject {
        UnikernelProject(directory: directory, repository: try report { () throws(ToolError) in try Repository.locate() })
    }
}

/// Prints a tool error as the user should see it and exits with its status.
func report<Result>(_ body: () throws(ToolError) -> Result) throws -> Result {
    do {
        return try body()
    } catch {
        FileHandle.standardError.write(Data((error.message.hasSuffix("\n") ? error.message : error.message + "\n").utf8))
        throw ExitCode(error.exitCode)
    }
}

func progress(_ message: String) {
    FileHandle.standardError.write(Data("swift-mirage: \(message)\n".utf8))
}

struct Configure: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate the wiring for a target: mirage/main.swift and its build package.",
        discussion: """
            Configure-time keys of the manifest follow the folder as --NAME=VALUE or --NAME VALUE:
              swift-mirage configure -t unix Examples/hello --count=8
            """)

    @Option(name: .shortAndLong, help: "The target: unix (a Linux process) or hvt (a KVM guest under mirage-hvt).")
    var target: String = "unix"

    @Option(help: "The TCP/IP stack: socket (the host's, unix only; the default there) or direct (ours, over a tap device).")
    var net: String?

    @Argument(parsing: .allUnrecognized, help: ArgumentHelp(
        "The unikernel's folder (default: the current one), then configure-time keys.",
        valueName: "directory-then-keys"))
    var arguments: [String] = []

    func run() throws {
        var keys = arguments
        let directory = keys.first.map { $0.hasPrefix("-") ? "." : keys.removeFirst() } ?? "."
        let project = try UnikernelOptions(directory: directory).project()
        let target = try report { () throws(ToolError) in try Target.named(self.target) }
        let network = try net.map { name in try report { () throws(ToolError) in try NetworkMode.named(name) } }
        let description = try report { () throws(ToolError) in
            try project.configure(target: target, network: network, configureArguments: keys)
        }
        progress("configured \(description.name) for target \(target.rawValue) in \(project.relative(project.wiringDirectory))")
    }
}

struct Build: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build the configured unikernel into dist/<name>.")

    @OptionGroup var unikernel: UnikernelOptions

    @Flag(help: "Build without optimisation (faster to compile, slower to run).")
    var debug = false

    func run() throws {
        let project = try unikernel.project()
        _ = try report { () throws(ToolError) in try project.build(release: !debug, log: progress) }
    }
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Configure and build when needed, then start the unikernel with its boot arguments.",
        discussion: """
            Boot arguments follow --, as in: swift-mirage run Examples/hello -- --hello=bonjour
            Configure-time keys come before it: swift-mirage run Examples/static-website --tls=true -- --tls-port=8443
            With our stack (--net=direct, or -t hvt), --create-tap makes the tap device for the run:
              swift-mirage run -t hvt Examples/echo --create-tap -- --ipv4=10.0.0.2/24
            """)

    @Option(name: .shortAndLong, help: "The target; by default the configured one, or unix.")
    var target: String?

    @Option(help: "The TCP/IP stack: socket or direct; by default the configured one.")
    var net: String?

    @Flag(help: "Build without optimisation.")
    var debug = false

    @Option(name: .customLong("create-tap"), help: ArgumentHelp(
        "Create the tap device for the run (--net:NAME=TAP, default tap0) with the host at this address (\(HostTap.defaultHostAddress) when --create-tap has no value), set it up, and delete it when the unikernel ends. For --net=direct and -t hvt; needs root or CAP_NET_ADMIN.",
        valueName: "hostaddr/prefix"))
    var createTap: String?

    @OptionGroup var unikernel: UnikernelOptions

    @Argument(parsing: .captureForPassthrough, help: ArgumentHelp(
        "Configure-time keys (--NAME=VALUE; the unikernel is configured again when they change), then -- and the unikernel's boot arguments.",
        valueName: "keys-then-boot-arguments"))
    var trailing: [String] = []

    /// The configure-time keys: what comes before `--`.
    var configureKeys: [String] { Array(trailing.prefix { $0 != "--" }) }
    /// The boot arguments: what follows `--`.
    var bootArguments: [String] { trailing.firstIndex(of: "--").map { Array(trailing[(trailing.index(after: $0))...]) } ?? [] }

    func run() throws {
        // Once the folder is read, ArgumentParser hands over everything after it: the tool's own
        // options given there (`Examples/echo --create-tap -- ...`) are picked out here.
        var keys: [String] = [], target = self.target, net = self.net, createTap = self.createTap, debug = self.debug
        var index = 0
        let given = configureKeys
        while index < given.count {
            let argument = given[index]
            let value = { (name: String) -> String? in
                if argument.hasPrefix(name + "=") { return String(argument.dropFirst(name.count + 1)) }
                if argument == name, index + 1 < given.count { index += 1; return given[index] }
                return nil
            }
            if let chosen = value("--target") ?? value("-t") {
                target = chosen
            } else if let chosen = value("--net") {
                net = chosen
            } else if let chosen = value("--create-tap") {
                createTap = chosen
            } else if argument == "--debug" {
                debug = true
            } else {
                keys.append(argument)
            }
            index += 1
        }
        let project = try unikernel.project()
        let chosenTarget = try target.map { name in try report { () throws(ToolError) in try Target.named(name) } }
        let network = try net.map { name in try report { () throws(ToolError) in try NetworkMode.named(name) } }
        try report { () throws(ToolError) in
            try project.run(target: chosenTarget, network: network, configureArguments: keys, bootArguments: bootArguments,
                            release: !debug, createTap: createTap, log: progress)
        }
    }
}

struct Package: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build the configured unikernel and package it as an OCI image (a layout directory and a tar for 'ctr image import').",
        discussion: """
            For hvt the image holds the static mirage-hvt tender, the guest image, the block devices' default
            files and /unikernel/mirage.json, which says how to start it; the same files give the same digest.
              swift-mirage configure -t hvt Examples/hello && swift-mirage package Examples/hello
              ctr image import Examples/hello/dist/hello.oci.tar
              ctr run --rm --device /dev/kvm localhost/hello:latest hello
            """)

    @Option(help: "The image's full name (default localhost/<name>:latest).")
    var name: String?

    @Option(help: "The layout directory to write (default dist/<name>.oci); the tar goes beside it, with .tar added.")
    var output: String?

    @Option(help: "The mirage-hvt to put in the image (default the one beside this tool); it must be linked statically.")
    var tender: String?

    @Option(help: "The guest's memory in MiB (default the tender's).")
    var mem: Int?

    @OptionGroup var unikernel: UnikernelOptions

    @Argument(parsing: .postTerminator, help: "Boot arguments every start gets (after --).")
    var bootArguments: [String] = []

    func run() throws {
        let project = try unikernel.project()
        let packaged = try report { () throws(ToolError) in
            try project.package(reference: name, output: output, tender: tender, memoryMiB: mem, bootArguments: bootArguments, log: progress)
        }
        print(packaged.digest)
    }
}

struct Describe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the unikernel's device graph: each device's signature and what implements it on the target.")

    @Option(name: .shortAndLong, help: "The target; by default the configured one (with its --net, --kv and keys), or unix.")
    var target: String?

    @Flag(help: "Print the graph in Graphviz's dot language.")
    var dot = false

    @OptionGroup var unikernel: UnikernelOptions

    func run() throws {
        let project = try unikernel.project()
        let target = try self.target.map { name in try report { () throws(ToolError) in try Target.named(name) } }
        let graph = try report { () throws(ToolError) in try project.describe(target: target, dot: dot) }
        print(graph, terminator: "")
    }
}

struct Clean: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Remove what configure and build made (mirage/ and dist/).")

    @OptionGroup var unikernel: UnikernelOptions

    func run() throws {
        let project = try unikernel.project()
        for path in try report({ () throws(ToolError) in try project.clean() }) {
            progress("removed \(project.relative(path))")
        }
    }
}
