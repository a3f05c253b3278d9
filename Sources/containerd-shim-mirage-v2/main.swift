// containerd-shim-mirage-v2: a containerd shim (runtime type `io.containerd.mirage.v2`) that runs
// packaged hvt unikernels itself, one process for all of a containerd namespace's unikernel
// pods: no runc, no Go shim and no pause process per pod. containerd starts it with `start`
// (it answers with the address of the one shim server, starting it when none runs) and, after a
// shim died, `delete`; the server (`serve`) answers containerd's Task API over ttrpc, starts
// each unikernel's tender in its pod's network namespace with a tap joined to the pod's
// interface, and reports exits.
#if canImport(Glibc)
import Glibc
#endif
import CLinux
#if !hasFeature(Embedded)  // the shim's Embedded build compiles these modules' files in
import MirageOCI
#endif

/// containerd's flags for a shim (Go's flag package: `-name value`, `-name=value`, `--name`).
struct ShimFlags {
    var namespace = "default"
    var address = ""
    var publishBinary = "containerd"
    var id = ""
    var bundle = ""
    var command = ""

    init(_ arguments: [String]) {
        var index = 1
        while index < arguments.count {
            var argument = arguments[index]
            index += 1
            guard argument.hasPrefix("-") else { command = argument; continue }
            while argument.hasPrefix("-") { argument.removeFirst() }
            var value: String?
            if let equals = argument.firstIndex(of: "=") {
                value = String(argument[argument.index(after: equals)...])
                argument = String(argument[..<equals])
            }
            guard argument != "debug", argument != "v" else { continue } // flags without a value
            if value == nil, index < arguments.count {
                value = arguments[index]
                index += 1
            }
            switch argument {
            case "namespace": namespace = value ?? namespace
            case "address": address = value ?? ""
            case "publish-binary": publishBinary = value ?? publishBinary
            case "id": id = value ?? ""
            case "bundle": bundle = value ?? ""
            default: break
            }
        }
    }
}

func fail(_ message: String) -> Never {
    fputs("containerd-shim-mirage-v2: \(message)\n", stderr)
    exit(1)
}

let flags = ShimFlags(ProgramArguments.all)
switch flags.command {
case "start":
    do { print(try ShimSocket.start(flags), terminator: "") } catch { fail(error.description) }
case "serve":
    ShimServer(flags: flags, listener: 3).run()
case "delete":
    // The shim of this task died: what it left (a tap, the root file system's mount) goes, and
    // containerd gets a `DeleteResponse` on standard output.
    TenderCleanup.afterDeadShim(bundle: flags.bundle.isEmpty ? String(cString: getcwd(nil, 0)) : flags.bundle)
    let response = TaskMessages.deleted(pid: 0, exitStatus: 128 + UInt32(SIGKILL), exitedAt: ShimClock.now())
    _ = response.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
case "--version", "version":
    print("containerd-shim-mirage-v2 (swift-mirage)")
default:
    fail("usage: containerd-shim-mirage-v2 -namespace NS -address ADDRESS -publish-binary BINARY -id ID start|delete")
}
