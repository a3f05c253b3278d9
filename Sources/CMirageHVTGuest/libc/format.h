// printf-style formatting, separate from any output so it can be tested on the host and used
// for the console, for buffers (vsnprintf) and for the guest's own messages.
#ifndef MIRAGE_HVT_FORMAT_H
#define MIRAGE_HVT_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

/// Where formatted characters go: `write` receives them in pieces, in order.
struct mirage_format_sink {
    void (*write)(struct mirage_format_sink *sink, const char *characters, size_t count);
};

/// Formats `arguments` by `format` (C17 7.21.6.1, the subset in format.c) into `sink`.
/// - Returns: the number of characters produced.
size_t mirage_format(struct mirage_format_sink *sink, const char *format, va_list arguments);

/// Formats into `buffer` as vsnprintf does (C17 7.21.6.12): at most `size - 1` characters and a
/// terminating NUL when `size` is not zero.
/// - Returns: the length the whole result has, which is `size` or more when it was truncated.
size_t mirage_format_to_buffer(char *buffer, size_t size, const char *format, va_list arguments);

#endif
