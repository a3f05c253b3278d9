// The executor of the Embedded concurrency runtime: libswift_Concurrency.a calls these
// `swift_task_*Impl` functions (swift/stdlib/public/Concurrency/ExecutorImpl.h), which the
// guest defines instead of linking libswift_ConcurrencyDefaultExecutor.a. They hand jobs to
// MirageRuntime's single-threaded Scheduler through two @_cdecl functions; the scheduler runs
// every job on the generic executor.
//
// The functions use the Swift calling convention (SWIFT_CC(swift), clang's swiftcall). For these
// signatures (integers, pointers and a two-word struct, no context or error register) it passes
// and returns the same registers as the C convention, but the attribute states the contract.
#include <stdbool.h>

#include "guest.h"
#include "libc.h"

#define SWIFT_CC __attribute__((swiftcall))

/// `SwiftExecutorRef` / `swift::SerialExecutorRef`: the executor's object (HeapObject *) and a
/// word with its witness table and kind bits. Two null words are the generic executor.
struct swift_executor_ref {
    void *identity;
    uintptr_t implementation;
};

// Defined in MirageRuntime (Scheduler/ExecutorHooks.swift), C calling convention.
extern void mirage_runtime_enqueue_job(void *job);
extern void mirage_runtime_enqueue_delayed_job(void *job, uint64_t delay_nanoseconds);

SWIFT_CC void swift_task_enqueueGlobalImpl(void *job);
SWIFT_CC void swift_task_enqueueMainExecutorImpl(void *job);
SWIFT_CC void swift_task_enqueueGlobalWithDelayImpl(unsigned long long delay, void *job);
SWIFT_CC void swift_task_enqueueGlobalWithDeadlineImpl(long long seconds, long long nanoseconds,
                                                       long long tolerance_seconds,
                                                       long long tolerance_nanoseconds, int clock, void *job);
SWIFT_CC struct swift_executor_ref swift_task_getMainExecutorImpl(void);
SWIFT_CC bool swift_task_isMainExecutorImpl(struct swift_executor_ref executor);
SWIFT_CC void swift_task_checkIsolatedImpl(struct swift_executor_ref executor);
SWIFT_CC int8_t swift_task_isIsolatingCurrentContextImpl(struct swift_executor_ref executor);
SWIFT_CC void swift_task_donateThreadToGlobalExecutorUntilImpl(bool (*condition)(void *), void *context);
SWIFT_CC void swift_task_asyncMainDrainQueueImpl(void) __attribute__((noreturn));

/// A job ready to run now (a new task, a resumed continuation, an actor's next job).
SWIFT_CC void swift_task_enqueueGlobalImpl(void *job) {
    mirage_runtime_enqueue_job(job);
}

/// A job for the main actor. The main executor is the generic one (below): same queue.
SWIFT_CC void swift_task_enqueueMainExecutorImpl(void *job) {
    mirage_runtime_enqueue_job(job);
}

/// A job to run `delay` nanoseconds from now.
SWIFT_CC void swift_task_enqueueGlobalWithDelayImpl(unsigned long long delay, void *job) {
    mirage_runtime_enqueue_delayed_job(job, delay);
}

/// A job to run at `seconds`:`nanoseconds` on `clock` (the tolerance is ignored: the scheduler
/// runs timers as soon as they expire). The runtime's clocks (SwiftClockId: 1 continuous, 2
/// suspending) both read the guest's monotonic clock (time.c), so the deadline becomes a delay
/// from its current value; a past deadline runs at once. An unknown clock is treated the same
/// way rather than dropping the job.
SWIFT_CC void swift_task_enqueueGlobalWithDeadlineImpl(long long seconds, long long nanoseconds,
                                                       long long tolerance_seconds,
                                                       long long tolerance_nanoseconds, int clock, void *job) {
    (void)tolerance_seconds;
    (void)tolerance_nanoseconds;
    (void)clock;
    uint64_t now = mirage_hvt_monotonic_ns();
    uint64_t deadline;
    if (seconds < 0) {
        deadline = 0;
    } else if ((unsigned long long)seconds >= UINT64_MAX / 1000000000ULL) {
        deadline = UINT64_MAX;
    } else {
        deadline = (uint64_t)seconds * 1000000000ULL;
        uint64_t fraction = nanoseconds > 0 ? (uint64_t)nanoseconds : 0;
        deadline = deadline + fraction < deadline ? UINT64_MAX : deadline + fraction;
    }
    mirage_runtime_enqueue_delayed_job(job, deadline > now ? deadline - now : 0);
}

/// The main executor is the generic executor: the guest has one thread, and the scheduler runs
/// every job, the main actor's included, on the generic executor (as the runtime's own
/// cooperative executor does). So `MainActor` code needs no executor switch.
SWIFT_CC struct swift_executor_ref swift_task_getMainExecutorImpl(void) {
    struct swift_executor_ref generic = { NULL, 0 };
    return generic;
}

/// Whether `executor` is the main executor, i.e. the generic executor (see above). Answering
/// false would make the runtime believe no job ever runs on the main actor's executor.
SWIFT_CC bool swift_task_isMainExecutorImpl(struct swift_executor_ref executor) {
    return executor.identity == NULL;
}

/// Called when the runtime cannot prove that code runs on `executor` (`assumeIsolated`,
/// `preconditionIsolated` from a different executor). With one thread and jobs that run one at a
/// time to their next suspension, no code can run concurrently with an actor's job; so this
/// accepts the assumption instead of stopping the guest.
SWIFT_CC void swift_task_checkIsolatedImpl(struct swift_executor_ref executor) {
    (void)executor;
}

/// The runtime's IsIsolatingCurrentContextDecision: -1 unknown, 0 not isolated, 1 isolated. The
/// guest cannot tell any better than the runtime: "unknown" lets the runtime decide by its own
/// checks and then by swift_task_checkIsolatedImpl.
SWIFT_CC int8_t swift_task_isIsolatingCurrentContextImpl(struct swift_executor_ref executor) {
    (void)executor;
    return -1;
}

/// Would run jobs on this thread until `condition` holds (blocking on async work). The jobs are in
/// MirageRuntime's scheduler, out of reach here, and waiting would deadlock: stop with a message.
SWIFT_CC void swift_task_donateThreadToGlobalExecutorUntilImpl(bool (*condition)(void *), void *context) {
    if (condition(context)) return;
    mirage_hvt_console_print("mirage-hvt guest: swift_task_donateThreadToGlobalExecutorUntil is not "
                             "supported; run async code under Mirage.run\n");
    abort();
}

/// The loop behind an `async` main of the Swift runtime's own. Unikernels start through
/// MirageRuntime, whose scheduler is the loop, so this is never reached in a correct program.
SWIFT_CC void swift_task_asyncMainDrainQueueImpl(void) {
    mirage_hvt_console_print("mirage-hvt guest: swift_task_asyncMainDrainQueue is not supported; "
                             "start the unikernel through MirageRuntime\n");
    abort();
}
