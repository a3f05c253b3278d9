// CMirageHVTGuest: the C support of the hvt guest (a freestanding x86-64 ELF run by the mirage-hvt
// tender at CPL3 in 64-bit mode, identity-mapped, without interrupts or a C library).
//
// This header is what Swift sees: the boot information, the hypercall and its helpers, the
// console, halting and heap statistics. The target also defines, for the Swift runtime and the
// Embedded concurrency runtime, the entry point `_start`, a subset of the C library (string
// functions, an allocator, printf, clocks, arc4random_buf, a little math), the few C++ runtime
// symbols libswift_Concurrency.a calls, and its executor hooks; those have their C names and are
// deliberately not declared here.
#ifndef C_MIRAGE_HVT_H
#define C_MIRAGE_HVT_H

#include <stddef.h>
#include <stdint.h>

#include "mirage_hvt_abi.h"
#include "mirage_hvt_hypercall.h"

/// The status the guest halts with when the heap cannot satisfy an allocation (after printing
/// "mirage-hvt guest: out of memory (N bytes requested, M free)" on the console). 66 is outside
/// the statuses the tender itself uses and the 128+signal range.
#define MIRAGE_HVT_OUT_OF_MEMORY_STATUS 66

/// The status `abort()` halts with: 128 + SIGABRT (6), as a shell reports a process killed by it.
#define MIRAGE_HVT_ABORT_STATUS 134

/// The boot information the tender wrote (the address it passed to `_start` in RDI).
struct mirage_hvt_boot_info *mirage_hvt_boot_info_pointer(void);

/// Stops the guest: the tender exits with `status`. Writes out pending console output first.
/// The corresponding hypercall is MIRAGE_HVT_HALT.
void mirage_hvt_halt(int status) __attribute__((noreturn));

/// Nanoseconds on the host's CLOCK_MONOTONIC: from the time-stamp counter when the tender gave
/// its frequency, else the MIRAGE_HVT_MONOTONIC hypercall (clock.c).
uint64_t mirage_hvt_monotonic_ns(void);

/// A spin-wait hint (the PAUSE instruction): a loop that polls memory the tender's thread writes
/// lets the sibling hyper-thread run and leaves the loop without a memory-order mis-speculation.
static inline void mirage_hvt_cpu_relax(void) { __builtin_ia32_pause(); }

/// Nanoseconds since the Unix epoch on the host's CLOCK_REALTIME: the monotonic clock plus their
/// difference, read with MIRAGE_HVT_WALL_CLOCK at most once a second (clock.c).
uint64_t mirage_hvt_wall_clock_ns(void);

/// Writes `length` bytes to the console (the tender's standard error), after any output
/// `putchar` still holds (MIRAGE_HVT_CONSOLE).
void mirage_hvt_console_write(const void *data, size_t length);

/// Bytes the heap has free now: free blocks and blocks cached for reuse, headers included.
size_t mirage_hvt_heap_free_bytes(void);

#endif
