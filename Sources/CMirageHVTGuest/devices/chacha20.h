// The ChaCha20 block function (RFC 8439, section 2.3), the core of the guest's random generator.
#ifndef MIRAGE_HVT_CHACHA20_H
#define MIRAGE_HVT_CHACHA20_H

#include <stdint.h>

/// Writes the 64-byte ChaCha20 block for `key` (8 words), block `counter` and `nonce` (3 words),
/// the words as RFC 8439 reads them from bytes (little-endian).
void mirage_chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t block[64]);

#endif
