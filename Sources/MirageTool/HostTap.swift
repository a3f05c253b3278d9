import Foundation
import MirageHostSystem

/// A tap interface `swift-mirage run --create-tap` makes for one run: created with an address for
/// the host's side and set up before the unikernel starts, deleted once it has ended.
///
/// The commands are iproute2's (`ip tuntap add dev TAP mode tap`, `ip addr add`, `ip link set up`,
/// `ip link delete`), run in the tool's own network namespace; they need root or CAP_NET_ADMIN.
public struct HostTap: Equatable {
    /// The interface's name.
    public var name: String
    /// The host's address on it, with the prefix length of the network: `10.0.0.1/24`.
    public var hostAddress: String

    /// The address the host takes when `--create-tap` names none; the stacks default to
    /// 10.0.0.2/24 (`--ipv4`).
    public static let defaultHostAddress = "10.0.0.1/24"

    /// - Throws: a usage error for a name that is not an interface name or an address that is not
    ///   `A.B.C.D/PREFIX`.
    public init(name: String, hostAddress: String) throws(ToolError) {
        guard !name.isEmpty, name.utf8.count < 16, !name.contains(where: { $0 == "/" || $0 == "%" || $0.isWhitespace }) else {
            throw ToolError("'\(name)' is not a tap interface name (1 to 15 characters, no '/', '%' or spaces)", exitCode: 64)
        }
        guard Self.isPrefix(hostAddress) else {
            throw ToolError("--create-tap=\(hostAddress): give the host's address as A.B.C.D/PREFIX, such as \(Self.defaultHostAddress)", exitCode: 64)
        }
        self.name = name
        self.hostAddress = hostAddress
    }

    /// Whether `text` is an IPv4 address with a prefix length: four decimal bytes, `/`, 0 to 32.
    public static func isPrefix(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]), (0...32).contains(length), parts[1].allSatisfy(\.isASCII) else { return false }
        let bytes = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        return bytes.count == 4 && bytes.allSatisfy { byte in
            !byte.isEmpty && byte.count <= 3 && byte.allSatisfy { $0.isASCII && $0.isNumber } && Int(byte)! <= 255
        }
    }

    /// The `ip` program: iproute2's, in /usr/sbin (which a user's PATH may lack), else on PATH.
    static var ip: String {
        FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") ? "/usr/sbin/ip" : "ip"
    }

    /// Whether an interface of this name exists in the tool's network namespace.
    var exists: Bool { if_nametoindex(name) != 0 }

    /// Creates the interface, gives the host its address and sets the link up.
    /// - Throws: when the interface exists already (it is not the tool's to delete afterwards),
    ///   or when `ip` fails, with its message; nothing is left behind then.
    public func create() throws(ToolError) {
        guard !exists else {
            throw ToolError("--create-tap: the interface \(name) exists already: run without --create-tap to use it, or name another tap with --net:NAME=TAP")
        }
        let steps = [
            ["tuntap", "add", "dev", name, "mode", "tap"],
            ["addr", "add", hostAddress, "dev", name],
            ["link", "set", name, "up"],
        ]
        for (number, step) in steps.enumerated() {
            let result = try Shell.capture([Self.ip] + step)
            guard result.status == 0 else {
                if number > 0 { delete() }
                let reason = result.errorOutput.trimmingCharacters(in: .whitespacesAndNewlines)
                let hint = reason.contains("Operation not permitted") ? " (creating a tap device needs root or CAP_NET_ADMIN)" : ""
                throw ToolError("--create-tap: cannot create tap device \(name): ip \(step.joined(separator: " ")): \(reason)\(hint)")
            }
        }
    }

    /// Deletes the interface; a failure is ignored (it may be gone already).
    public func delete() {
        _ = try? Shell.capture([Self.ip, "link", "delete", name])
    }
}

/// Runs a program as a child of the tool, for a run that must clean up after it: SIGINT, SIGTERM
/// and SIGHUP to the tool go on to the child instead of ending the tool.
enum ChildProcess {
    /// The signal the tool received last, for the wait loop; set by the handler.
    nonisolated(unsafe) static var receivedSignal: Int32 = 0

    /// Starts `arguments` (`arguments[0]` a path), waits for it and returns its exit status, or
    /// 128 + the signal that killed it, as a shell reports it.
    static func run(_ arguments: [String]) throws(ToolError) -> Int32 {
        receivedSignal = 0
        let forwarded = [SIGINT, SIGTERM, SIGHUP]
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in forwarded { sigaddset(&signals, signal) }
        var previous: [sigaction] = []
        for signal in forwarded {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { ChildProcess.receivedSignal = $0 }
            sigemptyset(&action.sa_mask)
            var old = sigaction()
            sigaction(signal, &action, &old)
            previous.append(old)
        }
        // The tool may have inherited these signals blocked (a test runner's threads block most),
        // and would then never see them: unblock them here while the child runs.
        var previousMask = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &signals, &previousMask)
        defer {
            pthread_sigmask(SIG_SETMASK, &previousMask, nil)
            for (signal, old) in zip(forwarded, previous) {
                var restored = old
                sigaction(signal, &restored, nil)
            }
        }
        // The child starts with the forwarded signals unblocked and at their default actions,
        // and inherits the tool's standard streams and environment.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var childMask = previousMask
        for signal in forwarded { sigdelset(&childMask, signal) }
        posix_spawnattr_setsigmask(&attributes, &childMask)
        posix_spawnattr_setsigdefault(&attributes, &signals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var pid: pid_t = 0
        var cArguments = arguments.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        let spawned = posix_spawn(&pid, arguments[0], nil, &attributes, &cArguments, environ)
        guard spawned == 0 else {
            throw ToolError("cannot start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        while true {
            let signal = receivedSignal
            if signal != 0 {
                receivedSignal = 0
                kill(pid, signal)
            }
            if let status = try Shell.wait(for: pid, arguments[0], blocking: false) { return status }
            usleep(20_000)
        }
    }
}
