// Routes the hosted Swift concurrency runtime's global and main executors to MirageRuntime's
// cooperative scheduler, for jobs enqueued on the thread that runs the scheduler.
//
// The hooks are variables exported by libswift_Concurrency (swift/Runtime/Concurrency.h) whose
// functions use the Swift calling convention, which Swift code cannot name directly: this file
// holds the swiftcall trampolines and forwards to plain C function pointers set from Swift.
// Jobs enqueued on any other thread go to the runtime's original executor, so a test process
// keeps its thread pool while one of its threads runs a unikernel.
#ifndef C_MIRAGE_EXECUTOR_HOOKS_H
#define C_MIRAGE_EXECUTOR_HOOKS_H

#include <stdint.h>

/// Receives a job (a `swift::Job *`, an `UnownedJob` in Swift) for `scheduler`'s ready queue.
typedef void (*MirageEnqueueJob)(void *scheduler, void *job, int onMainExecutor);
/// Receives a job that should run `delayNanoseconds` from now on the monotonic clock.
typedef void (*MirageEnqueueDelayedJob)(void *scheduler, void *job, uint64_t delayNanoseconds);

/// Installs the trampolines (once per process) and sets where they forward jobs.
void mirage_executor_hooks_install(MirageEnqueueJob enqueue, MirageEnqueueDelayedJob enqueueDelayed);

/// Makes `scheduler` (an opaque reference, or NULL for none) the one running on the calling
/// thread: jobs enqueued on this thread go to it. Returns the previous one.
void *mirage_executor_hooks_set_current(void *scheduler);

/// The scheduler running on the calling thread, or NULL.
void *mirage_executor_hooks_current(void);

#endif
