// The rest of the guest's C library that runs the same on the host: the math functions (bit-exact against the host's libm), and the string
// functions (against simple byte loops). run.sh compiles math.c and string.c with their public
// names prefixed by mirage_ so they do not replace the host's own.
#include <math.h>
#include <string.h>

#include "check.h"

double mirage_ceil(double), mirage_floor(double), mirage_trunc(double), mirage_round(double);
float mirage_ceilf(float), mirage_floorf(float), mirage_truncf(float), mirage_roundf(float);
double mirage_fmod(double, double);
float mirage_fmodf(float, float);
void *mirage_memcpy(void *, const void *, size_t);
void *mirage_memmove(void *, const void *, size_t);
void *mirage_memset(void *, int, size_t);
int mirage_memcmp(const void *, const void *, size_t);
size_t mirage_strlen(const char *);
int mirage_strcmp(const char *, const char *);
char *mirage_strncpy(char *, const char *, size_t);

/// Bit-for-bit equality, with any NaN equal to any NaN.
static int same_double(double a, double b) {
    if (a != a) return b != b;
    return memcmp(&a, &b, sizeof a) == 0;
}

static int same_float(float a, float b) {
    if (a != a) return b != b;
    return memcmp(&a, &b, sizeof a) == 0;
}

/// An interesting double: special values, halves, values near 2^52, random bit patterns.
static double sample_double(void) {
    static const double specials[] = {
        0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994,
        4503599627370495.5, -4503599627370495.5, 4503599627370496.0, 9007199254740993.0,
        1e300, -1e300, 5e-324, -5e-324, 1.0 / 0.0, -1.0 / 0.0,
    };
    uint64_t kind = test_random_between(0, 9);
    if (kind == 0) return specials[test_random_between(0, sizeof specials / sizeof specials[0] - 1)];
    if (kind < 4) return (double)(int64_t)test_random_between(0, 2000000) / 8.0 - 125000.0;
    if (kind < 6) return (double)(int64_t)(test_random() >> 10) * (test_random() & 1 ? 1e-9 : -1e-3);
    uint64_t bits = test_random();
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

void test_math_rounding_matches_libm(void) {
    for (int i = 0; i < 200000 && !test_has_failed(); i++) {
        double x = sample_double();
        CHECK(same_double(mirage_ceil(x), ceil(x)));
        CHECK(same_double(mirage_floor(x), floor(x)));
        CHECK(same_double(mirage_trunc(x), trunc(x)));
        CHECK(same_double(mirage_round(x), round(x)));
        float f = (float)x;
        CHECK(same_float(mirage_ceilf(f), ceilf(f)));
        CHECK(same_float(mirage_floorf(f), floorf(f)));
        CHECK(same_float(mirage_truncf(f), truncf(f)));
        CHECK(same_float(mirage_roundf(f), roundf(f)));
    }
}

void test_math_fmod_matches_libm(void) {
    for (int i = 0; i < 100000 && !test_has_failed(); i++) {
        double x = sample_double(), y = sample_double();
        CHECK(same_double(mirage_fmod(x, y), fmod(x, y)));
        CHECK(same_float(mirage_fmodf((float)x, (float)y), fmodf((float)x, (float)y)));
    }
    CHECK(same_double(mirage_fmod(7.5, 2.0), 1.5));
    CHECK(same_double(mirage_fmod(-7.5, 2.0), -1.5));
    CHECK(same_double(mirage_fmod(1e300, 3.0), fmod(1e300, 3.0)));
    CHECK(mirage_fmod(1.0, 0.0) != mirage_fmod(1.0, 0.0));  // NaN
}

void test_string_functions(void) {
    unsigned char buffer[300], reference[300];
    for (int round = 0; round < 20000 && !test_has_failed(); round++) {
        for (size_t i = 0; i < sizeof buffer; i++) buffer[i] = reference[i] = (unsigned char)test_random();
        size_t from = test_random_between(0, 150), to = test_random_between(0, 150);
        size_t count = test_random_between(0, 149);
        // memmove, overlapping in either direction: compare with a copy through a temporary.
        unsigned char temporary[150];
        for (size_t i = 0; i < count; i++) temporary[i] = reference[from + i];
        for (size_t i = 0; i < count; i++) reference[to + i] = temporary[i];
        CHECK(mirage_memmove(buffer + to, buffer + from, count) == buffer + to);
        CHECK(memcmp(buffer, reference, sizeof buffer) == 0);
        int value = (int)test_random_between(0, 511);  // only the low byte counts
        CHECK(mirage_memset(buffer + from, value, count) == buffer + from);
        for (size_t i = 0; i < count; i++) reference[from + i] = (unsigned char)value;
        CHECK(memcmp(buffer, reference, sizeof buffer) == 0);
        if (from + count <= to || to + count <= from) {
            CHECK(mirage_memcpy(buffer + to, buffer + from, count) == buffer + to);
            for (size_t i = 0; i < count; i++) reference[to + i] = reference[from + i];
            CHECK(memcmp(buffer, reference, sizeof buffer) == 0);
        }
        int ours = mirage_memcmp(buffer, buffer + from, count);
        int theirs = memcmp(buffer, buffer + from, count);
        CHECK((ours > 0) == (theirs > 0) && (ours < 0) == (theirs < 0));
    }
    CHECK(mirage_strlen("") == 0 && mirage_strlen("unikernel") == 9);
    CHECK(mirage_strcmp("abc", "abc") == 0);
    CHECK(mirage_strcmp("abc", "abd") < 0 && mirage_strcmp("abd", "abc") > 0);
    CHECK(mirage_strcmp("ab", "abc") < 0 && mirage_strcmp("\xff", "a") > 0);  // unsigned chars
    char padded[8];
    memset(padded, '#', sizeof padded);
    CHECK(mirage_strncpy(padded, "ab", 6) == padded);
    CHECK(memcmp(padded, "ab\0\0\0\0##", 8) == 0);  // NUL-padded to exactly 6
    padded[3] = '#';
    mirage_strncpy(padded, "abcdefgh", 3);
    CHECK(memcmp(padded, "abc#", 4) == 0);  // a long source is not NUL-terminated
}
