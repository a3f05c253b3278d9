// A small test framework for the host-side tests of CMirageHVTGuest: each test is a function; a
// failed CHECK prints where and marks the running test failed; the runner counts the tests.
#ifndef MIRAGE_HVT_TEST_CHECK_H
#define MIRAGE_HVT_TEST_CHECK_H

#include <stdint.h>
#include <stdio.h>

/// Records a failed check of the running test and prints it (at most a few per test).
void check_failed(const char *file, int line, const char *text);

#define CHECK(condition)                                          \
    do {                                                          \
        if (!(condition)) check_failed(__FILE__, __LINE__, #condition); \
    } while (0)

/// Whether the running test has failed so far (to stop a long loop early).
int test_has_failed(void);

/// A deterministic pseudo-random generator (xorshift64*), seeded per test by the runner.
uint64_t test_random(void);

/// A pseudo-random integer in [low, high].
uint64_t test_random_between(uint64_t low, uint64_t high);

// The tests, one group per file.
void test_heap_payloads_are_aligned_and_inside_the_region(void);
void test_heap_random_operations_keep_blocks_apart_and_contents_intact(void);
void test_heap_exhaustion_returns_null_and_everything_coalesces_back(void);
void test_heap_realloc_grows_in_place_into_a_free_neighbour(void);
void test_heap_realloc_failure_leaves_the_block_untouched(void);
void test_heap_large_alignments(void);
void test_heap_rejects_impossible_requests(void);
void test_heap_owns_only_allocated_payloads(void);
void test_heap_small_blocks_are_reused_from_their_class_cache(void);

void test_rbtree_node_layout_matches_libstdcxx(void);
void test_rbtree_random_insertions_keep_red_black_invariants(void);
void test_rbtree_sorted_insertions_keep_red_black_invariants(void);
void test_rbtree_decrement_walks_backwards_from_end(void);
void test_rbtree_decrement_of_an_empty_tree_is_its_header(void);

void test_format_integers_match_the_c_library(void);
void test_format_strings_and_characters_match_the_c_library(void);
void test_format_star_width_and_precision(void);
void test_format_truncates_and_reports_the_full_length(void);
void test_format_pointers_and_null(void);
void test_format_fixed_point(void);
void test_format_unknown_conversions_are_copied(void);

void test_math_rounding_matches_libm(void);
void test_math_fmod_matches_libm(void);
void test_string_functions(void);
void test_int128_division_matches_the_compiler_runtime(void);
void test_tsc_clock_converts_ticks_to_nanoseconds(void);
void test_tsc_clock_asks_for_a_new_anchor_and_never_runs_backwards(void);
void test_wall_clock_offset_holds_for_a_second(void);

#endif
