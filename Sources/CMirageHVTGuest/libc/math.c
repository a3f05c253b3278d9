// The <math.h> functions (C17 7.12.9 rounding, 7.12.10.1 fmod) the Swift standard library calls:
// LLVM lowers `rounded(.up)` and friends on x86-64 without SSE4.1 to ceil, floor, trunc and
// round, and `truncatingRemainder(dividingBy:)` to fmod.
//
// The rounding functions work on the IEEE 754 binary64/binary32 encoding: clear the fraction
// bits below the binary point, then step away from zero when the direction asks for it. They are
// exact, keep the sign of zero and return infinities and NaNs unchanged, as C17 Annex F says.
#include "libc.h"

union double_bits {
    double value;
    uint64_t bits;
};

union float_bits {
    float value;
    uint32_t bits;
};

/// The unbiased exponent of a binary64 value (1023 is the bias, 52 fraction bits).
static int exponent_of(uint64_t bits) {
    return (int)((bits >> 52) & 0x7ff) - 1023;
}

static int exponent_of_float(uint32_t bits) {
    return (int)((bits >> 23) & 0xff) - 127;
}

double trunc(double x) {
    union double_bits u = { .value = x };
    int exponent = exponent_of(u.bits);
    if (exponent >= 52) return x;                      // integral, infinite or NaN
    if (exponent < 0) u.bits &= (uint64_t)1 << 63;     // |x| < 1: a zero of x's sign
    else u.bits &= ~(((uint64_t)1 << (52 - exponent)) - 1);
    return u.value;
}

double ceil(double x) {
    double truncated = trunc(x);
    if (truncated < x) {
        // x > 0 with a fraction; -0.5 truncates to -0.0, which is already its ceiling.
        return truncated + 1.0;
    }
    return truncated;
}

double floor(double x) {
    double truncated = trunc(x);
    return truncated > x ? truncated - 1.0 : truncated;
}

double round(double x) {
    union double_bits u = { .value = x };
    int exponent = exponent_of(u.bits);
    if (exponent >= 52) return x;
    if (exponent < -1) {                               // |x| < 0.5
        u.bits &= (uint64_t)1 << 63;
        return u.value;
    }
    if (exponent == -1) {                              // 0.5 <= |x| < 1: halfway cases go away from 0
        u.bits = (u.bits & ((uint64_t)1 << 63)) | 0x3ff0000000000000ULL;
        return u.value;
    }
    // Adding half of the lowest integer bit rounds the magnitude half away from zero; a carry
    // into the exponent field is still the right encoding.
    uint64_t fraction_mask = ((uint64_t)1 << (52 - exponent)) - 1;
    u.bits += (uint64_t)1 << (51 - exponent);
    u.bits &= ~fraction_mask;
    return u.value;
}

float truncf(float x) {
    union float_bits u = { .value = x };
    int exponent = exponent_of_float(u.bits);
    if (exponent >= 23) return x;
    if (exponent < 0) u.bits &= (uint32_t)1 << 31;
    else u.bits &= ~(((uint32_t)1 << (23 - exponent)) - 1);
    return u.value;
}

float ceilf(float x) {
    float truncated = truncf(x);
    return truncated < x ? truncated + 1.0f : truncated;
}

float floorf(float x) {
    float truncated = truncf(x);
    return truncated > x ? truncated - 1.0f : truncated;
}

float roundf(float x) {
    union float_bits u = { .value = x };
    int exponent = exponent_of_float(u.bits);
    if (exponent >= 23) return x;
    if (exponent < -1) {
        u.bits &= (uint32_t)1 << 31;
        return u.value;
    }
    if (exponent == -1) {
        u.bits = (u.bits & ((uint32_t)1 << 31)) | 0x3f800000u;
        return u.value;
    }
    uint32_t fraction_mask = ((uint32_t)1 << (23 - exponent)) - 1;
    u.bits += (uint32_t)1 << (22 - exponent);
    u.bits &= ~fraction_mask;
    return u.value;
}

/// The x87 FPREM instruction computes the exact remainder of a truncating division, a step at a
/// time: it sets C2 (bit 10 of the status word) while the reduction is incomplete (Intel SDM
/// vol. 2, FPREM). That is fmod's definition, with its special cases: NaN for a zero divisor or
/// an infinite dividend, x for an infinite divisor.
static long double x87_remainder(long double x, long double y) {
    __asm__("1:\n\t"
            "fprem\n\t"
            "fnstsw %%ax\n\t"
            "testw $0x400, %%ax\n\t"
            "jnz 1b"
            : "+t"(x)
            : "u"(y)
            : "ax", "cc");
    return x;
}

double fmod(double x, double y) {
    return (double)x87_remainder(x, y);
}

float fmodf(float x, float y) {
    return (float)x87_remainder(x, y);
}
