// The allocator (Sources/CMirageHVTGuest/allocator/heap.c) on a region of host memory, against a shadow model:
// an owner map of 16-byte granules proves no two live payloads (or a payload and another block's
// header) overlap, and a per-block byte pattern proves contents survive until freed and across
// realloc. mirage_heap_check walks the whole heap to check its own invariants.
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "heap.h"

#define GRANULE 16

/// A region of host memory for one heap, and the shadow state of its live blocks.
struct model {
    struct mirage_heap heap;
    unsigned char *memory;
    size_t length;
    uint32_t *owners;  // per granule of the region: the id of the live block there, or 0
    struct live {
        unsigned char *pointer;
        size_t size;
        uint32_t id;
    } *live;
    size_t live_count;
    size_t live_capacity;
    uint32_t next_id;
};

static void model_init(struct model *model, size_t length, size_t offset) {
    model->length = length;
    model->memory = aligned_alloc(4096, length + 4096);
    model->owners = calloc((length + 4096) / GRANULE + 1, sizeof(uint32_t));
    model->live_capacity = 4096;
    model->live = calloc(model->live_capacity, sizeof *model->live);
    model->live_count = 0;
    model->next_id = 1;
    mirage_heap_init(&model->heap, model->memory + offset, length);
}

static void model_free(struct model *model) {
    free(model->memory);
    free(model->owners);
    free(model->live);
}

static size_t granule_of(const struct model *model, const void *pointer) {
    return (size_t)((const unsigned char *)pointer - model->memory) / GRANULE;
}

static unsigned char pattern(uint32_t id, size_t index) {
    return (unsigned char)(id * 131u + index * 7u + 1u);
}

static void fill(unsigned char *pointer, size_t size, uint32_t id) {
    for (size_t i = 0; i < size; i++) pointer[i] = pattern(id, i);
}

static int contents_intact(const unsigned char *pointer, size_t size, uint32_t id) {
    for (size_t i = 0; i < size; i++) {
        if (pointer[i] != pattern(id, i)) return 0;
    }
    return 1;
}

/// Checks a new payload: aligned, inside the region, not over any live payload, its header not
/// inside one either; then marks it as owned by `id`.
static void claim(struct model *model, unsigned char *pointer, size_t size, size_t alignment, uint32_t id) {
    CHECK(((uintptr_t)pointer % (alignment < 16 ? 16 : alignment)) == 0);
    CHECK((uintptr_t)pointer >= model->heap.start + MIRAGE_HEAP_HEADER);
    CHECK((uintptr_t)pointer + size <= model->heap.end);
    CHECK(mirage_heap_usable_size(pointer) >= size);
    size_t first = granule_of(model, pointer);
    size_t count = (size + GRANULE - 1) / GRANULE;
    CHECK(model->owners[first - 1] == 0);  // the header's granule
    for (size_t g = first; g < first + count; g++) {
        CHECK(model->owners[g] == 0);
        model->owners[g] = id;
    }
}

static void release(struct model *model, unsigned char *pointer, size_t size, uint32_t id) {
    size_t first = granule_of(model, pointer);
    size_t count = (size + GRANULE - 1) / GRANULE;
    for (size_t g = first; g < first + count; g++) {
        CHECK(model->owners[g] == id);
        model->owners[g] = 0;
    }
}

static void add_live(struct model *model, unsigned char *pointer, size_t size, uint32_t id) {
    if (model->live_count == model->live_capacity) {
        model->live_capacity *= 2;
        model->live = realloc(model->live, model->live_capacity * sizeof *model->live);
    }
    model->live[model->live_count++] = (struct live){ pointer, size, id };
}

/// A request size: mostly small, sometimes large.
static size_t random_size(void) {
    uint64_t kind = test_random_between(0, 99);
    if (kind < 55) return test_random_between(0, 256);
    if (kind < 75) return test_random_between(257, 4096);
    if (kind < 92) return test_random_between(4097, 65536);
    return test_random_between(65537, 300000);
}

static void allocate_one(struct model *model, size_t alignment) {
    size_t size = random_size();
    unsigned char *pointer = mirage_heap_allocate(&model->heap, size, alignment);
    if (pointer == NULL) return;  // the heap is full; checked by the exhaustion test
    uint32_t id = model->next_id++;
    claim(model, pointer, size, alignment, id);
    fill(pointer, size, id);
    add_live(model, pointer, size, id);
}

static void free_one(struct model *model, size_t index) {
    struct live block = model->live[index];
    CHECK(mirage_heap_owns(&model->heap, block.pointer));
    CHECK(contents_intact(block.pointer, block.size, block.id));
    release(model, block.pointer, block.size, block.id);
    mirage_heap_release(&model->heap, block.pointer);
    CHECK(!mirage_heap_owns(&model->heap, block.pointer));
    model->live[index] = model->live[--model->live_count];
}

