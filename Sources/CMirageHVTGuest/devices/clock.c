// The guest's monotonic clock: the host's CLOCK_MONOTONIC. Each MIRAGE_HVT_MONOTONIC hypercall
// is a VM exit (about 25 us under PVM, PLATFORM-NOTES.md), and the network stack reads the clock
// for every frame; so when the tender passes the frequency of an invariant time-stamp counter,
// the clock is computed from RDTSC (native at CPL3, about 10 ns) instead, anchored to the
// hypercall at the first reading and again about once a second, so it never drifts from the
// host's by more than the counter's error over a second (parts per million). It never runs
// backwards. The first anchor is the tender's (boot_info's clock_anchor_*: the counter and the
// host's clock read together before the guest ran), so no exit is on the way to the application's
// start; with a tender that gives none, the first reading anchors.
//
// The wall clock is the monotonic clock plus the host's CLOCK_REALTIME - CLOCK_MONOTONIC, given by
// the tender with the anchor (boot_info's clock_anchor_wall_ns) and read again with the
// MIRAGE_HVT_WALL_CLOCK hypercall when a second has passed since: the first log line's time
// stamp costs no exit, and a step of the host's clock reaches the guest within a second. Without
// the counter each wall clock reading is the hypercall, as the monotonic clock's would be.
#include "guest.h"
#include "tsc.h"

static struct mirage_tsc_clock tsc_clock;
static int tsc_usable;
static int tsc_anchored;
static struct mirage_wall_clock wall_clock;

static uint64_t host_monotonic_ns(void) {
    struct mirage_hvt_time time = { .nanoseconds = 0 };
    mirage_hvt_hypercall(MIRAGE_HVT_MONOTONIC, &time);
    return time.nanoseconds;
}

/// Anchors the counter to the host's clock: the reading taken halfway through the hypercall.
static uint64_t anchor(void) {
    uint64_t before = __builtin_ia32_rdtsc();
    uint64_t host = host_monotonic_ns();
    uint64_t after = __builtin_ia32_rdtsc();
    tsc_anchored = 1;
    return mirage_tsc_clock_anchor(&tsc_clock, before + (after - before) / 2, host);
}

void mirage_hvt_clock_init(uint64_t tsc_frequency, uint64_t anchor_ticks, uint64_t anchor_ns, uint64_t anchor_wall_ns) {
    tsc_usable = tsc_frequency != 0 && mirage_tsc_clock_init(&tsc_clock, tsc_frequency) == 0;
    // The tender's anchor, when it gave one (the counter and the host's clock read together
    // before the guest ran): no hypercall for the first reading.
    if (tsc_usable && anchor_ns != 0) {
        mirage_tsc_clock_anchor(&tsc_clock, anchor_ticks, anchor_ns);
        tsc_anchored = 1;
        if (anchor_wall_ns != 0) mirage_wall_clock_set(&wall_clock, anchor_wall_ns, anchor_ns);
    }
}

uint64_t mirage_hvt_monotonic_ns(void) {
    if (!tsc_usable) return host_monotonic_ns();
    uint64_t now;
    if (tsc_anchored && mirage_tsc_clock_read(&tsc_clock, __builtin_ia32_rdtsc(), &now)) return now;
    return anchor();
}

static uint64_t host_wall_clock_ns(void) {
    struct mirage_hvt_time time = { .nanoseconds = 0 };
    mirage_hvt_hypercall(MIRAGE_HVT_WALL_CLOCK, &time);
    return time.nanoseconds;
}

uint64_t mirage_hvt_wall_clock_ns(void) {
    if (!tsc_usable) return host_wall_clock_ns();
    uint64_t now = mirage_hvt_monotonic_ns();
    uint64_t wall;
    if (mirage_wall_clock_read(&wall_clock, now, &wall)) return wall;
    // Set again at the middle of the hypercall, on the monotonic clock.
    wall = host_wall_clock_ns();
    uint64_t after = mirage_hvt_monotonic_ns();
    mirage_wall_clock_set(&wall_clock, wall, now + (after - now) / 2);
    return wall;
}
