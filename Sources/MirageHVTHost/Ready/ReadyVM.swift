import CKVM
import CMirageHVTABI
#if !hasFeature(Embedded)  // the tender's Embedded build compiles MirageHostSystem's files in
import MirageHostSystem
#endif

/// A virtual machine made before its image is known, and the request it then serves
/// (``ReadyServer``): KVM's VM, its memory slot, the vCPU with its CPUID, and the guest's page
/// tables and the stack's top page, all of which are the same for every image: about 0.5 ms of
/// a boot (docs/ARCHITECTURE.md, "Kept-ready VMs") done before the request comes.
final class ReadyVM {
    let machine: VirtualMachine
    /// The page tables' address, the guest's CR3 (``PageTables``).
    let pageTables: UInt64
    /// The connection of the client the VM serves, once a request came: its hang-up stops the
    /// guest as SIGTERM does (``HostEvents/stopOnHangUp(of:)``).
    var connection: Int32 = -1
    /// The instant the client's code began, when the client was asked for a boot trace.
    var traceEntered: UInt64?
    /// The instant the request was read, for the trace.
    var requested: UInt64 = 0

    /// The memory the warm-up touches from the image's base: where an image and its heap's start
    /// usually lie.
    static let warmedLength: UInt64 = 1 << 20

    /// Makes a VM with `memorySize` bytes of memory and prepares what does not depend on the image.
    init(memorySize: UInt64) throws(TenderError) {
        machine = try VirtualMachine(memorySize: Int(memorySize))
        pageTables = try PageTables.build(in: machine.memory)
        Tender.populateStackTop(of: machine.memory)
        warmUp()
    }

    /// Runs the vCPU once over a few instructions that write a zero to each page of the image's
    /// usual place and the stack's top, then exits: the vCPU's first entry (150-225 us under PVM)
    /// and the shadow page faults of those pages are paid now, not in the guest's boot (the
    /// probe's load 100 -> 45 us and its boot to the first hypercall 530 -> 250 us, medians of 12
    /// traced boots, at the cost of 1 MiB populated and ~2 ms more to make a ready VM). The pages
    /// stay zero, and the code (at the boot arguments' place, rewritten for the guest) is zeroed
    /// after; every register is set again for the guest. Best effort: a failure leaves the guest's
    /// boot as it would be without it.
    private func warmUp() {
        let memory = machine.memory
        let code = UInt64(MIRAGE_HVT_COMMAND_LINE)
        let start = UInt64(MIRAGE_HVT_IMAGE_BASE)
        let end = min(start + Self.warmedLength, memory.size - UInt64(MIRAGE_HVT_STACK_SIZE))
        var program: [UInt8] = []
        func immediate(_ value: UInt64) { for shift in stride(from: 0, to: 64, by: 8) { program.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) } }
        program += [0x48, 0xBB]; immediate(UInt64(MIRAGE_HVT_HYPERCALL_BASE))  // mov rbx, hypercall address
        program += [0x48, 0xB9]; immediate(start)                              // mov rcx, start
        program += [0x48, 0xBA]; immediate(end)                                // mov rdx, end
        program += [0x48, 0xC7, 0x01, 0, 0, 0, 0]                              // loop: mov qword [rcx], 0
        program += [0x48, 0x81, 0xC1, 0x00, 0x10, 0, 0]                        // add rcx, 4096
        program += [0x48, 0x39, 0xD1]                                          // cmp rcx, rdx
        program += [0x72, 0xED]                                                // jb loop
        program += [0x50]                                                      // push rax (0): the stack's top
        program += [0x48, 0x89, 0x03]                                          // mov [rbx], rax: exit
        program += [0xEB, 0xFE]                                                // jmp $
        defer { memory.zero(at: code, length: UInt64(program.count)) }
        // Populated first: a page the vCPU touches unpopulated costs a host fault inside the
        // shadow-page fault.
        memory.populate(at: start, length: end - start)
        guard end > start, program.withUnsafeBytes({ memory.copy($0, to: code) }),
              (try? machine.enterLongMode(pageTables: pageTables, entry: code, stack: memory.size, argument: 0)) != nil
        else { return }
        _ = mirage_kvm_run(machine.vcpu)
    }
}
