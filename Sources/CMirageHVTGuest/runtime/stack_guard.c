// The stack protector's canary, for the code in the image built with it: Debian builds BearSSL
// with -fstack-protector-strong, so each of its functions with a buffer on the stack reads the
// canary at %fs:0x28 on entry, checks it on return, and calls __stack_chk_fail when it changed
// (the x86-64 psABI's thread control block layout, as glibc and musl place it). Our own C and
// Swift are built without the protector.
//
// FS_BASE is set with WRFSBASE, which CPL3 may use because the tender turns on CR4.FSGSBASE
// (Intel SDM vol. 2, WRFSBASE). The guest has one thread and takes no interrupts or signals on its
// stack: nothing else changes FS_BASE, and the red zone BearSSL's code uses (it is built for
// user space) is never overwritten under it. Keep it so: an interrupt handler running on this
// stack would need -mno-red-zone everywhere, BearSSL included.
#include "guest.h"
#include "libc.h"

/// The thread control block FS_BASE points at: word 0 points at itself (where code that reads
/// %fs:0 expects the block's address), word 5 (offset 0x28) is the canary.
static uint64_t thread_block[8] __attribute__((aligned(64)));

void mirage_hvt_stack_guard_init(void) {
    uint64_t canary;
    arc4random_buf(&canary, sizeof canary);
    // The lowest byte zero, as glibc does: a string overrun that copies up to a NUL cannot
    // reproduce the canary, and one that reads past a buffer stops before revealing it.
    canary &= ~(uint64_t)0xFF;
    thread_block[0] = (uint64_t)(uintptr_t)thread_block;
    thread_block[5] = canary;
    __asm__ volatile("wrfsbase %0" : : "r"((uint64_t)(uintptr_t)thread_block) : "memory");
}

uint64_t mirage_hvt_stack_guard(void) {
    uint64_t canary;
    __asm__ volatile("movq %%fs:0x28, %0" : "=r"(canary));
    return canary;
}

void __stack_chk_fail(void) {
    mirage_hvt_console_print("mirage-hvt guest: stack smashing detected\n");
    mirage_hvt_halt(MIRAGE_HVT_ABORT_STATUS);
}
