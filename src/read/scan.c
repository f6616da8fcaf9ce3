/* scan.c: splits a JSON export into elements (see scan.h) without parsing it.
 *
 * The input is read in large chunks (1 MiB) into one buffer that always ends with a NUL
 * sentinel. Outside strings a table lookup skips every byte that cannot change the
 * structure; inside strings the first 64 bytes are tested eight at a time for a quote,
 * a backslash or a newline, and longer strings are left to memchr, so the hot loop makes
 * no call per byte. The scanner keeps a stack of bracket
 * types (for mismatch errors) bounded by the depth limit, and beyond it only counts.
 *
 * The bytes of the element in progress stay in the buffer; everything before it is
 * dropped when the buffer is refilled, after its newlines have been counted (line
 * numbers are counted lazily with memchr, once per byte, only up to places someone asks
 * about). An element that breaks a limit is skipped: its bytes are no longer stored but
 * its structure is still followed to find where it ends.
 *
 * JSON lines: once the first top-level value turns out to sit on one line, the input is
 * taken as JSON lines; from then on a line that ends inside a value, or holds something
 * that is not JSON, is one bad record and scanning resumes on the next line.
 */
#include "svcmap/scan.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "svcmap/util.h"

#define DEFAULT_READ_BYTES ((size_t)1 << 20)
/* the smallest read, for small files */
#define MIN_READ_BYTES    ((size_t)4 << 10)
#define NO_DEPTH          SIZE_MAX
#define MAX_TYPE_STACK    ((size_t)1 << 20)
#define KEY_CAPTURE_BYTES 64

enum pending_key { KEY_NONE = 0, KEY_ARRAY, KEY_RESULT };

/* Bytes the scanner must look at outside strings; the rest (letters, digits, blanks) is
 * skipped by the table loop. NUL is the end-of-buffer sentinel. */
static const unsigned char cls_inner[256] = {
    [0] = 1,   ['"'] = 1, ['{'] = 1, ['}'] = 1,  ['['] = 1,
    [']'] = 1, [','] = 1, [':'] = 1, ['\n'] = 1,
};

#define SHORT_STRING_BYTES 64

/* The buffer has this many bytes after the sentinel so that the string fast path may
 * load whole 16-byte vectors (or 8-byte words); it stops at the sentinel before looking
 * past it. */
#define WORD_SLACK 16

#define ONES  ((uint64_t)0x0101010101010101ULL)
#define HIGHS ((uint64_t)0x8080808080808080ULL)

/* Nonzero when some byte of w is zero. A borrow can flag bytes above a zero byte but
 * never below it, so the lowest flagged byte is the lowest zero byte. */
#if !defined(__SSE2__)
static inline uint64_t zero_bytes(uint64_t w)
{
    return (w - ONES) & ~w & HIGHS;
}
#endif

/* The first byte of a string at or after p that is a quote, a backslash, a newline or
 * the NUL sentinel, looking at most SHORT_STRING_BYTES (rounded up to a word) ahead;
 * NULL when there is none that close. Eight bytes per step (SWAR). */
static inline const unsigned char *string_stop(const unsigned char *p)
{
    const unsigned char *q;

#if defined(__SSE2__)
    /* sixteen bytes a step where SSE2 is there (every x86-64): the same bytes, the same
     * answer */
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    const __m128i newline = _mm_set1_epi8('\n'), nul = _mm_setzero_si128();

    for (q = p; q - p < SHORT_STRING_BYTES; q += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)q);
        int hit = _mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                         _mm_or_si128(_mm_cmpeq_epi8(v, newline), _mm_cmpeq_epi8(v, nul))));

        if (hit)
            return q + __builtin_ctz((unsigned)hit);
    }
    return NULL;
#else
    for (q = p; q - p < SHORT_STRING_BYTES; q += 8) {
        uint64_t w, hit;

        memcpy(&w, q, sizeof(w));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        w = __builtin_bswap64(w); /* the first byte in memory becomes the lowest */
#endif
        hit = zero_bytes(w ^ (ONES * '"')) | zero_bytes(w ^ (ONES * '\\')) |
              zero_bytes(w ^ (ONES * '\n')) | zero_bytes(w);
        if (hit)
            return q + (__builtin_ctzll(hit) >> 3);
    }
    return NULL;
#endif
}

#if defined(__SSE2__)
/* ---- the inside of an element, 64 bytes a step ----
 *
 * Deep inside an element (below every level where keys, items or the element's end
 * matter) the byte walk only follows brackets and strings. There the scanner looks at
 * 64 bytes at once: bitmasks of the quotes, backslashes and brackets, the bytes a
 * backslash escapes, the bytes inside strings (a running parity of the unescaped
 * quotes), and then visits only the brackets outside strings, one by one, to keep the
 * depth and the bracket types. Anything it does not settle itself (a bracket that ends
 * the region or breaks a limit or does not match, a backslash outside a string, the last
 * bytes of a line or of the buffer) is left to the byte walk at the byte where it is,
 * with the walk's state exactly as the walk would have it there. */

#define BLOCK_BYTES 64

struct block_bits {
    uint64_t quote;
    uint64_t bracket; /* '{', '[', '}' or ']' */
    uint64_t backslash;
    uint64_t newline;
    __m128i odd; /* nonzero lanes: some byte below 0x20 or above 0x7F, or a backslash */
};

