// The console: bytes written here appear on the tender's standard error (MIRAGE_HVT_CONSOLE).
//
// Every hypercall is a VM exit, and the Swift standard library prints one `putchar` at a time,
// so single bytes are collected in a line buffer, as a C library line-buffers a terminal's
// stdout (C17 7.21.3p3), and go out at a newline, when the buffer is full, before any other
// console write (so output keeps its order) and when the guest halts.
#include <stdarg.h>

#include "format.h"
#include "guest.h"

#define LINE_CAPACITY 256

static unsigned char line[LINE_CAPACITY];
static size_t line_length;

/// One MIRAGE_HVT_CONSOLE hypercall.
static void console_hypercall(const void *data, size_t length) {
    struct mirage_hvt_console_write request = {
        .data = (uint64_t)(uintptr_t)data,
        .length = (uint64_t)length,
    };
    mirage_hvt_hypercall(MIRAGE_HVT_CONSOLE, &request);
}

void mirage_hvt_console_flush(void) {
    if (line_length == 0) return;
    console_hypercall(line, line_length);
    line_length = 0;
}

void mirage_hvt_console_put_byte(unsigned char byte) {
    line[line_length++] = byte;
    if (byte == '\n' || line_length == LINE_CAPACITY) mirage_hvt_console_flush();
}

void mirage_hvt_console_write(const void *data, size_t length) {
    mirage_hvt_console_flush();
    if (length > 0) console_hypercall(data, length);
}

void mirage_hvt_console_print(const char *string) {
    size_t length = 0;
    while (string[length] != '\0') length++;
    mirage_hvt_console_write(string, length);
}

void mirage_hvt_console_printf(const char *format, ...) {
    char message[256];
    va_list arguments;
    va_start(arguments, format);
    size_t length = mirage_format_to_buffer(message, sizeof message, format, arguments);
    va_end(arguments);
    if (length >= sizeof message) length = sizeof message - 1;  // truncated, NUL-terminated
    mirage_hvt_console_write(message, length);
}
