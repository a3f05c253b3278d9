// linux/kvm.h for the tender, with accessors for the union members Swift cannot name.
#ifndef C_KVM_H
#define C_KVM_H

#include <cpuid.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/platform/x86.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

// The KVM ioctls the tender uses, as functions: ioctl is variadic and the _IO* request macros do not
// import into Swift. Each returns what ioctl returns (-1 with errno set on failure).
static inline int mirage_kvm_get_api_version(int kvm) { return ioctl(kvm, KVM_GET_API_VERSION, 0); }
static inline int mirage_kvm_create_vm(int kvm) { return ioctl(kvm, KVM_CREATE_VM, 0); }
static inline int mirage_kvm_vcpu_mmap_size(int kvm) { return ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0); }
static inline int mirage_kvm_create_vcpu(int vm) { return ioctl(vm, KVM_CREATE_VCPU, 0); }
/// Gives the VM's vCPUs local APICs in the kernel, with no PIC or I/O APIC and no interrupt
/// routes (KVM_ENABLE_CAP with KVM_CAP_SPLIT_IRQCHIP, before the vCPUs are made).
static inline int mirage_kvm_enable_split_irqchip(int vm) {
    struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 0 } };
    return ioctl(vm, KVM_ENABLE_CAP, &cap);
}
static inline int mirage_kvm_set_memory(int vm, struct kvm_userspace_memory_region *region) {
    return ioctl(vm, KVM_SET_USER_MEMORY_REGION, region);
}
static inline int mirage_kvm_get_regs(int vcpu, struct kvm_regs *regs) { return ioctl(vcpu, KVM_GET_REGS, regs); }
static inline int mirage_kvm_set_regs(int vcpu, struct kvm_regs *regs) { return ioctl(vcpu, KVM_SET_REGS, regs); }
static inline int mirage_kvm_get_sregs(int vcpu, struct kvm_sregs *sregs) { return ioctl(vcpu, KVM_GET_SREGS, sregs); }
static inline int mirage_kvm_set_sregs(int vcpu, struct kvm_sregs *sregs) { return ioctl(vcpu, KVM_SET_SREGS, sregs); }
/// Has KVM signal `eventfd` for every 8-byte guest store to `address`, without leaving the kernel
/// (KVM_IOEVENTFD, any value): the guest's net kick. Returns 0, or -1 with errno set.
static inline int mirage_kvm_add_ioeventfd(int vm, uint64_t address, int eventfd) {
    struct kvm_ioeventfd request = { .datamatch = 0, .addr = address, .len = 8, .fd = eventfd, .flags = 0 };
    return ioctl(vm, KVM_IOEVENTFD, &request);
}
static inline int mirage_kvm_run(int vcpu) { return ioctl(vcpu, KVM_RUN, 0); }
/// The request numbers of the vCPU ioctls the run loop makes, for the seccomp filter.
static inline unsigned long mirage_kvm_run_request(void) { return KVM_RUN; }
static inline unsigned long mirage_kvm_get_regs_request(void) { return KVM_GET_REGS; }
/// The vCPU's time-stamp counter frequency in kHz (KVM_GET_TSC_KHZ), or -1 with errno set.
static inline int mirage_kvm_get_tsc_khz(int vcpu) { return ioctl(vcpu, KVM_GET_TSC_KHZ, 0); }
/// The vCPU's time-stamp counter as the guest will read it (KVM_GET_MSRS of IA32_TSC, MSR 0x10:
/// the host's counter scaled and offset as KVM sets it up for the guest). Returns 0, or -1.
static inline int mirage_kvm_get_guest_tsc(int vcpu, uint64_t *ticks) {
    struct { struct kvm_msrs header; struct kvm_msr_entry entry; } msrs = { .header = { .nmsrs = 1 }, .entry = { .index = 0x10 } };
    if (ioctl(vcpu, KVM_GET_MSRS, &msrs) != 1) return -1;
    *ticks = msrs.entry.data;
    return 0;
}

/// The host's CPUID leaf `leaf` (subleaf 0) as the C library read it when the tender started:
/// glibc reads these leaves to pick its string functions, and a CPUID instruction is not cheap
/// where the host is itself a virtual machine (each traps to the hypervisor below, some 4 us
/// on this project's machines). Leaves the CPU does not have read as zeros. Returns the
/// registers EAX, EBX, ECX, EDX in `registers`.
static inline void mirage_host_cpuid(unsigned int leaf, unsigned int registers[4]) {
    unsigned int index;
    switch (leaf) {
    case 1: index = CPUID_INDEX_1; break;
    case 7: index = CPUID_INDEX_7; break;
    case 0x80000001: index = CPUID_INDEX_80000001; break;
    case 0x80000007: index = CPUID_INDEX_80000007; break;
    case 0x80000008: index = CPUID_INDEX_80000008; break;
    default:
        __cpuid_count(leaf, 0, registers[0], registers[1], registers[2], registers[3]);
        return;
    }
    const struct cpuid_feature *feature = __x86_get_cpuid_feature_leaf(index);
    for (unsigned int i = 0; i < 4; i++) registers[i] = feature->cpuid_array[i];
}

