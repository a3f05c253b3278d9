// The <string.h> subset (C17 7.24) the Swift runtime and the compiler's own code need: clang may
// emit calls to memcpy, memmove, memset and memcmp for any freestanding code (struct copies,
// zeroing), so these four must exist.
//
// memcpy, memmove and memset use the string instructions `rep movsb` and `rep stosb`, fast on
// every x86-64 with ERMSB and correct on all (Intel SDM vol. 2, REP, MOVS and STOS; vol. 1,
// "Fast-String Operation").
// The x86-64 psABI (3.2.1) guarantees the direction flag is clear on function entry and return.
// This file is compiled with -ffreestanding (-fno-builtin), so the loops below are not turned
// back into calls to the functions they implement.
#include "libc.h"

void *memcpy(void *restrict destination, const void *restrict source, size_t count) {
    void *result = destination;
    __asm__ volatile("rep movsb"
                     : "+D"(destination), "+S"(source), "+c"(count)
                     :
                     : "memory");
    return result;
}

void *memmove(void *destination, const void *source, size_t count) {
    uintptr_t to = (uintptr_t)destination;
    uintptr_t from = (uintptr_t)source;
    if (to - from >= count) {
        // The destination starts before the source or after its end: copying upwards never
        // overwrites a byte before it is read. (Unsigned wrap-around makes to < from huge.)
        return memcpy(destination, source, count);
    }
    // The destination overlaps the source from above: copy downwards, last byte first, with the
    // direction flag set for just this instruction.
    void *last_to = (char *)destination + count - 1;
    const void *last_from = (const char *)source + count - 1;
    __asm__ volatile("std\n\trep movsb\n\tcld"
                     : "+D"(last_to), "+S"(last_from), "+c"(count)
                     :
                     : "memory");
    return destination;
}

void *memset(void *destination, int value, size_t count) {
    void *result = destination;
    __asm__ volatile("rep stosb"
                     : "+D"(destination), "+c"(count)
                     : "a"((unsigned char)value)
                     : "memory");
    return result;
}

int memcmp(const void *left, const void *right, size_t count) {
    const unsigned char *a = left;
    const unsigned char *b = right;
    for (size_t i = 0; i < count; i++) {
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *string) {
    size_t length = 0;
    while (string[length] != '\0') length++;
    return length;
}

int strcmp(const char *left, const char *right) {
    const unsigned char *a = (const unsigned char *)left;
    const unsigned char *b = (const unsigned char *)right;
    while (*a != '\0' && *a == *b) {
        a++;
        b++;
    }
    return (*a > *b) - (*a < *b);
}

char *strncpy(char *restrict destination, const char *restrict source, size_t count) {
    // C17 7.24.2.4: copies at most `count` characters and pads with NULs up to `count`.
    size_t i = 0;
    for (; i < count && source[i] != '\0'; i++) destination[i] = source[i];
    for (; i < count; i++) destination[i] = '\0';
    return destination;
}
