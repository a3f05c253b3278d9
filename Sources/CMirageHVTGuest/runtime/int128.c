// The 128-bit integer division helpers that compilers call instead of inlining (compiler-rt's
// and libgcc's __udivti3, __umodti3, __divti3, __modti3): the Swift standard library reaches
// them through UInt128 and Int128 arithmetic, for instance in Duration's components and in
// `dividingFullWidth`. A hosted program gets them from libgcc; the guest links no runtime
// library, so they are here.
//
// Everything else about 128-bit integers (shifts, comparisons, addition, multiplication) is
// inlined by the compiler; `/` and `%` on 128-bit operands must not appear in this file, or it
// would call itself. A divisor of zero traps, as the callers guarantee it never is (Swift
// checks division by zero before dividing).
#include "libc.h"

typedef unsigned __int128 u128;
typedef __int128 i128;

u128 __udivti3(u128 dividend, u128 divisor);
u128 __umodti3(u128 dividend, u128 divisor);
i128 __divti3(i128 dividend, i128 divisor);
i128 __modti3(i128 dividend, i128 divisor);

/// Divides the 128-bit value high:low by `divisor`, which must be greater than `high` so that the
/// quotient fits 64 bits: one `divq` instruction.
static uint64_t divide_128_by_64(uint64_t high, uint64_t low, uint64_t divisor, uint64_t *remainder) {
    uint64_t quotient;
    __asm__("divq %[divisor]"
            : "=a"(quotient), "=d"(*remainder)
            : "a"(low), "d"(high), [divisor] "rm"(divisor));
    return quotient;
}

/// The quotient of `dividend` by `divisor`, and its remainder in `*remainder`.
static u128 divide(u128 dividend, u128 divisor, u128 *remainder) {
    if (divisor == 0) __builtin_trap();
    uint64_t dividend_high = (uint64_t)(dividend >> 64), dividend_low = (uint64_t)dividend;
    uint64_t divisor_high = (uint64_t)(divisor >> 64), divisor_low = (uint64_t)divisor;
    if (divisor_high == 0) {
        // Long division by a one-word divisor, in two steps of divq, each with a partial
        // remainder below the divisor so the quotient word fits.
        uint64_t quotient_high = dividend_high / divisor_low;
        uint64_t partial = dividend_high % divisor_low, rest;
        uint64_t quotient_low = divide_128_by_64(partial, dividend_low, divisor_low, &rest);
        *remainder = rest;
        return (u128)quotient_high << 64 | quotient_low;
    }
    if (dividend < divisor) {
        *remainder = dividend;
        return 0;
    }
    // A two-word divisor: the quotient has at most 64 bits. Align the divisor's top bit with the
    // dividend's, then subtract and shift, one quotient bit per step (at most 64 steps).
    int shift = __builtin_clzll(divisor_high) - __builtin_clzll(dividend_high);
    u128 shifted = divisor << shift;
    uint64_t quotient = 0;
    for (int step = 0; step <= shift; step++) {
        quotient <<= 1;
        if (dividend >= shifted) {
            dividend -= shifted;
            quotient |= 1;
        }
        shifted >>= 1;
    }
    *remainder = dividend;
    return quotient;
}

u128 __udivti3(u128 dividend, u128 divisor) {
    u128 remainder;
    return divide(dividend, divisor, &remainder);
}

u128 __umodti3(u128 dividend, u128 divisor) {
    u128 remainder;
    divide(dividend, divisor, &remainder);
    return remainder;
}

/// The magnitude of `value` (the minimum's too: its two's-complement negation, as unsigned).
static u128 magnitude(i128 value) {
    return value < 0 ? (u128)0 - (u128)value : (u128)value;
}

/// Truncating division (C17 6.5.5p6): the quotient's sign is the product of the operands' signs.
i128 __divti3(i128 dividend, i128 divisor) {
    u128 remainder;
    u128 quotient = divide(magnitude(dividend), magnitude(divisor), &remainder);
    return (dividend < 0) != (divisor < 0) ? (i128)((u128)0 - quotient) : (i128)quotient;
}

/// The remainder has the dividend's sign.
i128 __modti3(i128 dividend, i128 divisor) {
    u128 remainder;
    divide(magnitude(dividend), magnitude(divisor), &remainder);
    return dividend < 0 ? (i128)((u128)0 - remainder) : (i128)remainder;
}
