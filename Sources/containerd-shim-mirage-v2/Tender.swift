#if canImport(Glibc)
import Glibc
#endif
import CLinux
#if !hasFeature(Embedded)  // the shim's Embedded build compiles these modules' files in
import MirageHostSystem
import MirageOCI
#endif

/// What the shim holds for a unikernel task from `Create` to `Delete`: the tender's command line
/// (the host's tender, with the image's files from the container's root file system), the pod's
/// network namespace and the tap joined to it, the root file system it mounted, and the
/// descriptors of the task's standard output and error.
struct Tender {
    var arguments: [String]
    var namespace: String?
    var network: PodNetwork?
    var rootfs: String?
    var cgroup: PodCgroup?
    /// The container's memory limit in bytes (0: none), for `Stats`.
    var memoryLimit: UInt64 = 0
    var output: Int32 = -1
    var errors: Int32 = -1

    /// The CRI's annotations (`pkg/cri/annotations`): what a container is, and its pod's sandbox.
    static let containerTypeAnnotation = "io.kubernetes.cri.container-type"
    static let sandboxIDAnnotation = "io.kubernetes.cri.sandbox-id"

    /// The tender the shim starts: `MIRAGE_SHIM_TENDER`, else `mirage-hvt` beside the shim. Not the
    /// image's own copy: the shim runs it on the host, outside any container, so it runs only the
    /// host's trusted tender, which checks the guest's ABI.
    static func hostTender() -> String {
        if let given = getenv("MIRAGE_SHIM_TENDER") { return String(cString: given) }
        var path = ShimSocket.selfPath()
        while let last = path.last, last != "/" { path.removeLast() }
        return path + "mirage-hvt"
    }

