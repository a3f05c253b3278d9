// Valgrind's memcheck client requests for the constant-time test (Tests/ctgrind): marking bytes
// undefined makes memcheck report every branch and every memory index that depends on them (the
// ctgrind method, A. Langley 2010). Without valgrind's headers the requests do nothing, and the
// test that runs this program under valgrind says valgrind is missing.
#ifndef MIRAGE_CVALGRIND_H
#define MIRAGE_CVALGRIND_H

#include <stddef.h>

#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
static inline void mirage_valgrind_secret(void *bytes, size_t count) { VALGRIND_MAKE_MEM_UNDEFINED(bytes, count); }
static inline void mirage_valgrind_public(void *bytes, size_t count) { VALGRIND_MAKE_MEM_DEFINED(bytes, count); }
static inline int mirage_valgrind_running(void) { return RUNNING_ON_VALGRIND; }
#else
static inline void mirage_valgrind_secret(void *bytes, size_t count) { (void)bytes; (void)count; }
static inline void mirage_valgrind_public(void *bytes, size_t count) { (void)bytes; (void)count; }
static inline int mirage_valgrind_running(void) { return 0; }
#endif

#endif
