/* util.h: allocation that aborts on exhaustion, growable strings, an arena, hashing.
 *
 * Allocations here are bounded by the caller (element sizes, string limits), so running
 * out of memory is a condition the program cannot recover from: sm_xmalloc and friends
 * print one line and abort, like git's xmalloc. The core never prints otherwise.
 */
#ifndef SVCMAP_UTIL_H
#define SVCMAP_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

void *sm_xmalloc(size_t size);
void *sm_xcalloc(size_t n, size_t size);
void *sm_xrealloc(void *p, size_t size);
/* Caller frees with free(). */
char *sm_xstrdup(const char *s);
char *sm_xstrndup(const char *s, size_t n);

/* The largest count svcmap keeps (calls, errors, spans, sketch counts): what a SQLite
 * integer and a JSON integer in jansson hold. Sums saturate there instead of wrapping. */
#define SM_COUNT_MAX ((uint64_t)INT64_MAX)

/* a + b, saturated at SM_COUNT_MAX (either operand above it counts as SM_COUNT_MAX). */
static inline uint64_t sm_count_add(uint64_t a, uint64_t b)
{
    if (a >= SM_COUNT_MAX || b >= SM_COUNT_MAX || b > SM_COUNT_MAX - a)
        return SM_COUNT_MAX;
    return a + b;
}

/* a * b, saturated at SM_COUNT_MAX. */
static inline uint64_t sm_count_mul(uint64_t a, uint64_t b)
{
    if (a == 0 || b == 0)
        return 0;
    if (a >= SM_COUNT_MAX || b >= SM_COUNT_MAX || a > SM_COUNT_MAX / b)
        return SM_COUNT_MAX;
    return a * b;
}

/* Grows *items (of elem_size bytes each) so that it holds at least need elements. */
void sm_grow(void *items_ptr, size_t *cap, size_t need, size_t elem_size);

/* A growable NUL-terminated byte string. */
struct sm_buf {
    char *data; /* owned; NULL until the first append */
    size_t len;
    size_t cap;
};
void sm_buf_init(struct sm_buf *b);
void sm_buf_release(struct sm_buf *b);
void sm_buf_reset(struct sm_buf *b); /* len = 0, keeps the memory */
void sm_buf_add(struct sm_buf *b, const void *data, size_t len);
void sm_buf_addc(struct sm_buf *b, char c);
void sm_buf_adds(struct sm_buf *b, const char *s);
void sm_buf_printf(struct sm_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
void sm_buf_add_json_string(struct sm_buf *b, const char *s);
/* Appends a double the same way on every run: shortest of %.{1..17}g that round-trips,
 * integers without exponent up to 1e15, never "nan" (null instead). */
void sm_buf_add_number(struct sm_buf *b, double v);

/* Appends the standard base64 (RFC 4648, with padding) of len bytes. */
void sm_buf_add_base64(struct sm_buf *b, const void *data, size_t len);
/* Decodes standard base64 with padding (no whitespace, leftover bits zero, so that each
 * byte string has exactly one spelling). 0 and *out (owned by the caller: free(); NULL
 * when *out_len is 0) on success, -1 on anything else. */
int sm_base64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len);

/* An arena for the many small strings of a parse. sm_arena_reset keeps the first
 * block for reuse. Built with -DSM_DEBUG_ARENA every allocation is a plain malloc so
 * that AddressSanitizer sees overflows between objects. */
struct sm_arena_block;
struct sm_arena {
    struct sm_arena_block *head;
    size_t used_bytes; /* in all blocks, for statistics */
};
void sm_arena_init(struct sm_arena *a);
void sm_arena_release(struct sm_arena *a);
void sm_arena_reset(struct sm_arena *a);
/* Borrowed: valid until the next sm_arena_reset or sm_arena_release. */
void *sm_arena_alloc(struct sm_arena *a, size_t size);
char *sm_arena_strdup(struct sm_arena *a, const char *s);
/* True when p points into memory the arena handed out (and has not reset). */
bool sm_arena_owns(const struct sm_arena *a, const void *p);
char *sm_arena_strndup(struct sm_arena *a, const char *s, size_t n);

/* splitmix64's finaliser: spreads a 64-bit number over all 64 bits, so that its low
 * bits can index a hash table. For keys that are already fixed-size numbers it is much
 * cheaper than hashing their bytes; only where a key sits depends on it. */
static inline uint64_t sm_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* 64-bit FNV-1a-style hash (with a final mix), stable across runs and machines. */
uint64_t sm_hash64(const void *data, size_t len);
uint64_t sm_hash_str(const char *s);

/* Seconds since the Unix epoch of a UTC civil time (proleptic Gregorian calendar). */
int64_t sm_civil_to_unix(int64_t year, int month, int day, int hour, int minute, int second);

/* Case-insensitive ASCII string compare. */
int sm_strcasecmp(const char *a, const char *b);

/* Glob match with '*' and '?' (and '\\' escaping), case-sensitive. */
bool sm_glob_match(const char *pattern, const char *text);

#endif
