#if canImport(Glibc)
import Glibc
#endif
import CKVM
import CLinux
#if !hasFeature(Embedded)  // the tender's Embedded build compiles MirageHostSystem's files in
import MirageHostSystem
#endif

/// A KVM virtual machine with one vCPU and one region of guest memory at guest-physical address 0.
///
/// The corresponding C interface is the KVM API (`linux/kvm.h`): `/dev/kvm`, `KVM_CREATE_VM`,
/// `KVM_SET_USER_MEMORY_REGION`, `KVM_CREATE_VCPU`, and the vCPU's shared `kvm_run` page.
final class VirtualMachine {
    let memory: GuestMemory
    let vcpu: Int32
    let run: UnsafeMutablePointer<kvm_run>
    private let kvm: Int32
    private let vm: Int32
    private let memoryBase: UnsafeMutableRawPointer
    private let memorySize: Int
    private let runSize: Int

    /// Creates the VM with `memorySize` bytes of zeroed guest memory; `trace` notes the instant
    /// each step ends.
    init(memorySize: Int, trace: BootTrace? = nil) throws(TenderError) {
        let failure = Self.hostFailure
        guard let kvm = try? SystemCall.open("/dev/kvm", O_RDWR | O_CLOEXEC) else { throw failure("cannot open /dev/kvm") }
        self.kvm = kvm
        guard mirage_kvm_get_api_version(kvm) == KVM_API_VERSION else {
            throw TenderError("/dev/kvm speaks KVM API version \(mirage_kvm_get_api_version(kvm)), not \(KVM_API_VERSION)", status: TenderExitStatus.hostFailure)
        }
        trace?.mark("kvm-open")
        vm = mirage_kvm_create_vm(kvm)
        guard vm >= 0 else { throw failure("KVM_CREATE_VM failed") }
        trace?.mark("create-vm")
        guard let base = mmap(nil, memorySize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0),
              base != MAP_FAILED else { throw failure("cannot map \(memorySize >> 20) MiB of guest memory") }
        memoryBase = base
        self.memorySize = memorySize
        memory = GuestMemory(bytes: UnsafeMutableRawBufferPointer(start: base, count: memorySize))
        var region = kvm_userspace_memory_region(
            slot: 0, flags: 0, guest_phys_addr: 0, memory_size: UInt64(memorySize),
            userspace_addr: UInt64(UInt(bitPattern: base)))
        guard mirage_kvm_set_memory(vm, &region) == 0 else { throw failure("KVM_SET_USER_MEMORY_REGION failed") }
        trace?.mark("memory")
        // A vCPU without a local APIC in the kernel turns on a kernel-wide static key when it is
        // the only one (kvm_has_noapic_vcpu), which patches kernel code with an interrupt to
        // every CPU, and again when it goes: about 150 us each on this project's machines. An
        // in-kernel local APIC's own key is switched off a second late, so that back-to-back
        // starts skip it. The guest uses no interrupts, so the APIC stays idle; its page
        // (0xFEE00000, above guest memory and the hypercalls) is KVM's rather than an access
        // outside guest memory. Kernels without the capability run the guest as before.
        _ = mirage_kvm_enable_split_irqchip(vm)
        trace?.mark("irqchip")
        vcpu = mirage_kvm_create_vcpu(vm)
        guard vcpu >= 0 else { throw failure("KVM_CREATE_VCPU failed") }
        trace?.mark("create-vcpu")
        guard mirage_kvm_set_guest_cpuid(vcpu) == 0 else { throw failure("KVM_SET_CPUID2 failed") }
        trace?.mark("cpuid")
        runSize = Int(mirage_kvm_vcpu_mmap_size(kvm))
        guard runSize > 0, let page = mmap(nil, runSize, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0), page != MAP_FAILED else {
            throw failure("cannot map the vCPU's kvm_run page")
        }
        run = page.bindMemory(to: kvm_run.self, capacity: 1)
        trace?.mark("run-page")
    }

    /// Has KVM signal `eventfd` when the guest stores to `address` (an MMIO address outside its
    /// memory), without an exit to the tender. Returns false where KVM cannot (the store then
    /// exits as any hypercall does).
    func signal(_ eventfd: Int32, onStoreTo address: UInt64) -> Bool {
        mirage_kvm_add_ioeventfd(vm, address, eventfd) == 0
    }

