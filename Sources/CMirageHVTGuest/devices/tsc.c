// The time-stamp counter arithmetic of the guest's monotonic clock, and its wall clock's offset
// from it; see tsc.h.
#include "tsc.h"

#define NANOSECONDS_PER_SECOND 1000000000ULL

int mirage_tsc_clock_init(struct mirage_tsc_clock *clock, uint64_t frequency) {
    *clock = (struct mirage_tsc_clock){ 0 };
    if (frequency < 1000000) return -1;
    // 10^9 * 2^32 < 2^64, and a 64-bit division: no 128-bit helper needed. The rounding error is
    // below one part in 2^32 * 10^9 / frequency: under a nanosecond a second at 4 GHz.
    clock->scale = (NANOSECONDS_PER_SECOND << 32) / frequency;
    clock->resync_ticks = frequency;
    return 0;
}

uint64_t mirage_tsc_clock_anchor(struct mirage_tsc_clock *clock, uint64_t ticks, uint64_t nanoseconds) {
    clock->anchor_ticks = ticks;
    clock->anchor_ns = nanoseconds;
    if (nanoseconds > clock->last_ns) clock->last_ns = nanoseconds;
    return clock->last_ns;
}

int mirage_tsc_clock_read(struct mirage_tsc_clock *clock, uint64_t ticks, uint64_t *nanoseconds) {
    if (ticks < clock->anchor_ticks) return 0;
    uint64_t elapsed = ticks - clock->anchor_ticks;
    if (elapsed > clock->resync_ticks) return 0;
    // A 64 x 64 -> 128-bit product (one mulq); shifts of 128-bit values are inlined too.
    uint64_t since = (uint64_t)(((unsigned __int128)elapsed * clock->scale) >> 32);
    uint64_t now = clock->anchor_ns + since;
    if (now < clock->last_ns) now = clock->last_ns;
    clock->last_ns = now;
    *nanoseconds = now;
    return 1;
}

void mirage_wall_clock_set(struct mirage_wall_clock *clock, uint64_t wall_ns, uint64_t monotonic_ns) {
    clock->offset_ns = wall_ns - monotonic_ns;  // modulo 2^64, as the sum below
    clock->taken_ns = monotonic_ns;
    clock->valid = 1;
}

int mirage_wall_clock_read(const struct mirage_wall_clock *clock, uint64_t monotonic_ns, uint64_t *wall_ns) {
    if (!clock->valid || monotonic_ns < clock->taken_ns || monotonic_ns - clock->taken_ns > NANOSECONDS_PER_SECOND) {
        return 0;
    }
    *wall_ns = monotonic_ns + clock->offset_ns;
    return 1;
}
