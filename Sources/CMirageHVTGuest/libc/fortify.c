// The checked copies of _FORTIFY_SOURCE (glibc's __memcpy_chk and relatives, LSB 5.0): code built
// with fortification (Debian's BearSSL) calls them with the destination's size as the compiler
// knows it. The check is real: a copy past the destination ends the guest, as glibc's
// __chk_fail does, instead of overwriting what lies beyond.
#include "guest.h"
#include "libc.h"

static void __attribute__((noreturn)) buffer_overflow(const char *function, size_t count, size_t room) {
    mirage_hvt_console_printf("mirage-hvt guest: buffer overflow detected in %s (%zu bytes into %zu)\n",
                              function, count, room);
    mirage_hvt_halt(MIRAGE_HVT_ABORT_STATUS);
}

void *__memcpy_chk(void *restrict destination, const void *restrict source, size_t count, size_t room) {
    if (count > room) buffer_overflow("memcpy", count, room);
    return memcpy(destination, source, count);
}

void *__memmove_chk(void *destination, const void *source, size_t count, size_t room) {
    if (count > room) buffer_overflow("memmove", count, room);
    return memmove(destination, source, count);
}

void *__memset_chk(void *destination, int value, size_t count, size_t room) {
    if (count > room) buffer_overflow("memset", count, room);
    return memset(destination, value, count);
}
