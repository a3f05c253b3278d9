// bcmp: what compilers call for a memcmp whose result is only compared with zero (POSIX.1-2001).
#include <stddef.h>

int memcmp(const void *left, const void *right, size_t count);

int bcmp(const void *left, const void *right, size_t count) {
    return memcmp(left, right, count);
}
