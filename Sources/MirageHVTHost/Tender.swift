#if canImport(Glibc)
import Glibc
#endif
import CKVM
import CLinux
import CMirageHVTABI
#if !hasFeature(Embedded)  // the tender's Embedded build compiles MirageHostSystem's files in
import MirageHostSystem
#endif

/// The mirage-hvt tender: loads a guest image into a new KVM virtual machine, attaches the devices
/// the command line names, runs the vCPU and serves its hypercalls until it halts.
public enum Tender {
    /// Runs the tender with `arguments` (without the program name); returns its exit status: the
    /// guest's halt status, or a ``TenderExitStatus`` after printing what went wrong.
    ///
    /// `entered`, the instant (CLOCK_MONOTONIC nanoseconds, ``now()``) the program's own code
    /// began, is the first mark of a boot trace (`MIRAGE_HVT_BOOT_TRACE`, ``BootTrace``).
    public static func main(_ arguments: [String], entered: UInt64? = nil) -> Int32 {
        main(arguments, entered: entered, ready: nil)
    }

    /// Runs the tender; with `ready`, as the child of a `--serve` server that took a request
    /// (``ReadyServer``), in its VM, tracing the boot when the client asked for it.
    static func main(_ arguments: [String], entered: UInt64?, ready: ReadyVM?) -> Int32 {
        var trace = ready == nil ? BootTrace.fromEnvironment(entered: entered) : ready?.traceEntered.map { BootTrace(entered: $0, requested: ready?.requested ?? $0) }
        trace?.mark("main")
        defer { trace.map { report($0.line) } }
        do throws(TenderError) {
            let options = try TenderOptions.parse(arguments)
            trace?.mark("options")
            guard !options.helpRequested else {
                Array(TenderOptions.help.utf8).withUnsafeBytes { try? SystemCall.writeAll(STDOUT_FILENO, $0) }
                return 0
            }
            if options.serveSocket != nil || options.viaSocket != nil {
                guard ready == nil else {
                    throw TenderError("--serve and --via cannot be asked of a ready VM", status: TenderExitStatus.usage)
                }
                // The server's child that serves the request traces the boot, from this instant.
                let traceEntered = trace != nil ? entered : nil
                trace = nil
                if let socket = options.serveSocket {
                    return try ReadyServer.serve(at: socket, memoryMiB: options.memoryMiB)
                }
                return try ReadyClient.run(at: options.viaSocket ?? "", arguments: options.forwardedArguments,
                                           exitsWithParent: options.exitsWithParent, traceEntered: traceEntered)
            }
            return try run(options, trace: trace, ready: ready)
        } catch {
            report(error.description)
            return error.status
        }
    }

    /// CLOCK_MONOTONIC now, in nanoseconds: for ``main(_:entered:)``.
    public static func now() -> UInt64 { BootTrace.now() }

    /// Prints `message` on standard error, each line prefixed with `mirage-hvt: `.
    static func report(_ message: String) {
        var text = ""
        for line in message.split(separator: "\n", omittingEmptySubsequences: false) {
            text += line.hasPrefix("usage:") ? line + "\n" : "mirage-hvt: " + line + "\n"
        }
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { try? SystemCall.writeAll(STDERR_FILENO, $0) }
    }

