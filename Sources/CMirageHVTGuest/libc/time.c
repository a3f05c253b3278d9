// Clocks and sleeping (POSIX clock_gettime, clock_getres, nanosleep) over the two clock
// hypercalls, and the C++ steady clock libswift_Concurrency.a's executor code may name.
//
// The Swift concurrency runtime asks for CLOCK_BOOTTIME (ContinuousClock), CLOCK_MONOTONIC and
// CLOCK_MONOTONIC_RAW (SuspendingClock) and CLOCK_REALTIME. A guest never suspends apart from its
// host, so every monotonic clock is the host's CLOCK_MONOTONIC; the real-time clocks are the
// host's CLOCK_REALTIME. CPU-time clocks are not provided (EINVAL).
#include "guest.h"
#include "libc.h"

#define NANOSECONDS_PER_SECOND 1000000000ULL

/// Which hypercall a POSIX clock reads.
enum clock_source { NO_CLOCK, WALL_CLOCK, MONOTONIC_CLOCK };

static enum clock_source source_of(clockid_t clock) {
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_REALTIME_COARSE:
        return WALL_CLOCK;
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
        return MONOTONIC_CLOCK;
    default:
        return NO_CLOCK;
    }
}

int clock_gettime(clockid_t clock, struct timespec *time) {
    uint64_t nanoseconds;
    switch (source_of(clock)) {
    case WALL_CLOCK:
        nanoseconds = mirage_hvt_wall_clock_ns();
        break;
    case MONOTONIC_CLOCK:
        nanoseconds = mirage_hvt_monotonic_ns();
        break;
    case NO_CLOCK:
    default:
        *__errno_location() = EINVAL;
        return -1;
    }
    time->tv_sec = (time_t)(nanoseconds / NANOSECONDS_PER_SECOND);
    time->tv_nsec = (long)(nanoseconds % NANOSECONDS_PER_SECOND);
    return 0;
}

int clock_getres(clockid_t clock, struct timespec *resolution) {
    if (source_of(clock) == NO_CLOCK) {
        *__errno_location() = EINVAL;
        return -1;
    }
    // The hypercalls report nanoseconds, and the host's clocks count them.
    if (resolution != NULL) {
        resolution->tv_sec = 0;
        resolution->tv_nsec = 1;
    }
    return 0;
}

int nanosleep(const struct timespec *duration, struct timespec *remaining) {
    if (duration->tv_sec < 0 || duration->tv_nsec < 0 || (uint64_t)duration->tv_nsec >= NANOSECONDS_PER_SECOND) {
        *__errno_location() = EINVAL;
        return -1;
    }
    uint64_t now = mirage_hvt_monotonic_ns();
    uint64_t length = UINT64_MAX;  // "forever" for durations beyond 584 years
    if ((uint64_t)duration->tv_sec < UINT64_MAX / NANOSECONDS_PER_SECOND) {
        length = (uint64_t)duration->tv_sec * NANOSECONDS_PER_SECOND + (uint64_t)duration->tv_nsec;
    }
    uint64_t deadline = now + length < now ? UINT64_MAX : now + length;
    // The tender returns from poll by the deadline, or earlier when a device has input; the
    // guest has nothing else to do meanwhile, so it polls again until the time has passed. A
    // stop request (SIGINT or SIGTERM to the tender, which every later poll reports at once)
    // interrupts the sleep as a signal would: EINTR, with the time still to sleep.
    while (now < deadline) {
        struct mirage_hvt_poll request = { .deadline = deadline, .ready = 0 };
        mirage_hvt_hypercall(MIRAGE_HVT_POLL, &request);
        now = mirage_hvt_monotonic_ns();
        if ((request.ready & MIRAGE_HVT_POLL_STOP_REQUESTED) && now < deadline) {
            if (remaining != NULL) {
                uint64_t left = deadline - now;
                remaining->tv_sec = (time_t)(left / NANOSECONDS_PER_SECOND);
                remaining->tv_nsec = (long)(left % NANOSECONDS_PER_SECOND);
            }
            *__errno_location() = EINTR;
            return -1;
        }
    }
    if (remaining != NULL) {
        remaining->tv_sec = 0;
        remaining->tv_nsec = 0;
    }
    return 0;
}

/// `std::chrono::steady_clock::now()` (libstdc++'s ABI, in the inline namespace `_V2`): a
/// time_point whose one member, nanoseconds as int64, is returned in RAX like an integer.
int64_t mirage_hvt_steady_clock_now(void) __asm__("_ZNSt6chrono3_V212steady_clock3nowEv");

int64_t mirage_hvt_steady_clock_now(void) {
    return (int64_t)mirage_hvt_monotonic_ns();
}
