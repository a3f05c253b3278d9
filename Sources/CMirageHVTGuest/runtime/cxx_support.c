// The C++ runtime symbols libswift_Concurrency.a (C++ compiled against libstdc++) calls, written
// in C so the guest links no C++ library. Their names are the Itanium C++ ABI manglings
// (itanium-cxx-abi.github.io, "External Names"), given through asm labels.
#include "guest.h"
#include "libc.h"

/// Called through a pure virtual function's vtable slot (Itanium C++ ABI 3.2.6): a bug.
void __cxa_pure_virtual(void) __attribute__((noreturn));

void __cxa_pure_virtual(void) {
    mirage_hvt_console_print("mirage-hvt guest: pure virtual function called\n");
    abort();
}

/// `std::__throw_length_error(char const*)`: libstdc++ throws std::length_error here, when a
/// container would exceed its max_size(). Without exceptions it can only stop the guest.
void mirage_hvt_throw_length_error(const char *message) __asm__("_ZSt20__throw_length_errorPKc")
    __attribute__((noreturn));

void mirage_hvt_throw_length_error(const char *message) {
    mirage_hvt_console_printf("mirage-hvt guest: std::length_error: %s\n", message != NULL ? message : "");
    abort();
}