static inline uint64_t mask16(__m128i v)
{
    return (uint64_t)(unsigned)_mm_movemask_epi8(v);
}

/* The mask of the bytes of a block equal to c. */
static inline uint64_t block_eq(const unsigned char *p, char c)
{
    const __m128i cv = _mm_set1_epi8(c);
    uint64_t m = 0;
    int i;

    for (i = 0; i < BLOCK_BYTES / 16; i++)
        m |=
            mask16(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i)), cv))
            << (16 * i);
    return m;
}

/* The bytes of a block below 0x20 or above 0x7F, and its backslashes. */
static inline uint64_t block_odd(const unsigned char *p)
{
    const __m128i low = _mm_set1_epi8(0x20), backslash = _mm_set1_epi8('\\');
    uint64_t m = 0;
    int i;

    for (i = 0; i < BLOCK_BYTES / 16; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));

        m |= mask16(_mm_or_si128(_mm_cmplt_epi8(v, low), _mm_cmpeq_epi8(v, backslash))) << (16 * i);
    }
    return m;
}

static inline void classify_block(const unsigned char *p, bool newlines, struct block_bits *b)
{
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
    /* '[' and '{' differ only in bit 0x20, and so do ']' and '}' */
    const __m128i case_bit = _mm_set1_epi8(0x20), open = _mm_set1_epi8('{');
    const __m128i close = _mm_set1_epi8('}');
    const __m128i low = _mm_set1_epi8(0x20);
    __m128i any_backslash = _mm_setzero_si128(), any_odd = _mm_setzero_si128();
    uint64_t quotes = 0, brackets = 0;
    int i;

    for (i = 0; i < BLOCK_BYTES / 16; i++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + 16 * i));
        __m128i folded = _mm_or_si128(v, case_bit);

        quotes |= mask16(_mm_cmpeq_epi8(v, quote)) << (16 * i);
        brackets |=
            mask16(_mm_or_si128(_mm_cmpeq_epi8(folded, open), _mm_cmpeq_epi8(folded, close)))
            << (16 * i);
        any_backslash = _mm_or_si128(any_backslash, _mm_cmpeq_epi8(v, backslash));
        /* signed: the bytes from 0x80 up are below 0x20 too */
        any_odd = _mm_or_si128(any_odd, _mm_cmplt_epi8(v, low));
    }
    b->odd = _mm_or_si128(any_odd, any_backslash);
    b->quote = quotes;
    b->bracket = brackets;
    /* backslashes and newlines are rare: their masks (from the bytes again, which keeps
     * the registers free) only when the block has some */
    b->backslash = _mm_movemask_epi8(any_backslash) ? block_eq(p, '\\') : 0;
    b->newline = newlines ? block_eq(p, '\n') : 0;
}

