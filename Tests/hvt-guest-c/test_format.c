// The printf engine (Sources/CMirageHVTGuest/libc/format.c) through mirage_format_to_buffer, which is what
// vsnprintf calls. Where the C standard fixes the output, it must equal the host C library's
// snprintf character for character, return value included.
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include "check.h"
#include "format.h"

/// Formats with the engine; returns its result length.
static size_t ours(char *buffer, size_t size, const char *format, ...) {
    va_list arguments;
    va_start(arguments, format);
    size_t length = mirage_format_to_buffer(buffer, size, format, arguments);
    va_end(arguments);
    return length;
}

/// Both formatters into 200-byte buffers, then the results must be equal.
#define SAME_AS_LIBC(...)                                                                 \
    do {                                                                                  \
        char expected[200], actual[200];                                                  \
        int expected_length = snprintf(expected, sizeof expected, __VA_ARGS__);           \
        size_t actual_length = ours(actual, sizeof actual, __VA_ARGS__);                  \
        if (strcmp(expected, actual) != 0 || (size_t)expected_length != actual_length) {  \
            printf("  format %s: libc \"%s\" (%d), ours \"%s\" (%zu)\n", #__VA_ARGS__,   \
                   expected, expected_length, actual, actual_length);                     \
        }                                                                                 \
        CHECK(strcmp(expected, actual) == 0);                                             \
        CHECK((size_t)expected_length == actual_length);                                  \
    } while (0)

/// The engine's output must be `expected`.
#define FORMATS_AS(expected, ...)                                         \
    do {                                                                  \
        char actual[200];                                                 \
        size_t length = ours(actual, sizeof actual, __VA_ARGS__);         \
        if (strcmp(actual, expected) != 0) {                              \
            printf("  format %s: expected \"%s\", got \"%s\"\n", #__VA_ARGS__, expected, actual); \
        }                                                                 \
        CHECK(strcmp(actual, expected) == 0);                             \
        CHECK(length == strlen(expected));                                \
    } while (0)

void test_format_integers_match_the_c_library(void) {
    SAME_AS_LIBC("%d %i %u", 42, -42, 42u);
    SAME_AS_LIBC("%d|%d|%d", 0, INT_MAX, INT_MIN);
    SAME_AS_LIBC("%u %x %X %o", UINT_MAX, 0xdeadbeefu, 0xdeadbeefu, 0755u);
    SAME_AS_LIBC("%ld %lu %lx", LONG_MIN, ULONG_MAX, ULONG_MAX);
    SAME_AS_LIBC("%lld %llu %llX", LLONG_MIN, ULLONG_MAX, 0x123456789abcdefULL);
    SAME_AS_LIBC("%zu %zd %zx", (size_t)SIZE_MAX, (ptrdiff_t)-5, (size_t)255);
    SAME_AS_LIBC("%jd %ju %td", (intmax_t)-7, (uintmax_t)7, (ptrdiff_t)-9);
    SAME_AS_LIBC("%hhd %hhu %hd %hu", 300, 300, 70000, 70000);
    SAME_AS_LIBC("[%5d] [%-5d] [%05d] [%05d]", 42, 42, 42, -42);
    SAME_AS_LIBC("[%+d] [% d] [%+d] [% 5d] [%+05d]", 42, 42, -42, 42, 42);
    SAME_AS_LIBC("[%.3d] [%8.3d] [%-8.3d] [%08.3d]", 7, 7, -7, 7);
    SAME_AS_LIBC("[%.0d] [%.0u] [%5.0x] [%.0o]", 0, 0u, 0u, 0u);
    SAME_AS_LIBC("[%#x] [%#X] [%#o] [%#o] [%#x] [%#10x] [%#010x]", 255u, 255u, 8u, 0u, 0u, 255u, 255u);
    SAME_AS_LIBC("[%#.5o] [%#.0o]", 8u, 0u);
    SAME_AS_LIBC("[%-+8d] [%-08d]", 42, 42);
    SAME_AS_LIBC("%%d %%");
}

void test_format_strings_and_characters_match_the_c_library(void) {
    SAME_AS_LIBC("%s|%10s|%-10s|", "abc", "abc", "abc");
    SAME_AS_LIBC("%.2s|%5.1s|%-5.0s|", "abc", "abc", "abc");
    SAME_AS_LIBC("%c%c%c|%3c|%-3c|", 'a', 'b', 'c', 'x', 'y');
    SAME_AS_LIBC("%s", "");
    SAME_AS_LIBC("no conversions at all");
    SAME_AS_LIBC("%s: data race detected: %s at %.*s:%d was not called on %s\n", "error",
                 "@MainActor function", 7, "main.swift-and-more", 12, "the main thread");
    SAME_AS_LIBC("%s", (const char *)NULL);  // glibc's "(null)", which the engine also prints
}

void test_format_star_width_and_precision(void) {
    SAME_AS_LIBC("[%*d] [%-*d] [%*d]", 6, 42, 6, 42, -6, 42);
    SAME_AS_LIBC("[%.*d] [%.*d]", 4, 42, -1, 42);
    SAME_AS_LIBC("[%*.*s]", 8, 3, "abcdef");
    // A precision bounds the read: the array needs no NUL.
    char unterminated[3] = { 'x', 'y', 'z' };
    SAME_AS_LIBC("[%.*s]", 3, unterminated);
}

void test_format_truncates_and_reports_the_full_length(void) {
    char buffer[8];
    memset(buffer, '#', sizeof buffer);
    size_t length = ours(buffer, 5, "%d-%s", 12345, "abc");
    CHECK(length == 9);
    CHECK(strcmp(buffer, "1234") == 0);
    CHECK(buffer[5] == '#');  // nothing written past `size`
    CHECK(ours(NULL, 0, "%s", "counted, not written") == 20);
    CHECK(ours(buffer, 1, "abc") == 3 && buffer[0] == '\0');
}

void test_format_pointers_and_null(void) {
    char expected[64];
    void *pointer = (void *)(uintptr_t)0x7f00dead1000ULL;
    snprintf(expected, sizeof expected, "%p", pointer);  // glibc: 0x7f00dead1000
    FORMATS_AS(expected, "%p", pointer);
    FORMATS_AS("0x0", "%p", (void *)NULL);  // glibc would print "(nil)"
    FORMATS_AS("[      0x10]", "[%10p]", (void *)16);
}

void test_format_fixed_point(void) {
    SAME_AS_LIBC("%f %f %f", 0.0, 1.0, -1.0);
    SAME_AS_LIBC("%.2f %.3f %.0f %.1f", 3.14159, 2.71828, 41.7, 0.25 + 1e-9);
    SAME_AS_LIBC("[%8.3f] [%-8.2f] [%08.2f] [%+.1f]", -2.5, 1.125 + 1e-9, 3.5, 7.25 + 1e-9);
    SAME_AS_LIBC("%.9f", 0.123456789);
    SAME_AS_LIBC("%f %F %f", 1.0 / 0.0, -1.0 / 0.0, 123456789.0);
    FORMATS_AS("nan", "%f", __builtin_nan(""));
    FORMATS_AS("(large)", "%f", 1e300);
    FORMATS_AS("1.500000", "%Lf", (long double)1.5);
    FORMATS_AS("2.000000 and 3", "%g and %d", 2.0, 3);  // %g prints as %f, arguments stay in step
}

void test_format_unknown_conversions_are_copied(void) {
    FORMATS_AS("%y and 5", "%y and %d", 5);
    FORMATS_AS("100%", "100%");
    int written = 0;
    FORMATS_AS("ab", "a%nb", &written);
    CHECK(written == 0);  // %n is not carried out
}
