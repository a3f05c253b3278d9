// A freestanding C guest that boots under the mirage-hvt tender and checks, from inside the VM,
// what the host-side tests cannot: the boot path (argc/argv from the boot arguments), the console
// and its line buffer, the clock hypercalls, nanosleep's poll, RDRAND or the seeded generator,
// the allocator over the real heap, and the halt statuses of exit, abort and out-of-memory.
// run.sh builds it with the guest's own flags and link.ld, boots it and reads its console.
//
// Boot arguments: none or "check A B" runs the checks and exits 0 when all pass; "oom" allocates
// until the heap is exhausted; "abort" calls abort(); "exit N" exits with N; "smash N" writes N
// bytes into a 16-byte stack buffer; "fortify N" copies N bytes into one with __memcpy_chk. The
// checks include guest_crypto.c's (BearSSL and the stack protector's canary).
#include "guest.h"
#include "libc.h"

// The guest links no MirageRuntime; these are the executor hooks' destinations (executor.c).
void mirage_runtime_enqueue_job(void *job);
void mirage_runtime_enqueue_delayed_job(void *job, uint64_t delay);
void mirage_runtime_enqueue_job(void *job) { (void)job; }
void mirage_runtime_enqueue_delayed_job(void *job, uint64_t delay) { (void)job; (void)delay; }

static int failures;

void run_crypto_checks(void (*check)(const char *, int));
void smash_stack(size_t count);
void fortified_copy(size_t count);

/// The value of a decimal boot argument.
static size_t decimal(const char *text) {
    size_t value = 0;
    while (*text >= '0' && *text <= '9') value = value * 10 + (size_t)(*text++ - '0');
    return value;
}

static void check(const char *name, int ok) {
    printf("guest-check %s %s\n", ok ? "ok" : "FAIL", name);
    if (!ok) failures++;
}

static uint64_t nanoseconds(clockid_t clock) {
    struct timespec time;
    if (clock_gettime(clock, &time) != 0) return 0;
    return (uint64_t)time.tv_sec * 1000000000ull + (uint64_t)time.tv_nsec;
}

/// Whether `clock` reads within a millisecond of the host's clock that hypercall `number` reads,
/// over three readings 20 ms apart.
static int keeps_to_host(clockid_t clock, enum mirage_hvt_hypercall number) {
    struct timespec pause = { .tv_sec = 0, .tv_nsec = 20000000 };
    int agrees = 1;
    for (int round = 0; round < 3; round++) {
        struct mirage_hvt_time host = { .nanoseconds = 0 };
        uint64_t guest_before = nanoseconds(clock);
        mirage_hvt_hypercall(number, &host);
        uint64_t guest_after = nanoseconds(clock);
        agrees = agrees && guest_before <= host.nanoseconds + 1000000 && host.nanoseconds <= guest_after + 1000000;
        nanosleep(&pause, NULL);
    }
    return agrees;
}

static int run_checks(int argc, char **argv) {
    check("argv holds the program name and the boot arguments",
          argc == 4 && strcmp(argv[0], "unikernel") == 0 && strcmp(argv[1], "check") == 0 &&
              strcmp(argv[2], "A") == 0 && strcmp(argv[3], "B") == 0 && argv[4] == NULL);

    uint64_t before = nanoseconds(CLOCK_MONOTONIC);
    struct timespec pause = { .tv_sec = 0, .tv_nsec = 20000000 };
    int slept = nanosleep(&pause, NULL);
    uint64_t after = nanoseconds(CLOCK_BOOTTIME);
    check("nanosleep waits at least 20 ms on the monotonic clock",
          slept == 0 && before != 0 && after >= before + 20000000);

    // The monotonic clock (on the time-stamp counter when the tender gives its frequency) and
    // the wall clock (the monotonic clock plus the tender's offset, read again once a second)
    // keep to the host's, which the hypercalls read, within a millisecond, before and after
    // sleeping.
    check("the monotonic clock keeps to the host's within 1 ms", keeps_to_host(CLOCK_MONOTONIC, MIRAGE_HVT_MONOTONIC));
    check("the wall clock is after 2020", nanoseconds(CLOCK_REALTIME) > 1577836800ull * 1000000000ull);
    check("the wall clock keeps to the host's within 1 ms", keeps_to_host(CLOCK_REALTIME, MIRAGE_HVT_WALL_CLOCK));
    struct timespec resolution;
    check("clock_getres answers 1 ns; CPU-time clocks are refused",
          clock_getres(CLOCK_MONOTONIC, &resolution) == 0 && resolution.tv_nsec == 1 &&
              clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &resolution) == -1 && *__errno_location() == EINVAL);

    uint64_t first[4] = { 0 }, second[4] = { 0 };
    arc4random_buf(first, sizeof first);
    arc4random_buf(second, sizeof second);
    check("arc4random_buf gives different, non-zero bytes",
          memcmp(first, second, sizeof first) != 0 && (first[0] | first[1] | first[2] | first[3]) != 0);
    uint64_t reseeds = mirage_hvt_entropy_reseed_count();
    static uint8_t large[1 << 16];
    for (int i = 0; i < 17; i++) arc4random_buf(large, sizeof large);
    check("the generator reseeds itself after 1 MiB of output", mirage_hvt_entropy_reseed_count() == reseeds + 1);

    size_t free_before = mirage_hvt_heap_free_bytes();
    void *aligned = NULL;
    int result = posix_memalign(&aligned, 4096, 100);
    check("posix_memalign honours 4096", result == 0 && ((uintptr_t)aligned & 4095) == 0);
    check("posix_memalign refuses an alignment that is not a power of two",
          posix_memalign(&aligned, 24, 100) == EINVAL);
    char *text = malloc(10);
    strncpy(text, "kept", 10);
    text = realloc(text, 200000);
    check("realloc keeps the contents", strcmp(text, "kept") == 0);
    check("the heap reports fewer free bytes after allocating", mirage_hvt_heap_free_bytes() < free_before);
    free(text);
    unsigned char *zeros = calloc(1000, 8);
    int all_zero = 1;
    for (int i = 0; i < 8000; i++) all_zero &= zeros[i] == 0;
    check("calloc zeroes", all_zero);
    free(zeros);

    char formatted[64];
    snprintf(formatted, sizeof formatted, "%05d|%-4s|%#x|%.*s", 42, "ab", 255, 2, "xyz");
    check("snprintf formats in the guest", strcmp(formatted, "00042|ab  |0xff|xy") == 0);
    check("ceil, floor and fmod in the guest",
          ceil(2.25) == 3.0 && floor(-2.25) == -3.0 && fmod(7.5, 2.0) == 1.5 && roundf(2.5f) == 3.0f);

    run_crypto_checks(check);

    // The console: a line from putchar, then stdio's own writes, in order.
    putchar('p');
    putchar('\n');
    fputs("fputs-line\n", stderr);
    puts("puts-line");
    printf("guest: %d failed\n", failures);
    putchar('!');  // no newline: written by the halt
    return failures == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "oom") == 0) {
        for (;;) {
            volatile char *block = malloc(1 << 20);
            block[0] = 1;
        }
    }
    if (argc >= 2 && strcmp(argv[1], "abort") == 0) abort();
    if (argc >= 3 && strcmp(argv[1], "exit") == 0) exit(argv[2][0] - '0');
    if (argc >= 3 && strcmp(argv[1], "smash") == 0) {
        smash_stack(decimal(argv[2]));
        printf("returned\n");
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "fortify") == 0) {
        fortified_copy(decimal(argv[2]));
        printf("returned\n");
        return 0;
    }
    return run_checks(argc, argv);
}