    /// Reads the bundle of `request` and prepares its task: a sandbox (no process), or a
    /// unikernel, its root file system mounted and its tap made. Refuses a bundle that is neither.
    static func prepare(_ request: TaskMessages.Create, sandboxNamespace: (String) -> String??) throws(RuntimeError) -> (ShimTask.Kind, Tender?) {
        guard request.checkpoint.isEmpty else { throw RuntimeError("containerd-shim-mirage-v2 does not restore checkpoints") }
        guard let bytes = try HostFile.read(request.bundle + "/config.json") else {
            throw RuntimeError("the bundle \(request.bundle) has no config.json")
        }
        let configuration: JSONValue
        do { configuration = try JSONValue(parsing: bytes) } catch { throw RuntimeError("the bundle's config.json is not JSON: \(error)") }
        let annotations = configuration["annotations"]?.stringMembers ?? [:]
        let namespaces = configuration["linux"]?["namespaces"]?.arrayValue ?? []
        let specNamespace = namespaces.first { $0["type"]?.stringValue == "network" }?["path"]?.stringValue
        if annotations[containerTypeAnnotation] == "sandbox" {
            return (.sandbox(networkNamespace: specNamespace), nil)
        }
        let rootfs = request.bundle + "/rootfs"
        try mountRootFileSystem(request.rootfs, at: rootfs)
        var tender = Tender(arguments: [], rootfs: request.rootfs.isEmpty ? nil : rootfs)
        do throws(RuntimeError) {
            guard var bundle = try UnikernelBundle.open(request.bundle) else {
                throw RuntimeError("containerd-shim-mirage-v2 runs hvt unikernels packaged by swift-mirage package, and this image has no \(UnikernelImageMetadata.path) for hvt: run it with the runc runtime")
            }
            guard access("/dev/kvm", R_OK | W_OK) == 0 else {
                throw RuntimeError("\(bundle.metadata.name) is an hvt unikernel and this host has no usable /dev/kvm: it cannot run here")
            }
            let tenderPath = hostTender()
            guard access(tenderPath, X_OK) == 0 else { throw RuntimeError("the host's tender \(tenderPath) is missing (set MIRAGE_SHIM_TENDER)") }
            if configuration["linux"]?["devices"]?.arrayValue?.contains(where: { $0["path"]?.stringValue?.hasPrefix(UnikernelBundle.blockVolumeFolder) == true }) == true {
                throw RuntimeError("containerd-shim-mirage-v2 takes block volumes as files or devices mounted at \(UnikernelBundle.blockVolumeFolder)NAME, not as raw block devices")
            }
            let volumes = try bundle.blockVolumes()
            var sources: [String: String] = [:] // a volume's place in the container → its file on the host
            for mount in configuration["mounts"]?.arrayValue ?? [] {
                if let destination = mount["destination"]?.stringValue, let source = mount["source"]?.stringValue { sources[destination] = source }
            }
            // A pod's container joins its sandbox's namespace, which this shim holds (the spec
            // names the sandbox's process, which a unikernel pod does not have).
            var namespace = specNamespace
            if let sandbox = annotations[sandboxIDAnnotation], let held = sandboxNamespace(sandbox) { namespace = held }
            tender.namespace = namespace
            var taps: [String: String] = [:]
            if let name = bundle.metadata.networks.first {
                guard bundle.metadata.networks.count == 1 else {
                    throw RuntimeError("\(bundle.metadata.name) has \(bundle.metadata.networks.count) network devices; a pod gives one interface")
                }
                guard let namespace else {
                    throw RuntimeError("\(bundle.metadata.name) has a network device, and its container is given no existing network namespace to join (a pod's, from CNI)")
                }
                let attached = try PodNetwork.attach(tap: "tap0", namespace: namespace)
                tender.network = attached
                taps[name] = attached.tap
            }
            let volumeFiles = volumes.files
            try bundle.rewriteProcess(taps: taps, volumes: volumeFiles, network: tender.network?.bootArguments ?? [], tender: tenderPath) { path in
                sources[path] ?? rootfs + path
            }
            tender.arguments = bundle.configuration["process"]?["args"]?.stringArray ?? []
            tender.arguments.insert("--exit-with-parent", at: 1) // no guest outlives the server
            tender.cgroup = try PodCgroup.make(for: configuration)
            tender.memoryLimit = UInt64(max(0, configuration["linux"]?["resources"]?["memory"]?["limit"]?.intValue ?? 0))
            tender.output = try openOutput(request.stdout)
            tender.errors = request.stderr == request.stdout ? dup(tender.output) : try openOutput(request.stderr)
            return (.unikernel, tender)
        } catch {
            tender.release()
            throw error
        }
    }

    /// Mounts the snapshot containerd prepared (overlay, or a bind of one layer) at `target`, as
    /// the runc shim does; nothing when there is none (the bundle's own rootfs is used).
    static func mountRootFileSystem(_ mounts: [TaskMessages.Mount], at target: String) throws(RuntimeError) {
        guard !mounts.isEmpty else { return }
        guard mounts.count == 1, let mount = mounts.first else { throw RuntimeError("the task has \(mounts.count) root file system mounts; one is supported") }
        _ = mkdir(target, 0o711)
        var flags: UInt = 0
        var data: [String] = []
        for option in mount.options {
            switch option {
            case "ro": flags |= UInt(MS_RDONLY)
            case "rw": break
            case "bind": flags |= UInt(MS_BIND)
            case "rbind": flags |= UInt(MS_BIND | MS_REC)
            case "nosuid": flags |= UInt(MS_NOSUID)
            case "nodev": flags |= UInt(MS_NODEV)
            case "noexec": flags |= UInt(MS_NOEXEC)
            default: data.append(option)
            }
        }
        let joined = data.joined(separator: ",")
        guard CLinux.mount(mount.source, target, mount.type, flags, joined.isEmpty ? nil : joined) == 0 else {
            throw RuntimeError("cannot mount the root file system (\(mount.type) from \(mount.source)) at \(target): \(String(cString: strerror(errno)))")
        }
        if flags & UInt(MS_BIND) != 0, flags & UInt(MS_RDONLY) != 0 { // a bind mount is made read-only by a remount
            _ = CLinux.mount("", target, nil, UInt(MS_REMOUNT | MS_BIND | MS_RDONLY), nil)
        }
    }