    deinit {
        munmap(run, runSize)
        munmap(memoryBase, memorySize)
        SystemCall.close(vcpu)
        SystemCall.close(vm)
        SystemCall.close(kvm)
    }

    /// Puts the vCPU in 64-bit long mode at CPL3 (PLATFORM-NOTES.md: PVM runs CPL3 code natively),
    /// paging with `pageTables` as CR3, about to run `entry` with `stack` and `argument` in RDI.
    func enterLongMode(pageTables: UInt64, entry: UInt64, stack: UInt64, argument: UInt64) throws(TenderError) {
        var sregs = kvm_sregs()
        guard mirage_kvm_get_sregs(vcpu, &sregs) == 0 else { throw Self.hostFailure("KVM_GET_SREGS failed") }
        // Flat 64-bit user code (selector 0x33: GDT index 6, RPL 3) and data (0x2b: index 5, RPL 3).
        var code = kvm_segment()
        code.base = 0
        code.limit = 0xFFFF_FFFF
        code.selector = 0x33
        code.type = 11 // execute/read, accessed
        code.present = 1
        code.dpl = 3
        code.s = 1
        code.l = 1
        code.g = 1
        var data = code
        data.selector = 0x2B
        data.type = 3 // read/write, accessed
        data.l = 0
        data.db = 1
        sregs.cs = code
        sregs.ss = data
        sregs.ds = data
        sregs.es = data
        sregs.fs = data
        sregs.gs = data
        sregs.cr3 = pageTables
        sregs.cr0 = 0x8005_0033 // PG | AM | WP | NE | ET | MP | PE
        sregs.cr4 = 0x0001_0620 // FSGSBASE | OSXMMEXCPT | OSFXSR | PAE
        sregs.efer = 0xD01      // NXE | LMA | LME | SCE
        guard mirage_kvm_set_sregs(vcpu, &sregs) == 0 else { throw Self.hostFailure("KVM_SET_SREGS failed") }
        var regs = kvm_regs()
        regs.rip = entry
        regs.rsp = stack
        regs.rdi = argument
        regs.rflags = 0x2
        guard mirage_kvm_set_regs(vcpu, &regs) == 0 else { throw Self.hostFailure("KVM_SET_REGS failed") }
    }

    /// A host failure: `what` and the C library's explanation of `errno`.
    static func hostFailure(_ what: String) -> TenderError {
        TenderError("\(what): \(String(cString: strerror(errno)))", status: TenderExitStatus.hostFailure)
    }

    /// The rate of the guest's time-stamp counter in ticks per second, when the guest may keep
    /// time with it: the host's counter is invariant and KVM reports its rate; else 0.
    var tscFrequency: UInt64 {
        guard mirage_host_has_invariant_tsc() != 0 else { return 0 }
        let kilohertz = mirage_kvm_get_tsc_khz(vcpu)
        return kilohertz > 0 ? UInt64(kilohertz) * 1000 : 0
    }

    /// The guest's time-stamp counter, as it will read it, and the host's CLOCK_MONOTONIC at the
    /// same instant (the middle of the few microseconds the counter's ioctl takes): the anchor of
    /// the guest's clock (`clock_anchor_ticks`, `clock_anchor_ns`); with the host's CLOCK_REALTIME
    /// at that instant (`clock_anchor_wall_ns`: the two clocks' difference, read back to back,
    /// added to it); nil when the counter cannot be read.
    var clockAnchor: (ticks: UInt64, nanoseconds: UInt64, wallNanoseconds: UInt64)? {
        let before = HypercallHandler.clock(CLOCK_MONOTONIC)
        var ticks: UInt64 = 0
        guard mirage_kvm_get_guest_tsc(vcpu, &ticks) == 0 else { return nil }
        let after = HypercallHandler.clock(CLOCK_MONOTONIC)
        let wall = HypercallHandler.clock(CLOCK_REALTIME)
        let monotonic = HypercallHandler.clock(CLOCK_MONOTONIC)
        let anchor = before + (after - before) / 2
        // CLOCK_REALTIME minus CLOCK_MONOTONIC, modulo 2^64 (a host clock set before 1970 too).
        return (ticks, anchor, anchor &+ (wall &- monotonic))
    }

    /// The guest's instruction pointer, for crash reports.
    var instructionPointer: UInt64 {
        var regs = kvm_regs()
        return mirage_kvm_get_regs(vcpu, &regs) == 0 ? regs.rip : 0
    }
}