/// Whether the host CPU's time-stamp counter is invariant: it ticks at a constant rate in every
/// power state (CPUID leaf 0x80000007, EDX bit 8; Intel SDM vol. 3B, 18.17.1).
static inline int mirage_host_has_invariant_tsc(void) {
    unsigned int registers[4];
    mirage_host_cpuid(0x80000007, registers);
    return (registers[3] >> 8) & 1;
}

/// The CPU the guest is told it runs on: the host's CPUID, reduced to what the guest is built for
/// and what the tender sets up, as a table for KVM_SET_CPUID2.
///
/// Guests are built for x86-64 with SSE (no AVX), read the time-stamp counter, draw RDRAND
/// when CPUID says it is there, and the tender starts them in long mode (EFER.LME, NXE, SCE)
/// with CR4.FSGSBASE. So the table has leaves 0, 1, 7, 0x80000000, 0x80000001, 0x80000007 and
/// 0x80000008 with these features and nothing else:
/// - leaf 1 EDX: FPU, TSC, PAE, CX8, CMOV, CLFSH, MMX, FXSR, SSE, SSE2; ECX: SSE3, PCLMULQDQ,
///   SSSE3, CX16, SSE4.1, SSE4.2, POPCNT, AES, RDRAND, and the hypervisor bit;
/// - leaf 7 EBX: FSGSBASE;
/// - leaf 0x80000001 EDX: SYSCALL, NX, LM; ECX: LAHF/SAHF;
/// - leaf 0x80000007 EDX: the invariant TSC; leaf 0x80000008 EAX: the address sizes.
/// (Intel SDM vol. 2A, CPUID; AMD APM vol. 3, appendix E.)
///
/// It is built from the host's own leaves (two CPUID instructions and what the C library read,
/// `mirage_host_cpuid`) rather than from KVM_GET_SUPPORTED_CPUID, which asks the host CPU about
/// every leaf KVM knows: where the host is itself a virtual machine each CPUID traps to the
/// hypervisor below, and that ioctl takes about 300 us, a fifth of a boot. Every feature here
/// is one KVM supports wherever the host has it. Under PVM the guest's CPUID instruction at CPL3
/// is not intercepted and reports the host's CPU anyway; the table is what KVM checks the
/// vCPU's registers against (EFER, CR4) and what hardware KVM shows the guest.
struct mirage_kvm_guest_cpuid {
    uint32_t nent;      // struct kvm_cpuid2, with room for the entries
    uint32_t padding;
    struct kvm_cpuid_entry2 entries[7];
};
_Static_assert(offsetof(struct mirage_kvm_guest_cpuid, entries) == offsetof(struct kvm_cpuid2, entries),
               "struct mirage_kvm_guest_cpuid has the layout of struct kvm_cpuid2");

/// Appends host leaf `function` to `cpuid`, each register masked.
static inline void mirage_kvm_guest_cpuid_add(struct mirage_kvm_guest_cpuid *cpuid, uint32_t function,
                                              uint32_t eax_mask, uint32_t ebx_mask, uint32_t ecx_mask, uint32_t edx_mask) {
    unsigned int registers[4];
    mirage_host_cpuid(function, registers);
    cpuid->entries[cpuid->nent++] = (struct kvm_cpuid_entry2){
        .function = function,
        .index = 0,
        .flags = function == 7 ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
        .eax = registers[0] & eax_mask, .ebx = registers[1] & ebx_mask,
        .ecx = registers[2] & ecx_mask, .edx = registers[3] & edx_mask,
    };
}

