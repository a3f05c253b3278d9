// The <stdlib.h> allocation functions (C17 7.22.3, POSIX posix_memalign) over the guest's heap:
// [boot_info->heap_start, boot_info->heap_end), between the image and the stack.
//
// A unikernel has nothing to fall back on when memory runs out, and the Swift runtime treats a
// NULL from malloc as fatal anyway; so every allocation function stops the guest with a message
// and MIRAGE_HVT_OUT_OF_MEMORY_STATUS instead of returning NULL. (Invalid alignments still fail
// with EINVAL as the standards say.) Freeing or resizing a pointer the heap did not hand out, or
// one already freed, aborts: it would otherwise corrupt the heap.
#include "guest.h"
#include "heap.h"
#include "libc.h"

static struct mirage_heap guest_heap;

void mirage_hvt_heap_init(uintptr_t start, uintptr_t end) {
    mirage_heap_init(&guest_heap, (void *)start, end > start ? end - start : 0);
}

size_t mirage_hvt_heap_free_bytes(void) {
    return guest_heap.free_bytes;
}

__attribute__((noreturn)) static void out_of_memory(size_t requested) {
    mirage_hvt_console_printf("mirage-hvt guest: out of memory (%zu bytes requested, %zu free)\n",
                              requested, guest_heap.free_bytes);
    mirage_hvt_halt(MIRAGE_HVT_OUT_OF_MEMORY_STATUS);
}

__attribute__((noreturn)) static void invalid_pointer(const char *function, const void *pointer) {
    mirage_hvt_console_printf("mirage-hvt guest: %s(%p): not an allocated block (freed twice?)\n",
                              function, pointer);
    abort();
}

static void *allocate(size_t size, size_t alignment) {
    void *block = mirage_heap_allocate(&guest_heap, size, alignment);
    if (block == NULL) out_of_memory(size);
    return block;
}

void *malloc(size_t size) {
    return allocate(size, MIRAGE_HEAP_ALIGNMENT);
}

void *calloc(size_t count, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) out_of_memory(SIZE_MAX);
    void *block = allocate(total, MIRAGE_HEAP_ALIGNMENT);
    return memset(block, 0, total);  // a reused block holds old data
}

void *realloc(void *pointer, size_t size) {
    if (pointer == NULL) return malloc(size);
    if (!mirage_heap_owns(&guest_heap, pointer)) invalid_pointer("realloc", pointer);
    // realloc(p, 0) keeps a minimal block (C17 7.22.3.5 leaves the result implementation-defined).
    void *moved = mirage_heap_resize(&guest_heap, pointer, size);
    if (moved == NULL) out_of_memory(size);
    return moved;
}

void free(void *pointer) {
    if (pointer == NULL) return;
    if (!mirage_heap_owns(&guest_heap, pointer)) invalid_pointer("free", pointer);
    mirage_heap_release(&guest_heap, pointer);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    // "The value of alignment shall be a power of two multiple of sizeof(void *)."
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) return EINVAL;
    *result = allocate(size, alignment);
    return 0;
}

void *aligned_alloc(size_t alignment, size_t size) {
    // C17 7.22.3.1: an alignment the implementation does not support gives NULL.
    if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
        *__errno_location() = EINVAL;
        return NULL;
    }
    return allocate(size, alignment);
}
