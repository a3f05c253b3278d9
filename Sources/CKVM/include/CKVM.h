// linux/kvm.h for the tender, with accessors for the union members Swift cannot name.
#ifndef C_KVM_H
#define C_KVM_H

#include <cpuid.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>

// The KVM ioctls the tender uses, as functions: ioctl is variadic and the _IO* request macros do not
// import into Swift. Each returns what ioctl returns (-1 with errno set on failure).
static inline int mirage_kvm_get_api_version(int kvm) { return ioctl(kvm, KVM_GET_API_VERSION, 0); }
static inline int mirage_kvm_create_vm(int kvm) { return ioctl(kvm, KVM_CREATE_VM, 0); }
static inline int mirage_kvm_vcpu_mmap_size(int kvm) { return ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0); }
static inline int mirage_kvm_create_vcpu(int vm) { return ioctl(vm, KVM_CREATE_VCPU, 0); }
static inline int mirage_kvm_set_memory(int vm, struct kvm_userspace_memory_region *region) {
    return ioctl(vm, KVM_SET_USER_MEMORY_REGION, region);
}
static inline int mirage_kvm_get_regs(int vcpu, struct kvm_regs *regs) { return ioctl(vcpu, KVM_GET_REGS, regs); }
static inline int mirage_kvm_set_regs(int vcpu, struct kvm_regs *regs) { return ioctl(vcpu, KVM_SET_REGS, regs); }
static inline int mirage_kvm_get_sregs(int vcpu, struct kvm_sregs *sregs) { return ioctl(vcpu, KVM_GET_SREGS, sregs); }
static inline int mirage_kvm_set_sregs(int vcpu, struct kvm_sregs *sregs) { return ioctl(vcpu, KVM_SET_SREGS, sregs); }
static inline int mirage_kvm_run(int vcpu) { return ioctl(vcpu, KVM_RUN, 0); }
/// The vCPU's time-stamp counter frequency in kHz (KVM_GET_TSC_KHZ), or -1 with errno set.
static inline int mirage_kvm_get_tsc_khz(int vcpu) { return ioctl(vcpu, KVM_GET_TSC_KHZ, 0); }

/// Whether the host CPU's time-stamp counter is invariant: it ticks at a constant rate in every
/// power state (CPUID leaf 0x80000007, EDX bit 8; Intel SDM vol. 3B, 18.17.1).
static inline int mirage_host_has_invariant_tsc(void) {
    unsigned int eax, ebx, ecx, edx;
    if (__get_cpuid_max(0x80000000, NULL) < 0x80000007) return 0;
    __cpuid(0x80000007, eax, ebx, ecx, edx);
    return (edx >> 8) & 1;
}

/// Gives the vCPU the CPUID the host's KVM supports (so the guest sees SSE, RDRAND and so on).
/// Returns 0, or -1 with errno set.
static inline int mirage_kvm_set_supported_cpuid(int kvm, int vcpu) {
    int entries = 128;
    struct kvm_cpuid2 *cpuid = calloc(1, sizeof(struct kvm_cpuid2) + entries * sizeof(struct kvm_cpuid_entry2));
    if (cpuid == NULL) return -1;
    cpuid->nent = entries;
    int result = ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid);
    if (result == 0) result = ioctl(vcpu, KVM_SET_CPUID2, cpuid);
    free(cpuid);
    return result;
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

#endif
