/* sketch.c: the DDSketch behind every latency figure, with exact merge and a compact form.
 *
 * A positive value x (milliseconds) goes to bucket i = ceil(log(x) / log(gamma)), which
 * holds the values in (gamma^(i-1), gamma^i]; gamma = (1 + a) / (1 - a) with a = 1 %.
 * The bucket's representative 2 gamma^i / (gamma + 1) is then within a of every value in
 * it, so a quantile read from the buckets is within 1 % of the true order statistic.
 * Values below 1e-6 ms (and negative ones, counted as 0) go to a zero bucket; the bucket
 * index is bounded to the range of 1e-6 ms .. 1e12 ms, so a sketch never holds more than
 * about 2,100 bins whatever it is fed (larger values share the top bucket, and min/max/sum
 * stay exact anyway). Bins are one dense array grown on demand in both directions with
 * some slack, so adding is a log, a compare and an increment.
 *
 * The sum is kept in whole nanoseconds and every count saturates at SM_COUNT_MAX: integer
 * sums, min and max do not depend on the order of adds and merges, so a sketch built from
 * the same values in any order, or merged from parts in any order, is the same sketch and
 * has the same binary form (a floating-point sum would differ in its last bits).
 *
 * Binary form, version 2 (every integer a LEB128 varint):
 *   u8 version, count, zero_count, f64le min, f64le max, sum_ns, nbins (0: no bins),
 *   [if nbins > 0] zigzag(first index), then the bins from the first to the last
 *   non-empty one: a non-zero count stands for itself, a 0 is followed by the length of
 *   a run of empty bins.
 * Version 1 (schema-3 stores) had f64le sum in milliseconds in place of sum_ns, and
 * zigzag(first index) before nbins, present only when count > zero_count.
 * The reader checks each field against the others and the index bounds, so any truncated
 * or altered buffer is refused rather than trusted.
 */
#include "svcmap/sketch.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/util.h"

#define SKETCH_VERSION   2
#define SKETCH_MIN_VALUE 1e-6             /* ms: smaller values go to the zero bucket */
#define SKETCH_MAX_VALUE SM_SKETCH_MAX_MS /* larger values share the top bucket */
#define SKETCH_SLACK     32               /* extra bins added on each side when growing */

/* Fixed here rather than computed at run time, so that every build and every thread
 * agrees on the buckets (the binary form depends on them): log((1 + a) / (1 - a)),
 * gamma, and ceil(log(v) / log gamma) for SKETCH_MIN_VALUE and SKETCH_MAX_VALUE. */
#define SKETCH_LOG_GAMMA 0.020000666706669435
#define SKETCH_GAMMA     1.0202020202020201
#define SKETCH_MIN_INDEX (-690)
#define SKETCH_MAX_INDEX 1382

/* The bucket of a value >= SKETCH_MIN_VALUE, bounded to [SKETCH_MIN_INDEX, SKETCH_MAX_INDEX]. */
static int32_t sketch_index(double v)
{
    double i = ceil(log(v) / SKETCH_LOG_GAMMA);

    if (i < SKETCH_MIN_INDEX)
        return SKETCH_MIN_INDEX;
    if (i > SKETCH_MAX_INDEX)
        return SKETCH_MAX_INDEX;
    return (int32_t)i;
}

static double sketch_value(int32_t index)
{
    return 2.0 * exp(index * SKETCH_LOG_GAMMA) / (SKETCH_GAMMA + 1.0);
}

void sm_sketch_init(struct sm_sketch *s)
{
    s->count = 0;
    s->zero_count = 0;
    s->min = 0.0;
    s->max = 0.0;
    s->sum_ns = 0;
    s->offset = 0;
    s->bins = NULL;
    s->nbins = 0;
}

void sm_sketch_release(struct sm_sketch *s)
{
    free(s->bins);
    sm_sketch_init(s);
}

/* Makes the bins cover [lo, hi] (both within the index bounds). */
static void sketch_cover(struct sm_sketch *s, int32_t lo, int32_t hi)
{
    int32_t cur_lo = s->offset, cur_hi = s->offset + (int32_t)s->nbins - 1;
    int32_t new_lo, new_hi;
    uint64_t *bins;

    if (s->nbins > 0 && lo >= cur_lo && hi <= cur_hi)
        return;
    if (s->nbins > 0) {
        lo = lo < cur_lo ? lo : cur_lo;
        hi = hi > cur_hi ? hi : cur_hi;
    }
    /* Slack on the side(s) that grew, so a drifting stream reallocates rarely. */
    new_lo = (s->nbins == 0 || lo < cur_lo) ? lo - SKETCH_SLACK : lo;
    new_hi = (s->nbins == 0 || hi > cur_hi) ? hi + SKETCH_SLACK : hi;
    if (new_lo < SKETCH_MIN_INDEX)
        new_lo = SKETCH_MIN_INDEX;
    if (new_hi > SKETCH_MAX_INDEX)
        new_hi = SKETCH_MAX_INDEX;
    bins = sm_xcalloc((size_t)(new_hi - new_lo + 1), sizeof(*bins));
    if (s->nbins > 0)
        memcpy(bins + (s->offset - new_lo), s->bins, s->nbins * sizeof(*bins));
    free(s->bins);
    s->bins = bins;
    s->offset = new_lo;
    s->nbins = (size_t)(new_hi - new_lo + 1);
}

