// The allocator (see heap.h for the design). Single-threaded: the guest has one thread and no
// interrupts, so no locking.
#include "heap.h"

typedef struct mirage_heap_block block_t;
typedef struct mirage_heap_free_block free_block_t;

static uintptr_t align_up(uintptr_t value, uintptr_t alignment) {
    return (value + alignment - 1) & ~(alignment - 1);
}

static size_t block_size(const block_t *block) {
    return block->size_and_flags & ~MIRAGE_HEAP_FLAGS;
}

static block_t *header_of(const void *payload) {
    return (block_t *)((uintptr_t)payload - MIRAGE_HEAP_HEADER);
}

static void *payload_of(block_t *block) {
    return (void *)((uintptr_t)block + MIRAGE_HEAP_HEADER);
}

/// The block just above `block`, or NULL at the end of the region.
static block_t *next_block(const struct mirage_heap *heap, const block_t *block) {
    uintptr_t next = (uintptr_t)block + block_size(block);
    return next < heap->end ? (block_t *)next : NULL;
}

/// The block just below `block`, or NULL for the first block.
static block_t *previous_block(const block_t *block) {
    return block->previous_size != 0 ? (block_t *)((uintptr_t)block - block->previous_size) : NULL;
}

/// Records `block`'s size in the header of the block above it.
static void update_next_previous_size(const struct mirage_heap *heap, const block_t *block) {
    block_t *next = next_block(heap, block);
    if (next != NULL) next->previous_size = block_size(block);
}

// -- Size classes ---------------------------------------------------------------------------

/// The smallest class whose payload is at least `payload` (a multiple of 16, 16...4096).
static unsigned class_for_request(size_t payload) {
    if (payload <= 256) return (unsigned)(payload / 16 - 1);
    if (payload <= 1024) return (unsigned)(15 + (payload - 256 + 63) / 64);
    return (unsigned)(27 + (payload - 1024 + 255) / 256);
}

/// The largest class whose payload is at most `payload` (a multiple of 16, 16...4096): the
/// class a freed block serves, since it holds at least that much.
static unsigned class_for_block(size_t payload) {
    if (payload <= 256) return (unsigned)(payload / 16 - 1);
    if (payload <= 1024) return (unsigned)(15 + (payload - 256) / 64);
    return (unsigned)(27 + (payload - 1024) / 256);
}

/// The payload of blocks in `class`.
static size_t class_payload(unsigned class) {
    if (class < 16) return 16 * ((size_t)class + 1);
    if (class < 28) return 256 + 64 * ((size_t)class - 15);
    return 1024 + 256 * ((size_t)class - 27);
}

// -- The free list ---------------------------------------------------------------------------

static void list_unlink(struct mirage_heap *heap, free_block_t *block) {
    if (block->previous != NULL) block->previous->next = block->next;
    else heap->free_list = block->next;
    if (block->next != NULL) block->next->previous = block->previous;
}

/// Puts `replacement` where `block` is in the list (both at the same place in address order).
static void list_replace(struct mirage_heap *heap, free_block_t *block, free_block_t *replacement) {
    replacement->next = block->next;
    replacement->previous = block->previous;
    if (block->previous != NULL) block->previous->next = replacement;
    else heap->free_list = replacement;
    if (block->next != NULL) block->next->previous = replacement;
}

static void list_insert_after(struct mirage_heap *heap, free_block_t *anchor, free_block_t *block) {
    (void)heap;
    block->previous = anchor;
    block->next = anchor->next;
    if (anchor->next != NULL) anchor->next->previous = block;
    anchor->next = block;
}

static void list_insert_ordered(struct mirage_heap *heap, free_block_t *block) {
    free_block_t *previous = NULL;
    free_block_t *next = heap->free_list;
    while (next != NULL && next < block) {
        previous = next;
        next = next->next;
    }
    block->previous = previous;
    block->next = next;
    if (previous != NULL) previous->next = block;
    else heap->free_list = block;
    if (next != NULL) next->previous = block;
}

