// Time from the time-stamp counter: the arithmetic of the guest's monotonic clock (clock.c),
// kept apart from RDTSC and the hypercalls so the host tests can check it.
#ifndef MIRAGE_HVT_TSC_H
#define MIRAGE_HVT_TSC_H

#include <stdint.h>

/// A clock that counts nanoseconds from an anchor: a counter reading `anchor_ticks` taken at
/// `anchor_ns` nanoseconds, and the counter's rate. It never runs backwards: a reading is never
/// below the one before (`last_ns`).
struct mirage_tsc_clock {
    uint64_t scale;          // nanoseconds per tick, as a 32.32 fixed-point number
    uint64_t resync_ticks;   // readings this many ticks past the anchor ask for a new anchor
    uint64_t anchor_ticks;
    uint64_t anchor_ns;
    uint64_t last_ns;
};

/// Sets up `clock` for a counter of `frequency` ticks per second (at least 1 MHz), asking for a
/// new anchor about once a second; the caller then anchors it. Returns 0, or -1 for a frequency
/// it cannot use (the clock is left unusable: scale 0).
int mirage_tsc_clock_init(struct mirage_tsc_clock *clock, uint64_t frequency);

/// Anchors `clock` at counter reading `ticks`, taken at `nanoseconds`; returns the time now,
/// which is `nanoseconds` unless an earlier reading was later.
uint64_t mirage_tsc_clock_anchor(struct mirage_tsc_clock *clock, uint64_t ticks, uint64_t nanoseconds);

/// The time at counter reading `ticks`, in `*nanoseconds`; returns 0 when `ticks` is before the
/// anchor or more than `resync_ticks` after it, so the caller must anchor again (and nothing is
/// stored), else 1.
int mirage_tsc_clock_read(struct mirage_tsc_clock *clock, uint64_t ticks, uint64_t *nanoseconds);

/// The wall clock kept as an offset from the monotonic clock: the host's CLOCK_REALTIME minus its
/// CLOCK_MONOTONIC (modulo 2^64), as read at monotonic instant `taken_ns`, and trusted for a
/// second of monotonic time after it, so the host's steps and slews reach the guest within a
/// second while a wall clock reading in between costs no hypercall.
struct mirage_wall_clock {
    uint64_t offset_ns;
    uint64_t taken_ns;
    int valid;
};

/// Sets `clock` from the wall clock `wall_ns` read at monotonic instant `monotonic_ns`.
void mirage_wall_clock_set(struct mirage_wall_clock *clock, uint64_t wall_ns, uint64_t monotonic_ns);

/// The wall clock at monotonic instant `monotonic_ns`, in `*wall_ns`; returns 0 when `clock` was
/// never set, or `monotonic_ns` is before it was set or more than a second after (the caller
/// then reads the host's clock and sets it again; nothing is stored), else 1.
int mirage_wall_clock_read(const struct mirage_wall_clock *clock, uint64_t monotonic_ns, uint64_t *wall_ns);

#endif
