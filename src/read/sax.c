/* sax.c: the streaming readers' entry point, their yajl glue and the checks that keep
 * them exact.
 *
 * Each format reader (sax_otlp.c, sax_jaeger.c, ...) is a state machine; the yajl
 * handle, its callbacks, the scalars they make and the passing over of skipped values
 * are here, once (sm_sax_walk, sax_common.h).
 *
 * yajl and jansson agree on well-formed JSON but not on all of the rest: yajl takes \f
 * and \v for blanks, lets overlong UTF-8, surrogates and \u0000 through, and numbers of
 * any size. An element must give the same spans (or the same complaint) whichever parser
 * reads it, so before yajl sees an element sm_sax_precheck looks at its bytes once,
 * eight at a time, and sends anything jansson would refuse back to jansson; numbers are
 * checked as they come (sm_sax_number). What is left, yajl and jansson read alike.
 */
#include "svcmap/sax.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "read_common.h"
#include "sax_common.h"
#include "svcmap/reader.h"

bool sm_sax_supports(enum sm_input_format format)
{
    return format == SM_FORMAT_OTLP || format == SM_FORMAT_JAEGER || format == SM_FORMAT_ZIPKIN ||
           format == SM_FORMAT_ZIPKIN1;
}

/* sm_sax_precheck over the element, less the bytes the scanner saw to be plain ASCII
 * without backslashes (sm_element's plain_from, plain_to). Those hold no lead byte,
 * continuation byte or backslash, so no UTF-8 sequence or escape the check follows
 * reaches into them or is cut by them: checking around them finds what checking all
 * finds. */
static int precheck_element(const struct sm_element *el)
{
    if (el->plain_to > el->plain_from && el->plain_to <= el->len)
        return sm_sax_precheck(el->data, el->plain_from) == 0 &&
                       sm_sax_precheck(el->data + el->plain_to, el->len - el->plain_to) == 0
                   ? 0
                   : -1;
    return sm_sax_precheck(el->data, el->len);
}

int sm_sax_parse(enum sm_input_format format, const struct sm_element *el, struct sm_batch *out,
                 struct sm_error *err)
{
    if (precheck_element(el) != 0)
        return SM_SAX_FALLBACK;
    switch (format) {
    case SM_FORMAT_OTLP:
        return sm_sax_parse_otlp(el, out, err);
    case SM_FORMAT_JAEGER:
        return sm_sax_parse_jaeger(el, out, err);
    case SM_FORMAT_ZIPKIN:
        return sm_sax_parse_zipkin(el, out, err);
    case SM_FORMAT_ZIPKIN1:
        return sm_sax_parse_zipkin1(el, out, err);
    default:
        return SM_SAX_FALLBACK;
    }
}

bool sm_sax_disabled(void)
{
    /* read once: the answer must not change between the threads of one run */
    static int disabled = -1;

    if (__atomic_load_n(&disabled, __ATOMIC_RELAXED) < 0) {
        const char *v = getenv("SVCMAP_READER");

        __atomic_store_n(&disabled, v && !strcmp(v, "jansson"), __ATOMIC_RELAXED);
    }
    return __atomic_load_n(&disabled, __ATOMIC_RELAXED) == 1;
}

#define ONES  ((uint64_t)0x0101010101010101ULL)
#define HIGHS ((uint64_t)0x8080808080808080ULL)

/* Nonzero when some byte of w is below n (n <= 128). */
static inline uint64_t bytes_below(uint64_t w, unsigned n)
{
    return (w - ONES * n) & ~w & HIGHS;
}

static inline uint64_t bytes_equal(uint64_t w, unsigned char c)
{
    uint64_t x = w ^ (ONES * c);

    return (x - ONES) & ~x & HIGHS;
}

