/* util.c: aborting allocation, growable strings, the parse arena, hashing, globs.
 *
 * The arena hands out memory from 64 KiB blocks (larger requests get a block of their
 * own); reset keeps the first block so a per-element arena costs no malloc in the
 * steady state. With SM_DEBUG_ARENA every allocation is its own malloc so that
 * AddressSanitizer can see overflows between objects.
 */
#include "svcmap/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(size_t size)
{
    fprintf(stderr, "svcmap: out of memory allocating %zu bytes\n", size);
    abort();
}

void *sm_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);

    if (!p)
        oom(size);
    return p;
}

void *sm_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);

    if (!p)
        oom(n * size);
    return p;
}

void *sm_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);

    if (!q)
        oom(size);
    return q;
}

char *sm_xstrdup(const char *s)
{
    return sm_xstrndup(s, strlen(s));
}

char *sm_xstrndup(const char *s, size_t n)
{
    char *p = sm_xmalloc(n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void sm_grow(void *items_ptr, size_t *cap, size_t need, size_t elem_size)
{
    void **items = items_ptr;
    size_t n = *cap ? *cap : 8;

    if (need <= *cap)
        return;
    while (n < need)
        n *= 2;
    *items = sm_xrealloc(*items, n * elem_size);
    *cap = n;
}

void sm_buf_init(struct sm_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void sm_buf_release(struct sm_buf *b)
{
    free(b->data);
    sm_buf_init(b);
}

void sm_buf_reset(struct sm_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static void buf_reserve(struct sm_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    size_t n;

    if (need <= b->cap)
        return;
    n = b->cap ? b->cap : 64;
    while (n < need)
        n *= 2;
    b->data = sm_xrealloc(b->data, n);
    b->cap = n;
}

void sm_buf_add(struct sm_buf *b, const void *data, size_t len)
{
    buf_reserve(b, len);
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
}

void sm_buf_addc(struct sm_buf *b, char c)
{
    buf_reserve(b, 1);
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void sm_buf_adds(struct sm_buf *b, const char *s)
{
    sm_buf_add(b, s, strlen(s));
}

void sm_buf_printf(struct sm_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    buf_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sm_buf_add_json_string(struct sm_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    sm_buf_addc(b, '"');
    for (; *p; p++) {
        switch (*p) {
        case '"':
            sm_buf_add(b, "\\\"", 2);
            break;
        case '\\':
            sm_buf_add(b, "\\\\", 2);
            break;
        case '\n':
            sm_buf_add(b, "\\n", 2);
            break;
        case '\r':
            sm_buf_add(b, "\\r", 2);
            break;
        case '\t':
            sm_buf_add(b, "\\t", 2);
            break;
        default:
            if (*p < 0x20)
                sm_buf_printf(b, "\\u%04x", *p);
            else
                sm_buf_addc(b, (char)*p);
        }
    }
    sm_buf_addc(b, '"');
}

static const char base64_digits[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void sm_buf_add_base64(struct sm_buf *b, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

        sm_buf_addc(b, base64_digits[v >> 18]);
        sm_buf_addc(b, base64_digits[(v >> 12) & 63]);
        sm_buf_addc(b, base64_digits[(v >> 6) & 63]);
        sm_buf_addc(b, base64_digits[v & 63]);
    }
    if (i < len) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);

        sm_buf_addc(b, base64_digits[v >> 18]);
        sm_buf_addc(b, base64_digits[(v >> 12) & 63]);
        sm_buf_addc(b, i + 1 < len ? base64_digits[(v >> 6) & 63] : '=');
        sm_buf_addc(b, '=');
    }
}

static int base64_digit(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int sm_base64_decode(const char *s, size_t len, unsigned char **out, size_t *out_len)
{
    unsigned char *bytes;
    size_t n = 0, pad = 0;

    *out = NULL;
    *out_len = 0;
    if (len % 4)
        return -1;
    if (len >= 1 && s[len - 1] == '=')
        pad++;
    if (pad && s[len - 2] == '=')
        pad++;
    if (len == 0)
        return 0;
    bytes = sm_xmalloc(len / 4 * 3);
    for (size_t i = 0; i < len; i += 4) {
        int d[4];
        uint32_t v;

        for (int k = 0; k < 4; k++) {
            bool padding = i + 4 == len && k >= 4 - (int)pad;

            d[k] = padding ? 0 : base64_digit(s[i + k]);
            if (d[k] < 0)
                goto out_bad;
        }
        v = (uint32_t)d[0] << 18 | (uint32_t)d[1] << 12 | (uint32_t)d[2] << 6 | (uint32_t)d[3];
        bytes[n++] = (unsigned char)(v >> 16);
        if (i + 4 < len || pad < 2)
            bytes[n++] = (unsigned char)(v >> 8);
        else if ((v >> 8) & 0xff)
            goto out_bad;
        if (i + 4 < len || pad < 1)
            bytes[n++] = (unsigned char)v;
        else if (v & 0xff)
            goto out_bad;
    }
    *out = bytes;
    *out_len = n;
    return 0;

out_bad:
    free(bytes);
    return -1;
}

void sm_buf_add_number(struct sm_buf *b, double v)
{
    char tmp[40];
    int prec;

    if (isnan(v) || isinf(v)) {
        sm_buf_adds(b, "null");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        sm_buf_printf(b, "%.0f", v);
        return;
    }
    for (prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    sm_buf_adds(b, tmp);
}

#define ARENA_BLOCK_BYTES ((size_t)64 << 10)

struct sm_arena_block {
    struct sm_arena_block *next;
    size_t size;
    size_t used;
    /* data follows, aligned to max_align_t */
};

static size_t header_bytes(void)
{
    size_t a = _Alignof(max_align_t);

    return (sizeof(struct sm_arena_block) + a - 1) / a * a;
}

void sm_arena_init(struct sm_arena *a)
{
    a->head = NULL;
    a->used_bytes = 0;
}

void sm_arena_release(struct sm_arena *a)
{
    struct sm_arena_block *blk = a->head;

    while (blk) {
        struct sm_arena_block *next = blk->next;

        free(blk);
        blk = next;
    }
    sm_arena_init(a);
}

void sm_arena_reset(struct sm_arena *a)
{
#ifdef SM_DEBUG_ARENA
    sm_arena_release(a);
#else
    struct sm_arena_block *blk = a->head;
    struct sm_arena_block *keep = NULL;

    /* keep the last (oldest, standard-size) block, free the rest */
    while (blk) {
        struct sm_arena_block *next = blk->next;

        if (!next && blk->size == ARENA_BLOCK_BYTES) {
            keep = blk;
            keep->used = 0;
        } else {
            free(blk);
        }
        blk = next;
    }
    a->head = keep;
    a->used_bytes = 0;
#endif
}

void *sm_arena_alloc(struct sm_arena *a, size_t size)
{
    size_t align = _Alignof(max_align_t);
    struct sm_arena_block *blk;
    size_t need = (size + align - 1) / align * align;

    if (need == 0)
        need = align;
#ifdef SM_DEBUG_ARENA
    (void)need;
    blk = sm_xmalloc(header_bytes() + size);
    blk->size = size;
    blk->used = size;
    blk->next = a->head;
    a->head = blk;
    a->used_bytes += size;
    return (char *)blk + header_bytes();
#else
    char *p;

    blk = a->head;
    if (!blk || blk->size - blk->used < need) {
        size_t bsize = need > ARENA_BLOCK_BYTES / 4 ? need : ARENA_BLOCK_BYTES;

        blk = sm_xmalloc(header_bytes() + bsize);
        blk->size = bsize;
        blk->used = 0;
        if (bsize != ARENA_BLOCK_BYTES && a->head) {
            /* a big one-off block goes behind the current block so that the current
             * block keeps serving small requests */
            blk->next = a->head->next;
            a->head->next = blk;
            blk->used = need;
            a->used_bytes += need;
            return (char *)blk + header_bytes();
        }
        blk->next = a->head;
        a->head = blk;
    }
    p = (char *)blk + header_bytes() + blk->used;
    blk->used += need;
    a->used_bytes += need;
    return p;
#endif
}

bool sm_arena_owns(const struct sm_arena *a, const void *p)
{
    const struct sm_arena_block *blk;
    const char *c = p;

    for (blk = a->head; blk; blk = blk->next) {
        const char *start = (const char *)blk + header_bytes();

        if (c >= start && c < start + blk->size)
            return true;
    }
    return false;
}

char *sm_arena_strdup(struct sm_arena *a, const char *s)
{
    return sm_arena_strndup(a, s, strlen(s));
}

char *sm_arena_strndup(struct sm_arena *a, const char *s, size_t n)
{
    char *p = sm_arena_alloc(a, n + 1);

    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

uint64_t sm_hash64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ULL;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    /* a final avalanche so that low bits are usable as a table index */
    return sm_mix64(h);
}

uint64_t sm_hash_str(const char *s)
{
    return sm_hash64(s, strlen(s));
}

int sm_strcasecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int ca = (unsigned char)*a, cb = (unsigned char)*b;

        if (ca >= 'A' && ca <= 'Z')
            ca += 'a' - 'A';
        if (cb >= 'A' && cb <= 'Z')
            cb += 'a' - 'A';
        if (ca != cb || !ca)
            return ca - cb;
    }
}

bool sm_glob_match(const char *pattern, const char *text)
{
    const char *star_p = NULL, *star_t = NULL;

    while (*text) {
        if (*pattern == '\\' && pattern[1]) {
            if (pattern[1] != *text)
                goto backtrack;
            pattern += 2;
            text++;
            continue;
        }
        if (*pattern == '*') {
            star_p = ++pattern;
            star_t = text;
            continue;
        }
        if (*pattern == '?' || *pattern == *text) {
            pattern++;
            text++;
            continue;
        }
    backtrack:
        if (!star_p)
            return false;
        pattern = star_p;
        text = ++star_t;
    }
    while (*pattern == '*')
        pattern++;
    return *pattern == '\0';
}

int64_t sm_civil_to_unix(int64_t year, int month, int day, int hour, int minute, int second)
{
    int64_t y = year - (month <= 2), era, yoe, doy, doe;

    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return (era * 146097 + doe - 719468) * 86400 + hour * 3600 + minute * 60 + second;
}