    /// Boots the image `options` name and runs it; `trace` notes the instant each step ends.
    /// With `ready`, in its VM when its memory is the size asked for; its client's hang-up stops
    /// the guest.
    static func run(_ options: TenderOptions, trace: BootTrace? = nil, ready: ReadyVM? = nil) throws(TenderError) -> Int32 {
        // Through --via the client asked for it, for itself (ReadyClient).
        if options.exitsWithParent, ready == nil {
            // The signal is asked for first, then the parent checked: one that ended before the
            // request is seen too (the tender was handed to init).
            guard mirage_set_parent_death_signal(SIGTERM) == 0, getppid() != 1 else {
                throw TenderError("--exit-with-parent: the process that started the tender has ended", status: TenderExitStatus.hostFailure)
            }
        }
        let file = try ImageFile(path: options.image)
        let memorySize = options.memoryMiB << 20
        let image: ELFImage
        do {
            image = try ELFImage(file: file, memoryLimit: memorySize - UInt64(MIRAGE_HVT_STACK_SIZE))
        } catch {
            throw TenderError("\(options.image): \(error)", status: TenderExitStatus.badImage)
        }
        try GuestABIVersion(of: image).check(image: options.image)
        let manifest = image.contents(ofSection: MIRAGE_HVT_MANIFEST_SECTION).map { DeviceManifest(sectionText: $0) }
            ?? DeviceManifest(ids: [])
        trace?.mark("image")
        let devices = try manifest.match(options.devices)
        var blocks: [Int: BlockBackend] = [:]
        var nets: [Int: NetBackend] = [:]
        var table: [DeviceTableEntry] = []
        for (index, device) in devices.enumerated() {
            switch device.kind {
            case .block:
                let backend = try BlockBackend(name: device.name, path: device.backing)
                blocks[index] = backend
                table.append(backend.tableEntry)
            case .net:
                let backend = try NetBackend(name: device.name, interface: device.backing)
                nets[index] = backend
                table.append(backend.tableEntry)
            }
        }
        let events = HostEvents()
        if let ready { events.stopOnHangUp(of: ready.connection) }
        trace?.mark("devices")
        let vm: VirtualMachine
        let pageTables: UInt64
        if let ready, ready.machine.memory.size == memorySize {
            vm = ready.machine
            pageTables = ready.pageTables
        } else {
            vm = try VirtualMachine(memorySize: Int(memorySize), trace: trace)
            pageTables = try PageTables.build(in: vm.memory)
            populateStackTop(of: vm.memory)
        }
        guard image.load(into: vm.memory) else {
            throw TenderError("\(options.image): its segments do not fit guest memory", status: TenderExitStatus.badImage)
        }
        if options.sharesImage {
            _ = image.shareReadOnlyPages(from: options.image, in: vm.memory)
        }
        // The heap's first page, as the stack's top (populateStackTop(of:)).
        vm.memory.populate(at: image.imageEnd, length: 4096)
        trace?.mark("load")
        let bootInfo = try BootInfo.write(
            into: vm.memory, memorySize: memorySize, heapStart: image.imageEnd,
            arguments: options.bootArguments, devices: table, tscFrequency: vm.tscFrequency,
            clockAnchor: vm.clockAnchor, pollSpinNanoseconds: options.pollSpinMicroseconds * 1000)
        try vm.enterLongMode(pageTables: pageTables, entry: image.entry, stack: memorySize, argument: bootInfo)
        trace?.mark("registers")
        // The I/O thread for the net and block rings, started before the seccomp filter (which
        // then covers it too); the guest's kick reaches it through KVM, without a VM exit to the
        // tender.
        var ioThread: RingIOThread?
        if !nets.isEmpty || !blocks.isEmpty {
            let thread = try RingIOThread(spinLimit: .microseconds(Int64(options.ioSpinMicroseconds)))
            _ = vm.signal(thread.kickDescriptor, onStoreTo: UInt64(MIRAGE_HVT_HYPERCALL_BASE) + 8 * UInt64(MIRAGE_HVT_NET_KICK.rawValue))
            try thread.start()
            ioThread = thread
            trace?.mark("io-thread")
        }
        // The I/O thread stops touching guest memory before the VM (and its memory) goes.
        defer {
            ioThread?.park()
            withExtendedLifetime(vm) {}
        }
        let handler = HypercallHandler(memory: vm.memory, blocks: blocks, nets: nets, events: events, ioThread: ioThread)
        let profile = getenv("MIRAGE_HVT_PROFILE").flatMap { GuestProfile(path: String(cString: $0)) }
        defer { profile?.finish() }
        // Set up: from here on the run loop's system calls only (SeccompFilter).
        try SeccompFilter.install()
        if getenv("MIRAGE_HVT_TEST_FORBIDDEN_CALL") != nil {
            // For the tests: a call outside the filter (opening a file) must end the tender.
            _ = open("/etc/hostname", O_RDONLY)
        }
        trace?.mark("seccomp")
        return try runLoop(vm, handler, profile: profile, trace: trace)
    }