static int hex4(const unsigned char *p, const unsigned char *end)
{
    int v = 0, i;

    if (end - p < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        int c = p[i], d;

        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The length of the UTF-8 sequence at p (2 to 4) when jansson accepts it, else 0. */
static size_t utf8_length(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t n, i;
    uint32_t v;

    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        v = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        v = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    for (i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && v < 0x10000) || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    return n;
}

int sm_sax_precheck(const char *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data, *end = p + len;

    while (p < end) {
        size_t n;

#if defined(__SSE2__)
        /* sixteen bytes a step; signed bytes below 0x20 are the control characters and
         * every byte from 0x80 up */
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            int hit = _mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                                                     _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));

            if (hit) {
                p += __builtin_ctz((unsigned)hit);
                break;
            }
            p += 16;
        }
        if (p >= end)
            break;
#endif
        if (end - p >= 8) {
            uint64_t w, hit;

            memcpy(&w, p, sizeof(w));
            hit = (w & HIGHS) | bytes_below(w, 0x20) | bytes_equal(w, '\\');
            if (!hit) {
                p += 8;
                continue;
            }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            /* a borrow flags bytes above a hit, never below: the lowest flag is one */
            p += __builtin_ctzll(hit) >> 3;
#endif
        }
        /* one byte at a time until the next plain word */
        if (*p < 0x20) {
            if (*p != '\t' && *p != '\n' && *p != '\r')
                return -1;
            p++;
        } else if (*p >= 0x80) {
            n = utf8_length(p, end);
            if (!n)
                return -1;
            p += n;
        } else if (*p == '\\') {
            int u, lo;

            if (end - p < 2)
                return -1;
            if (p[1] != 'u') {
                p += 2; /* a one-letter escape, or an error both parsers find */
                continue;
            }
            u = hex4(p + 2, end);
            if (u <= 0 || (u >= 0xDC00 && u <= 0xDFFF))
                return -1;
            p += 6;
            if (u >= 0xD800 && u <= 0xDBFF) {
                if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
                    return -1;
                lo = hex4(p + 2, end);
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                p += 6;
            }
        } else {
            p++;
        }
    }
    return 0;
}

const char *sm_sax_plain_end(const char *s, const char *end)
{
    const unsigned char *p = (const unsigned char *)s;

#if defined(__SSE2__)
    while (end - (const char *)p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* unsigned v <= 0x1F exactly when min(v, 0x1F) == v */
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                                              _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
                                 _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v));
        int hit = _mm_movemask_epi8(m);

        if (hit) {
            p += __builtin_ctz((unsigned)hit);
            return *p == '"' ? (const char *)p : NULL;
        }
        p += 16;
    }
#endif
    for (; (const char *)p < end; p++) {
        if (*p == '"')
            return (const char *)p;
        if (*p == '\\' || *p < 0x20)
            return NULL;
    }
    return NULL;
}

int sm_sax_number(const char *text, size_t len, struct sm_sax_scalar *out)
{
    char buf[128];
    size_t i;
    bool real = false;

    /* the common case first: yajl has checked the syntax, so a number of at most 18
     * bytes that are all digits (after a '-') is an integer that fits in int64 */
    if (len && len <= 18) {
        uint64_t acc = 0;

        for (i = text[0] == '-'; i < len; i++) {
            unsigned d = (unsigned)(unsigned char)text[i] - '0';

            if (d > 9)
                break;
            acc = acc * 10 + d;
        }
        if (i == len) {
            memset(out, 0, sizeof(*out));
            out->type = SM_SAX_INT;
            out->i = text[0] == '-' ? -(int64_t)acc : (int64_t)acc;
            return 0;
        }
    }
    memset(out, 0, sizeof(*out));
    for (i = 0; i < len; i++) {
        if (text[i] == '.' || text[i] == 'e' || text[i] == 'E') {
            real = true;
            break;
        }
    }
    if (len >= sizeof(buf))
        return -1; /* far past int64, or a real jansson may judge otherwise: let it */
    if (!real) {
        out->type = SM_SAX_INT;
        return sm_read_decimal_n(text, len, &out->i) == 0 ? 0 : -1;
    }
    memcpy(buf, text, len);
    buf[len] = '\0';
    out->type = SM_SAX_REAL;
    errno = 0;
    out->d = strtod(buf, NULL);
    if ((out->d == HUGE_VAL || out->d == -HUGE_VAL) && errno == ERANGE)
        return -1;
    return 0;
}

