#include "CMirageExecutorHooks.h"

#include <time.h>

#define SWIFTCC __attribute__((swiftcall))

typedef SWIFTCC void (*EnqueueOriginal)(void *job);
typedef SWIFTCC void (*EnqueueHook)(void *job, EnqueueOriginal original);
typedef SWIFTCC void (*DelayOriginal)(unsigned long long delay, void *job);
typedef SWIFTCC void (*DelayHook)(unsigned long long delay, void *job, DelayOriginal original);
typedef SWIFTCC void (*DeadlineOriginal)(long long sec, long long nsec, long long tsec, long long tnsec,
                                         int clock, void *job);
typedef SWIFTCC void (*DeadlineHook)(long long sec, long long nsec, long long tsec, long long tnsec,
                                     int clock, void *job, DeadlineOriginal original);

extern EnqueueHook swift_task_enqueueGlobal_hook;
extern EnqueueHook swift_task_enqueueMainExecutor_hook;
extern DelayHook swift_task_enqueueGlobalWithDelay_hook;
extern DeadlineHook swift_task_enqueueGlobalWithDeadline_hook;

static MirageEnqueueJob forwardJob;
static MirageEnqueueDelayedJob forwardDelayedJob;
static __thread void *currentScheduler;

static SWIFTCC void enqueueGlobal(void *job, EnqueueOriginal original) {
    if (currentScheduler) forwardJob(currentScheduler, job, 0); else original(job);
}

static SWIFTCC void enqueueMain(void *job, EnqueueOriginal original) {
    if (currentScheduler) forwardJob(currentScheduler, job, 1); else original(job);
}

static SWIFTCC void enqueueWithDelay(unsigned long long delay, void *job, DelayOriginal original) {
    if (currentScheduler) forwardDelayedJob(currentScheduler, job, delay); else original(delay, job);
}

// `Task.sleep(until:clock:)` passes an absolute deadline on clock 1 (continuous) or 2 (suspending),
// both CLOCK_MONOTONIC-based here; the scheduler wants a delay from now.
static SWIFTCC void enqueueWithDeadline(long long sec, long long nsec, long long tsec, long long tnsec,
                                        int clock, void *job, DeadlineOriginal original) {
    if (!currentScheduler) { original(sec, nsec, tsec, tnsec, clock, job); return; }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long delta = (sec - (long long)now.tv_sec) * 1000000000LL + (nsec - (long long)now.tv_nsec);
    forwardDelayedJob(currentScheduler, job, delta > 0 ? (uint64_t)delta : 0);
}

void mirage_executor_hooks_install(MirageEnqueueJob enqueue, MirageEnqueueDelayedJob enqueueDelayed) {
    forwardJob = enqueue;
    forwardDelayedJob = enqueueDelayed;
    swift_task_enqueueGlobal_hook = enqueueGlobal;
    swift_task_enqueueMainExecutor_hook = enqueueMain;
    swift_task_enqueueGlobalWithDelay_hook = enqueueWithDelay;
    swift_task_enqueueGlobalWithDeadline_hook = enqueueWithDeadline;
}

void *mirage_executor_hooks_set_current(void *scheduler) {
    void *previous = currentScheduler;
    currentScheduler = scheduler;
    return previous;
}

void *mirage_executor_hooks_current(void) {
    return currentScheduler;
}
