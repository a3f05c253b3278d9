// The printf conversion engine (C17 7.21.6.1 "The fprintf function"), for the Swift runtime's
// diagnostics and the guest's own messages. It supports:
//
// - flags `-` `0` `+` space `#`; a field width and a precision, as digits or `*`;
// - length modifiers hh h l ll j z t (and L, accepted for floating conversions);
// - conversions d i u o x X c s p %, and f F e E g G a A in a simplified form: all print as fixed
//   point (like %f) with at most 9 fractional digits, enough for diagnostics; magnitudes of 1e19
//   and more print as "(large)". Infinities and NaNs print as inf and nan.
//
// `%n` is accepted and ignored (it writes through a pointer, which no diagnostic needs); any other
// unknown conversion is copied to the output as written. %p prints 0x and the address in hex.
// The engine does not allocate and needs about 100 bytes of stack.
#include "format.h"

#include <stdbool.h>
#include <stdint.h>

enum {
    FLAG_LEFT = 1,   // '-': pad on the right
    FLAG_ZERO = 2,   // '0': pad numbers with zeros
    FLAG_PLUS = 4,   // '+': always a sign
    FLAG_SPACE = 8,  // ' ': a space where a '+' would go
    FLAG_ALTERNATE = 16, // '#': 0x for hex, a leading 0 for octal
};

/// A conversion specification after the '%' (C17 7.21.6.1p4).
struct specification {
    unsigned flags;
    size_t width;       // 0 when none
    long precision;     // -1 when none
};

/// The formatter's state: its sink and how many characters it has produced.
struct formatter {
    struct mirage_format_sink *sink;
    size_t count;
};

static void emit(struct formatter *out, const char *characters, size_t count) {
    if (count == 0) return;
    out->sink->write(out->sink, characters, count);
    out->count += count;
}

static void emit_repeated(struct formatter *out, char character, size_t count) {
    char chunk[16];
    for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = character;
    while (count > 0) {
        size_t piece = count < sizeof chunk ? count : sizeof chunk;
        emit(out, chunk, piece);
        count -= piece;
    }
}

/// Writes `body` (with `length` characters) padded with spaces to the field width.
static void emit_padded(struct formatter *out, const struct specification *spec, const char *body,
                        size_t length) {
    size_t padding = spec->width > length ? spec->width - length : 0;
    if (!(spec->flags & FLAG_LEFT)) emit_repeated(out, ' ', padding);
    emit(out, body, length);
    if (spec->flags & FLAG_LEFT) emit_repeated(out, ' ', padding);
}

/// Writes an integer conversion: sign or prefix, zeros from the precision or the '0' flag,
/// then the digits of `magnitude` in `base` (C17 7.21.6.1p6 and p8).
static void emit_integer(struct formatter *out, const struct specification *spec, uintmax_t magnitude,
                         char sign, unsigned base, bool uppercase, const char *prefix) {
    const char *symbols = uppercase ? "0123456789ABCDEF" : "0123456789abcdef";
    char digits[3 * sizeof(uintmax_t)];  // enough for 64 bits in octal (22 digits)
    size_t digit_count = 0;
    // "The result of converting a zero value with a precision of zero is no characters."
    if (!(magnitude == 0 && spec->precision == 0)) {
        do {
            digits[sizeof digits - 1 - digit_count++] = symbols[magnitude % base];
            magnitude /= base;
        } while (magnitude != 0);
    }
    size_t zeros = 0;
    if (spec->precision >= 0 && (size_t)spec->precision > digit_count) {
        zeros = (size_t)spec->precision - digit_count;
    }
    // '#' with o: "it increases the precision, if and only if necessary, to force the first
    // digit of the result to be a zero".
    if (base == 8 && (spec->flags & FLAG_ALTERNATE) && zeros == 0 &&
        (digit_count == 0 || digits[sizeof digits - digit_count] != '0')) {
        zeros = 1;
    }
    size_t prefix_length = 0;
    while (prefix[prefix_length] != '\0') prefix_length++;
    size_t length = (sign ? 1 : 0) + prefix_length + zeros + digit_count;
    // '0' pads with zeros after the sign and prefix; it is ignored with '-' or a precision.
    if ((spec->flags & FLAG_ZERO) && !(spec->flags & FLAG_LEFT) && spec->precision < 0 &&
        spec->width > length) {
        zeros += spec->width - length;
        length = spec->width;
    }
    size_t padding = spec->width > length ? spec->width - length : 0;
    if (!(spec->flags & FLAG_LEFT)) emit_repeated(out, ' ', padding);
    if (sign) emit(out, &sign, 1);
    emit(out, prefix, prefix_length);
    emit_repeated(out, '0', zeros);
    emit(out, digits + sizeof digits - digit_count, digit_count);
    if (spec->flags & FLAG_LEFT) emit_repeated(out, ' ', padding);
}