void sm_sax_keep(struct sm_sax_scalar *dst, const struct sm_sax_scalar *src, struct sm_buf *buf)
{
    *dst = *src;
    if (src->type != SM_SAX_STRING)
        return;
    sm_buf_reset(buf);
    sm_buf_add(buf, src->s, src->len);
    sm_buf_addc(buf, '\0');
    dst->s = buf->data;
}

const char *sm_sax_text(struct sm_batch *b, const struct sm_sax_scalar *v)
{
    char tmp[32];
    struct sm_buf buf;
    const char *s;

    switch (v->type) {
    case SM_SAX_STRING:
        return v->len ? sm_arena_strndup(&b->arena, v->s, v->len) : NULL;
    case SM_SAX_INT:
        snprintf(tmp, sizeof(tmp), "%" PRId64, v->i);
        return sm_batch_str(b, tmp);
    case SM_SAX_REAL:
        sm_buf_init(&buf);
        sm_buf_add_number(&buf, v->d);
        s = sm_batch_str(b, buf.data);
        sm_buf_release(&buf);
        return s;
    case SM_SAX_TRUE:
        return sm_batch_str(b, "true");
    case SM_SAX_FALSE:
        return sm_batch_str(b, "false");
    default:
        return NULL;
    }
}

int sm_sax_int64(const struct sm_sax_scalar *v, int64_t *out)
{
    double d;

    switch (v->type) {
    case SM_SAX_INT:
        *out = v->i;
        return 0;
    case SM_SAX_REAL:
        /* as sm_read_int64 does */
        d = v->d;
        if (d != d || d < -9.2e18 || d > 9.2e18)
            return -2;
        if ((double)(int64_t)d != d)
            return -1;
        *out = (int64_t)d;
        return 0;
    case SM_SAX_STRING:
        return sm_read_decimal_n(v->s, v->len, out);
    default:
        return -1;
    }
}

bool sm_sax_is_true(const struct sm_sax_scalar *v)
{
    if (v->type == SM_SAX_TRUE)
        return true;
    /* sm_strcasecmp's "true": ASCII letters of either case, and 't' | 0x20 is 't' only
     * for 'T' and 't' (likewise r, u, e) */
    return v->type == SM_SAX_STRING && v->len == 4 && (v->s[0] | 0x20) == 't' &&
           (v->s[1] | 0x20) == 'r' && (v->s[2] | 0x20) == 'u' && (v->s[3] | 0x20) == 'e';
}

void sm_sax_set_attr(struct sm_batch *b, struct sm_span *s, enum sm_read_attr kind,
                     const char **field, const struct sm_sax_scalar *v)
{
    int64_t code;

    switch (kind) {
    case SM_READ_ATTR_TEXT:
        *field = sm_sax_text(b, v);
        break;
    case SM_READ_ATTR_HTTP_STATUS:
        if (sm_sax_int64(v, &code) == 0)
            sm_read_set_http_status(s, code);
        break;
    case SM_READ_ATTR_NONE:
        break;
    }
}

void sm_sax_apply_attr(struct sm_batch *b, struct sm_span *s, const char *key, size_t len,
                       const struct sm_sax_scalar *v)
{
    const char **field;
    enum sm_read_attr kind = sm_read_attr_target_n(s, key, len, &field);

    sm_sax_set_attr(b, s, kind, field, v);
}

bool sm_sax_cstr(const unsigned char *s, size_t len, char *buf, size_t size)
{
    if (len >= size)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    return true;
}

void sm_sax_copy(struct sm_buf *buf, const struct sm_sax_scalar *v)
{
    sm_buf_reset(buf);
    sm_buf_add(buf, v->s, v->len);
    sm_buf_addc(buf, '\0');
    buf->len = v->len;
}

