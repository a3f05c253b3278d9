// The guest's entry point and boot sequence.
//
// The tender starts the vCPU at `_start` in 64-bit mode at CPL3 with RDI = the address of
// struct mirage_hvt_boot_info and RSP = the top of guest memory (mirage_hvt_abi.h). The image is
// loaded and its bss zeroed by the tender, so no relocation or clearing happens here.
#include "guest.h"
#include "libc.h"

/// The program: SwiftPM's executable defines `main` (as `--defsym main=<Module>_main`).
extern int main(int argc, char **argv);

/// Bounds of the constructor array (link.ld), usually empty.
typedef void (*constructor_t)(void);
extern constructor_t __init_array_start[];
extern constructor_t __init_array_end[];

/// The status the guest halts with when the tender speaks another ABI version.
#define ABI_MISMATCH_STATUS 70

static struct mirage_hvt_boot_info *boot_info;

struct mirage_hvt_boot_info *mirage_hvt_boot_info_pointer(void) {
    return boot_info;
}

/// The entry: a naked function, so that no compiler prologue assumes a calling convention the
/// tender did not follow. The x86-64 psABI (3.2.2) wants RSP + 8 to be a multiple of 16 at a
/// function's entry, i.e. RSP 16-aligned at the `call`. RBP = 0 ends frame-pointer chains for
/// debuggers. The psABI's initial state (3.4.1, 3.2.1) also wants DF clear, the x87 control word
/// 0x037F and MXCSR 0x1F80: set them here rather than trust the vCPU's reset values.
void _start(void) __attribute__((naked, noreturn));

void _start(void) {
    __asm__(
        "xorl %ebp, %ebp\n\t"
        "andq $-16, %rsp\n\t"
        "cld\n\t"
        "fninit\n\t"                      // x87: control word 0x037F, empty stack
        "pushq $0x1f80\n\t"
        "ldmxcsr (%rsp)\n\t"              // SSE: all exceptions masked, round to nearest
        "addq $8, %rsp\n\t"
        "call mirage_hvt_boot\n\t"        // RDI still holds the boot information
        "ud2");
}

/// Counts the boot arguments and finds where each starts: `count` NUL-terminated strings from
/// `arguments`, within `length` bytes. Stops early at a string that would run past them.
static int split_arguments(const char *arguments, uint64_t length, uint64_t count, char **argv) {
    int found = 0;
    uint64_t offset = 0;
    while ((uint64_t)found < count && offset < length) {
        uint64_t end = offset;
        while (end < length && arguments[end] != '\0') end++;
        if (end == length) break;  // unterminated
        if (argv != NULL) argv[found] = (char *)(uintptr_t)(arguments + offset);
        found++;
        offset = end + 1;
    }
    return found;
}

// The ABI version this guest speaks, in the section the tender reads before it runs the image
// (mirage_hvt_abi.h). `retain` keeps it through --gc-sections, as link.ld's KEEP does.
__attribute__((section(MIRAGE_HVT_ABI_SECTION), used, retain))
static const uint64_t abi_version_in_image = MIRAGE_HVT_ABI_VERSION;

void mirage_hvt_boot(struct mirage_hvt_boot_info *info) {
    boot_info = info;
    if (info->abi_version != MIRAGE_HVT_ABI_VERSION) {
        mirage_hvt_console_printf("mirage-hvt guest: the tender speaks ABI version %llu, this guest %d\n",
                                  (unsigned long long)info->abi_version, MIRAGE_HVT_ABI_VERSION);
        mirage_hvt_halt(ABI_MISMATCH_STATUS);
    }
    mirage_hvt_heap_init((uintptr_t)info->heap_start, (uintptr_t)info->heap_end);
    mirage_hvt_clock_init(info->tsc_frequency, info->clock_anchor_ticks, info->clock_anchor_ns, info->clock_anchor_wall_ns);
    mirage_hvt_entropy_init(info->entropy_seed);
    mirage_hvt_stack_guard_init();

    for (constructor_t *constructor = __init_array_start; constructor < __init_array_end; constructor++) {
        (*constructor)();
    }

    // argv[0] is the program name, then the boot arguments, then NULL (C17 5.1.2.2.1).
    const char *command_line = (const char *)(uintptr_t)info->command_line;
    uint64_t length = info->command_line_length;
    int count = split_arguments(command_line, length, info->argument_count, NULL);
    char **argv = malloc(((size_t)count + 2) * sizeof(char *));
    static char program_name[] = "unikernel";
    argv[0] = program_name;
    split_arguments(command_line, length, info->argument_count, argv + 1);
    argv[count + 1] = NULL;

    int status = main(count + 1, argv);
    mirage_hvt_halt(status);
}