/* A value in milliseconds (0 .. SKETCH_MAX_VALUE) as whole nanoseconds. */
static uint64_t value_ns(double v_ms)
{
    double x = v_ms * 1e6;
    uint64_t t;

    /* llround's result without the call, for the values adds see: below 2^53 the
     * truncation, its difference to x and the comparison are exact, above it x is whole */
    if (!(x >= 0.0 && x < 0x1p62))
        return (uint64_t)llround(x);
    t = (uint64_t)x;
    return t + (x - (double)t >= 0.5);
}

void sm_sketch_add_n(struct sm_sketch *s, double value_ms, uint64_t n)
{
    double v = value_ms;

    if (n == 0)
        return;
    if (!(v > 0.0)) /* negative, zero and NaN count as 0 */
        v = 0.0;
    if (v > SKETCH_MAX_VALUE) /* also +inf: keeps sum and max finite */
        v = SKETCH_MAX_VALUE;
    if (s->count == 0) {
        s->min = v;
        s->max = v;
    } else {
        if (v < s->min)
            s->min = v;
        if (v > s->max)
            s->max = v;
    }
    s->count = sm_count_add(s->count, n);
    s->sum_ns = sm_count_add(s->sum_ns, sm_count_mul(value_ns(v), n));
    if (v < SKETCH_MIN_VALUE) {
        s->zero_count = sm_count_add(s->zero_count, n);
    } else {
        int32_t i = sketch_index(v);

        /* most values land inside the bins there are */
        if (i < s->offset || i >= s->offset + (int32_t)s->nbins)
            sketch_cover(s, i, i);
        s->bins[i - s->offset] = sm_count_add(s->bins[i - s->offset], n);
    }
}

void sm_sketch_add(struct sm_sketch *s, double value_ms)
{
    sm_sketch_add_n(s, value_ms, 1);
}

/* The first and last non-empty bin, as indexes; false when there is none. */
static int sketch_used_range(const struct sm_sketch *s, int32_t *lo, int32_t *hi)
{
    size_t a = 0, b = s->nbins;

    while (a < b && s->bins[a] == 0)
        a++;
    while (b > a && s->bins[b - 1] == 0)
        b--;
    if (a == b)
        return 0;
    *lo = s->offset + (int32_t)a;
    *hi = s->offset + (int32_t)b - 1;
    return 1;
}

void sm_sketch_merge(struct sm_sketch *dst, const struct sm_sketch *src)
{
    int32_t lo, hi;

    if (src->count == 0)
        return;
    if (dst->count == 0) {
        dst->min = src->min;
        dst->max = src->max;
    } else {
        if (src->min < dst->min)
            dst->min = src->min;
        if (src->max > dst->max)
            dst->max = src->max;
    }
    dst->count = sm_count_add(dst->count, src->count);
    dst->zero_count = sm_count_add(dst->zero_count, src->zero_count);
    dst->sum_ns = sm_count_add(dst->sum_ns, src->sum_ns);
    if (sketch_used_range(src, &lo, &hi)) {
        sketch_cover(dst, lo, hi);
        for (int32_t i = lo; i <= hi; i++) {
            uint64_t *bin = &dst->bins[i - dst->offset];

            *bin = sm_count_add(*bin, src->bins[i - src->offset]);
        }
    }
}

void sm_sketch_copy(struct sm_sketch *dst, const struct sm_sketch *src)
{
    if (dst == src)
        return;
    sm_sketch_release(dst);
    *dst = *src;
    dst->bins = NULL;
    if (src->nbins > 0) {
        dst->bins = sm_xmalloc(src->nbins * sizeof(*dst->bins));
        memcpy(dst->bins, src->bins, src->nbins * sizeof(*dst->bins));
    }
}