int sm_sax_nonneg(const struct sm_sax_scalar *v, int64_t *out)
{
    if (v->type == SM_SAX_STRING && v->len >= 64)
        return -1; /* as long as it was ever read here: jansson judges it */
    if (sm_sax_int64(v, out) != 0 || *out < 0)
        return -1;
    return 0;
}

int sm_sax_us(const struct sm_sax_scalar *v, int64_t *ns)
{
    int64_t us;

    if (sm_sax_nonneg(v, &us) != 0 || sm_read_us_to_ns(us, ns) != 0)
        return -1;
    return 0;
}

/* ---- yajl's handle, one per thread ----
 *
 * yajl_alloc makes five allocations (the handle, its state stack, a decode buffer, and
 * on the first parse the lexer and its buffer, which yajl_complete_parse fills with a
 * 2 KiB block) and yajl_free gives them back: per element, that was 5 % of the
 * instructions of a run on a flat Zipkin array (one span an element). So each thread
 * keeps one handle, configured with yajl_allow_multiple_values so that it reads the next
 * element as the next value of one stream, and the answers stay those of a fresh handle:
 * - a second value in one element, which a fresh handle refuses as trailing garbage,
 *   parses (the machines pass over it: their slot after the value is a skip), but the
 *   element is not taken: only blanks may follow the value (below); any other token
 *   after the value is a parse error in either case;
 * - whatever goes wrong (an error, a fall-back, no value), the handle is freed and the
 *   next element gets a new one, so no error state carries over;
 * - yajl keeps a token cut off by the end of its input for the next call: once the
 *   value has ended, that can only be a string left open after it, which yajl does not
 *   count as an error. An element is only taken when nothing but blanks follows its
 *   value (the scanner never makes one that has more; jansson refuses the others), so
 *   no accepted element leaves a token behind;
 * - a handle that read a large element is freed, so no thread keeps a large decode
 *   buffer. */

/* Elements above this many bytes get a handle of their own. */
#define HANDLE_KEEP_BYTES (1u << 20)

struct sax_thread {
    yajl_handle h;
    struct sm_sax_walk *w; /* the walk under way: yajl's callbacks reach it through here */
    size_t base;           /* the offset in the element of the piece yajl is reading */
    size_t passed;         /* elements and members passed over on this thread */
};

static _Thread_local struct sax_thread sax_thread;

size_t sm_sax_thread_passed(void)
{
    return sax_thread.passed;
}

void sm_sax_release_thread(void)
{
    if (sax_thread.h) {
        yajl_free(sax_thread.h);
        sax_thread.h = NULL;
    }
}

/* ---- yajl's callbacks: ctx is the thread's struct sax_thread ---- */

static inline struct sm_sax_walk *walk_of(void *ctx)
{
    return ((struct sax_thread *)ctx)->w;
}

static int cb_scalar(struct sm_sax_walk *w, const struct sm_sax_scalar *v)
{
    if (w->skip)
        return 1;
    return w->m->scalar(w, v);
}

static int cb_null(void *ctx)
{
    struct sm_sax_scalar v = {.type = SM_SAX_NULL};

    return cb_scalar(walk_of(ctx), &v);
}

static int cb_boolean(void *ctx, int b)
{
    struct sm_sax_scalar v = {.type = b ? SM_SAX_TRUE : SM_SAX_FALSE};

    return cb_scalar(walk_of(ctx), &v);
}

static int cb_number(void *ctx, const char *text, size_t len)
{
    struct sm_sax_walk *w = walk_of(ctx);
    struct sm_sax_scalar v;

    /* checked even when skipped: jansson refuses the whole element for it */
    if (sm_sax_number(text, len, &v) != 0)
        return sm_sax_fall_back(w);
    return cb_scalar(w, &v);
}

