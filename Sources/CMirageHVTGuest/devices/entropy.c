// arc4random_buf (from OpenBSD, also in glibc 2.36 and POSIX.1-2024): random bytes for the Swift
// standard library (hashing seeds, SystemRandomNumberGenerator) and for MirageHVTGuest's entropy.
//
// The source, chosen at the first call (a CPUID instruction is a VM exit on hardware KVM, and
// nested under PVM it traps to the hypervisor below: not something to spend before `start`):
// - RDRAND, when CPUID leaf 1 reports it (ECX bit 30; Intel SDM vol. 2, RDRAND and CPUID). It is
//   unprivileged, so it runs natively at CPL3. It clears the carry flag when its generator has no
//   value ready; Intel's DRNG guide recommends retrying up to 10 times, and so does this code. An
//   all-ones result is also retried: some AMD processors returned it forever, with the carry flag
//   set, after a firmware or suspend bug. A word RDRAND cannot give comes from the generator below.
// - Otherwise a ChaCha20 generator with fast key erasure (D. J. Bernstein, "Fast-key-erasure
//   random-number generators", 2017): its key starts as the 256 bits of boot_info->entropy_seed
//   the tender took from the host's getrandom; each block of ChaCha20 output (RFC 8439) replaces
//   the key with its first 32 bytes and hands out the other 32, so a later compromise of the
//   guest's memory does not reveal bytes already handed out.
#include "chacha20.h"
#include "guest.h"
#include "libc.h"

#define RDRAND_RETRIES 10

static uint32_t generator_key[8];
static uint32_t generator_counter;
static uint8_t generator_output[32];
static size_t generator_available;  // unused bytes at the end of generator_output
static int has_rdrand = -1;  // not known yet

/// Whether CPUID.01H:ECX.RDRAND[bit 30] is set.
static int cpu_has_rdrand(void) {
    uint32_t eax = 1, ebx, ecx = 0, edx;
    __asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
    return (ecx >> 30) & 1;
}

/// One 64-bit RDRAND value, or returns false when none came after the retries.
static int rdrand64(uint64_t *value) {
    for (int attempt = 0; attempt < RDRAND_RETRIES; attempt++) {
        unsigned char ready;
        uint64_t candidate;
        __asm__ volatile("rdrand %0\n\tsetc %1" : "=r"(candidate), "=qm"(ready) : : "cc");
        if (ready && candidate != UINT64_MAX) {
            *value = candidate;
            return 1;
        }
    }
    return 0;
}

void mirage_hvt_entropy_init(const uint64_t seed[4]) {
    for (unsigned i = 0; i < 4; i++) {
        generator_key[2 * i] = (uint32_t)seed[i];
        generator_key[2 * i + 1] = (uint32_t)(seed[i] >> 32);
    }
    generator_counter = 0;
    generator_available = 0;
}

/// Computes the next block: a new key and 32 bytes to hand out.
static void generator_refill(void) {
    static const uint32_t nonce[3] = { 0, 0, 0 };
    uint8_t block[64];
    mirage_chacha20_block(generator_key, generator_counter++, nonce, block);
    for (unsigned i = 0; i < 8; i++) {
        generator_key[i] = (uint32_t)block[4 * i] | (uint32_t)block[4 * i + 1] << 8 |
                           (uint32_t)block[4 * i + 2] << 16 | (uint32_t)block[4 * i + 3] << 24;
    }
    memcpy(generator_output, block + 32, 32);
    memset(block, 0, sizeof block);
    generator_available = 32;
}

/// Bytes from the ChaCha20 generator; each byte handed out is erased from its buffer.
static void generator_fill(uint8_t *buffer, size_t count) {
    while (count > 0) {
        if (generator_available == 0) generator_refill();
        size_t taken = count < generator_available ? count : generator_available;
        uint8_t *source = generator_output + sizeof generator_output - generator_available;
        memcpy(buffer, source, taken);
        memset(source, 0, taken);
        generator_available -= taken;
        buffer += taken;
        count -= taken;
    }
}

void arc4random_buf(void *buffer, size_t count) {
    uint8_t *bytes = buffer;
    if (has_rdrand < 0) has_rdrand = cpu_has_rdrand();
    if (!has_rdrand) {
        generator_fill(bytes, count);
        return;
    }
    while (count > 0) {
        uint64_t word;
        size_t taken = count < sizeof word ? count : sizeof word;
        if (rdrand64(&word)) memcpy(bytes, &word, taken);
        else generator_fill(bytes, taken);
        bytes += taken;
        count -= taken;
    }
}
