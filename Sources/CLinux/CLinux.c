// The command line, saved before main for the host programs built in Embedded Swift (see
// include/CLinux.h); every other function is inline in the headers.
#include "CLinux.h"

static int saved_argument_count;
static char **saved_arguments;

/// glibc calls the constructors of a program with main's arguments (for static programs too).
__attribute__((constructor)) static void mirage_save_arguments(int count, char **arguments, char **environment) {
    (void)environment;
    saved_argument_count = count;
    saved_arguments = arguments;
}

int mirage_argument_count(void) { return saved_argument_count; }
char **mirage_arguments(void) { return saved_arguments; }
