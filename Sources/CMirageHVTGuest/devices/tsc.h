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

#endif