static int cb_string(void *ctx, const unsigned char *s, size_t len)
{
    struct sm_sax_scalar v = {.type = SM_SAX_STRING, .s = (const char *)s, .len = len};

    return cb_scalar(walk_of(ctx), &v);
}

/* A container starts inside a skipped value: one deeper, and jansson's depth limit (far
 * above any span's) is left to jansson to enforce. */
static int skip_deeper(struct sm_sax_walk *w)
{
    w->skip++;
    return w->skip < SM_SAX_MAX_DEPTH ? 1 : sm_sax_fall_back(w);
}

static int cb_start_map(void *ctx)
{
    struct sm_sax_walk *w = walk_of(ctx);

    if (w->skip)
        return skip_deeper(w);
    return w->m->start_map(w);
}

static int cb_start_array(void *ctx)
{
    struct sm_sax_walk *w = walk_of(ctx);

    if (w->skip)
        return skip_deeper(w);
    return w->m->start_array(w);
}

static int cb_map_key(void *ctx, const unsigned char *key, size_t len)
{
    struct sm_sax_walk *w = walk_of(ctx);

    if (w->skip)
        return 1;
    return w->m->map_key(w, (const char *)key, len);
}

/* Notes where the element's value ended, once it has (the handle's reuse needs it). */
static inline void note_root_end(struct sm_sax_walk *w, void *ctx)
{
    if (w->root_done && !w->root_end)
        w->root_end = ((struct sax_thread *)ctx)->base +
                      yajl_get_bytes_consumed(((struct sax_thread *)ctx)->h) + 1;
}

/* cb_end's rarer cases, kept out of its common path: the end of a skipped value, and of
 * the machine's outermost container. */
static __attribute__((noinline)) int end_outer(struct sm_sax_walk *w, void *ctx)
{
    int rc = 1;

    if (w->skip) {
        w->skip--;
        if (!w->skip)
            w->m->value_done(w);
    } else {
        rc = w->m->end(w);
    }
    note_root_end(w, ctx);
    return rc;
}

static int cb_end(void *ctx)
{
    struct sm_sax_walk *w = walk_of(ctx);

    /* the machine's end pops one of its frames: with more than one, the element's value
     * goes on */
    if (!w->skip && w->nframes > 1)
        return w->m->end(w);
    return end_outer(w, ctx);
}

static const yajl_callbacks callbacks = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_boolean,
    .yajl_number = cb_number,
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_map_key,
    .yajl_end_map = cb_end,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = cb_end,
};

