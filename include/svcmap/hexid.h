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
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

/* The value of the 16 hex digits at p (either case), the first the most significant;
 * false when one is not a hex digit. What two sm_hex_lower8 and sm_hex_value8 give, 16
 * bytes at a time where SSE2 is there. */
static inline bool sm_hex_value16(const char *p, uint64_t *value)
{
#if defined(__SSE2__)
    __m128i c = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i y = _mm_or_si128(c, _mm_set1_epi8(0x20));
    /* signed compares: a byte from 0x80 up is negative and fails both ranges */
    __m128i digit = _mm_and_si128(_mm_cmpgt_epi8(c, _mm_set1_epi8('0' - 1)),
                                  _mm_cmplt_epi8(c, _mm_set1_epi8('9' + 1)));
    __m128i letter = _mm_and_si128(_mm_cmpgt_epi8(y, _mm_set1_epi8('a' - 1)),
                                   _mm_cmplt_epi8(y, _mm_set1_epi8('f' + 1)));
    __m128i nib, pair;
    uint64_t v;

    if (_mm_movemask_epi8(_mm_or_si128(digit, letter)) != 0xffff)
        return false;
    /* each byte its digit's value: the low nibble, plus 9 for a letter */
    nib = _mm_add_epi8(_mm_and_si128(y, _mm_set1_epi8(0x0f)),
                       _mm_and_si128(letter, _mm_set1_epi8(9)));
    /* digit 2k (low byte of lane k) on top of digit 2k + 1 (its high byte) */
    pair = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(nib, _mm_set1_epi16(0x00ff)), 4),
                        _mm_srli_epi16(nib, 8));
    v = (uint64_t)_mm_cvtsi128_si64(_mm_packus_epi16(pair, pair));
    /* byte k of v is digits 2k and 2k + 1: the first pair belongs on top */
    *value = __builtin_bswap64(v);
    return true;
#else
    uint64_t a, b;

    if (!sm_hex_lower8(sm_hex_load8(p), &a) || !sm_hex_lower8(sm_hex_load8(p + 8), &b))
        return false;
    *value = ((uint64_t)sm_hex_value8(a) << 32) | sm_hex_value8(b);
    return true;
#endif
}

#endif