/// Returns an in-use block to the free list, merged with its free neighbours.
static void release_block(struct mirage_heap *heap, block_t *block) {
    size_t size = block_size(block);
    heap->free_bytes += size;
    block_t *next = next_block(heap, block);
    block_t *previous = previous_block(block);
    int next_free = next != NULL && !(next->size_and_flags & MIRAGE_HEAP_IN_USE);
    int previous_free = previous != NULL && !(previous->size_and_flags & MIRAGE_HEAP_IN_USE);
    if (previous_free) {
        size_t merged = block_size(previous) + size;
        if (next_free) {
            merged += block_size(next);
            list_unlink(heap, (free_block_t *)next);
            next->size_and_flags = 0;  // a stale header inside a free block must not look in use
        }
        block->size_and_flags = 0;
        previous->size_and_flags = merged;
        update_next_previous_size(heap, previous);
    } else if (next_free) {
        block->size_and_flags = size + block_size(next);
        list_replace(heap, (free_block_t *)next, (free_block_t *)block);
        next->size_and_flags = 0;
        update_next_previous_size(heap, block);
    } else {
        block->size_and_flags = size;
        list_insert_ordered(heap, (free_block_t *)block);
    }
}

/// Cuts `block` (in use) to `keep` bytes and releases the rest, which must make a block.
static void split_tail(struct mirage_heap *heap, block_t *block, size_t keep) {
    size_t size = block_size(block);
    block_t *tail = (block_t *)((uintptr_t)block + keep);
    block->size_and_flags = keep | MIRAGE_HEAP_IN_USE;
    tail->previous_size = keep;
    tail->size_and_flags = (size - keep) | MIRAGE_HEAP_IN_USE;
    update_next_previous_size(heap, tail);
    release_block(heap, tail);
}

/// Takes `size` bytes (a block size) whose payload is `alignment`-aligned from the first free
/// block that can hold them, or returns NULL.
static block_t *take_first_fit(struct mirage_heap *heap, size_t size, size_t alignment) {
    for (free_block_t *candidate = heap->free_list; candidate != NULL; candidate = candidate->next) {
        uintptr_t base = (uintptr_t)candidate;
        size_t available = block_size(&candidate->header);
        uintptr_t payload = base + MIRAGE_HEAP_HEADER;
        uintptr_t aligned = align_up(payload, alignment);
        // A gap below the block must be able to stay a free block of its own.
        if (aligned != payload) aligned = align_up(payload + MIRAGE_HEAP_MINIMUM_BLOCK, alignment);
        size_t gap = aligned - payload;
        if (gap > available || available - gap < size) continue;

        block_t *block;
        if (gap == 0) {
            block = &candidate->header;
        } else {
            // The candidate keeps its place in the list, shrunk to the gap.
            candidate->header.size_and_flags = gap;
            block = (block_t *)(base + gap);
            block->previous_size = gap;
        }
        size_t taken = available - gap;
        heap->free_bytes -= taken;
        size_t rest = taken - size;
        if (rest >= MIRAGE_HEAP_MINIMUM_BLOCK) {
            free_block_t *tail = (free_block_t *)((uintptr_t)block + size);
            tail->header.previous_size = size;
            tail->header.size_and_flags = rest;
            update_next_previous_size(heap, &tail->header);
            heap->free_bytes += rest;
            if (gap == 0) list_replace(heap, candidate, tail);
            else list_insert_after(heap, candidate, tail);
            taken = size;
        } else if (gap == 0) {
            list_unlink(heap, candidate);
        }
        block->size_and_flags = taken | MIRAGE_HEAP_IN_USE;
        update_next_previous_size(heap, block);
        return block;
    }
    return NULL;
}

/// Returns every cached block to the free list. Returns whether there were any.
static int flush_caches(struct mirage_heap *heap) {
    int flushed = 0;
    for (unsigned class = 0; class < MIRAGE_HEAP_SMALL_CLASSES; class++) {
        free_block_t *block = heap->caches[class];
        heap->caches[class] = NULL;
        while (block != NULL) {
            free_block_t *next = block->next;
            heap->free_bytes -= block_size(&block->header);  // counted again by release_block
            release_block(heap, &block->header);
            block = next;
            flushed = 1;
        }
    }
    return flushed;
}

// -- The interface ---------------------------------------------------------------------------