static inline bool is_blank(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static size_t skip_blanks(const char *data, size_t i, size_t len)
{
    while (i < len && is_blank(data[i]))
        i++;
    return i;
}

/* True when the element's value is a map or an array (its end noted in yajl_parse's own
 * call, not in yajl_complete_parse's) and only JSON blanks follow it. */
static bool only_blanks_after(const struct sm_sax_walk *w, const char *data, size_t len)
{
    if (!w->root_end || w->root_end_in_complete || w->root_end - 1 > len)
        return false;
    return skip_blanks(data, w->root_end - 1, len) == len;
}

void sm_sax_mark(struct sm_sax_walk *w)
{
    w->mark = sax_thread.base + yajl_get_bytes_consumed(sax_thread.h);
}

/* Gives yajl the piece [from, to) of the element. */
static bool feed(struct sax_thread *t, const char *data, size_t from, size_t to)
{
    if (to <= from)
        return true;
    t->base = from;
    return yajl_parse(t->h, (const unsigned char *)data + from, to - from) == yajl_status_ok;
}

/* ---- passing over array elements and object members yajl need not read ----
 *
 * Most attributes of an OTLP span are ones no rule reads (http.route, url.path,
 * user_agent.original, ...): in svcmap-gen's OTLP a third of the bytes and two fifths
 * of yajl's tokens. The machine says which elements those are from their bytes
 * (pass_over, which takes only a strict, compact form of valid JSON) and whether the
 * walk is at an element of such an array (in_passable). The walk then feeds yajl the
 * element without them, cut where the pieces join:
 *
 *   [A, B, C]   A read, B passed over: yajl reads "[A" then ", C]"
 *   [B, C]      B first: yajl reads "[" then "C]" (B and its comma left out)
 *
 * What yajl reads is then the element less whole values of an array, so yajl accepts
 * it exactly when it accepts the element (the values left out are valid JSON). A
 * candidate starts where pass_marker does, and is only passed over when it is sure to
 * be an element of that array and not bytes inside a string: the machine marks the
 * offset after the last '[' or '}' it read (sm_sax_mark), and only blanks, and the
 * comma after a '}', may lie between that mark and the candidate. Whatever is unsure
 * is read by yajl, as before.
 *
 * Members of an object (a Zipkin span's tags) are passed over the same way. The marker
 * is the bytes that open the object, the machine measures its members one by one from
 * there (member), and marks the offset after the object's '{' and after each member's
 * value it read:
 *
 *   {"a":"x","b":"y","c":"z"}   "b" passed over: yajl reads {"a":"x" then ,"c":"z"}
 *                               "a" passed over: yajl reads { then "b":"y","c":"z"} */

/* The marker's bytes from the third on are at p (a few bytes, most often unequal at
 * the first: a loop, not a call). */
static inline bool marker_rest(const char *p, const char *marker, size_t marker_len)
{
    size_t k;

    for (k = 2; k < marker_len; k++) {
        if (p[k] != marker[k])
            return false;
    }
    return true;
}

/* Where the next candidate at or after i begins, or len. The marker's first two bytes
 * are looked for 16 places a step, the rest compared where both are found. */
static size_t next_candidate(const char *data, size_t i, size_t len, const char *marker,
                             size_t marker_len)
{
#if defined(__SSE2__)
    const __m128i first = _mm_set1_epi8(marker[0]), second = _mm_set1_epi8(marker[1]);

    /* the step reads data[i .. i + 16] */
    while (i + 17 <= len) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(data + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(data + i + 1));
        unsigned hit = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, second)));

        while (hit) {
            size_t at = i + (size_t)__builtin_ctz(hit);

            if (at + marker_len <= len && marker_rest(data + at, marker, marker_len))
                return at;
            hit &= hit - 1;
        }
        i += 16;
    }
#endif
    for (; i + marker_len <= len; i++) {
        if (data[i] == marker[0] && data[i + 1] == marker[1] &&
            marker_rest(data + i, marker, marker_len))
            return i;
    }
    return len;
}

#define NONE ((size_t)-1)

/* Passes over the candidate of n bytes at `at` (an array's element, or an object's
 * member) when it is sure to be one, feeding yajl up to it first; *pos is where yajl
 * has read the element up to (less what was passed over). 1 when passed over, 0 when
 * not, -1 when yajl found an error. */
static int try_pass(struct sax_thread *t, struct sm_sax_walk *w, const char *data, size_t len,
                    size_t *pos, size_t at, size_t n)
{
    bool members = w->m->member != NULL;
    char open = members ? '{' : '[', close = members ? '}' : ']';
    size_t k = at, cut, after;
    bool comma;

    /* where yajl stops: at the comma before the candidate, or at the candidate */
    while (k > *pos && is_blank(data[k - 1]))
        k--;
    comma = k > *pos && data[k - 1] == ',';
    cut = comma ? k - 1 : at;
    if (!feed(t, data, *pos, cut))
        return -1;
    *pos = cut > *pos ? cut : *pos;
    if (w->fallback || w->root_done || !w->m->in_passable(w) || w->mark == 0 || w->mark > *pos)
        return 0;
    if (comma) {
        /* after a value the machine read (an element's '}', a member's value): the
         * comma, then the candidate */
        char last = data[w->mark - 1];

        if ((members ? last == open || last == ',' : last != '}') ||
            skip_blanks(data, w->mark, len) != cut)
            return 0;
        *pos = at + n;
        w->mark = *pos; /* the candidate ended as the value before it */
    } else {
        /* right after a '[' or '{' the machine read (or a candidate and comma passed
         * over): yajl would take a value or the close here, but after the candidate
         * only a comma and another one, or the close, may follow */
        if ((data[w->mark - 1] != open && data[w->mark - 1] != ',') ||
            skip_blanks(data, w->mark, len) != at)
            return 0;
        after = skip_blanks(data, at + n, len);
        if (after < len && data[after] == ',') {
            size_t next = skip_blanks(data, after + 1, len);

            if (next >= len || data[next] == close)
                return 0;
            *pos = after + 1;
            w->mark = *pos; /* another follows, without a comma for yajl */
        } else if (after < len && data[after] == close) {
            *pos = at + n;
            w->mark = 0;
        } else {
            return 0;
        }
    }
    t->passed++;
    return 1;
}