double sm_sketch_quantile(const struct sm_sketch *s, double q)
{
    double rank, v;
    uint64_t seen;

    if (s->count == 0)
        return 0.0;
    if (!(q > 0.0)) /* also NaN */
        return s->min;
    if (q >= 1.0)
        return s->max;
    /* The element at rank floor(q (count - 1)) of the sorted values is in the first
     * bucket whose cumulative count exceeds that rank. */
    rank = q * (double)(s->count - 1);
    seen = s->zero_count;
    if ((double)seen > rank)
        return s->min; /* in the zero bucket: min is 0 or below 1e-6 */
    v = s->max;
    for (size_t i = 0; i < s->nbins; i++) {
        seen += s->bins[i];
        if ((double)seen > rank) {
            v = sketch_value(s->offset + (int32_t)i);
            break;
        }
    }
    if (v < s->min)
        v = s->min;
    if (v > s->max)
        v = s->max;
    return v;
}

double sm_sketch_mean(const struct sm_sketch *s)
{
    double mean;

    if (!s->count)
        return 0.0;
    /* Rounding each value to the nanosecond can put the mean a hair outside [min, max]. */
    mean = (double)s->sum_ns / 1e6 / (double)s->count;
    if (mean < s->min)
        mean = s->min;
    if (mean > s->max)
        mean = s->max;
    return mean;
}

/* ---- binary form ---- */

struct wbuf {
    unsigned char *data;
    size_t len, cap;
};

static void w_byte(struct wbuf *w, unsigned char c)
{
    if (w->len == w->cap)
        sm_grow(&w->data, &w->cap, w->len + 1, 1);
    w->data[w->len++] = c;
}

static void w_varint(struct wbuf *w, uint64_t v)
{
    while (v >= 0x80) {
        w_byte(w, (unsigned char)(v | 0x80));
        v >>= 7;
    }
    w_byte(w, (unsigned char)v);
}

static void w_double(struct wbuf *w, double d)
{
    uint64_t u;

    memcpy(&u, &d, sizeof(u));
    for (int k = 0; k < 8; k++)
        w_byte(w, (unsigned char)(u >> (8 * k)));
}

