// The arithmetic of the guest's monotonic clock on the time-stamp counter (tsc.c).
#include "check.h"
#include "tsc.h"

void test_tsc_clock_converts_ticks_to_nanoseconds(void) {
    const uint64_t frequencies[] = { 1000000, 2596140000ULL, 3000000000ULL, 4999999999ULL, 1000000000ULL };
    for (unsigned i = 0; i < sizeof frequencies / sizeof frequencies[0]; i++) {
        uint64_t frequency = frequencies[i];
        struct mirage_tsc_clock clock;
        CHECK(mirage_tsc_clock_init(&clock, frequency) == 0);
        CHECK(clock.resync_ticks == frequency);
        uint64_t base = test_random() >> 4, start = test_random() >> 2;
        CHECK(mirage_tsc_clock_anchor(&clock, base, start) == start);
        // Across the whole second before a resync, within a nanosecond of the exact value.
        for (int round = 0; round < 10000; round++) {
            uint64_t elapsed = round == 0 ? frequency : test_random_between(0, frequency);
            uint64_t now = 0;
            // Readings go forwards in these rounds only when elapsed grows; compare with a fresh
            // clock each time so the no-going-back rule does not hide an error.
            struct mirage_tsc_clock fresh = clock;
            fresh.last_ns = 0;
            CHECK(mirage_tsc_clock_read(&fresh, base + elapsed, &now) == 1);
            unsigned __int128 exact = (unsigned __int128)elapsed * 1000000000ULL / frequency;
            uint64_t expected = start + (uint64_t)exact;
            CHECK(now <= expected + 1 && now + 1 >= expected);
            if (test_has_failed()) return;
        }
    }
}

void test_tsc_clock_asks_for_a_new_anchor_and_never_runs_backwards(void) {
    struct mirage_tsc_clock clock;
    CHECK(mirage_tsc_clock_init(&clock, 999999) == -1 && clock.scale == 0);
    CHECK(mirage_tsc_clock_init(&clock, 2000000000ULL) == 0);
    mirage_tsc_clock_anchor(&clock, 1000, 5000000000ULL);
    uint64_t now = 0;
    CHECK(mirage_tsc_clock_read(&clock, 1000 + 2000000000ULL, &now) == 1 && now == 6000000000ULL);
    now = 42;
    CHECK(mirage_tsc_clock_read(&clock, 1000 + 2000000001ULL, &now) == 0 && now == 42);  // past a second
    CHECK(mirage_tsc_clock_read(&clock, 999, &now) == 0 && now == 42);                    // before the anchor
    // A new anchor behind what was already read: the clock waits rather than going back.
    CHECK(mirage_tsc_clock_anchor(&clock, 5000, 5500000000ULL) == 6000000000ULL);
    CHECK(mirage_tsc_clock_read(&clock, 5000 + 2000000, &now) == 1 && now == 6000000000ULL);
    CHECK(mirage_tsc_clock_read(&clock, 5000 + 1200000000ULL, &now) == 1 && now == 6100000000ULL);
    CHECK(mirage_tsc_clock_anchor(&clock, 7000, 7000000000ULL) == 7000000000ULL);
    CHECK(mirage_tsc_clock_read(&clock, 7000, &now) == 1 && now == 7000000000ULL);
}

void test_wall_clock_offset_holds_for_a_second(void) {
    struct mirage_wall_clock clock = { 0 };
    uint64_t wall = 42;
    CHECK(mirage_wall_clock_read(&clock, 5, &wall) == 0 && wall == 42);  // never set
    // Noon on 2026-12-06 on the wall clock, 3 s after the host's boot on its monotonic clock.
    const uint64_t epoch = 1796558400ULL * 1000000000ULL, boot = 3000000000ULL;
    mirage_wall_clock_set(&clock, epoch, boot);
    CHECK(mirage_wall_clock_read(&clock, boot, &wall) == 1 && wall == epoch);
    CHECK(mirage_wall_clock_read(&clock, boot + 1000000000ULL, &wall) == 1 && wall == epoch + 1000000000ULL);
    wall = 42;
    CHECK(mirage_wall_clock_read(&clock, boot + 1000000001ULL, &wall) == 0 && wall == 42);  // past a second
    CHECK(mirage_wall_clock_read(&clock, boot - 1, &wall) == 0 && wall == 42);              // before it was set
    // A wall clock behind the monotonic one (a host clock set before 1970 + its uptime) works
    // modulo 2^64 all the same.
    mirage_wall_clock_set(&clock, 1000, boot);
    CHECK(mirage_wall_clock_read(&clock, boot + 500, &wall) == 1 && wall == 1500);
    for (int round = 0; round < 10000; round++) {
        uint64_t at = test_random() >> 1, offset = test_random();
        mirage_wall_clock_set(&clock, at + offset, at);
        uint64_t later = test_random_between(0, 1000000000ULL);
        CHECK(mirage_wall_clock_read(&clock, at + later, &wall) == 1 && wall == at + offset + later);
        if (test_has_failed()) return;
    }
}
