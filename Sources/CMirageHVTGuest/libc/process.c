// Ending the guest (C17 7.22.4: exit, abort; POSIX _exit) and errno (C17 7.5), for the one
// program the guest runs. There are no atexit handlers or streams to close: console output that
// putchar still holds is written by mirage_hvt_halt.
#include "guest.h"
#include "libc.h"

static int error_number;

int *__errno_location(void) {
    // One thread, so one errno.
    return &error_number;
}

void exit(int status) {
    mirage_hvt_halt(status);
}

void _exit(int status) {
    mirage_hvt_halt(status);
}

void abort(void) {
    mirage_hvt_console_print("abort\n");
    mirage_hvt_halt(MIRAGE_HVT_ABORT_STATUS);
}