/* The members of the object whose first member is at q, up to the first the machine
 * cannot measure: each one it reads to no effect is passed over (try_pass). Returns
 * where the walk stopped, or NONE when yajl found an error. */
static size_t pass_members(struct sax_thread *t, struct sm_sax_walk *w, const char *data,
                           size_t len, size_t *pos, size_t q)
{
    for (;;) {
        bool pass = false;
        size_t n = w->m->member(data + q, data + len, &pass);

        if (!n)
            return q;
        if (pass && try_pass(t, w, data, len, pos, q, n) < 0)
            return NONE;
        q += n;
        if (q >= len || data[q] != ',')
            return q;
        q++;
    }
}

/* Feeds yajl the element, passing over the elements or members the machine need not
 * read: true when yajl read every piece without an error. */
static bool feed_passing_over(struct sax_thread *t, struct sm_sax_walk *w, const char *data,
                              size_t len)
{
    const struct sm_sax_machine *m = w->m;
    size_t marker_len = strlen(m->pass_marker);
    size_t pos = 0; /* yajl has read the element up to here (less what was passed over) */
    size_t from = 0;

    for (;;) {
        size_t at = next_candidate(data, from, len, m->pass_marker, marker_len);
        size_t n;
        int r;

        if (at == len)
            break;
        from = at + 1;
        if (m->member) {
            size_t q = pass_members(t, w, data, len, &pos, at + marker_len);

            if (q == NONE)
                return false;
            from = q > from ? q : from;
            continue;
        }
        n = m->pass_over(data + at, data + len);
        if (!n)
            continue;
        r = try_pass(t, w, data, len, &pos, at, n);
        if (r < 0)
            return false;
        if (r > 0)
            from = pos;
    }
    return feed(t, data, pos, len);
}

int sm_sax_walk(struct sm_sax_walk *w, const struct sm_sax_machine *m, const char *data, size_t len)
{
    struct sax_thread *t = &sax_thread;
    yajl_status st;
    bool fed;
    int rc;

    w->m = m;
    if (!t->h) {
        t->h = yajl_alloc(&callbacks, NULL, t);
        if (!t->h)
            return -1;
        /* sm_sax_precheck has checked the UTF-8, more strictly than yajl would */
        yajl_config(t->h, yajl_dont_validate_strings, 1);
        yajl_config(t->h, yajl_allow_multiple_values, 1);
    }
    t->w = w;
    if (m->pass_marker)
        fed = feed_passing_over(t, w, data, len);
    else
        fed = feed(t, data, 0, len);
    st = fed ? yajl_status_ok : yajl_status_error;
    if (st == yajl_status_ok) {
        bool noted = w->root_end != 0;

        t->base = len;
        st = yajl_complete_parse(t->h);
        w->root_end_in_complete = !noted && w->root_end != 0;
    }
    rc = st == yajl_status_ok && !w->fallback && w->root_done && only_blanks_after(w, data, len)
             ? 0
             : -1;
    t->w = NULL;
    if (rc != 0 || len > HANDLE_KEEP_BYTES)
        sm_sax_release_thread();
    return rc;
}
