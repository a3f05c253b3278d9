// BearSSL (Debian's libbearssl-dev, MIT): the cryptographic primitives under MirageCrypto
// (docs/ARCHITECTURE.md, "Crypto"). Linked as a static library into the Linux process and the hvt
// guest alike.
//
// The inline functions below are glue only: BearSSL's objects are C structs whose first field is
// a pointer to their class, called as `ctx->vtable->update(&ctx->vtable, ...)`; Swift reaches
// them here instead of through imported function-pointer fields, and takes the address of the
// library's constant class tables (which Swift would otherwise copy). No cryptography here.
#ifndef MIRAGE_CBEARSSL_H
#define MIRAGE_CBEARSSL_H

#include <bearssl.h>

// Hash functions (bearssl_hash.h), by class.
static inline const br_hash_class *mirage_br_sha1(void) { return &br_sha1_vtable; }
static inline const br_hash_class *mirage_br_sha224(void) { return &br_sha224_vtable; }
static inline const br_hash_class *mirage_br_sha256(void) { return &br_sha256_vtable; }
static inline const br_hash_class *mirage_br_sha384(void) { return &br_sha384_vtable; }
static inline const br_hash_class *mirage_br_sha512(void) { return &br_sha512_vtable; }

static inline void mirage_br_hash_init(br_hash_compat_context *context, const br_hash_class *hash) {
    hash->init(&context->vtable);
}
static inline void mirage_br_hash_update(br_hash_compat_context *context, const void *data, size_t length) {
    context->vtable->update(&context->vtable, data, length);
}
static inline void mirage_br_hash_out(const br_hash_compat_context *context, void *digest) {
    context->vtable->out(&context->vtable, digest);
}

// The implementations for this CPU are chosen once and kept: BearSSL's `*_get` functions ask
// CPUID on every call, and where the host is itself a virtual machine (these machines: PVM inside
// Firecracker) each CPUID traps to the hypervisor below. Asked per AES-GCM key, they were 42% of
// an hvt guest's time serving TLS handshakes (measured with MIRAGE_HVT_PROFILE). Relaxed atomics:
// every thread that races to choose chooses the same.

// AES in CTR mode for GCM: the AES-NI implementation when the CPU has it, else the constant-time
// bitsliced one (bearssl_block.h). GHASH likewise: PCLMULQDQ, else 64-bit multiplications.
typedef struct {
    br_aes_gen_ctr_keys keys;
    br_gcm_context gcm;
} mirage_br_aes_gcm;

static inline const br_block_ctr_class *mirage_br_aes_ctr_class(void) {
    static const br_block_ctr_class *chosen;
    const br_block_ctr_class *ctr = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (ctr == 0) {
        ctr = br_aes_x86ni_ctr_get_vtable();
        if (ctr == 0) ctr = &br_aes_ct64_ctr_vtable;
        __atomic_store_n(&chosen, ctr, __ATOMIC_RELAXED);
    }
    return ctr;
}

static inline br_ghash mirage_br_ghash(void) {
    static br_ghash chosen;
    br_ghash ghash = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (ghash == 0) {
        ghash = br_ghash_pclmul_get();
        if (ghash == 0) ghash = &br_ghash_ctmul64;
        __atomic_store_n(&chosen, ghash, __ATOMIC_RELAXED);
    }
    return ghash;
}

static inline void mirage_br_aes_gcm_init(mirage_br_aes_gcm *state, const void *key, size_t length) {
    const br_block_ctr_class *ctr = mirage_br_aes_ctr_class();
    ctr->init(&state->keys.vtable, key, length);
    br_gcm_init(&state->gcm, &state->keys.vtable, mirage_br_ghash());
}

// ChaCha20 (SSE2 when present) and Poly1305 (64-bit multiplications when present).
static inline br_chacha20_run mirage_br_chacha20(void) {
    static br_chacha20_run chosen;
    br_chacha20_run run = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
    if (run == 0) {
        run = br_chacha20_sse2_get();
        if (run == 0) run = &br_chacha20_ct_run;
        __atomic_store_n(&chosen, run, __ATOMIC_RELAXED);
    }
    return run;
}
static inline br_poly1305_run mirage_br_poly1305(void) {
    br_poly1305_run run = br_poly1305_ctmulq_get();
    return run != 0 ? run : &br_poly1305_ctmul_run;
}

// Elliptic curves (bearssl_ec.h): the library's default implementation of every curve it has.
static inline uint32_t mirage_br_ec_mul(unsigned char *point, size_t length, const unsigned char *scalar,
                                        size_t scalarLength, int curve) {
    return br_ec_get_default()->mul(point, length, scalar, scalarLength, curve);
}
static inline size_t mirage_br_ec_mulgen(unsigned char *point, const unsigned char *scalar, size_t scalarLength,
                                         int curve) {
    return br_ec_get_default()->mulgen(point, scalar, scalarLength, curve);
}