void mirage_heap_init(struct mirage_heap *heap, void *memory, size_t length) {
    uintptr_t start = align_up((uintptr_t)memory, MIRAGE_HEAP_ALIGNMENT);
    uintptr_t end = ((uintptr_t)memory + length) & ~(uintptr_t)(MIRAGE_HEAP_ALIGNMENT - 1);
    heap->free_list = NULL;
    for (unsigned class = 0; class < MIRAGE_HEAP_SMALL_CLASSES; class++) heap->caches[class] = NULL;
    heap->free_bytes = 0;
    heap->start = start;
    heap->end = start;
    if (end <= start || end - start < MIRAGE_HEAP_MINIMUM_BLOCK) return;
    heap->end = end;
    free_block_t *first = (free_block_t *)start;
    first->header.previous_size = 0;
    first->header.size_and_flags = end - start;
    first->next = NULL;
    first->previous = NULL;
    heap->free_list = first;
    heap->free_bytes = end - start;
}

void *mirage_heap_allocate(struct mirage_heap *heap, size_t size, size_t alignment) {
    if (alignment < MIRAGE_HEAP_ALIGNMENT) alignment = MIRAGE_HEAP_ALIGNMENT;
    if ((alignment & (alignment - 1)) != 0) return NULL;
    size_t capacity = heap->end - heap->start;
    if (size > capacity || alignment > capacity) return NULL;  // also keeps the sums below small
    size_t payload = size < MIRAGE_HEAP_ALIGNMENT ? MIRAGE_HEAP_ALIGNMENT : align_up(size, MIRAGE_HEAP_ALIGNMENT);

    if (alignment == MIRAGE_HEAP_ALIGNMENT && payload <= MIRAGE_HEAP_SMALL_LIMIT) {
        unsigned class = class_for_request(payload);
        payload = class_payload(class);
        free_block_t *cached = heap->caches[class];
        if (cached != NULL) {
            heap->caches[class] = cached->next;
            cached->header.size_and_flags &= ~MIRAGE_HEAP_CACHED;
            heap->free_bytes -= block_size(&cached->header);
            return payload_of(&cached->header);
        }
    }
    block_t *block = take_first_fit(heap, payload + MIRAGE_HEAP_HEADER, alignment);
    if (block == NULL && flush_caches(heap)) {
        block = take_first_fit(heap, payload + MIRAGE_HEAP_HEADER, alignment);
    }
    return block != NULL ? payload_of(block) : NULL;
}

bool mirage_heap_owns(const struct mirage_heap *heap, const void *pointer) {
    uintptr_t address = (uintptr_t)pointer;
    if ((address & (MIRAGE_HEAP_ALIGNMENT - 1)) != 0) return false;
    if (address < heap->start + MIRAGE_HEAP_HEADER || address >= heap->end) return false;
    const block_t *block = header_of(pointer);
    size_t size = block_size(block);
    if ((block->size_and_flags & MIRAGE_HEAP_FLAGS) != MIRAGE_HEAP_IN_USE) return false;
    return size >= MIRAGE_HEAP_MINIMUM_BLOCK && size <= heap->end - (uintptr_t)block;
}

void mirage_heap_release(struct mirage_heap *heap, void *pointer) {
    block_t *block = header_of(pointer);
    size_t size = block_size(block);
    size_t payload = size - MIRAGE_HEAP_HEADER;
    if (payload <= MIRAGE_HEAP_SMALL_LIMIT) {
        unsigned class = class_for_block(payload);
        free_block_t *cached = (free_block_t *)block;
        block->size_and_flags |= MIRAGE_HEAP_CACHED;
        cached->next = heap->caches[class];
        heap->caches[class] = cached;
        heap->free_bytes += size;
        return;
    }
    release_block(heap, block);
}