    /// Opens where the task's output goes: containerd's FIFO (its reader is open already, so the
    /// open does not wait; when there is none, nowhere), a `file://` path, or nowhere.
    static func openOutput(_ path: String) throws(RuntimeError) -> Int32 {
        if path.isEmpty { return open("/dev/null", O_WRONLY | O_CLOEXEC) }
        if path.hasPrefix("file://") {
            let fd = open(String(path.dropFirst(7)), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw RuntimeError("cannot open the task's output \(path): \(String(cString: strerror(errno)))") }
            return fd
        }
        guard !path.includes("://") else { throw RuntimeError("containerd-shim-mirage-v2 does not support the output \(path)") }
        var fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0, errno == ENXIO { fd = open("/dev/null", O_WRONLY | O_CLOEXEC) }
        guard fd >= 0 else { throw RuntimeError("cannot open the task's output \(path): \(String(cString: strerror(errno)))") }
        _ = fcntl(fd, F_SETFL, 0) // the tender's writes wait for the reader as a container's would
        return fd
    }

    /// Starts the tender in the pod's network namespace and cgroup; returns its PID.
    func spawn() throws(RuntimeError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, errors, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), defaults = sigset_t()
        sigemptyset(&none)
        sigfillset(&defaults)
        // SIGPIPE stays ignored, as the server has it: when the reader of the output goes (`ctr
        // run -d` exits), the guest's lines are lost and the guest runs on, as behind runc's shim.
        sigdelset(&defaults, SIGPIPE)
        posix_spawnattr_setsigmask(&attributes, &none) // the server blocks SIGCHLD and SIGTERM for its signalfd
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF) | spawnNewSession)
        var cArguments = arguments.map { strdup($0) } + [nil]
        var cEnvironment: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), nil]
        defer { for pointer in cArguments + cEnvironment { free(pointer) } }
        let program = arguments[0]
        func start() throws(RuntimeError) -> pid_t {
            var pid: pid_t = 0
            let result = posix_spawn(&pid, program, &actions, &attributes, &cArguments, &cEnvironment)
            guard result == 0 else { throw RuntimeError("cannot start \(program): \(String(cString: strerror(result)))") }
            return pid
        }
        func startInNamespace() throws(RuntimeError) -> pid_t {
            guard let namespace else { return try start() }
            return try NetworkNamespace.within(namespace) { () throws(RuntimeError) -> pid_t in try start() }
        }
        guard let cgroup else { return try startInNamespace() }
        return try cgroup.within { () throws(RuntimeError) -> pid_t in try startInNamespace() }
    }

    /// Gives back what ``prepare`` took: the descriptors, the tap, the mount, the cgroup.
    mutating func release() {
        cgroup?.remove()
        cgroup = nil
        for fd in [output, errors] where fd >= 0 { close(fd) }
        output = -1
        errors = -1
        network?.detach()
        network = nil
        if let rootfs { _ = umount2(rootfs, Int32(MNT_DETACH)) }
        rootfs = nil
    }

    /// Closes the task's output in the shim once the tender holds it (so the reader sees the end
    /// when the tender exits).
    mutating func closeOutput() {
        for fd in [output, errors] where fd >= 0 { close(fd) }
        output = -1
        errors = -1
    }
}

/// What `containerd-shim-mirage-v2 delete` undoes for a task whose server died: its root file
/// system's mount (the tap goes with its namespace, or with the next tap of the same name).
enum TenderCleanup {
    static func afterDeadShim(bundle: String) {
        _ = umount2(bundle + "/rootfs", Int32(MNT_DETACH))
    }
}

/// containerd's timestamps.
enum ShimClock {
    static func now() -> TaskMessages.Timestamp {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return TaskMessages.Timestamp(seconds: Int64(time.tv_sec), nanoseconds: Int32(time.tv_nsec))
    }
}