    /// Populates the stack's top page: with the heap's first, the first pages a guest writes that
    /// the tender did not. A page the guest touches first costs a host fault inside a shadow-page
    /// fault under PVM (about 27 us here), one populated now a few: the probe's boot to its first
    /// hypercall about 30 us shorter (median of 60 alternated boots, Benchmarks/boot's trace).
    static func populateStackTop(of memory: GuestMemory) {
        memory.populate(at: memory.size - 4096, length: 4096)
    }

    /// Runs the vCPU until the guest halts or crashes.
    /// `trace` notes the first hypercall (the guest's boot code ran), the first console output
    /// (its application started) and the halt.
    static func runLoop(_ vm: VirtualMachine, _ handler: HypercallHandler, profile: GuestProfile? = nil, trace: BootTrace? = nil) throws(TenderError) -> Int32 {
        let hypercallEnd = UInt64(MIRAGE_HVT_HYPERCALL_BASE) + 8 * UInt64(MIRAGE_HVT_HYPERCALL_COUNT.rawValue)
        func crash(_ reason: String) -> TenderError {
            TenderError("the guest crashed: \(reason) (rip 0x\(String(vm.instructionPointer, radix: 16)))", status: TenderExitStatus.guestCrashed)
        }
        while true {
            if mirage_kvm_run(vm.vcpu) < 0 {
                let error = ErrorNumber(code: errno)
                // A signal (the profiler's timer) stopped the vCPU: note where, and go on.
                if error.code == EINTR {
                    profile?.record(vm.instructionPointer)
                    continue
                }
                if error.wouldBlock { continue }
                throw TenderError("KVM_RUN failed: \(error)", status: TenderExitStatus.hostFailure)
            }
            let run = vm.run
            switch Int32(run.pointee.exit_reason) {
            case KVM_EXIT_MMIO:
                let address = mirage_kvm_mmio_address(run)
                guard address >= UInt64(MIRAGE_HVT_HYPERCALL_BASE), address < hypercallEnd,
                      address % 8 == 0, mirage_kvm_mmio_is_write(run) != 0, mirage_kvm_mmio_length(run) == 8 else {
                    throw crash("it accessed 0x\(String(address, radix: 16)), outside its memory")
                }
                let number = (address - UInt64(MIRAGE_HVT_HYPERCALL_BASE)) / 8
                if let trace {
                    trace.mark("first-hypercall")
                    if number == UInt64(MIRAGE_HVT_CONSOLE.rawValue) { trace.mark("first-output") }
                }
                switch handler.handle(number, argument: mirage_kvm_mmio_data(run)) {
                case .resume: continue
                case let .halt(status):
                    trace?.mark("halt")
                    return status
                case let .crash(reason): throw crash(reason)
                }
            case KVM_EXIT_SHUTDOWN:
                throw crash("a fault it could not handle (triple fault), such as a Swift runtime trap")
            case KVM_EXIT_HLT:
                throw crash("it executed hlt")
            case KVM_EXIT_IO:
                throw crash("it used port I/O")
            case KVM_EXIT_INTERNAL_ERROR:
                throw crash("KVM internal error \(mirage_kvm_internal_suberror(run)) (instructions KVM cannot emulate, such as SSE at CPL0)")
            case KVM_EXIT_FAIL_ENTRY:
                throw TenderError("KVM could not enter the guest (hardware reason 0x\(String(mirage_kvm_fail_entry_reason(run), radix: 16)))", status: TenderExitStatus.hostFailure)
            case let reason:
                throw crash("unexpected KVM exit \(reason)")
            }
        }
    }
}