static void realloc_one(struct model *model, size_t index) {
    struct live *block = &model->live[index];
    size_t size = random_size();
    unsigned char *moved = mirage_heap_resize(&model->heap, block->pointer, size);
    if (moved == NULL) {
        CHECK(mirage_heap_owns(&model->heap, block->pointer));
        CHECK(contents_intact(block->pointer, block->size, block->id));
        return;
    }
    release(model, block->pointer, block->size, block->id);
    size_t kept = size < block->size ? size : block->size;
    CHECK(contents_intact(moved, kept, block->id));
    uint32_t id = model->next_id++;
    claim(model, moved, size, 16, id);
    fill(moved, size, id);
    *block = (struct live){ moved, size, id };
}

static void check_heap(const struct model *model) {
    const char *problem = mirage_heap_check(&model->heap);
    if (problem != NULL) printf("  heap: %s\n", problem);
    CHECK(problem == NULL);
}

void test_heap_payloads_are_aligned_and_inside_the_region(void) {
    struct model model;
    model_init(&model, 1 << 20, 8);  // an unaligned region start: trimmed to 16 bytes
    CHECK(model.heap.start % 16 == 0 && model.heap.end % 16 == 0);
    for (size_t size = 0; size < 5000; size += 37) {
        unsigned char *pointer = mirage_heap_allocate(&model.heap, size, 1);
        CHECK(pointer != NULL);
        claim(&model, pointer, size, 16, model.next_id++);
    }
    check_heap(&model);
    model_free(&model);
}

void test_heap_random_operations_keep_blocks_apart_and_contents_intact(void) {
    struct model model;
    model_init(&model, 8 << 20, 0);
    for (int step = 0; step < 200000 && !test_has_failed(); step++) {
        uint64_t action = test_random_between(0, 99);
        if (model.live_count == 0 || action < 40) {
            allocate_one(&model, 16);
        } else if (action < 50) {
            allocate_one(&model, (size_t)1 << test_random_between(3, 13));  // posix_memalign
        } else if (action < 80) {
            free_one(&model, test_random_between(0, model.live_count - 1));
        } else {
            realloc_one(&model, test_random_between(0, model.live_count - 1));
        }
        if (step % 512 == 0) check_heap(&model);
    }
    check_heap(&model);
    while (model.live_count > 0) free_one(&model, model.live_count - 1);
    check_heap(&model);
    // Everything is free: after the caches flush, one block spans the whole region.
    size_t capacity = model.heap.end - model.heap.start;
    CHECK(model.heap.free_bytes == capacity);
    void *all = mirage_heap_allocate(&model.heap, capacity - MIRAGE_HEAP_HEADER, 16);
    CHECK(all != NULL);
    check_heap(&model);
    model_free(&model);
}

void test_heap_exhaustion_returns_null_and_everything_coalesces_back(void) {
    struct model model;
    model_init(&model, 1 << 20, 0);
    int failures = 0;
    for (int step = 0; step < 20000 && failures < 200; step++) {
        size_t before = model.live_count;
        if (test_random_between(0, 9) < 8) allocate_one(&model, 16);
        else if (model.live_count > 0) free_one(&model, test_random_between(0, model.live_count - 1));
        if (model.live_count == before) failures++;
        if (step % 256 == 0) check_heap(&model);
    }
    CHECK(failures > 0);  // the heap did fill up
    check_heap(&model);
    while (model.live_count > 0) free_one(&model, 0);
    size_t capacity = model.heap.end - model.heap.start;
    CHECK(model.heap.free_bytes == capacity);
    CHECK(mirage_heap_allocate(&model.heap, capacity - MIRAGE_HEAP_HEADER, 16) != NULL);
    CHECK(mirage_heap_allocate(&model.heap, 1, 16) == NULL);
    check_heap(&model);
    model_free(&model);
}

void test_heap_realloc_grows_in_place_into_a_free_neighbour(void) {
    struct model model;
    model_init(&model, 1 << 20, 0);
    unsigned char *block = mirage_heap_allocate(&model.heap, 10000, 16);
    unsigned char *neighbour = mirage_heap_allocate(&model.heap, 10000, 16);
    unsigned char *fence = mirage_heap_allocate(&model.heap, 10000, 16);
    CHECK(block != NULL && neighbour != NULL && fence != NULL);
    CHECK(neighbour > block && fence > neighbour);
    fill(block, 10000, 1);
    mirage_heap_release(&model.heap, neighbour);
    unsigned char *grown = mirage_heap_resize(&model.heap, block, 18000);
    CHECK(grown == block);
    CHECK(contents_intact(grown, 10000, 1));
    check_heap(&model);
    // Shrinking a large block gives its tail back.
    size_t free_before = model.heap.free_bytes;
    CHECK(mirage_heap_resize(&model.heap, grown, 6000) == grown);
    CHECK(model.heap.free_bytes > free_before);
    CHECK(contents_intact(grown, 6000, 1));
    check_heap(&model);
    model_free(&model);
}