/// Fills `cpuid` with the guest's CPU (see struct mirage_kvm_guest_cpuid).
static inline void mirage_kvm_guest_cpuid_build(struct mirage_kvm_guest_cpuid *cpuid) {
    cpuid->nent = 0;
    cpuid->padding = 0;
    // Leaf 0: the vendor, and the highest basic leaf in the table.
    mirage_kvm_guest_cpuid_add(cpuid, 0, ~0u, ~0u, ~0u, ~0u);
    unsigned int basic = cpuid->entries[0].eax;
    cpuid->entries[0].eax = basic >= 7 ? 7 : (basic >= 1 ? 1 : 0);
    if (basic >= 1) {
        // EAX: family, model, stepping; EBX: the CLFLUSH line size only.
        mirage_kvm_guest_cpuid_add(cpuid, 1, ~0u, 0x0000FF00u,
            (1u << 0) | (1u << 1) | (1u << 9) | (1u << 13) | (1u << 19) | (1u << 20) | (1u << 23) |
                (1u << 25) | (1u << 30) | (1u << 31),
            (1u << 0) | (1u << 4) | (1u << 6) | (1u << 8) | (1u << 15) | (1u << 19) | (1u << 23) |
                (1u << 24) | (1u << 25) | (1u << 26));
    }
    // EAX (the highest subleaf) 0: subleaf 0 only.
    if (basic >= 7) mirage_kvm_guest_cpuid_add(cpuid, 7, 0, 1u << 0, 0, 0);
    // The highest extended leaf in the table.
    mirage_kvm_guest_cpuid_add(cpuid, 0x80000000, ~0u, ~0u, ~0u, ~0u);
    unsigned int extended = cpuid->entries[cpuid->nent - 1].eax;
    if (extended < 0x80000000) {
        cpuid->nent--;  // no extended leaves
        return;
    }
    cpuid->entries[cpuid->nent - 1].eax = extended >= 0x80000008 ? 0x80000008 : extended;
    if (extended >= 0x80000001) {
        mirage_kvm_guest_cpuid_add(cpuid, 0x80000001, ~0u, 0, 1u << 0, (1u << 11) | (1u << 20) | (1u << 29));
    }
    if (extended >= 0x80000007) mirage_kvm_guest_cpuid_add(cpuid, 0x80000007, 0, 0, 0, 1u << 8);
    if (extended >= 0x80000008) mirage_kvm_guest_cpuid_add(cpuid, 0x80000008, 0xFFFFu, 0, 0, 0);
}

/// Gives `vcpu` the guest's CPU (KVM_SET_CPUID2 with struct mirage_kvm_guest_cpuid). Returns 0,
/// or -1 with errno set.
static inline int mirage_kvm_set_guest_cpuid(int vcpu) {
    struct mirage_kvm_guest_cpuid cpuid;
    mirage_kvm_guest_cpuid_build(&cpuid);
    return ioctl(vcpu, KVM_SET_CPUID2, (struct kvm_cpuid2 *)&cpuid);
}

/// The MMIO exit's fields (kvm_run.mmio sits in an anonymous union).
static inline uint64_t mirage_kvm_mmio_address(const struct kvm_run *run) { return run->mmio.phys_addr; }
static inline uint32_t mirage_kvm_mmio_length(const struct kvm_run *run) { return run->mmio.len; }
static inline int mirage_kvm_mmio_is_write(const struct kvm_run *run) { return run->mmio.is_write; }
static inline uint64_t mirage_kvm_mmio_data(const struct kvm_run *run) {
    uint64_t value = 0;
    for (unsigned i = 0; i < run->mmio.len && i < 8; i++) value |= (uint64_t)run->mmio.data[i] << (8 * i);
    return value;
}
/// The internal-error exit's sub-error (kvm_run.internal.suberror).
static inline uint32_t mirage_kvm_internal_suberror(const struct kvm_run *run) { return run->internal.suberror; }
/// The failed-entry exit's reason (kvm_run.fail_entry).
static inline uint64_t mirage_kvm_fail_entry_reason(const struct kvm_run *run) { return run->fail_entry.hardware_entry_failure_reason; }

static void mirage_profile_signal_handler(int signal) { (void)signal; }

/// The guest profiler's clock (MIRAGE_HVT_PROFILE, docs/ARCHITECTURE.md): SIGPROF to the calling
/// thread every `interval_ns`, with a handler that does nothing and no SA_RESTART, so that a
/// KVM_RUN in progress returns EINTR and the run loop can read where the guest was. Returns 0,
/// or -1 with errno set. (timer_create(2) with SIGEV_THREAD_ID, sigaction(2).)
static inline int mirage_start_profile_timer(long interval_ns) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = mirage_profile_signal_handler;
    sigemptyset(&action.sa_mask);
    if (sigaction(SIGPROF, &action, 0) != 0) return -1;
    struct sigevent event;
    memset(&event, 0, sizeof event);
    event.sigev_notify = SIGEV_THREAD_ID;
    event.sigev_signo = SIGPROF;
    event._sigev_un._tid = (int)syscall(SYS_gettid);
    timer_t timer;
    if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0) return -1;
    struct itimerspec period = { { 0, interval_ns }, { 0, interval_ns } };
    return timer_settime(timer, 0, &period, 0);
}

#endif
