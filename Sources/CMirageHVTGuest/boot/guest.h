// What the guest's C files share that is neither the public API (include/CMirageHVTGuest.h) nor the
// C library (libc.h): the boot steps and the console's internals.
#ifndef MIRAGE_HVT_GUEST_H
#define MIRAGE_HVT_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include "CMirageHVTGuest.h"

/// Called by `_start` with the address the tender passed in RDI; does not return.
void mirage_hvt_boot(struct mirage_hvt_boot_info *info) __attribute__((noreturn));

/// Makes [start, end) the heap `malloc` and its relatives allocate from (malloc.c).
void mirage_hvt_heap_init(uintptr_t start, uintptr_t end);

/// Sets up the clocks: the monotonic one on the time-stamp counter when `tsc_frequency` (from the
/// boot information) is not 0, anchored at the tender's reading (`anchor_ticks` at `anchor_ns`;
/// at the first reading when that is 0), else on the hypercall; the wall clock from the host's
/// CLOCK_REALTIME at the anchor, `anchor_wall_ns` (from its first reading when 0) (clock.c).
void mirage_hvt_clock_init(uint64_t tsc_frequency, uint64_t anchor_ticks, uint64_t anchor_ns, uint64_t anchor_wall_ns);

/// Seeds the generator behind `arc4random_buf` (entropy.c) from `seed` (the tender's) and the
/// CPU's sources; halts with 71 when there is no entropy at all.
void mirage_hvt_entropy_init(const uint64_t seed[4]);

/// How many times the generator has reseeded itself since boot.
uint64_t mirage_hvt_entropy_reseed_count(void);

/// Points FS_BASE at the thread control block and puts a canary from `arc4random_buf` at
/// %fs:0x28 for the stack protector (stack_guard.c). Runs before any code built with it.
void mirage_hvt_stack_guard_init(void);

/// The canary the stack protector checks: the value at %fs:0x28.
uint64_t mirage_hvt_stack_guard(void);

/// Appends one byte to the console's line buffer, which goes out at a newline, when full, or
/// before any other console output (console.c).
void mirage_hvt_console_put_byte(unsigned char byte);

/// Writes out what the console's line buffer holds.
void mirage_hvt_console_flush(void);

/// Writes a NUL-terminated string to the console.
void mirage_hvt_console_print(const char *string);

/// Formats like printf and writes the result to the console, in one write when it fits 256
/// bytes. For the guest's own messages (out of memory, abort): it does not allocate.
void mirage_hvt_console_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