void *mirage_heap_resize(struct mirage_heap *heap, void *pointer, size_t size) {
    size_t capacity = heap->end - heap->start;
    if (size > capacity) return NULL;
    block_t *block = header_of(pointer);
    size_t current = block_size(block);
    size_t payload = size < MIRAGE_HEAP_ALIGNMENT ? MIRAGE_HEAP_ALIGNMENT : align_up(size, MIRAGE_HEAP_ALIGNMENT);
    size_t needed = payload + MIRAGE_HEAP_HEADER;

    if (needed <= current) {
        // Shrinking: give back the tail of a large block; small blocks keep their class size.
        if (current - needed >= MIRAGE_HEAP_MINIMUM_BLOCK && current - MIRAGE_HEAP_HEADER > MIRAGE_HEAP_SMALL_LIMIT) {
            split_tail(heap, block, needed);
        }
        return pointer;
    }
    block_t *next = next_block(heap, block);
    if (next != NULL && !(next->size_and_flags & MIRAGE_HEAP_IN_USE) && current + block_size(next) >= needed) {
        // Growing into the free block above.
        size_t merged = current + block_size(next);
        list_unlink(heap, (free_block_t *)next);
        heap->free_bytes -= block_size(next);
        next->size_and_flags = 0;
        block->size_and_flags = merged | MIRAGE_HEAP_IN_USE;
        update_next_previous_size(heap, block);
        if (merged - needed >= MIRAGE_HEAP_MINIMUM_BLOCK) split_tail(heap, block, needed);
        return pointer;
    }
    unsigned char *moved = mirage_heap_allocate(heap, size, MIRAGE_HEAP_ALIGNMENT);
    if (moved == NULL) return NULL;
    const unsigned char *old = pointer;
    for (size_t i = 0; i < current - MIRAGE_HEAP_HEADER; i++) moved[i] = old[i];
    mirage_heap_release(heap, pointer);
    return moved;
}

size_t mirage_heap_usable_size(const void *pointer) {
    return block_size(header_of(pointer)) - MIRAGE_HEAP_HEADER;
}

const char *mirage_heap_check(const struct mirage_heap *heap) {
    size_t free_total = 0;
    size_t free_count = 0;
    size_t cached_count = 0;
    size_t previous_size = 0;
    int previous_free = 0;
    uintptr_t address = heap->start;
    while (address < heap->end) {
        const block_t *block = (const block_t *)address;
        size_t size = block_size(block);
        size_t flags = block->size_and_flags & MIRAGE_HEAP_FLAGS;
        if (size < MIRAGE_HEAP_MINIMUM_BLOCK || size % MIRAGE_HEAP_ALIGNMENT != 0) return "bad block size";
        if (size > heap->end - address) return "block runs past the end";
        if (block->previous_size != previous_size) return "previous_size does not match";
        if (flags != 0 && flags != MIRAGE_HEAP_IN_USE && flags != (MIRAGE_HEAP_IN_USE | MIRAGE_HEAP_CACHED)) {
            return "bad flags";
        }
        int is_free = flags == 0;
        if (is_free && previous_free) return "two adjacent free blocks";
        if (is_free) {
            free_total += size;
            free_count++;
        }
        if (flags & MIRAGE_HEAP_CACHED) {
            free_total += size;
            cached_count++;
        }
        previous_free = is_free;
        previous_size = size;
        address += size;
    }
    if (address != heap->end) return "blocks do not end at the end";
    if (free_total != heap->free_bytes) return "free_bytes does not match";

    size_t listed = 0;
    const free_block_t *previous = NULL;
    for (const free_block_t *block = heap->free_list; block != NULL; block = block->next) {
        if (block->previous != previous) return "free list back link broken";
        if (previous != NULL && previous >= block) return "free list not in address order";
        if ((uintptr_t)block < heap->start || (uintptr_t)block >= heap->end) return "free list outside the heap";
        if (block->header.size_and_flags & MIRAGE_HEAP_FLAGS) return "free list holds a block in use";
        if (++listed > free_count) return "free list longer than the free blocks";
        previous = block;
    }
    if (listed != free_count) return "a free block is missing from the free list";

    size_t cached = 0;
    for (unsigned class = 0; class < MIRAGE_HEAP_SMALL_CLASSES; class++) {
        for (const free_block_t *block = heap->caches[class]; block != NULL; block = block->next) {
            if ((block->header.size_and_flags & MIRAGE_HEAP_FLAGS) != (MIRAGE_HEAP_IN_USE | MIRAGE_HEAP_CACHED)) {
                return "cache holds a block not flagged cached";
            }
            size_t payload = block_size(&block->header) - MIRAGE_HEAP_HEADER;
            if (payload < class_payload(class)) return "cached block smaller than its class";
            if (++cached > cached_count) return "caches longer than the cached blocks";
        }
    }
    if (cached != cached_count) return "a cached block is missing from the caches";
    return NULL;
}
