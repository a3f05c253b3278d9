// The hypercall instruction of the hvt guest: one 64-bit store (mirage_hvt_abi.h).
//
// The store goes to MIRAGE_HVT_HYPERCALL_BASE + 8 * number, an address with no guest memory
// behind it, so the CPU leaves the guest and the tender sees KVM_EXIT_MMIO with the stored value:
// the guest-physical (= virtual, identity-mapped) address of the call's argument structure. When
// the guest resumes, the tender has read the inputs and written the outputs of that structure.
#ifndef MIRAGE_HVT_HYPERCALL_H
#define MIRAGE_HVT_HYPERCALL_H

#include <stdint.h>

#include "mirage_hvt_abi.h"

/// Makes hypercall `number` with `argument`, a pointer to its argument structure.
///
/// The store is `volatile` (C11 6.7.3p7: it happens exactly once, as written) and a single aligned
/// 64-bit `mov`. The empty `asm` statements with a "memory" clobber are compiler barriers: stores
/// to the argument structure are not delayed past the hypercall, and loads of its outputs are not
/// hoisted above it. No CPU fence is needed: the exit itself serialises the vCPU.
static inline void mirage_hvt_hypercall(enum mirage_hvt_hypercall number, void *argument) {
    volatile uint64_t *port =
        (volatile uint64_t *)(uintptr_t)(MIRAGE_HVT_HYPERCALL_BASE + 8u * (uint64_t)number);
    __asm__ volatile("" ::: "memory");
    *port = (uint64_t)(uintptr_t)argument;
    __asm__ volatile("" ::: "memory");
}

#endif