static uint64_t zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t u)
{
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

size_t sm_sketch_serialize(const struct sm_sketch *s, unsigned char **out)
{
    struct wbuf w = {NULL, 0, 0};
    int32_t lo, hi;

    sm_grow(&w.data, &w.cap, 64, 1);
    w_byte(&w, SKETCH_VERSION);
    w_varint(&w, s->count);
    w_varint(&w, s->zero_count);
    w_double(&w, s->min);
    w_double(&w, s->max);
    w_varint(&w, s->sum_ns);
    if (!sketch_used_range(s, &lo, &hi)) {
        w_varint(&w, 0);
    } else {
        w_varint(&w, (uint64_t)(hi - lo) + 1);
        w_varint(&w, zigzag(lo));
        for (int32_t i = lo; i <= hi;) {
            uint64_t c = s->bins[i - s->offset];
            uint64_t run = 0;

            if (c != 0) {
                w_varint(&w, c);
                i++;
                continue;
            }
            while (i <= hi && s->bins[i - s->offset] == 0) {
                run++;
                i++;
            }
            w_varint(&w, 0);
            w_varint(&w, run);
        }
    }
    *out = w.data;
    return w.len;
}

struct rbuf {
    const unsigned char *p, *end;
};

static int r_varint(struct rbuf *r, uint64_t *v)
{
    uint64_t x = 0;

    for (int shift = 0; shift < 64; shift += 7) {
        uint64_t b;

        if (r->p == r->end)
            return -1;
        b = *r->p++;
        if (shift == 63 && b > 1)
            return -1; /* more than 64 bits */
        x |= (b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

static int r_double(struct rbuf *r, double *d)
{
    uint64_t u = 0;

    if (r->end - r->p < 8)
        return -1;
    for (int k = 0; k < 8; k++)
        u |= (uint64_t)r->p[k] << (8 * k);
    r->p += 8;
    memcpy(d, &u, sizeof(u));
    return 0;
}

static int bad(struct sm_error *err, const char *what)
{
    return sm_error_set(err, SM_EINPUT, "corrupt latency sketch: %s", what);
}

/* The header of either version into t; *version set. */
static int read_header(struct rbuf *r, struct sm_sketch *t, int *version, struct sm_error *err)
{
    double sum_ms;

    if (r->p == r->end || (*r->p != 1 && *r->p != SKETCH_VERSION))
        return bad(err, r->p == r->end ? "empty" : "unknown version");
    *version = *r->p++;
    if (r_varint(r, &t->count) || r_varint(r, &t->zero_count) || r_double(r, &t->min) ||
        r_double(r, &t->max))
        return bad(err, "truncated header");
    if (*version == SKETCH_VERSION) {
        if (r_varint(r, &t->sum_ns))
            return bad(err, "truncated header");
    } else {
        if (r_double(r, &sum_ms))
            return bad(err, "truncated header");
        if (!isfinite(sum_ms) || sum_ms < 0.0)
            return bad(err, "min, max or sum out of range");
        t->sum_ns = sum_ms * 1e6 >= (double)SM_COUNT_MAX ? SM_COUNT_MAX : value_ns(sum_ms);
    }
    if (t->count > SM_COUNT_MAX || t->sum_ns > SM_COUNT_MAX)
        return bad(err, "count or sum out of range");
    if (t->zero_count > t->count)
        return bad(err, "zero count above count");
    if (t->count == 0) {
        if (t->min != 0.0 || t->max != 0.0 || t->sum_ns != 0)
            return bad(err, "empty sketch with values");
    } else if (!isfinite(t->min) || !isfinite(t->max) || t->min < 0.0 || t->min > t->max ||
               t->max > SKETCH_MAX_VALUE) {
        return bad(err, "min, max or sum out of range");
    }
    return SM_OK;
}

int sm_sketch_deserialize(struct sm_sketch *s, const unsigned char *data, size_t len,
                          struct sm_error *err)
{
    struct rbuf r = {data, data + len};
    struct sm_sketch t;
    uint64_t u = 0, nbins = 0, binned, total;
    int64_t first = 0;
    int version = 0, rc;
    /* A saturated count no longer equals the sum of its parts. */
    bool saturated;

    sm_sketch_init(&t);
    if ((rc = read_header(&r, &t, &version, err)))
        return rc;
    saturated = t.count == SM_COUNT_MAX;
    binned = t.count - t.zero_count;
    if (version == SKETCH_VERSION) {
        if (r_varint(&r, &nbins) || (nbins > 0 && r_varint(&r, &u)))
            return bad(err, "truncated bins");
        if (!saturated && (nbins > 0) != (binned > 0))
            return bad(err, "bin counts do not add up");
        if (nbins > 0)
            first = unzigzag(u);
    } else if (binned > 0) {
        if (r_varint(&r, &u) || r_varint(&r, &nbins))
            return bad(err, "truncated bins");
        first = unzigzag(u);
        if (nbins == 0)
            return bad(err, "bins out of range");
    }
    if (nbins > 0) {
        /* Bounding nbins by the index range bounds the allocation. */
        if (first < SKETCH_MIN_INDEX || first > SKETCH_MAX_INDEX ||
            nbins > (uint64_t)(SKETCH_MAX_INDEX - first) + 1)
            return bad(err, "bins out of range");
        t.offset = (int32_t)first;
        t.nbins = (size_t)nbins;
        t.bins = sm_xcalloc(t.nbins, sizeof(*t.bins));
        total = 0;
        for (size_t i = 0; i < t.nbins;) {
            uint64_t c, run;

            if (r_varint(&r, &c)) {
                rc = bad(err, "truncated bins");
                goto out_release;
            }
            if (c != 0) {
                if (c > SM_COUNT_MAX || (!saturated && c > binned - total)) {
                    rc = bad(err, "bin counts above count");
                    goto out_release;
                }
                total = sm_count_add(total, c);
                t.bins[i++] = c;
                continue;
            }
            /* A run of empty bins, never at either end (the writer trims them). */
            if (r_varint(&r, &run) || run == 0 || run >= t.nbins - i || i == 0) {
                rc = bad(err, "bad run of empty bins");
                goto out_release;
            }
            i += (size_t)run;
        }
        if ((!saturated && total != binned) || t.bins[t.nbins - 1] == 0) {
            rc = bad(err, "bin counts do not add up");
            goto out_release;
        }
        /* min and max must fall in the end buckets the bins claim. */
        if ((t.zero_count == 0 && (t.min < SKETCH_MIN_VALUE || sketch_index(t.min) != t.offset)) ||
            t.max < SKETCH_MIN_VALUE || sketch_index(t.max) != t.offset + (int32_t)t.nbins - 1) {
            rc = bad(err, "min or max outside the bins");
            goto out_release;
        }
    } else if (t.count > 0 && t.max >= SKETCH_MIN_VALUE) {
        return bad(err, "max outside the zero bucket");
    }
    if (t.zero_count > 0 && t.min >= SKETCH_MIN_VALUE) {
        rc = bad(err, "min outside the zero bucket");
        goto out_release;
    }
    if (r.p != r.end) {
        rc = bad(err, "trailing bytes");
        goto out_release;
    }
    sm_sketch_release(s);
    *s = t;
    return SM_OK;

out_release:
    sm_sketch_release(&t);
    return rc;
}
