// The runner of the host-side CMirageHVTGuest tests: runs every test, prints the failures and
// "N passed, N failed", and exits non-zero when a test failed. MIRAGE_TEST_SEED picks another
// random seed (the default makes runs repeatable).
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const char *current_test;
static int current_failures;
static uint64_t random_state;

void check_failed(const char *file, int line, const char *text) {
    if (current_failures < 5) printf("  FAIL %s: %s:%d: %s\n", current_test, file, line, text);
    current_failures++;
}

int test_has_failed(void) {
    return current_failures > 0;
}

uint64_t test_random(void) {
    // Marsaglia's xorshift with Vigna's multiplier (xorshift64*).
    random_state ^= random_state >> 12;
    random_state ^= random_state << 25;
    random_state ^= random_state >> 27;
    return random_state * 0x2545F4914F6CDD1DULL;
}

uint64_t test_random_between(uint64_t low, uint64_t high) {
    return low + test_random() % (high - low + 1);
}

struct test {
    const char *name;
    void (*run)(void);
};

#define TEST(name) { #name, name }

static const struct test tests[] = {
    TEST(test_heap_payloads_are_aligned_and_inside_the_region),
    TEST(test_heap_random_operations_keep_blocks_apart_and_contents_intact),
    TEST(test_heap_exhaustion_returns_null_and_everything_coalesces_back),
    TEST(test_heap_realloc_grows_in_place_into_a_free_neighbour),
    TEST(test_heap_realloc_failure_leaves_the_block_untouched),
    TEST(test_heap_large_alignments),
    TEST(test_heap_rejects_impossible_requests),
    TEST(test_heap_owns_only_allocated_payloads),
    TEST(test_heap_small_blocks_are_reused_from_their_class_cache),
    TEST(test_rbtree_node_layout_matches_libstdcxx),
    TEST(test_rbtree_random_insertions_keep_red_black_invariants),
    TEST(test_rbtree_sorted_insertions_keep_red_black_invariants),
    TEST(test_rbtree_decrement_walks_backwards_from_end),
    TEST(test_rbtree_decrement_of_an_empty_tree_is_its_header),
    TEST(test_format_integers_match_the_c_library),
    TEST(test_format_strings_and_characters_match_the_c_library),
    TEST(test_format_star_width_and_precision),
    TEST(test_format_truncates_and_reports_the_full_length),
    TEST(test_format_pointers_and_null),
    TEST(test_format_fixed_point),
    TEST(test_format_unknown_conversions_are_copied),
    TEST(test_math_rounding_matches_libm),
    TEST(test_math_fmod_matches_libm),
    TEST(test_string_functions),
    TEST(test_int128_division_matches_the_compiler_runtime),
    TEST(test_tsc_clock_converts_ticks_to_nanoseconds),
    TEST(test_tsc_clock_asks_for_a_new_anchor_and_never_runs_backwards),
    TEST(test_wall_clock_offset_holds_for_a_second),
};

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);  // every line out before a sanitizer report or a crash
    const char *only = argc > 1 ? argv[1] : NULL;
    const char *seed_text = getenv("MIRAGE_TEST_SEED");
    uint64_t seed = seed_text != NULL ? strtoull(seed_text, NULL, 0) : 0x9E3779B97F4A7C15ULL;
    int passed = 0, failed = 0;
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        if (only != NULL && strstr(tests[i].name, only) == NULL) continue;
        current_test = tests[i].name;
        current_failures = 0;
        random_state = seed ^ (0x100000001B3ULL * (i + 1));
        if (random_state == 0) random_state = 1;
        tests[i].run();
        if (current_failures == 0) {
            passed++;
            printf("ok   %s\n", tests[i].name);
        } else {
            failed++;
            printf("FAIL %s (%d failed checks)\n", tests[i].name, current_failures);
        }
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
