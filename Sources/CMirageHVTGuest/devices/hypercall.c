// The hypercall the Swift side and the C library share: halting (mirage_hvt_abi.h). The console
// has its own file, console.c, because it buffers; the clocks have clock.c, because they may
// read the time-stamp counter instead.
#include "guest.h"

void mirage_hvt_halt(int status) {
    mirage_hvt_console_flush();
    struct mirage_hvt_halt request = { .status = (int32_t)status, .reserved = 0 };
    // The tender does not resume a halted guest; should it ever return, ask again rather than
    // run on past a point the caller declared unreachable.
    for (;;) {
        mirage_hvt_hypercall(MIRAGE_HVT_HALT, &request);
    }
}