/// The sign character a signed conversion shows for a value of this sign.
static char sign_for(bool negative, unsigned flags) {
    if (negative) return '-';
    if (flags & FLAG_PLUS) return '+';
    if (flags & FLAG_SPACE) return ' ';
    return 0;
}

/// Writes a floating value in fixed point, simplified (see the top of the file).
static void emit_floating(struct formatter *out, struct specification spec, double value, bool uppercase) {
    bool negative = __builtin_signbit(value) != 0;
    double magnitude = negative ? -value : value;
    char sign = sign_for(negative, spec.flags);
    const char *special = 0;
    if (magnitude != magnitude) special = uppercase ? "NAN" : "nan";
    else if (magnitude > 1.7976931348623157e308) special = uppercase ? "INF" : "inf";
    else if (magnitude >= 1e19) special = "(large)";
    if (special) {
        char text[8];
        size_t length = 0;
        if (sign) text[length++] = sign;
        while (*special) text[length++] = *special++;
        emit_padded(out, &spec, text, length);
        return;
    }
    long precision = spec.precision < 0 ? 6 : spec.precision;
    if (precision > 9) precision = 9;
    uint64_t scale = 1;
    for (long i = 0; i < precision; i++) scale *= 10;
    uint64_t whole = (uint64_t)magnitude;
    uint64_t fraction = (uint64_t)((magnitude - (double)whole) * (double)scale + 0.5);
    if (fraction >= scale) {  // rounding carried into the integer part
        fraction -= scale;
        whole += 1;
    }
    // The integer part, then '.' and the fraction with leading zeros.
    char text[48];
    size_t length = 0;
    if (sign) text[length++] = sign;
    char digits[20];
    size_t digit_count = 0;
    do {
        digits[digit_count++] = (char)('0' + whole % 10);
        whole /= 10;
    } while (whole != 0);
    size_t zeros = 0;
    size_t body = length + digit_count + (precision > 0 || (spec.flags & FLAG_ALTERNATE) ? 1 : 0) +
                  (size_t)precision;
    if ((spec.flags & FLAG_ZERO) && !(spec.flags & FLAG_LEFT) && spec.width > body) {
        zeros = spec.width - body;
        if (zeros > sizeof text - body) zeros = sizeof text - body;
    }
    while (zeros-- > 0) text[length++] = '0';
    while (digit_count > 0) text[length++] = digits[--digit_count];
    if (precision > 0 || (spec.flags & FLAG_ALTERNATE)) text[length++] = '.';
    for (long i = precision - 1; i >= 0; i--) {
        text[length + (size_t)i] = (char)('0' + fraction % 10);
        fraction /= 10;
    }
    length += (size_t)precision;
    emit_padded(out, &spec, text, length);
}

/// Reads a decimal field (width or precision) at `*cursor`, saturating instead of overflowing.
static size_t read_decimal(const char **cursor) {
    size_t value = 0;
    while (**cursor >= '0' && **cursor <= '9') {
        if (value < 100000000) value = value * 10 + (size_t)(**cursor - '0');
        (*cursor)++;
    }
    return value;
}