void test_heap_realloc_failure_leaves_the_block_untouched(void) {
    struct model model;
    model_init(&model, 1 << 16, 0);
    unsigned char *block = mirage_heap_allocate(&model.heap, 5000, 16);
    unsigned char *fence = mirage_heap_allocate(&model.heap, 5000, 16);
    CHECK(block != NULL && fence != NULL);
    fill(block, 5000, 9);
    CHECK(mirage_heap_resize(&model.heap, block, 1 << 17) == NULL);
    CHECK(mirage_heap_resize(&model.heap, block, 60000) == NULL);
    CHECK(mirage_heap_owns(&model.heap, block));
    CHECK(contents_intact(block, 5000, 9));
    check_heap(&model);
    model_free(&model);
}

void test_heap_large_alignments(void) {
    struct model model;
    model_init(&model, 8 << 20, 48);
    for (unsigned shift = 5; shift <= 20; shift++) {
        size_t alignment = (size_t)1 << shift;
        unsigned char *pointer = mirage_heap_allocate(&model.heap, 100, alignment);
        CHECK(pointer != NULL);
        if (pointer != NULL) claim(&model, pointer, 100, alignment, model.next_id++);
        check_heap(&model);
    }
    model_free(&model);
}

void test_heap_rejects_impossible_requests(void) {
    struct model model;
    model_init(&model, 1 << 16, 0);
    CHECK(mirage_heap_allocate(&model.heap, SIZE_MAX, 16) == NULL);
    CHECK(mirage_heap_allocate(&model.heap, SIZE_MAX - 15, 16) == NULL);
    CHECK(mirage_heap_allocate(&model.heap, 1 << 16, 16) == NULL);
    CHECK(mirage_heap_allocate(&model.heap, 16, 48) == NULL);            // not a power of two
    CHECK(mirage_heap_allocate(&model.heap, 16, (size_t)1 << 40) == NULL); // more than the heap
    unsigned char *block = mirage_heap_allocate(&model.heap, 100, 16);
    CHECK(mirage_heap_resize(&model.heap, block, SIZE_MAX) == NULL);
    check_heap(&model);
    CHECK(model.heap.free_bytes + 128 == model.heap.end - model.heap.start);

    struct mirage_heap empty;
    unsigned char tiny[24];
    mirage_heap_init(&empty, tiny, sizeof tiny);  // too small for a block once aligned
    CHECK(mirage_heap_allocate(&empty, 0, 16) == NULL);
    CHECK(mirage_heap_check(&empty) == NULL);
    model_free(&model);
}

void test_heap_owns_only_allocated_payloads(void) {
    struct model model;
    model_init(&model, 1 << 20, 0);
    unsigned char *small = mirage_heap_allocate(&model.heap, 40, 16);
    unsigned char *large = mirage_heap_allocate(&model.heap, 40000, 16);
    CHECK(mirage_heap_owns(&model.heap, small));
    CHECK(mirage_heap_owns(&model.heap, large));
    CHECK(!mirage_heap_owns(&model.heap, small + 16));   // inside a payload
    CHECK(!mirage_heap_owns(&model.heap, small + 1));    // misaligned
    CHECK(!mirage_heap_owns(&model.heap, model.memory + (2 << 20)));  // outside
    CHECK(!mirage_heap_owns(&model.heap, (void *)model.heap.start));  // a header
    mirage_heap_release(&model.heap, small);
    mirage_heap_release(&model.heap, large);
    CHECK(!mirage_heap_owns(&model.heap, small));  // cached: a second free is refused
    CHECK(!mirage_heap_owns(&model.heap, large));  // merged into the free list
    check_heap(&model);
    model_free(&model);
}

void test_heap_small_blocks_are_reused_from_their_class_cache(void) {
    struct model model;
    model_init(&model, 1 << 20, 0);
    void *first = mirage_heap_allocate(&model.heap, 100, 16);
    void *fence = mirage_heap_allocate(&model.heap, 100, 16);
    mirage_heap_release(&model.heap, first);
    CHECK(mirage_heap_allocate(&model.heap, 97, 16) == first);  // same class (112 bytes)
    CHECK(mirage_heap_usable_size(first) == 112);
    mirage_heap_release(&model.heap, first);
    void *other = mirage_heap_allocate(&model.heap, 300, 16);   // another class: a new block
    CHECK(other != first && other != NULL);
    (void)fence;
    check_heap(&model);
    model_free(&model);
}
