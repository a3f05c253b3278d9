// The guest's 128-bit division helpers (int128.c), against the host compiler's own (libgcc or
// compiler-rt): run.sh compiles int128.c with the helpers renamed mirage___udivti3 and so on.
#include "check.h"

typedef unsigned __int128 u128;
typedef __int128 i128;

u128 mirage___udivti3(u128, u128);
u128 mirage___umodti3(u128, u128);
i128 mirage___divti3(i128, i128);
i128 mirage___modti3(i128, i128);

/// A random 128-bit value whose magnitude is spread over every size, so that one-word and
/// two-word divisors, small and huge quotients all come up.
static u128 random_u128(void) {
    u128 value = (u128)test_random() << 64 | test_random();
    return value >> test_random_between(0, 127);
}

static void check_pair(u128 dividend, u128 divisor) {
    if (divisor == 0) return;
    CHECK(mirage___udivti3(dividend, divisor) == dividend / divisor);
    CHECK(mirage___umodti3(dividend, divisor) == dividend % divisor);
    i128 a = (i128)dividend, b = (i128)divisor;
    if (b == -1 && a == (i128)((u128)1 << 127)) return; // overflows, as in C
    CHECK(mirage___divti3(a, b) == a / b);
    CHECK(mirage___modti3(a, b) == a % b);
}

void test_int128_division_matches_the_compiler_runtime(void) {
    const u128 edges[] = {
        1, 2, 3, 7, 10, 1000000000, (u128)1 << 63, ((u128)1 << 64) - 1, (u128)1 << 64,
        ((u128)1 << 64) + 1, (u128)1 << 127, ~(u128)0, ~(u128)0 - 1, (u128)0xFFFFFFFFFFFFFFFFULL << 64,
    };
    unsigned count = sizeof edges / sizeof edges[0];
    for (unsigned i = 0; i < count; i++) {
        check_pair(0, edges[i]);
        for (unsigned j = 0; j < count; j++) check_pair(edges[i], edges[j]);
    }
    for (int round = 0; round < 200000 && !test_has_failed(); round++) {
        check_pair(random_u128(), random_u128());
    }
}
