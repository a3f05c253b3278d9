// The allocator behind malloc and its relatives, over one region of memory, with no knowledge of
// the guest: malloc.c applies it to the heap the tender describes, and Tests/hvt-guest-c checks it on
// the host.
//
// Every block starts with a 16-byte header (the size of the block below it and its own size
// with two flags), so payloads are 16-byte aligned as long as the region is. Two mechanisms:
//
// - Large: one free list of the free blocks in address order, searched first-fit; a request
//   takes the lowest block that fits, split when the rest can make a block of its own. A freed
//   block merges with free neighbours on both sides at once (boundary tags, Knuth TAOCP vol. 1,
//   2.5), so no two free blocks are ever adjacent.
// - Small: requests up to MIRAGE_HEAP_SMALL_LIMIT bytes round up to one of 40 size classes
//   (multiples of 16 to 256, of 64 to 1024, of 256 to 4096). A freed small block goes onto
//   its class's cache, a LIFO list, and the next request of that class takes it back in O(1);
//   cached blocks stay "in use" for the large list, so they are not merged meanwhile. When a
//   request finds no fitting free block, every cache is first returned to the large list (and
//   merged), then the search runs once more: the caches can never cause an out-of-memory.
//
// Alignments above 16 (posix_memalign) are served by the large search: it picks an address in a
// free block that leaves either no gap or a gap big enough to stay a free block of its own.
#ifndef MIRAGE_HVT_HEAP_H
#define MIRAGE_HVT_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIRAGE_HEAP_ALIGNMENT 16          // of every payload, as malloc needs (C17 7.22.3p1)
#define MIRAGE_HEAP_HEADER 16             // bytes before every payload
#define MIRAGE_HEAP_MINIMUM_BLOCK 32      // a header and two free-list links
#define MIRAGE_HEAP_SMALL_LIMIT 4096      // the largest payload that is cached by size class
#define MIRAGE_HEAP_SMALL_CLASSES 40

/// A block's header.
struct mirage_heap_block {
    size_t previous_size;   // the size of the block just below; 0 for the first block
    size_t size_and_flags;  // this block's size, header included (a multiple of 16), | flags
};

/// A block on the free list or a cache: the links live in its payload.
struct mirage_heap_free_block {
    struct mirage_heap_block header;
    struct mirage_heap_free_block *next;
    struct mirage_heap_free_block *previous;  // the free list only; caches are singly linked
};

/// The flags in `size_and_flags`.
#define MIRAGE_HEAP_IN_USE ((size_t)1)    // allocated or cached: not on the free list
#define MIRAGE_HEAP_CACHED ((size_t)2)    // on a size class's cache (IN_USE is set too)
#define MIRAGE_HEAP_FLAGS ((size_t)15)

/// One heap: a region and its lists. Zero-initialised, it is an empty heap.
struct mirage_heap {
    uintptr_t start;  // first block, 16-byte aligned
    uintptr_t end;    // end of the last block, 16-byte aligned
    struct mirage_heap_free_block *free_list;  // free blocks, in address order
    struct mirage_heap_free_block *caches[MIRAGE_HEAP_SMALL_CLASSES];
    size_t free_bytes;  // sizes of the blocks on the free list and the caches
};

/// Makes `heap` manage [memory, memory + length), trimmed to 16-byte boundaries.
void mirage_heap_init(struct mirage_heap *heap, void *memory, size_t length);

/// A block of at least `size` bytes at a multiple of `alignment` (a power of two; below 16
/// means 16), or NULL when the heap has no room.
void *mirage_heap_allocate(struct mirage_heap *heap, size_t size, size_t alignment);

/// Whether `pointer` is the payload of a block of `heap` that is allocated (not free, not cached):
/// the only pointers release and resize accept.
bool mirage_heap_owns(const struct mirage_heap *heap, const void *pointer);

/// Gives back the block at `pointer` (from allocate or resize, and owned).
void mirage_heap_release(struct mirage_heap *heap, void *pointer);

/// The block at `pointer` (owned) grown or shrunk to `size` bytes, in place when possible, else
/// moved with its contents; NULL, with the block untouched, when the heap has no room.
void *mirage_heap_resize(struct mirage_heap *heap, void *pointer, size_t size);

/// The bytes usable at `pointer` (owned): its size rounded up to the block.
size_t mirage_heap_usable_size(const void *pointer);

/// Checks every invariant above by walking the whole region; for tests.
/// - Returns: NULL when the heap is consistent, else a description of the first problem.
const char *mirage_heap_check(const struct mirage_heap *heap);

#endif
