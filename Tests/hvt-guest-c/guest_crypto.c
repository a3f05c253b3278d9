// The part of the C guest that links BearSSL (Debian's libbearssl.a, built with the stack
// protector and fortification) and checks, inside the VM, what that needs: FS_BASE at a block
// with a random canary, the canary checked on return (a smashed stack halts the guest), the
// fortified copies checking their bounds, and BearSSL's primitives giving the published answers
// with the CPU features the guest sees (AES-NI and PCLMULQDQ chosen at run time).
//
// run.sh builds this file with -fstack-protector-all, so its own functions carry canaries too.
#include <bearssl.h>

#include "guest.h"
#include "libc.h"

void *__memcpy_chk(void *restrict destination, const void *restrict source, size_t count, size_t room);

/// Parses `count` bytes of hexadecimal into `out`.
static void unhex(const char *text, unsigned char *out, size_t count) {
    for (size_t i = 0; i < count; i++) {
        unsigned value = 0;
        for (int half = 0; half < 2; half++) {
            char c = text[2 * i + half];
            value = value << 4 | (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
        }
        out[i] = (unsigned char)value;
    }
}

static int equals_hex(const unsigned char *bytes, const char *text, size_t count) {
    unsigned char expected[128];
    unhex(text, expected, count);
    return memcmp(bytes, expected, count) == 0;
}

void run_crypto_checks(void (*check)(const char *, int)) {
    uint64_t canary = mirage_hvt_stack_guard(), self;
    __asm__ volatile("movq %%fs:0, %0" : "=r"(self));
    check("FS_BASE points at a block holding itself and a random canary (low byte 0)",
          canary != 0 && (canary & 0xFF) == 0 && self != 0);

    // FIPS 180-4 example: SHA-256("abc").
    br_sha256_context sha;
    unsigned char digest[32];
    br_sha256_init(&sha);
    br_sha256_update(&sha, "abc", 3);
    br_sha256_out(&sha, digest);
    check("BearSSL's SHA-256 in the guest",
          equals_hex(digest, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 32));

    // Wycheproof aes_gcm_test.json tcId 1.
    unsigned char key[32], iv[12], data[16], tag[16];
    unhex("5b9604fe14eadba931b0ccf34843dab9", key, 16);
    unhex("028318abc1824029138141a2", iv, 12);
    unhex("001d0c231287c1182784554ca3a21908", data, 16);
    const br_block_ctr_class *ctr = br_aes_x86ni_ctr_get_vtable();
    int has_aesni = ctr != 0;
    if (ctr == 0) ctr = &br_aes_ct64_ctr_vtable;
    br_ghash ghash = br_ghash_pclmul_get();
    if (ghash == 0) ghash = &br_ghash_ctmul64;
    br_aes_gen_ctr_keys keys;
    br_gcm_context gcm;
    ctr->init(&keys.vtable, key, 16);
    br_gcm_init(&gcm, &keys.vtable, ghash);
    br_gcm_reset(&gcm, iv, 12);
    br_gcm_flip(&gcm);
    br_gcm_run(&gcm, 1, data, 16);
    br_gcm_get_tag(&gcm, tag);
    printf("guest-crypto AES-NI %s, PCLMULQDQ %s\n", has_aesni ? "used" : "absent",
           ghash == &br_ghash_ctmul64 ? "absent" : "used");
    check("BearSSL's AES-128-GCM in the guest",
          equals_hex(data, "26073cc1d851beff176384dc9896d5ff", 16) && equals_hex(tag, "0a3ea7a5487cb5f7d70fb6c58d038554", 16));

    // RFC 7748 section 5.2, the first vector.
    unsigned char point[32], scalar[32];
    unhex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", scalar, 32);
    unhex("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", point, 32);
    uint32_t accepted = br_ec_get_default()->mul(point, 32, scalar, 32, BR_EC_curve25519);
    check("BearSSL's X25519 in the guest",
          accepted == 1 && equals_hex(point, "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552", 32));

    // RFC 8439 section 2.8.2's key and nonce over "abc": compared with the tag the host computed.
    unhex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", key, 32);
    unhex("070000004041424344454647", iv, 12);
    memcpy(data, "abc", 3);
    br_poly1305_run poly = br_poly1305_ctmulq_get();
    br_chacha20_run chacha = br_chacha20_sse2_get();
    (poly ? poly : br_poly1305_ctmul_run)(key, iv, data, 3, "", 0, tag, chacha ? chacha : br_chacha20_ct_run, 1);
    unsigned char opened[3];
    memcpy(opened, data, 3);
    unsigned char tag2[16];
    br_poly1305_ctmul_run(key, iv, opened, 3, "", 0, tag2, br_chacha20_ct_run, 0);
    check("BearSSL's ChaCha20-Poly1305 in the guest: the fast and the portable code agree",
          memcmp(opened, "abc", 3) == 0 && memcmp(tag, tag2, 16) == 0);
}

/// Writes `count` bytes into a 16-byte buffer on the stack: past it when `count` > 16.
void smash_stack(size_t count) {
    volatile char buffer[16];
    for (size_t i = 0; i < count; i++) buffer[i] = 'A';
    (void)buffer[0];
}

/// A fortified copy of `count` bytes into a 16-byte buffer, as _FORTIFY_SOURCE compiles memcpy.
void fortified_copy(size_t count) {
    char buffer[16];
    static const char source[64] = { 0 };
    __memcpy_chk(buffer, source, count, sizeof buffer);
    __asm__ volatile("" : : "r"(buffer) : "memory");
}
