#if canImport(Glibc)
import Glibc
#endif
import CLinux
#if !hasFeature(Embedded)  // the shim's Embedded build compiles these modules' files in
import MirageOCI
#endif

/// The cgroup a unikernel's tender runs in, as runc would make it for the container: the
/// bundle's `linux.cgroupsPath` (cgroupfs style, from the hierarchy's root) in the memory, CPU
/// and PIDs hierarchies of cgroup v1, or in the unified hierarchy of v2, with the container's
/// memory, CPU and PID limits (`linux.resources`). The tender is born in it: the server joins
/// the cgroup for the moment of the spawn (it has one thread), so the guest's memory is charged
/// to the pod from its first page.
struct PodCgroup {
    /// The directories made for the task, one per hierarchy.
    let directories: [String]

    /// cgroup v1's hierarchies the tender joins (the others need settings runc's default leaves
    /// empty, as cpuset's, or do nothing for a process without devices of its own).
    static let controllers = ["memory", "cpu", "cpuacct", "pids"]
    static let root = "/sys/fs/cgroup"

    static let isUnified = access(root + "/cgroup.controllers", F_OK) == 0

    /// Makes the cgroup for `configuration` (nil when it names none) and writes its limits.
    static func make(for configuration: JSONValue) throws(RuntimeError) -> PodCgroup? {
        guard let path = configuration["linux"]?["cgroupsPath"]?.stringValue, !path.isEmpty else { return nil }
        guard !path.includes(":"), !path.includes("..") else {
            throw RuntimeError("the cgroup path \(path) is not supported: containerd-shim-mirage-v2 takes cgroupfs paths (SystemdCgroup = false)")
        }
        let relative = path.hasPrefix("/") ? path : "/" + path
        let hierarchies = isUnified ? [root] : controllers.map { root + "/" + $0 }.filter { access($0, F_OK) == 0 }
        var made: [String] = []
        for hierarchy in hierarchies {
            var directory = hierarchy
            for component in relative.split(separator: "/") {
                directory += "/" + component
                if mkdir(directory, 0o755) != 0, errno != EEXIST {
                    throw RuntimeError("cannot make the cgroup \(directory): \(String(cString: strerror(errno)))")
                }
            }
            made.append(directory)
        }
        let cgroup = PodCgroup(directories: made)
        try cgroup.limit(configuration["linux"]?["resources"])
        return cgroup
    }

    /// Writes the container's limits: memory, CPU quota and shares, PIDs.
    func limit(_ resources: JSONValue?) throws(RuntimeError) {
        guard let resources else { return }
        let memory = resources["memory"]?["limit"]?.intValue
        let quota = resources["cpu"]?["quota"]?.intValue, period = resources["cpu"]?["period"]?.intValue
        let shares = resources["cpu"]?["shares"]?.intValue
        let pids = resources["pids"]?["limit"]?.intValue
        for directory in directories {
            if Self.isUnified {
                if let memory, memory > 0 { try write("\(memory)", to: directory + "/memory.max") }
                if let quota, quota > 0 { try write("\(quota) \(period ?? 100_000)", to: directory + "/cpu.max") }
                if let shares, shares >= 2 { try write("\(1 + (shares - 2) * 9999 / 262_142)", to: directory + "/cpu.weight") }
                if let pids, pids > 0 { try write("\(pids)", to: directory + "/pids.max") }
            } else if directory.hasPrefix(Self.root + "/memory/") {
                if let memory, memory > 0 { try write("\(memory)", to: directory + "/memory.limit_in_bytes") }
            } else if directory.hasPrefix(Self.root + "/cpu/") {
                if let period, period > 0 { try write("\(period)", to: directory + "/cpu.cfs_period_us") }
                if let quota, quota > 0 { try write("\(quota)", to: directory + "/cpu.cfs_quota_us") }
                if let shares, shares >= 2 { try write("\(shares)", to: directory + "/cpu.shares") }
            } else if directory.hasPrefix(Self.root + "/pids/") {
                if let pids, pids > 0 { try write("\(pids)", to: directory + "/pids.max") }
            }
        }
    }

    func write(_ value: String, to path: String) throws(RuntimeError) {
        do { try HostFile.write(Array(value.utf8), to: path) } catch { throw RuntimeError("cannot set \(path) to \(value): \(error)") }
    }

    /// Runs `body` (a spawn) with the server in this cgroup, then moves it back to where it was.
    func within<Result>(_ body: () throws(RuntimeError) -> Result) throws(RuntimeError) -> Result {
        let original = Self.ownCgroups()
        let pid = Array("\(getpid())".utf8)
        defer {
            for directory in directories {
                let hierarchy = Self.hierarchy(of: directory)
                try? HostFile.write(pid, to: hierarchy + (original[hierarchy] ?? "/") + "/cgroup.procs")
            }
        }
        for directory in directories {
            try write("\(getpid())", to: directory + "/cgroup.procs")
        }
        return try body()
    }

    /// The hierarchy's mount point a directory of ours is under.
    static func hierarchy(of directory: String) -> String {
        if isUnified { return root }
        let rest = directory.dropFirst(root.count + 1)
        return root + "/" + (rest.split(separator: "/").first.map(String.init) ?? "")
    }

    /// Where this process is in each hierarchy (`/proc/self/cgroup`), by mount point.
    static func ownCgroups() -> [String: String] {
        guard let bytes = try? HostFile.read("/proc/self/cgroup") else { return [:] }
        var result: [String: String] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3 else { continue }
            if isUnified, fields[0] == "0" { result[root] = String(fields[2]) }
            for controller in fields[1].split(separator: ",") where controllers.contains(String(controller)) {
                result[root + "/" + controller] = String(fields[2])
            }
        }
        return result
    }

    /// Memory in use and CPU time used so far (nanoseconds), for `Stats`.
    func usage() -> (memory: UInt64, cpuNanoseconds: UInt64, pids: UInt64) {
        func number(_ path: String) -> UInt64 {
            guard let bytes = try? HostFile.read(path) else { return 0 }
            return UInt64(String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == " " }).first ?? "") ?? 0
        }
        var memory: UInt64 = 0, cpu: UInt64 = 0, pids: UInt64 = 0
        for directory in directories {
            if Self.isUnified {
                memory = number(directory + "/memory.current")
                pids = number(directory + "/pids.current")
                if let bytes = try? HostFile.read(directory + "/cpu.stat"),
                   let line = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first(where: { $0.hasPrefix("usage_usec ") }) {
                    cpu = (UInt64(line.dropFirst("usage_usec ".count)) ?? 0) * 1000
                }
            } else if directory.hasPrefix(Self.root + "/memory/") {
                memory = number(directory + "/memory.usage_in_bytes")
            } else if directory.hasPrefix(Self.root + "/cpuacct/") {
                cpu = number(directory + "/cpuacct.usage")
            } else if directory.hasPrefix(Self.root + "/pids/") {
                pids = number(directory + "/pids.current")
            }
        }
        return (memory, cpu, pids)
    }

    /// Removes the directories (the tender has exited); a cgroup still in use stays.
    func remove() {
        for directory in directories { rmdir(directory) }
    }
}