enum length_modifier { LENGTH_NONE, LENGTH_HH, LENGTH_H, LENGTH_L, LENGTH_LL, LENGTH_J, LENGTH_Z, LENGTH_T };

static intmax_t next_signed(va_list *arguments, enum length_modifier length) {
    switch (length) {
    case LENGTH_HH: return (signed char)va_arg(*arguments, int);
    case LENGTH_H: return (short)va_arg(*arguments, int);
    case LENGTH_L: return va_arg(*arguments, long);
    case LENGTH_LL: return va_arg(*arguments, long long);
    case LENGTH_J: return va_arg(*arguments, intmax_t);
    // The signed type corresponding to size_t is ptrdiff_t's width on every target here.
    case LENGTH_Z: return va_arg(*arguments, ptrdiff_t);
    case LENGTH_T: return va_arg(*arguments, ptrdiff_t);
    case LENGTH_NONE: break;
    }
    return va_arg(*arguments, int);
}

static uintmax_t next_unsigned(va_list *arguments, enum length_modifier length) {
    switch (length) {
    case LENGTH_HH: return (unsigned char)va_arg(*arguments, unsigned);
    case LENGTH_H: return (unsigned short)va_arg(*arguments, unsigned);
    case LENGTH_L: return va_arg(*arguments, unsigned long);
    case LENGTH_LL: return va_arg(*arguments, unsigned long long);
    case LENGTH_J: return va_arg(*arguments, uintmax_t);
    case LENGTH_Z: return va_arg(*arguments, size_t);
    case LENGTH_T: return (size_t)va_arg(*arguments, ptrdiff_t);
    case LENGTH_NONE: break;
    }
    return va_arg(*arguments, unsigned);
}