/* Bit i set when an odd number of bits at or below i are set in x. */
static inline uint64_t prefix_parity(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

/* The bytes of a block that a backslash escapes, given its backslashes and whether its
 * first byte is escaped (*carry 1); *carry becomes whether the next block's first byte
 * is. Backslashes are rare in trace JSON: one step per backslash that escapes. */
static inline uint64_t escaped_bits(uint64_t backslash, uint64_t *carry)
{
    uint64_t escaped = *carry, starts = backslash & ~escaped;

    *carry = 0;
    while (starts) {
        unsigned i = (unsigned)__builtin_ctzll(starts);

        if (i == BLOCK_BYTES - 1) {
            *carry = 1;
            break;
        }
        escaped |= (uint64_t)2 << i;
        starts &= starts - 1;
        starts &= ~((uint64_t)2 << i); /* an escaped backslash escapes nothing */
    }
    return escaped;
}
#endif

struct sm_scanner {
    struct sm_input *in;
    bool owns_in;
    size_t max_element_bytes;
    size_t max_depth;
    size_t max_string_bytes;
    size_t read_bytes;

    unsigned char *buf; /* cap + 1 bytes; buf[len] is the NUL sentinel */
    size_t cap;
    size_t len;
    size_t pos;
    long long base; /* input offset of buf[0] */
    bool eof;
    bool bom_checked;

    /* lazy line counting: everything before lc_off has been counted */
    long long lc_off;
    long line;
    long long line_start; /* offset of the first byte of that line */

    /* structure */
    size_t depth;
    unsigned char *types; /* types[d] = '{' or '[' opened at depth d (0-based) */
    size_t types_cap;
    size_t item_depth; /* depth of the container whose items are elements, or NO_DEPTH */
    size_t key_depth;  /* strings at depth <= key_depth may be member keys */
    bool in_result;
    enum pending_key pending;
    size_t pending_depth;
    char key[KEY_CAPTURE_BYTES];
    enum sm_element_ctx item_ctx;
    char item_key[32];
    bool want_item; /* after '[' or ',' of the item container */

    /* the element in progress */
    bool in_elem;
    bool storing; /* in_elem and its bytes are kept */
    bool bare;    /* a bare item (number, literal, garbage) that ends at ',' or ']' */
    size_t elem_start;
    size_t elem_base;       /* depth at which it ends */
    size_t elem_depth_stop; /* depth that breaks the limit; NO_DEPTH when not checking */
    enum sm_element_ctx elem_ctx;
    long long elem_off;
    long elem_line;
    long elem_column;
    /* input offsets [plain_from, plain_to) of the element's bytes that the block scan
     * saw to hold no byte below 0x20 or above 0x7F and no backslash (equal: none) */
    long long plain_from, plain_to;

    /* the string in progress */
    bool in_string;
    bool escape;
    bool key_string;
    long long str_off; /* offset of the opening quote */

    /* top-level values */
    int jsonl; /* -1 undecided, 0 no, 1 yes */
    bool value_newline;
    long long value_off;
    long value_line;
    long value_column;
    bool skip_line;

    /* jsonl: the first newline at or after some earlier place (-1: none known), and
     * the end of the bytes known to hold none */
    long long nl_off;
    long long nl_none_to;

    bool fast; /* the block scan inside elements (off: every byte through the walk) */
    /* the input offset before which the block scan is not tried again: the end of a block
     * it gave up on for a backslash outside strings (else every bracket of such a block
     * would start it over the same bytes) */
    long long block_resume;
    size_t index;
    bool resumable;
    bool dead;
    struct sm_error dead_err;
};

struct sm_scanner *sm_scanner_new(struct sm_input *in, const struct sm_scan_limits *limits)
{
    struct sm_scanner *s = sm_xcalloc(1, sizeof(*s));

    s->in = in;
    s->owns_in = true;
    s->max_element_bytes = SM_DEFAULT_MAX_ELEMENT_BYTES;
    s->max_depth = SM_DEFAULT_MAX_DEPTH;
    s->max_string_bytes = SM_DEFAULT_MAX_STRING_BYTES;
    if (limits && limits->max_element_bytes)
        s->max_element_bytes = limits->max_element_bytes;
    if (limits && limits->max_depth)
        s->max_depth = limits->max_depth;
    if (limits && limits->max_string_bytes)
        s->max_string_bytes = limits->max_string_bytes;
    s->read_bytes = DEFAULT_READ_BYTES;
    /* a small plain file is read whole in one read, into a buffer its size */
    if (!sm_input_is_gzip(in) && !sm_input_is_zstd(in) && sm_input_size(in) >= 0 &&
        (unsigned long long)sm_input_size(in) < DEFAULT_READ_BYTES)
        s->read_bytes = (size_t)sm_input_size(in) < MIN_READ_BYTES ? MIN_READ_BYTES
                                                                   : (size_t)sm_input_size(in) + 1;
    s->cap = 2 * s->read_bytes;
    s->buf = sm_xmalloc(s->cap + 1 + WORD_SLACK);
    s->buf[0] = '\0';
    /* the top-level structure adds up to three levels above an element */
    s->types_cap = s->max_depth < MAX_TYPE_STACK ? s->max_depth + 4 : MAX_TYPE_STACK;
    s->types = sm_xmalloc(s->types_cap);
    s->line = 1;
    s->item_depth = NO_DEPTH;
    s->elem_depth_stop = NO_DEPTH;
    s->jsonl = -1;
    s->nl_off = -1;
    s->fast = true;
    s->resumable = true;
    return s;
}

struct sm_scanner *sm_scanner_new_borrowed(struct sm_input *in, const struct sm_scan_limits *limits)
{
    struct sm_scanner *s = sm_scanner_new(in, limits);

    s->owns_in = false;
    return s;
}

void sm_scanner_set_read_size(struct sm_scanner *s, size_t bytes)
{
    s->read_bytes = bytes ? bytes : DEFAULT_READ_BYTES;
}

void sm_scanner_set_block_scan(struct sm_scanner *s, bool on)
{
    s->fast = on;
}

void sm_scanner_free(struct sm_scanner *s)
{
    if (!s)
        return;
    if (s->owns_in)
        sm_input_free(s->in);
    free(s->buf);
    free(s->types);
    free(s);
}

struct sm_input *sm_scanner_input(struct sm_scanner *s)
{
    return s->in;
}

bool sm_scanner_can_resume(const struct sm_scanner *s)
{
    return s->resumable && !s->dead;
}

/* Counts newlines up to (not including) input offset off, which must be in the buffer. */
static void advance_lines(struct sm_scanner *s, long long off)
{
    const unsigned char *a, *b, *q;

    if (off <= s->lc_off)
        return;
    a = s->buf + (s->lc_off - s->base);
    b = s->buf + (off - s->base);
    while (a < b && (q = memchr(a, '\n', (size_t)(b - a)))) {
        s->line++;
        s->line_start = s->base + (q - s->buf) + 1;
        a = q + 1;
    }
    s->lc_off = off;
}

static void place_of(struct sm_scanner *s, long long off, long *line, long *column)
{
    advance_lines(s, off);
    *line = s->line;
    *column = (long)(off - s->line_start) + 1;
}

/* Reports a problem at input offset off. resumable: the caller has already arranged
 * for scanning to continue behind the bad record. */
static int fail_at(struct sm_scanner *s, struct sm_error *err, long long off, bool resumable,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int fail_at(struct sm_scanner *s, struct sm_error *err, long long off, bool resumable,
                   const char *fmt, ...)
{
    char text[400];
    long line, column;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    place_of(s, off, &line, &column);
    sm_error_at(err, SM_EINPUT, sm_input_name(s->in), line, column, off, "%s", text);
    s->resumable = resumable;
    if (!resumable) {
        s->dead = true;
        sm_error_at(&s->dead_err, SM_EINPUT, sm_input_name(s->in), line, column, off, "%s", text);
    }
    return SM_EINPUT;
}

/* Reports an element that broke a limit at the element's own place; scanning goes on. */
static int fail_element(struct sm_scanner *s, struct sm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_element(struct sm_scanner *s, struct sm_error *err, const char *fmt, ...)
{
    char text[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    sm_error_at(err, SM_EINPUT, sm_input_name(s->in), s->elem_line, s->elem_column, s->elem_off,
                "%s", text);
    s->resumable = true;
    return SM_EINPUT;
}

static void describe_byte(int c, char *out, size_t size)
{
    if (c >= 0x20 && c < 0x7f && c != '\'')
        snprintf(out, size, "'%c'", c);
    else
        snprintf(out, size, "byte 0x%02x", (unsigned)c);
}

/* Forgets the structure after a bad JSON line; scanning restarts at the top level. */
static void reset_structure(struct sm_scanner *s)
{
    s->depth = 0;
    s->item_depth = NO_DEPTH;
    s->key_depth = 0;
    s->in_result = false;
    s->pending = KEY_NONE;
    s->want_item = false;
    s->in_elem = false;
    s->storing = false;
    s->bare = false;
    s->elem_depth_stop = NO_DEPTH;
    s->in_string = false;
    s->escape = false;
    s->key_string = false;
}

static void begin_element(struct sm_scanner *s, const unsigned char *p, size_t base_depth,
                          enum sm_element_ctx ctx)
{
    s->in_elem = true;
    s->storing = true;
    s->bare = false;
    s->elem_start = (size_t)(p - s->buf);
    s->elem_base = base_depth;
    s->elem_depth_stop = base_depth + s->max_depth + 1;
    s->elem_ctx = ctx;
    s->elem_off = s->base + (long long)s->elem_start;
    s->plain_from = s->plain_to = 0;
    place_of(s, s->elem_off, &s->elem_line, &s->elem_column);
}

/* Stops storing the element in progress (it broke a limit); its end is still found. */
static void skip_element(struct sm_scanner *s)
{
    s->storing = false;
    s->elem_depth_stop = NO_DEPTH;
}

static void end_element(struct sm_scanner *s)
{
    s->in_elem = false;
    s->storing = false;
    s->bare = false;
    s->elem_depth_stop = NO_DEPTH;
}

/* Hands out [elem_start, stop) as the next element. Returns 1, or SM_EINPUT when the
 * element turned out larger than the limit. */
static int emit(struct sm_scanner *s, const unsigned char *stop, struct sm_element *el,
                struct sm_error *err)
{
    const unsigned char *start = s->buf + s->elem_start;
    bool stored = s->storing;

    while (stop > start &&
           (stop[-1] == ' ' || stop[-1] == '\t' || stop[-1] == '\r' || stop[-1] == '\n'))
        stop--;
    end_element(s);
    if (!stored)
        return 0; /* skipped: already reported */
    if ((size_t)(stop - start) > s->max_element_bytes)
        return fail_element(s, err, "element is larger than %llu bytes (--max-element-bytes)",
                            (unsigned long long)s->max_element_bytes);
    memset(el, 0, sizeof(*el));
    el->data = (const char *)start;
    el->len = (size_t)(stop - start);
    el->ctx = s->elem_ctx;
    if (el->ctx == SM_ELEM_MEMBER_ITEM)
        memcpy(el->key, s->item_key, sizeof(el->key));
    el->line = s->elem_line;
    el->column = s->elem_column;
    el->offset = s->elem_off;
    el->index = s->index++;
    if (s->plain_to > s->plain_from) {
        long long from = s->plain_from - s->elem_off, to = s->plain_to - s->elem_off;

        if (from < 0)
            from = 0;
        if (to > (long long)el->len)
            to = (long long)el->len;
        if (to > from) {
            el->plain_from = (size_t)from;
            el->plain_to = (size_t)to;
        }
    }
    return 1;
}

/* Makes room and reads the next chunk. Keeps the element in progress (and a short key
 * string) in the buffer; drops everything else after counting its newlines. */
static int refill(struct sm_scanner *s, struct sm_error *err)
{
    size_t keep = s->pos;
    size_t floor_bytes =
        2 * (s->read_bytes > DEFAULT_READ_BYTES ? s->read_bytes : DEFAULT_READ_BYTES);
    ssize_t n;

    if (s->storing && s->elem_start < keep)
        keep = s->elem_start;
    if (s->in_string && s->key_string) {
        long long str_idx = s->str_off - s->base;

        if (s->base + (long long)s->pos - s->str_off > KEY_CAPTURE_BYTES)
            s->key_string = false; /* too long to be a key we look for */
        else if (str_idx >= 0 && (size_t)str_idx < keep)
            keep = (size_t)str_idx;
    }
    if (keep > 0) {
        advance_lines(s, s->base + (long long)keep);
        memmove(s->buf, s->buf + keep, s->len - keep);
        s->len -= keep;
        s->pos -= keep;
        if (s->storing)
            s->elem_start -= keep;
        s->base += (long long)keep;
    }
    if (s->cap > 4 * floor_bytes && s->len + s->read_bytes < s->cap / 4) {
        /* a huge element has gone: give its memory back */
        size_t ncap = floor_bytes;

        while (ncap < s->len + s->read_bytes)
            ncap *= 2;
        s->buf = sm_xrealloc(s->buf, ncap + 1 + WORD_SLACK);
        s->cap = ncap;
    }
    if (s->cap - s->len < s->read_bytes) {
        size_t ncap = s->cap * 2;

        while (ncap - s->len < s->read_bytes)
            ncap *= 2;
        s->buf = sm_xrealloc(s->buf, ncap + 1 + WORD_SLACK);
        s->cap = ncap;
    }
    do {
        size_t want = s->read_bytes < s->cap - s->len ? s->read_bytes : s->cap - s->len;

        if (want == 0)
            break;

        n = sm_input_read(s->in, s->buf + s->len, want, err);
        if (n < 0) {
            s->buf[s->len] = '\0';
            s->resumable = false;
            s->dead = true;
            if (err)
                s->dead_err = *err;
            else
                sm_error_set(&s->dead_err, (int)n, "read error");
            return (int)n;
        }
        if (n == 0)
            s->eof = true;
        s->len += (size_t)n;
        /* a UTF-8 byte order mark at the very start is not part of the JSON */
    } while (!s->bom_checked && s->base == 0 && s->len < 3 && !s->eof);
    if (!s->bom_checked) {
        s->bom_checked = true;
        if (s->base == 0 && s->pos == 0 && s->len >= 3 && !memcmp(s->buf, "\xef\xbb\xbf", 3))
            s->pos = 3;
    }
    s->buf[s->len] = '\0';
    return 0;
}

/* Where the scan must stop for now: the end of the line (JSON lines) or of the buffer.
 * The newline found is remembered, so that the many elements of one long line (OTLP's
 * resourceSpans) do not each look for it again. */
static const unsigned char *line_limit(struct sm_scanner *s, const unsigned char *p)
{
    const unsigned char *end = s->buf + s->len, *from = p, *nl;
    long long at = s->base + (p - s->buf);

    if (s->jsonl != 1)
        return end;
    if (s->nl_off >= at)
        return s->buf + (s->nl_off - s->base);
    if (s->nl_none_to > at)
        from = s->buf + (s->nl_none_to - s->base);
    nl = memchr(from, '\n', (size_t)(end - from));
    if (nl) {
        s->nl_off = s->base + (nl - s->buf);
        return nl;
    }
    s->nl_none_to = s->base + (long long)s->len;
    return end;
}

#if defined(__SSE2__)
/* The deepest level at which the walk has more to do than follow brackets and strings:
 * member keys, the item container, the element's own level, a key waiting for its
 * value. */
static size_t walk_floor(const struct sm_scanner *s)
{
    size_t floor = s->key_depth;

    if (s->in_elem && s->elem_base > floor)
        floor = s->elem_base;
    if (s->item_depth != NO_DEPTH && s->item_depth > floor)
        floor = s->item_depth;
    if (s->pending != KEY_NONE && s->pending_depth > floor)
        floor = s->pending_depth;
    return floor;
}

/* Whether the block scan may take over at depth (outside strings, the loop's state). */
static bool block_scan_ok(const struct sm_scanner *s, size_t depth, const unsigned char *p,
                          const unsigned char *end)
{
    return s->fast && end - p >= BLOCK_BYTES && !s->want_item && !s->bare &&
           depth <= s->types_cap && depth > walk_floor(s) &&
           s->base + (p - s->buf) >= s->block_resume;
}

/* The block scan saw [from, to) hold no byte below 0x20 or above 0x7F and no
 * backslash: kept for the element in progress when it joins the bytes kept so far, or
 * is longer (sm_element's plain_from and plain_to). */
static void note_plain(struct sm_scanner *s, const unsigned char *from, const unsigned char *to)
{
    long long a = s->base + (from - s->buf), z = s->base + (to - s->buf);

    if (!s->in_elem || z <= a)
        return;
    if (a == s->plain_to && s->plain_to > s->plain_from)
        s->plain_to = z;
    else if (z - a > s->plain_to - s->plain_from) {
        s->plain_from = a;
        s->plain_to = z;
    }
}

/* Follows the structure from p (outside strings, at *depth) in whole blocks before end
 * and returns where the byte walk goes on, with *depth updated and, when that place is
 * inside a string, s->in_string, s->escape and s->str_off set as the walk would have
 * them. It stops before a bracket that would take the depth down to the walk's floor
 * (the element's end, usually), break the depth limit or not match, and at the start of
 * a block with a backslash outside strings. */
static const unsigned char *skip_interior(struct sm_scanner *s, const unsigned char *p,
                                          const unsigned char *end, size_t *depth_io)
{
    size_t depth = *depth_io, floor = walk_floor(s), cap = s->types_cap;
    const unsigned char *start = p;
    __m128i odd = _mm_setzero_si128();       /* of the whole blocks passed */
    const unsigned char *quote_block = NULL; /* the last block with a quote, and its quotes */
    uint64_t last_quotes = 0, in_string = 0, carry = 0;
    /* only whether the first value spans lines matters */
    bool newlines = s->jsonl == -1 && !s->value_newline;

    if (s->elem_depth_stop - 1 < cap)
        cap = s->elem_depth_stop - 1;
    /* every string that closes here is shorter than the region: none breaks the limit,
     * and one still open where the walk takes over is measured by the walk */
    if ((size_t)(end - p) > s->max_string_bytes)
        end = p + s->max_string_bytes;
    while (end - p >= BLOCK_BYTES) {
        struct block_bits b;
        uint64_t escaped = 0, carry_out = carry, quotes, inside, brackets;

        classify_block(p, newlines, &b);
        if (b.backslash | carry)
            escaped = escaped_bits(b.backslash, &carry_out);
        quotes = b.quote & ~escaped;
        inside = prefix_parity(quotes) ^ in_string; /* opening quotes in, closing out */
        /* the first backslash outside strings is seen with the right mask, since every
         * one before it was inside */
        if (b.backslash & ~inside) {
            s->block_resume = s->base + (p + BLOCK_BYTES - s->buf);
            break;
        }
        brackets = b.bracket & ~inside;
        while (brackets) {
            unsigned i = (unsigned)__builtin_ctzll(brackets);
            int c = p[i];

            if (c == '{' || c == '[') {
                if (depth >= cap)
                    goto stop;
                s->types[depth++] = (unsigned char)c;
            } else {
                if (depth - 1 <= floor || s->types[depth - 1] != (c == '}' ? '{' : '['))
                    goto stop;
                depth--;
            }
            brackets &= brackets - 1;
            continue;
        stop:
            if (b.newline & ~inside & (((uint64_t)1 << i) - 1))
                s->value_newline = true;
            *depth_io = depth;
            /* the block's bytes from i on are not the element's */
            if (!_mm_movemask_epi8(odd) && !(block_odd(p) & (((uint64_t)1 << i) - 1)))
                note_plain(s, start, p + i);
            return p + i;
        }
        if (b.newline & ~inside) {
            s->value_newline = true;
            newlines = false;
        }
        odd = _mm_or_si128(odd, b.odd);
        in_string = (inside >> (BLOCK_BYTES - 1)) ? ~(uint64_t)0 : 0;
        if (quotes) {
            quote_block = p;
            last_quotes = quotes;
        }
        carry = carry_out;
        p += BLOCK_BYTES;
    }
    *depth_io = depth;
    if (!_mm_movemask_epi8(odd))
        note_plain(s, start, p);
    if (in_string) {
        /* the string's opening quote is the last quote seen */
        s->in_string = true;
        s->escape = carry != 0;
        s->str_off =
            s->base + (quote_block + (BLOCK_BYTES - 1 - __builtin_clzll(last_quotes)) - s->buf);
    }
    return p;
}
#endif

/* A string closed at depth <= key_depth or at the item level: keys and string items. */
static void string_closed_slow(struct sm_scanner *s, const unsigned char *q)
{
    if (s->key_string) {
        long long idx = s->str_off - s->base + 1;
        size_t n;

        s->key[0] = '\0';
        if (idx >= 0) {
            n = (size_t)((q - s->buf) - idx);
            if (n < sizeof(s->key)) {
                memcpy(s->key, s->buf + idx, n);
                s->key[n] = '\0';
            }
        }
        s->key_string = false;
    }
}

static void match_key(struct sm_scanner *s)
{
    static const char *const array_keys[] = {"data", "resourceSpans", "resource_spans", "batches"};
    size_t i;

    s->pending = KEY_NONE;
    s->pending_depth = s->depth;
    if (s->depth == 1) {
        for (i = 0; i < sizeof(array_keys) / sizeof(array_keys[0]); i++) {
            if (!strcmp(s->key, array_keys[i])) {
                s->pending = KEY_ARRAY;
                strcpy(s->item_key, array_keys[i]);
                return;
            }
        }
        if (!strcmp(s->key, "result"))
            s->pending = KEY_RESULT;
    } else if (s->depth == 2 && s->in_result) {
        if (!strcmp(s->key, "resourceSpans")) {
            s->pending = KEY_ARRAY;
            strcpy(s->item_key, "result.resourceSpans");
        } else if (!strcmp(s->key, "resource_spans")) {
            s->pending = KEY_ARRAY;
            strcpy(s->item_key, "result.resource_spans");
        }
    }
}

/* A '{' or '[' right after a key we look for, at depth (before the push). */
static void open_after_key(struct sm_scanner *s, int c)
{
    if (c == '[' && s->pending == KEY_ARRAY) {
        /* the object is a wrapper: its other members are dropped */
        if (s->in_elem && s->elem_base == 0)
            end_element(s);
        s->item_depth = s->depth + 1;
        s->item_ctx = SM_ELEM_MEMBER_ITEM;
        s->want_item = true;
    } else if (c == '{' && s->pending == KEY_RESULT && s->depth == 1) {
        s->in_result = true;
        s->key_depth = 2;
    }
    s->pending = KEY_NONE;
}

/* The end of a top-level value. */
static void top_value_done(struct sm_scanner *s, const unsigned char *p)
{
    s->key_depth = 0;
    s->in_result = false;
    s->pending = KEY_NONE;
    if (s->jsonl == -1)
        s->jsonl = s->value_newline ? 0 : 1;
    (void)p;
}

/* A bad JSON line (jsonl) or broken structure (otherwise) at p; text is the message. */
static int bad_structure(struct sm_scanner *s, const unsigned char *p, struct sm_error *err,
                         const char *text)
{
    long long off = s->base + (p - s->buf);

    if (s->jsonl == 1) {
        reset_structure(s);
        if (*p == '\n' && p < s->buf + s->len) {
            s->pos = (size_t)(p - s->buf) + 1;
        } else {
            s->pos = (size_t)(p - s->buf);
            s->skip_line = true;
        }
        return fail_at(s, err, off, true, "%s", text);
    }
    s->pos = (size_t)(p - s->buf);
    return fail_at(s, err, off, false, "%s", text);
}

static int at_end_of_input(struct sm_scanner *s, const unsigned char *p, struct sm_error *err)
{
    long long off = s->base + (p - s->buf);

    s->pos = (size_t)(p - s->buf);
    if (s->skip_line || (s->depth == 0 && !s->in_string))
        return 0;
    return fail_at(s, err, off, false,
                   "unexpected end of input: the JSON value that starts at %ld:%ld is not "
                   "closed (truncated file?)",
                   s->value_line, s->value_column);
}

static int scan(struct sm_scanner *s, struct sm_element *el, struct sm_error *err)
{
    const unsigned char *p, *end, *lim, *q, *b, *stop;
    size_t depth;
    int c, rc;
    char what[32], text[96];

reload:
    p = s->buf + s->pos;
    end = s->buf + s->len;
    lim = line_limit(s, p);
    depth = s->depth;
    if (s->skip_line) {
        q = memchr(p, '\n', (size_t)(end - p));
        if (!q) {
            p = end;
            goto need_data;
        }
        s->skip_line = false;
        s->pos = (size_t)(q + 1 - s->buf);
        goto reload;
    }
    if (s->in_string)
        goto in_string;
#if defined(__SSE2__)
    if (block_scan_ok(s, depth, p, lim)) {
        p = skip_interior(s, p, lim, &depth);
        if (s->in_string)
            goto in_string;
    }
#endif

    for (;;) {
        if (depth == 0 || s->want_item) {
            while (*p == ' ' || *p == '\t' || *p == '\r')
                p++;
        } else {
            while (!cls_inner[*p])
                p++;
        }
        c = *p;
        switch (c) {
        case '\0':
            if (p == end)
                goto need_data;
            if (depth == 0)
                goto garbage;
            if (s->want_item)
                goto bare_item;
            p++;
            break;
        case '\n':
            if (depth > 0) {
                if (s->jsonl == 1) {
                    s->depth = depth;
                    return bad_structure(s, p, err,
                                         "line ends inside a JSON value (truncated record?)");
                }
                s->value_newline = true;
            } else if (s->jsonl == 1) {
                lim = line_limit(s, p + 1);
            }
            p++;
            break;
        case '"':
            if (depth == 0)
                goto garbage;
            if (s->want_item) {
                s->want_item = false;
                s->depth = depth;
                begin_element(s, p, depth, s->item_ctx);
            }
            if (depth <= s->key_depth) {
                s->pending = KEY_NONE;
                s->key_string = true;
                s->key[0] = '\0';
            }
            s->str_off = s->base + (p - s->buf);
            p++;
        in_string:
            if (s->escape) {
                if (p >= lim)
                    goto string_needs_more;
                s->escape = false;
                p++;
            }
            /* most strings (keys, ids, names) are short and plain: a look at their
             * first 64 bytes, a word at a time, finds the end faster than memchr */
            q = string_stop(p);
            if (q && *q == '"')
                goto string_closed;
            for (;;) {
                q = memchr(p, '"', (size_t)(lim - p));
                stop = q ? q : lim;
                for (;;) {
                    b = memchr(p, '\\', (size_t)(stop - p));
                    if (!b)
                        break;
                    if (b + 1 >= lim) {
                        p = lim;
                        s->escape = true;
                        goto string_needs_more;
                    }
                    p = b + 2;
                    if (p > stop)
                        break; /* the quote we found was escaped */
                }
                if (p > stop)
                    continue;
                if (!q) {
                    p = lim;
                    goto string_needs_more;
                }
                break;
            }
        string_closed:
            /* q is the closing quote */
            s->in_string = false;
            p = q + 1;
            if (s->storing && (unsigned long long)(s->base + (q - s->buf) - s->str_off - 1) >
                                  s->max_string_bytes) {
                skip_element(s);
                s->pos = (size_t)(p - s->buf);
                s->depth = depth;
                return fail_element(s, err, "string longer than %llu bytes (--max-string-bytes)",
                                    (unsigned long long)s->max_string_bytes);
            }
            if (depth <= s->key_depth || (s->in_elem && depth == s->elem_base)) {
                s->depth = depth;
                string_closed_slow(s, q);
                if (s->in_elem && depth == s->elem_base && !s->bare) {
                    s->pos = (size_t)(p - s->buf);
                    rc = emit(s, p, el, err);
                    if (rc != 0)
                        return rc;
                }
            }
            break;
        string_needs_more:
            s->in_string = true;
            if (p < end) {
                /* jsonl: the line ended inside the string */
                s->depth = depth;
                return bad_structure(s, p, err, "line ends inside a string (truncated record?)");
            }
            if (s->storing && (unsigned long long)(s->base + (p - s->buf) - s->str_off - 1) >
                                  s->max_string_bytes) {
                skip_element(s);
                s->pos = (size_t)(p - s->buf);
                s->depth = depth;
                return fail_element(s, err, "string longer than %llu bytes (--max-string-bytes)",
                                    (unsigned long long)s->max_string_bytes);
            }
            goto need_data;
        case '{':
        case '[':
            if (depth == 0) {
                s->value_off = s->base + (p - s->buf);
                place_of(s, s->value_off, &s->value_line, &s->value_column);
                s->value_newline = false;
                s->depth = depth;
                if (c == '[') {
                    s->item_depth = 1;
                    s->item_ctx = SM_ELEM_ARRAY_ITEM;
                    s->want_item = true;
                } else {
                    s->key_depth = 1;
                    begin_element(s, p, 0, SM_ELEM_DOCUMENT);
                }
            } else if (s->want_item) {
                s->want_item = false;
                s->depth = depth;
                begin_element(s, p, depth, s->item_ctx);
            } else if (s->pending && depth == s->pending_depth) {
                s->depth = depth;
                open_after_key(s, c);
            }
            if (depth < s->types_cap)
                s->types[depth] = (unsigned char)c;
            depth++;
            p++;
            if (depth >= s->elem_depth_stop) {
                skip_element(s);
                s->pos = (size_t)(p - s->buf);
                s->depth = depth;
                return fail_element(s, err, "nested deeper than %llu levels (--max-depth)",
                                    (unsigned long long)s->max_depth);
            }
#if defined(__SSE2__)
            if (block_scan_ok(s, depth, p, lim)) {
                p = skip_interior(s, p, lim, &depth);
                if (s->in_string)
                    goto in_string;
            }
#endif
            break;
        case '}':
        case ']':
            if (depth == 0)
                goto garbage;
            if (s->bare && depth == s->elem_base) {
                s->pos = (size_t)(p - s->buf);
                s->depth = depth;
                rc = emit(s, p, el, err);
                if (rc != 0)
                    return rc;
            }
            s->want_item = false;
            if (depth <= s->types_cap && s->types[depth - 1] != (c == '}' ? '{' : '[')) {
                s->depth = depth;
                return bad_structure(s, p, err,
                                     s->types[depth - 1] == '{'
                                         ? "expected '}' to close the object, found ']'"
                                         : "expected ']' to close the array, found '}'");
            }
            depth--;
            p++;
            if (depth < s->key_depth) {
                s->key_depth = depth;
                if (depth <= 1)
                    s->in_result = false;
            }
            if (s->item_depth != NO_DEPTH && depth < s->item_depth)
                s->item_depth = NO_DEPTH;
            if (s->in_elem && depth == s->elem_base) {
                s->depth = depth;
                if (depth == 0)
                    top_value_done(s, p);
                s->pos = (size_t)(p - s->buf);
                rc = emit(s, p, el, err);
                if (rc != 0)
                    return rc;
                lim = line_limit(s, p);
            } else if (depth == 0) {
                s->depth = depth;
                top_value_done(s, p);
                lim = line_limit(s, p);
            }
            break;
        case ',':
            if (depth == 0)
                goto garbage;
            if (depth == s->item_depth) {
                if (s->bare) {
                    s->pos = (size_t)(p - s->buf);
                    s->depth = depth;
                    rc = emit(s, p, el, err);
                    if (rc != 0)
                        return rc;
                }
                s->want_item = true;
            }
            if (depth <= s->key_depth)
                s->pending = KEY_NONE;
            p++;
            break;
        case ':':
            if (depth == 0)
                goto garbage;
            if (depth <= s->key_depth) {
                s->depth = depth;
                match_key(s);
            }
            p++;
            break;
        default:
            if (depth == 0)
                goto garbage;
            if (s->want_item)
                goto bare_item;
            p++;
            break;
        }
        continue;

    bare_item:
        s->want_item = false;
        s->depth = depth;
        begin_element(s, p, depth, s->item_ctx);
        s->bare = true;
        p++;
        continue;

    garbage:
        describe_byte(c, what, sizeof(what));
        snprintf(text, sizeof(text), "expected '{' or '[' to start a JSON value, found %s", what);
        s->depth = depth;
        return bad_structure(s, p, err, text);

    need_data:
        s->pos = (size_t)(p - s->buf);
        s->depth = depth;
        if (s->eof)
            return at_end_of_input(s, p, err);
        if (s->storing && s->len - s->elem_start > s->max_element_bytes) {
            skip_element(s);
            return fail_element(s, err, "element is larger than %llu bytes (--max-element-bytes)",
                                (unsigned long long)s->max_element_bytes);
        }
        rc = refill(s, err);
        if (rc < 0)
            return rc;
        goto reload;
    }
}

int sm_scanner_next(struct sm_scanner *s, struct sm_element *el, struct sm_error *err)
{
    if (s->dead) {
        if (err)
            *err = s->dead_err;
        return s->dead_err.status ? s->dead_err.status : SM_EINPUT;
    }
    s->resumable = true;
    return scan(s, el, err);
}

void sm_element_place(const struct sm_element *el, long line, long column, long long position,
                      long *file_line, long *file_column, long long *file_offset)
{
    if (el->data && position >= 0 && (size_t)position <= el->len) {
        /* exact, in bytes: place of the last byte jansson read */
        size_t at = position > 0 ? (size_t)position - 1 : 0;
        const char *nl = NULL;
        const char *q = el->data;
        long lines = 0;

        while (q < el->data + at && (q = memchr(q, '\n', (size_t)(el->data + at - q)))) {
            lines++;
            nl = q;
            q++;
        }
        *file_line = el->line + lines;
        *file_column = nl ? (long)(el->data + at - nl) : el->column + (long)at;
        *file_offset = el->offset + (long long)at;
        return;
    }
    *file_line = el->line + (line > 0 ? line - 1 : 0);
    *file_column = line <= 1 ? el->column + (column > 0 ? column - 1 : 0) : column;
    *file_offset = el->offset + (position > 0 ? position - 1 : 0);
}
