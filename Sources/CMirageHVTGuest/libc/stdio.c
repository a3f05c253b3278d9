// The <stdio.h> subset (C17 7.21): everything goes to the console. There is one stream; `stdout`
// and `stderr` both name it, so `fputs(s, stderr)` from the Swift runtime and the Swift standard
// library's `putchar` share one ordered output. `putchar` is line-buffered (console.c); the
// others write at once, after what `putchar` holds.
#include <stdarg.h>

#include "format.h"
#include "guest.h"
#include "libc.h"

/// The console stream. Its contents do not matter: only its address identifies it.
struct mirage_hvt_stream {
    int unused;
};

static struct mirage_hvt_stream console_stream;

FILE *stdout = &console_stream;
FILE *stderr = &console_stream;

int putchar(int character) {
    unsigned char byte = (unsigned char)character;
    mirage_hvt_console_put_byte(byte);
    return byte;
}

int fputs(const char *restrict string, FILE *restrict stream) {
    (void)stream;
    mirage_hvt_console_write(string, strlen(string));
    return 0;  // "a nonnegative value" on success (C17 7.21.7.3)
}

int puts(const char *string) {
    fputs(string, stdout);
    mirage_hvt_console_write("\n", 1);
    return 0;
}

int fflush(FILE *stream) {
    (void)stream;
    mirage_hvt_console_flush();
    return 0;
}

/// A sink that collects console output in a small buffer, so that one vprintf is usually one
/// console hypercall.
struct console_sink {
    struct mirage_format_sink sink;
    char buffer[256];
    size_t length;
};

static void console_sink_write(struct mirage_format_sink *sink, const char *characters, size_t count) {
    struct console_sink *console = (struct console_sink *)sink;
    if (console->length + count > sizeof console->buffer) {
        mirage_hvt_console_write(console->buffer, console->length);
        console->length = 0;
    }
    if (count > sizeof console->buffer) {
        mirage_hvt_console_write(characters, count);
        return;
    }
    memcpy(console->buffer + console->length, characters, count);
    console->length += count;
}

/// Clamps a character count to the int the printf family returns.
static int as_int(size_t count) {
    return count > 0x7fffffff ? 0x7fffffff : (int)count;
}

int vprintf(const char *restrict format, va_list arguments) {
    struct console_sink console = { .sink = { .write = console_sink_write }, .length = 0 };
    size_t count = mirage_format(&console.sink, format, arguments);
    mirage_hvt_console_write(console.buffer, console.length);
    return as_int(count);
}

int printf(const char *restrict format, ...) {
    va_list arguments;
    va_start(arguments, format);
    int count = vprintf(format, arguments);
    va_end(arguments);
    return count;
}

int vsnprintf(char *restrict buffer, size_t size, const char *restrict format, va_list arguments) {
    return as_int(mirage_format_to_buffer(buffer, size, format, arguments));
}

int snprintf(char *restrict buffer, size_t size, const char *restrict format, ...) {
    va_list arguments;
    va_start(arguments, format);
    int count = vsnprintf(buffer, size, format, arguments);
    va_end(arguments);
    return count;
}
