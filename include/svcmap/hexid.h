/* hexid.h: hex digits of trace and span ids, eight at a time.
 *
 * Every span carries two or three ids of 16 or 32 hex digits, which the readers
 * normalize (span.c) and the linker turns into numbers (link.c). Byte by byte through a
 * table that was a tenth of the linker's work; these read eight digits as one 64-bit
 * word (bytes in memory order, whatever the machine's byte order) and check, lowercase
 * and convert them with a few word operations.
 */
#ifndef SVCMAP_HEXID_H
#define SVCMAP_HEXID_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define SM_HEX_ONES  0x0101010101010101ULL
#define SM_HEX_HIGHS 0x8080808080808080ULL

/* The 8 bytes at p as a word whose byte k (from the low end) is p[k]. */
static inline uint64_t sm_hex_load8(const char *p)
{
    uint64_t w;

    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

static inline void sm_hex_store8(char *p, uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    memcpy(p, &w, 8);
}

/* When all 8 bytes of w are hex digits (either case): true, and *lower the same bytes
 * lowercased. A digit has bit 0x20 set already, so setting it lowercases the letters
 * alone; a byte is a digit when it lies in '0'..'9', a letter when it does in 'a'..'f'
 * with that bit set (only 'A'..'F' and 'a'..'f' get there). Range checks of bytes below
 * 0x80 add to each byte without carrying into the next. */
static inline bool sm_hex_lower8(uint64_t w, uint64_t *lower)
{
    uint64_t y = w | (0x20 * SM_HEX_ONES);
    uint64_t digit = (w + (0x80 - '0') * SM_HEX_ONES) & ~(w + (0x7f - '9') * SM_HEX_ONES);
    uint64_t letter = (y + (0x80 - 'a') * SM_HEX_ONES) & ~(y + (0x7f - 'f') * SM_HEX_ONES);

    if (w & SM_HEX_HIGHS)
        return false;
    *lower = y;
    return ((digit | letter) & SM_HEX_HIGHS) == SM_HEX_HIGHS;
}

/* The value of 8 lowercase hex digits (as sm_hex_lower8 leaves them), the first the
 * most significant. */
static inline uint32_t sm_hex_value8(uint64_t lower)
{
    /* each byte its digit's value: the low nibble, plus 9 for a letter (bit 0x40) */
    uint64_t v = (lower & (0x0f * SM_HEX_ONES)) + 9 * ((lower >> 6) & SM_HEX_ONES);

    /* byte pairs to one byte each (first digit high), then the bytes together */
    v = ((v << 4) | (v >> 8)) & 0x00ff00ff00ff00ffULL;
    v = (v | (v >> 8)) & 0x0000ffff0000ffffULL;
    v = (v | (v >> 16)) & 0xffffffffULL;
    /* byte k of v is now digits 2k and 2k + 1: the first pair belongs on top */
    return __builtin_bswap32((uint32_t)v);
}

#endif
