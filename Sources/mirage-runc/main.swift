// mirage-runc: a runc-compatible OCI runtime for containerd's runc shim (`BinaryName`, or
// `ctr run --runc-binary`). For a bundle of a packaged hvt unikernel (`swift-mirage package`) it
// makes the container start the tender: `create` gives it /dev/kvm (and /dev/net/tun), a tap in
// the pod's network namespace joined to the pod's interface, the pod's address as boot
// arguments, and volumes under /unikernel/block/ as block devices; `delete` removes the tap.
// Then, as for every other bundle and command, runc does the rest (cgroups, namespaces, PIDs,
// signals, logs) with the same arguments.
//
// The shim runs it for every command of every container, so it is a static Embedded Swift
// executable, as the tender is: its module takes MirageOCI's and MirageHostSystem's files (and
// MirageCore's addresses) through the symbolic links in its folder.
#if canImport(Glibc)
import Glibc
#endif
import CLinux
#if !hasFeature(Embedded)
import MirageHostSystem
import MirageOCI
#endif

/// runc's global options that take a value (`runc --help`).
let globalOptionsWithValue: Set<String> = ["--root", "--log", "--log-format", "--criu", "--rootless"]

/// Where runc is: `MIRAGE_RUNC_RUNC`, else Debian's.
let runc = getenv("MIRAGE_RUNC_RUNC").map { String(cString: $0) } ?? "/usr/sbin/runc"

let arguments = ProgramArguments.all

/// The value of `option` (`--bundle B`, `--bundle=B`, or `short`) after index `start`.
func value(of option: String, short: String? = nil, from start: Int) -> String? {
    var index = start
    while index < arguments.count {
        let argument = arguments[index]
        if argument == option || argument == short, index + 1 < arguments.count { return arguments[index + 1] }
        if argument.hasPrefix(option + "=") { return String(argument.dropFirst(option.count + 1)) }
        index += 1
    }
    return nil
}

/// The subcommand's index: the first argument that is neither a global option nor its value.
func subcommandIndex() -> Int? {
    var index = 1
    while index < arguments.count {
        let argument = arguments[index]
        if globalOptionsWithValue.contains(argument) {
            index += 2
        } else if argument.hasPrefix("-") {
            index += 1
        } else {
            return index
        }
    }
    return nil
}

/// Now, as RFC 3339 UTC (runc's log lines carry it).
func timestamp() -> String {
    var now = time(nil)
    var parts = tm()
    gmtime_r(&now, &parts)
    var text = [CChar](repeating: 0, count: 32)
    strftime(&text, text.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
    return String(cString: text)
}

/// Says what went wrong on standard error and in runc's log (JSON lines, which the shim reads
/// back into the error containerd reports), and exits 1.
func fail(_ message: String) -> Never {
    fputs("mirage-runc: \(message)\n", stderr)
    if let log = value(of: "--log", from: 1) {
        let line = JSONValue.object([("level", .string("error")), ("msg", .string("mirage-runc: " + message)), ("time", .string(timestamp()))])
        HostFile.append(line.serialized + [UInt8(ascii: "\n")], to: log)
    }
    exit(1)
}

/// Hands over to runc with the same arguments.
func execRunc() -> Never {
    let argv = ["runc"] + arguments.dropFirst()
    var cArguments = argv.map { strdup($0) } + [nil]
    execv(runc, &cArguments)
    fail("cannot run \(runc): \(String(cString: strerror(errno)))")
}

/// Where the tap made for container `id` is noted, for `delete`: beside runc's own state.
func statePath(_ id: String) -> String {
    (value(of: "--root", from: 1) ?? "/run/runc") + "/mirage-\(id).json"
}

func create(at index: Int) throws(RuntimeError) {
    let bundlePath = value(of: "--bundle", short: "-b", from: index) ?? "."
    guard var bundle = try UnikernelBundle.open(bundlePath) else { return }
    guard let kvm = UnikernelBundle.Device.host("/dev/kvm") else {
        throw RuntimeError("\(bundle.metadata.name) is an hvt unikernel and this host has no /dev/kvm: it cannot run here")
    }
    let volumes = try bundle.blockVolumes()
    var devices = [kvm]
    var taps: [String: String] = [:]
    var network: PodNetwork?
    if let name = bundle.metadata.networks.first {
        guard bundle.metadata.networks.count == 1 else {
            throw RuntimeError("\(bundle.metadata.name) has \(bundle.metadata.networks.count) network devices; a pod gives one interface")
        }
        guard let tun = UnikernelBundle.Device.host("/dev/net/tun") else { throw RuntimeError("this host has no /dev/net/tun for the unikernel's tap") }
        guard let namespace = bundle.networkNamespacePath else {
            throw RuntimeError("\(bundle.metadata.name) has a network device, and its container is given no existing network namespace to join (a pod's, from CNI)")
        }
        devices.append(tun)
        let attached = try PodNetwork.attach(tap: "tap0", namespace: namespace)
        taps[name] = attached.tap
        network = attached
        try? HostFile.write(attached.json.serialized, to: statePath(arguments.last ?? ""))
    }
    do throws(RuntimeError) {
        try bundle.rewriteProcess(taps: taps, volumes: volumes.files, network: network?.bootArguments ?? [])
        bundle.add(devices, mounted: volumes.mountedDevices)
        try HostFile.write(bundle.encoded, to: bundlePath + "/config.json")
    } catch {
        network?.detach()
        throw error
    }
}

func delete() {
    let path = statePath(arguments.last ?? "")
    guard let bytes = try? HostFile.read(path), let json = try? JSONValue(parsing: bytes), let network = PodNetwork(json: json) else { return }
    network.detach()
    HostFile.remove(path)
}

if let index = subcommandIndex() {
    switch arguments[index] {
    case "create", "run":
        do { try create(at: index) } catch { fail(error.description) }
    case "delete":
        delete()
    default:
        break
    }
}
execRunc()
