// The C library subset the guest defines, declared as the C standard (C17) and POSIX.1-2017 do.
//
// The guest has no C library headers of its own and must not pick up the build machine's glibc
// headers, so this file declares what the files here define and share. Types and constants
// follow the Linux x86-64 ABI (struct timespec, clockid_t, errno values), because the Swift
// runtime archives that call these functions were compiled against glibc's headers: for
// example swift_sleep retries nanosleep while errno is EINTR, which it compares with 4.
#ifndef MIRAGE_HVT_LIBC_H
#define MIRAGE_HVT_LIBC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

// <errno.h> values (Linux asm-generic/errno-base.h).
#define EINTR 4
#define ENOMEM 12
#define EFAULT 14
#define EINVAL 22

// <time.h> clock identifiers (Linux uapi/linux/time.h).
#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_PROCESS_CPUTIME_ID 2
#define CLOCK_THREAD_CPUTIME_ID 3
#define CLOCK_MONOTONIC_RAW 4
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define CLOCK_BOOTTIME 7

typedef int clockid_t;
typedef long time_t;

/// POSIX <time.h>: `tv_sec` and `tv_nsec`, 16 bytes on x86-64.
struct timespec {
    time_t tv_sec;
    long tv_nsec;
};

/// A <stdio.h> stream. There is one, the console: `stdout` and `stderr` both point at it.
typedef struct mirage_hvt_stream FILE;

extern FILE *stdout;
extern FILE *stderr;

// <string.h> (C17 7.24)
void *memcpy(void *restrict destination, const void *restrict source, size_t count);
void *memmove(void *destination, const void *source, size_t count);
void *memset(void *destination, int value, size_t count);
int memcmp(const void *left, const void *right, size_t count);
size_t strlen(const char *string);
int strcmp(const char *left, const char *right);
char *strncpy(char *restrict destination, const char *restrict source, size_t count);

// <stdlib.h> (C17 7.22, POSIX posix_memalign)
void *malloc(size_t size);
void *calloc(size_t count, size_t size);
void *realloc(void *pointer, size_t size);
void free(void *pointer);
int posix_memalign(void **result, size_t alignment, size_t size);
void *aligned_alloc(size_t alignment, size_t size);
void exit(int status) __attribute__((noreturn));
void abort(void) __attribute__((noreturn));
void arc4random_buf(void *buffer, size_t count);

// <unistd.h>
void _exit(int status) __attribute__((noreturn));

// <stdio.h> (C17 7.21)
int putchar(int character);
int puts(const char *string);
int fputs(const char *restrict string, FILE *restrict stream);
int fflush(FILE *stream);
int printf(const char *restrict format, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *restrict format, va_list arguments) __attribute__((format(printf, 1, 0)));
int snprintf(char *restrict buffer, size_t size, const char *restrict format, ...)
    __attribute__((format(printf, 3, 4)));
int vsnprintf(char *restrict buffer, size_t size, const char *restrict format, va_list arguments)
    __attribute__((format(printf, 3, 0)));

// <time.h> (POSIX)
int clock_gettime(clockid_t clock, struct timespec *time);
int clock_getres(clockid_t clock, struct timespec *resolution);
int nanosleep(const struct timespec *duration, struct timespec *remaining);

// <errno.h>: glibc's `errno` expands to (*__errno_location()).
int *__errno_location(void);

// <math.h> (C17 7.12)
double ceil(double x);
float ceilf(float x);
double floor(double x);
float floorf(float x);
double trunc(double x);
float truncf(float x);
double round(double x);
float roundf(float x);
double fmod(double x, double y);
float fmodf(float x, float y);

#endif