static inline const unsigned char *mirage_br_ec_order(int curve, size_t *length) {
    return br_ec_get_default()->order(curve, length);
}

// ECDSA (bearssl_ec.h) over the default curve implementation, signatures in the raw form
// (r and s, each as long as the curve's order). Signing uses RFC 6979 nonces.
static inline size_t mirage_br_ecdsa_sign_raw(const br_hash_class *hash, const void *digest,
                                              const br_ec_private_key *key, void *signature) {
    return br_ecdsa_sign_raw_get_default()(br_ec_get_default(), hash, digest, key, signature);
}
static inline uint32_t mirage_br_ecdsa_verify_raw(const void *digest, size_t digestLength,
                                                  const br_ec_public_key *key, const void *signature,
                                                  size_t signatureLength) {
    return br_ecdsa_vrfy_raw_get_default()(br_ec_get_default(), digest, digestLength, key, signature,
                                           signatureLength);
}

// RSA (bearssl_rsa.h) with the default engines (i62 on x86-64), and the encoded hash OIDs of
// PKCS#1 v1.5's DigestInfo (macros with casts, which Swift does not import).
static inline const unsigned char *mirage_br_hash_oid(int which) {
    switch (which) {
    case 1: return BR_HASH_OID_SHA1;
    case 224: return BR_HASH_OID_SHA224;
    case 256: return BR_HASH_OID_SHA256;
    case 384: return BR_HASH_OID_SHA384;
    default: return BR_HASH_OID_SHA512;
    }
}
static inline uint32_t mirage_br_rsa_public(unsigned char *x, size_t length, const br_rsa_public_key *key) {
    return br_rsa_public_get_default()(x, length, key);
}
static inline uint32_t mirage_br_rsa_private(unsigned char *x, const br_rsa_private_key *key) {
    return br_rsa_private_get_default()(x, key);
}
static inline uint32_t mirage_br_rsa_pkcs1_sign(const unsigned char *oid, const unsigned char *digest, size_t length,
                                                const br_rsa_private_key *key, unsigned char *signature) {
    return br_rsa_pkcs1_sign_get_default()(oid, digest, length, key, signature);
}
static inline uint32_t mirage_br_rsa_pkcs1_verify(const unsigned char *signature, size_t length, const unsigned char *oid,
                                                  size_t digestLength, const br_rsa_public_key *key, unsigned char *digest) {
    return br_rsa_pkcs1_vrfy_get_default()(signature, length, oid, digestLength, key, digest);
}
// The i15 engine: the default (i31) one returns 0 for 4,096-bit keys (measured with BearSSL 0.6).
static inline size_t mirage_br_rsa_compute_modulus(void *modulus, const br_rsa_private_key *key) {
    return br_rsa_i15_compute_modulus(modulus, key);
}
static inline size_t mirage_br_rsa_compute_private_exponent(void *exponent, const br_rsa_private_key *key, uint32_t e) {
    return br_rsa_compute_privexp_get_default()(exponent, key, e);
}

// RSA key generation: BearSSL's default engine draws from a PRNG class; this one is an HMAC-DRBG
// seeded by the caller (from MirageCrypto's CryptoRandom). The private elements go to
// `privateBuffer` (BR_RSA_KBUF_PRIV_SIZE(bits) bytes), the public ones to `publicBuffer`
// (BR_RSA_KBUF_PUB_SIZE(bits)).
static inline uint32_t mirage_br_rsa_keygen(const void *seed, size_t seedLength, br_rsa_private_key *privateKey,
                                            void *privateBuffer, br_rsa_public_key *publicKey, void *publicBuffer,
                                            unsigned bits, uint32_t exponent) {
    br_hmac_drbg_context generator;
    br_hmac_drbg_init(&generator, &br_sha256_vtable, seed, seedLength);
    uint32_t made = br_rsa_keygen_get_default()(&generator.vtable, privateKey, privateBuffer, publicKey, publicBuffer,
                                                bits, exponent);
    volatile unsigned char *erase = (volatile unsigned char *)&generator;
    for (size_t i = 0; i < sizeof generator; i++) erase[i] = 0;
    return made;
}
static inline size_t mirage_br_rsa_private_buffer_size(unsigned bits) { return BR_RSA_KBUF_PRIV_SIZE(bits); }
static inline size_t mirage_br_rsa_public_buffer_size(unsigned bits) { return BR_RSA_KBUF_PUB_SIZE(bits); }

#endif