/// Formats one conversion specification starting after its '%'; returns where it ends.
static const char *format_conversion(struct formatter *out, const char *cursor, va_list *arguments) {
    const char *start = cursor - 1;
    struct specification spec = { .flags = 0, .width = 0, .precision = -1 };
    for (;; cursor++) {
        if (*cursor == '-') spec.flags |= FLAG_LEFT;
        else if (*cursor == '0') spec.flags |= FLAG_ZERO;
        else if (*cursor == '+') spec.flags |= FLAG_PLUS;
        else if (*cursor == ' ') spec.flags |= FLAG_SPACE;
        else if (*cursor == '#') spec.flags |= FLAG_ALTERNATE;
        else break;
    }
    if (*cursor == '*') {
        // "A negative field width argument is taken as a - flag followed by a positive width."
        int width = va_arg(*arguments, int);
        if (width < 0) {
            spec.flags |= FLAG_LEFT;
            spec.width = (size_t)-(long)width;  // in long, so INT_MIN does not overflow
        } else {
            spec.width = (size_t)width;
        }
        cursor++;
    } else {
        spec.width = read_decimal(&cursor);
    }
    if (*cursor == '.') {
        cursor++;
        if (*cursor == '*') {
            // "A negative precision argument is taken as if the precision were omitted."
            int precision = va_arg(*arguments, int);
            spec.precision = precision < 0 ? -1 : precision;
            cursor++;
        } else {
            spec.precision = (long)read_decimal(&cursor);
        }
    }
    enum length_modifier length = LENGTH_NONE;
    switch (*cursor) {
    case 'h': length = cursor[1] == 'h' ? LENGTH_HH : LENGTH_H; cursor += length == LENGTH_HH ? 2 : 1; break;
    case 'l': length = cursor[1] == 'l' ? LENGTH_LL : LENGTH_L; cursor += length == LENGTH_LL ? 2 : 1; break;
    case 'j': length = LENGTH_J; cursor++; break;
    case 'z': length = LENGTH_Z; cursor++; break;
    case 't': length = LENGTH_T; cursor++; break;
    case 'L': cursor++; break;  // long double: only meaningful for floating conversions
    default: break;
    }
    bool long_double = cursor > start + 1 && cursor[-1] == 'L';
    char conversion = *cursor;
    if (conversion == '\0') {  // the format ends inside a specification: copy it
        emit(out, start, (size_t)(cursor - start));
        return cursor;
    }
    cursor++;
    switch (conversion) {
    case 'd':
    case 'i': {
        intmax_t value = next_signed(arguments, length);
        uintmax_t magnitude = value < 0 ? (uintmax_t)0 - (uintmax_t)value : (uintmax_t)value;
        emit_integer(out, &spec, magnitude, sign_for(value < 0, spec.flags), 10, false, "");
        break;
    }
    case 'u':
        emit_integer(out, &spec, next_unsigned(arguments, length), 0, 10, false, "");
        break;
    case 'o':
        emit_integer(out, &spec, next_unsigned(arguments, length), 0, 8, false, "");
        break;
    case 'x':
    case 'X': {
        uintmax_t value = next_unsigned(arguments, length);
        const char *prefix = (spec.flags & FLAG_ALTERNATE) && value != 0 ? (conversion == 'x' ? "0x" : "0X") : "";
        emit_integer(out, &spec, value, 0, 16, conversion == 'X', prefix);
        break;
    }
    case 'p': {
        uintptr_t value = (uintptr_t)va_arg(*arguments, void *);
        emit_integer(out, &spec, value, 0, 16, false, "0x");
        break;
    }
    case 'c': {
        char character = (char)(unsigned char)va_arg(*arguments, int);
        emit_padded(out, &spec, &character, 1);
        break;
    }
    case 's': {
        const char *string = va_arg(*arguments, const char *);
        if (string == 0) string = "(null)";
        // With a precision, "no more than that many bytes are written" and the array need not
        // be NUL-terminated: never read past it.
        size_t count = 0;
        while ((spec.precision < 0 || count < (size_t)spec.precision) && string[count] != '\0') count++;
        emit_padded(out, &spec, string, count);
        break;
    }
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A': {
        double value = long_double ? (double)va_arg(*arguments, long double) : va_arg(*arguments, double);
        emit_floating(out, spec, value, conversion >= 'A' && conversion <= 'Z');
        break;
    }
    case 'n':
        (void)va_arg(*arguments, void *);
        break;
    case '%':
        emit(out, "%", 1);
        break;
    default:
        emit(out, start, (size_t)(cursor - start));
        break;
    }
    return cursor;
}

size_t mirage_format(struct mirage_format_sink *sink, const char *format, va_list arguments) {
    struct formatter out = { .sink = sink, .count = 0 };
    va_list remaining;
    va_copy(remaining, arguments);
    const char *cursor = format;
    while (*cursor != '\0') {
        const char *literal = cursor;
        while (*cursor != '\0' && *cursor != '%') cursor++;
        emit(&out, literal, (size_t)(cursor - literal));
        if (*cursor == '%') cursor = format_conversion(&out, cursor + 1, &remaining);
    }
    va_end(remaining);
    return out.count;
}

/// A sink that fills a buffer, keeping room for the terminating NUL.
struct buffer_sink {
    struct mirage_format_sink sink;
    char *buffer;
    size_t capacity;  // characters that fit before the NUL
    size_t length;
};

static void buffer_write(struct mirage_format_sink *sink, const char *characters, size_t count) {
    struct buffer_sink *buffer = (struct buffer_sink *)sink;
    size_t room = buffer->capacity - buffer->length;
    size_t copied = count < room ? count : room;
    for (size_t i = 0; i < copied; i++) buffer->buffer[buffer->length + i] = characters[i];
    buffer->length += copied;
}

size_t mirage_format_to_buffer(char *buffer, size_t size, const char *format, va_list arguments) {
    struct buffer_sink sink = {
        .sink = { .write = buffer_write },
        .buffer = buffer,
        .capacity = size > 0 ? size - 1 : 0,
        .length = 0,
    };
    size_t total = mirage_format(&sink.sink, format, arguments);
    if (size > 0) buffer[sink.length] = '\0';
    return total;
}
