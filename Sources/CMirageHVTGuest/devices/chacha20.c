// The ChaCha20 block function, from the description in RFC 8439 sections 2.1 to 2.3: a 4x4
// matrix of 32-bit words (constants, key, counter, nonce), 20 rounds of quarter rounds on its
// columns and diagonals, the input added back, the words written out little-endian.
#include "chacha20.h"

static uint32_t rotate_left(uint32_t value, unsigned count) {
    return (value << count) | (value >> (32 - count));
}

/// RFC 8439 2.1: the quarter round on words a, b, c, d of `state`.
static void quarter_round(uint32_t state[16], unsigned a, unsigned b, unsigned c, unsigned d) {
    state[a] += state[b]; state[d] ^= state[a]; state[d] = rotate_left(state[d], 16);
    state[c] += state[d]; state[b] ^= state[c]; state[b] = rotate_left(state[b], 12);
    state[a] += state[b]; state[d] ^= state[a]; state[d] = rotate_left(state[d], 8);
    state[c] += state[d]; state[b] ^= state[c]; state[b] = rotate_left(state[b], 7);
}

void mirage_chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t block[64]) {
    // RFC 8439 2.3: "expand 32-byte k", the key, the block counter, the nonce.
    uint32_t input[16] = {
        0x61707865, 0x3320646e, 0x79622d32, 0x6b206574,
        key[0], key[1], key[2], key[3], key[4], key[5], key[6], key[7],
        counter, nonce[0], nonce[1], nonce[2],
    };
    uint32_t state[16];
    for (unsigned i = 0; i < 16; i++) state[i] = input[i];
    for (unsigned round = 0; round < 10; round++) {
        // A column round, then a diagonal round: 20 rounds in all.
        quarter_round(state, 0, 4, 8, 12);
        quarter_round(state, 1, 5, 9, 13);
        quarter_round(state, 2, 6, 10, 14);
        quarter_round(state, 3, 7, 11, 15);
        quarter_round(state, 0, 5, 10, 15);
        quarter_round(state, 1, 6, 11, 12);
        quarter_round(state, 2, 7, 8, 13);
        quarter_round(state, 3, 4, 9, 14);
    }
    for (unsigned i = 0; i < 16; i++) {
        uint32_t word = state[i] + input[i];
        block[4 * i + 0] = (uint8_t)word;
        block[4 * i + 1] = (uint8_t)(word >> 8);
        block[4 * i + 2] = (uint8_t)(word >> 16);
        block[4 * i + 3] = (uint8_t)(word >> 24);
    }
}
