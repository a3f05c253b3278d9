// arc4random_buf (from OpenBSD, also in glibc 2.36 and POSIX.1-2024): random bytes for the Swift
// standard library (hashing seeds, SystemRandomNumberGenerator) and for MirageHVTGuest's entropy,
// from one cryptographically strong generator: BearSSL's HMAC-DRBG over SHA-256 (NIST SP 800-90A
// section 10.1.2), as MirageCrypto's `CryptoRandom` is on every target. No primitive is written
// here: only the pooling of the entropy sources, as mirage-crypto-rng-mirage pools its own.
//
// The sources, pooled into the seed and into every reseed:
// - the 256 bits of boot_info->entropy_seed the tender took from the host's getrandom (seed only);
// - RDSEED (CPUID.(EAX=07H,ECX=0):EBX bit 18), the processor's conditioned entropy source (in
//   reseeds only: see gather), and RDRAND (CPUID.01H:ECX bit 30), its DRBG (Intel SDM vol. 2; Intel's DRNG guide: retry up to
//   10 times when the carry flag says no value was ready; an all-ones value is retried too, for
//   the AMD processors that returned it forever after a firmware bug). Both run at CPL3;
// - the low bits of the time-stamp counter read around those instructions and a few memory
//   accesses: timing jitter, credited with nothing, but mixed in.
// The generator reseeds after RESEED_BYTES of output or RESEED_REQUESTS requests, whichever comes
// first. A guest that finds neither a boot seed nor RDRAND/RDSEED halts at boot rather than run
// with guessable keys.
#include <bearssl.h>

#include "guest.h"
#include "libc.h"

#define RETRIES 10
#define RESEED_BYTES (1u << 20)
#define RESEED_REQUESTS (1u << 16)
/// SP 800-90A 10.1 table 2: at most 2^19 bits per request; longer ones are split.
#define REQUEST_LIMIT (1u << 16)
/// The status the guest halts with when it has no entropy (sysexits.h EX_OSERR).
#define NO_ENTROPY_STATUS 71

static br_hmac_drbg_context generator;
static int seeded;
static uint32_t bytes_since_reseed, requests_since_reseed;
static int has_rdrand = -1, has_rdseed = -1;

static void cpuid(uint32_t leaf, uint32_t subleaf, uint32_t registers[4]) {
    __asm__ volatile("cpuid" : "=a"(registers[0]), "=b"(registers[1]), "=c"(registers[2]), "=d"(registers[3])
                     : "a"(leaf), "c"(subleaf));
}

/// Finds RDRAND (CPUID leaf 1) and, when `conditioned`, RDSEED (leaf 7). Each CPUID is a VM exit
/// (under PVM, a trap to the hypervisor below), so leaf 7 waits for the first reseed.
static void detect_sources(int conditioned) {
    uint32_t registers[4];
    if (has_rdrand < 0) {
        cpuid(1, 0, registers);
        has_rdrand = (registers[2] >> 30) & 1;
    }
    if (conditioned && has_rdseed < 0) {
        cpuid(0, 0, registers);
        has_rdseed = 0;
        if (registers[0] >= 7) {
            cpuid(7, 0, registers);
            has_rdseed = (registers[1] >> 18) & 1;
        }
    }
}

static uint64_t timestamp(void) {
    uint32_t low, high;
    __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
    return (uint64_t)high << 32 | low;
}

/// One value from RDSEED (`seed` true) or RDRAND, or 0 when none came after the retries.
static int hardware_random(int seed, uint64_t *value) {
    for (int attempt = 0; attempt < RETRIES; attempt++) {
        unsigned char ready;
        uint64_t candidate;
        if (seed) {
            __asm__ volatile("rdseed %0\n\tsetc %1" : "=r"(candidate), "=qm"(ready) : : "cc");
        } else {
            __asm__ volatile("rdrand %0\n\tsetc %1" : "=r"(candidate), "=qm"(ready) : : "cc");
        }
        if (ready && candidate != UINT64_MAX) {
            *value = candidate;
            return 1;
        }
    }
    return 0;
}

/// Words of entropy material gathered per seed or reseed: half from RDSEED or RDRAND (512
/// bits), half timing.
#define POOL_WORDS 16

/// Fills `pool` from the hardware sources and the timing around them; returns how many words
/// came from RDSEED or RDRAND. RDSEED only when `conditioned`: at boot, finding and drawing it
/// cost about a millisecond under PVM (Benchmarks/boot: 2.9 ms to the first byte with it, 1.9
/// without), so the boot seed takes RDRAND beside the tender's 256 bits from the host's
/// getrandom, and each reseed takes RDSEED.
static int gather(uint64_t pool[POOL_WORDS], int conditioned) {
    detect_sources(conditioned);
    int credited = 0;
    for (int i = 0; i < POOL_WORDS; i += 2) {
        uint64_t before = timestamp(), value = 0;
        int got = (conditioned && has_rdseed && hardware_random(1, &value)) || (has_rdrand && hardware_random(0, &value));
        credited += got;
        pool[i] = value;
        pool[i + 1] = before ^ ((timestamp() - before) << 40);
    }
    return credited;
}

void mirage_hvt_entropy_init(const uint64_t seed[4]) {
    uint64_t material[4 + POOL_WORDS];
    memcpy(material, seed, 4 * sizeof seed[0]);
    int credited = gather(material + 4, 0);
    int boot_seed = (seed[0] | seed[1] | seed[2] | seed[3]) != 0;
    if (!boot_seed && credited == 0) {
        mirage_hvt_console_print("mirage-hvt guest: no entropy: the tender gave no seed and the CPU has neither RDSEED nor RDRAND\n");
        mirage_hvt_halt(NO_ENTROPY_STATUS);
    }
    br_hmac_drbg_init(&generator, &br_sha256_vtable, material, sizeof material);
    memset(material, 0, sizeof material);
    __asm__ volatile("" : : "r"(material) : "memory");
    seeded = 1;
    bytes_since_reseed = requests_since_reseed = 0;
}

/// Mixes fresh hardware entropy and timing into the generator (SP 800-90A 10.1.2.4).
static void reseed(void) {
    uint64_t material[POOL_WORDS];
    gather(material, 1);
    br_hmac_drbg_update(&generator, material, sizeof material);
    memset(material, 0, sizeof material);
    __asm__ volatile("" : : "r"(material) : "memory");
    bytes_since_reseed = requests_since_reseed = 0;
}

static uint64_t reseeds;

uint64_t mirage_hvt_entropy_reseed_count(void) {
    return reseeds;
}

void arc4random_buf(void *buffer, size_t count) {
    uint8_t *bytes = buffer;
    if (!seeded) {
        static const uint64_t none[4] = { 0 };
        mirage_hvt_entropy_init(none);
    }
    while (count > 0) {
        size_t taken = count < REQUEST_LIMIT ? count : REQUEST_LIMIT;
        if (bytes_since_reseed + taken > RESEED_BYTES || requests_since_reseed >= RESEED_REQUESTS) {
            reseed();
            reseeds++;
        }
        br_hmac_drbg_generate(&generator, bytes, taken);
        bytes_since_reseed += (uint32_t)taken;
        requests_since_reseed++;
        bytes += taken;
        count -= taken;
    }
}
