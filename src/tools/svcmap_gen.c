/* svcmap_gen.c: deterministic trace generator for the bundled shop example and benchmarks.
 *
 * Three models build traces as span records in memory, one trace at a time: `shop` is the
 * checkout story of DESIGN.md (variant v2 is "the next release": a new dependency, a
 * removed one, a slower edge, more failures), `bench` is a random topology of K services
 * written until a byte budget is reached, and `bigmap` covers a graph of many services
 * and edges for rendering tests. Writers turn the records into OTLP JSON lines, Jaeger
 * {"data":[...]}, Zipkin v2 lists of traces, a flat Zipkin array or Zipkin v1 lists of
 * traces; all five carry the same ids, services, kinds, microsecond times, errors and
 * attributes, so a reader must get the same map from each. OTLP lines and flat Zipkin arrays are
 * batched the way exporters batch: a batch holds spans of one to three traces and some spans spill
 * into the next batch. Randomness comes from a seeded xoshiro256** of this file and start times
 * from a fixed epoch, so the same arguments always give the same bytes. Output is formatted by hand
 * into a large buffer (no printf per field) so that benchmark files of gigabytes are written at
 * disk speed in constant memory.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/util.h"

#define EPOCH_US        1795698900000000LL /* 2026-11-26T13:15:00Z */
#define MAX_ATTRS       14
#define SPAN_TEXT_BYTES 200
#define MAX_TRACE_SPANS 256
#define OUT_BUF_BYTES   (4u << 20)

enum kind { K_INTERNAL = 1, K_SERVER = 2, K_CLIENT = 3, K_PRODUCER = 4, K_CONSUMER = 5 };
enum format { F_OTLP, F_JAEGER, F_ZIPKIN, F_ZIPKIN_FLAT, F_ZIPKIN1 };
enum atype { A_STR, A_INT, A_BOOL };

struct attr {
    const char *key; /* static */
    const char *s;   /* static string, or NULL: the text is at off in the span's text */
    int off;
    enum atype type;
    int64_t i;
};

/* One span. Strings made for this span live in text[], referred to by offset, so that
 * a span can be copied into a batch with memcpy. */
struct gspan {
    uint64_t trace_hi, trace_lo, span_id, parent_id;
    int svc;
    enum kind kind;
    const char *name; /* static, or NULL: text at name_off */
    int name_off;
    int64_t start_us, dur_us;
    int error;
    const char *status_msg; /* static */
    int nattrs;
    struct attr attrs[MAX_ATTRS];
    int text_len;
    char text[SPAN_TEXT_BYTES];
};

struct service {
    char name[40];
    const char *ns; /* service.namespace */
    const char *version;
    const char *language;
    char instance[64];
};

/* ---- random numbers: xoshiro256** seeded through splitmix64 ---- */

struct rng {
    uint64_t s[4];
};

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int k = 0; k < 4; k++)
        r->s[k] = splitmix(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_u64(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* Uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
    return (double)(rng_u64(r) >> 11) / 9007199254740992.0;
}

static int rng_chance(struct rng *r, double p)
{
    return rng_unit(r) < p;
}

/* Uniform integer in [lo, hi]. */
static int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rng_u64(r) % (uint64_t)(hi - lo + 1));
}

static double rng_normal(struct rng *r)
{
    double u1 = 1.0 - rng_unit(r), u2 = rng_unit(r);

    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Log-normal duration in microseconds with the given median (µs) and spread. */
static int64_t rng_lognormal_us(struct rng *r, double median_us, double sigma)
{
    double v = median_us * exp(sigma * rng_normal(r));

    return v < 1.0 ? 1 : (int64_t)v;
}

static uint64_t rng_id(struct rng *r)
{
    uint64_t v;

    do {
        v = rng_u64(r);
    } while (v == 0);
    return v;
}

/* ---- output: a large buffer, formatted by hand ---- */

struct out {
    FILE *f;
    char *buf;
    size_t len;
    uint64_t total;
    int failed;
};

static void o_flush(struct out *o)
{
    if (o->len && fwrite(o->buf, 1, o->len, o->f) != o->len)
        o->failed = 1;
    o->total += o->len;
    o->len = 0;
}

static inline void o_mem(struct out *o, const char *s, size_t n)
{
    if (o->len + n > OUT_BUF_BYTES) {
        o_flush(o);
        if (n > OUT_BUF_BYTES) {
            if (fwrite(s, 1, n, o->f) != n)
                o->failed = 1;
            o->total += n;
            return;
        }
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void o_str(struct out *o, const char *s)
{
    o_mem(o, s, strlen(s));
}

static inline void o_chr(struct out *o, char c)
{
    if (o->len == OUT_BUF_BYTES)
        o_flush(o);
    o->buf[o->len++] = c;
}

static void o_u64(struct out *o, uint64_t v)
{
    char tmp[24];
    int n = 0;

    do {
        tmp[sizeof(tmp) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    o_mem(o, tmp + sizeof(tmp) - n, (size_t)n);
}

static void o_i64(struct out *o, int64_t v)
{
    if (v < 0) {
        o_chr(o, '-');
        o_u64(o, (uint64_t)0 - (uint64_t)v);
    } else {
        o_u64(o, (uint64_t)v);
    }
}

static void o_hex64(struct out *o, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[16];

    for (int k = 15; k >= 0; k--) {
        tmp[k] = digits[v & 15];
        v >>= 4;
    }
    o_mem(o, tmp, 16);
}

/* A JSON string literal; the generator's strings are printable ASCII, but quotes and
 * backslashes are escaped all the same. */
static void o_jstr(struct out *o, const char *s)
{
    size_t n = strlen(s);
    char *d;

    /* Worst case every byte becomes \u00XX; the fast path copies a clean string. */
    if (o->len + 6 * n + 2 > OUT_BUF_BYTES)
        o_flush(o);
    if (6 * n + 2 > OUT_BUF_BYTES) {
        fprintf(stderr, "svcmap-gen: string too long\n");
        abort();
    }
    d = o->buf + o->len;
    *d++ = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\') {
            *d++ = '\\';
            *d++ = (char)c;
        } else if (c < 0x20) {
            static const char hex[] = "0123456789abcdef";

            memcpy(d, "\\u00", 4);
            d[4] = hex[c >> 4];
            d[5] = hex[c & 15];
            d += 6;
        } else {
            *d++ = (char)c;
        }
    }
    *d++ = '"';
    o->len = (size_t)(d - o->buf);
}

/* ---- span building ---- */

struct gen {
    struct rng rng;  /* durations and decisions */
    struct rng ids;  /* trace and span ids */
    struct rng side; /* shop: draws only one variant makes (see side_swap) */
    uint64_t seed;
    struct service *svcs;
    int nsvcs;
    int v2;
    struct gspan *spans; /* the trace being built */
    int nspans;
    uint64_t trace_hi, trace_lo;
    /* shop: calls so far, for evenly spread slow calls and failures */
    uint64_t db_calls, card_calls, card_failures, fraud_calls, reserve_calls, stock_calls;
    uint64_t ship_calls;
    uint64_t ntraces, total_spans;
};

static const char *span_text(const struct gspan *sp, const char *s, int off)
{
    return s ? s : sp->text + off;
}

static const char *span_name(const struct gspan *sp)
{
    return span_text(sp, sp->name, sp->name_off);
}

/* Copies a formatted string into the span's text; returns its offset. */
static int span_vstrf(struct gspan *sp, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
static int span_vstrf(struct gspan *sp, const char *fmt, va_list ap)
{
    int off = sp->text_len, room = SPAN_TEXT_BYTES - sp->text_len;
    int n = vsnprintf(sp->text + off, (size_t)room, fmt, ap);

    if (n < 0 || n >= room) { /* a bug in a model: its strings are short and fixed */
        fprintf(stderr, "svcmap-gen: span text overflow\n");
        abort();
    }
    sp->text_len += n + 1;
    return off;
}

static int span_strf(struct gspan *sp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int span_strf(struct gspan *sp, const char *fmt, ...)
{
    va_list ap;
    int off;

    va_start(ap, fmt);
    off = span_vstrf(sp, fmt, ap);
    va_end(ap);
    return off;
}

static struct attr *span_attr(struct gspan *sp, const char *key)
{
    struct attr *a;

    if (sp->nattrs == MAX_ATTRS) {
        fprintf(stderr, "svcmap-gen: too many attributes\n");
        abort();
    }
    a = &sp->attrs[sp->nattrs++];
    a->key = key;
    a->s = NULL;
    a->off = 0;
    a->type = A_STR;
    a->i = 0;
    return a;
}

static void attr_str(struct gspan *sp, const char *key, const char *value)
{
    span_attr(sp, key)->s = value;
}

static void attr_strf(struct gspan *sp, const char *key, const char *fmt, ...)
{
    va_list ap;
    int off;

    va_start(ap, fmt);
    off = span_vstrf(sp, fmt, ap);
    va_end(ap);
    span_attr(sp, key)->off = off;
}

static void attr_int(struct gspan *sp, const char *key, int64_t v)
{
    struct attr *a = span_attr(sp, key);

    a->type = A_INT;
    a->i = v;
}

static void attr_bool(struct gspan *sp, const char *key, int v)
{
    struct attr *a = span_attr(sp, key);

    a->type = A_BOOL;
    a->i = v;
}

static void trace_begin(struct gen *g)
{
    g->nspans = 0;
    g->trace_hi = rng_id(&g->ids);
    g->trace_lo = rng_id(&g->ids);
}

/* A new span of the current trace; returned as an index (the array does not move). */
static int span_new(struct gen *g, int svc, enum kind kind, const char *name, int parent,
                    int64_t start_us)
{
    struct gspan *sp;

    if (g->nspans == MAX_TRACE_SPANS) {
        fprintf(stderr, "svcmap-gen: trace too large\n");
        abort();
    }
    sp = &g->spans[g->nspans];
    sp->trace_hi = g->trace_hi;
    sp->trace_lo = g->trace_lo;
    sp->span_id = rng_id(&g->ids);
    sp->parent_id = parent >= 0 ? g->spans[parent].span_id : 0;
    sp->svc = svc;
    sp->kind = kind;
    sp->name = name;
    sp->name_off = 0;
    sp->start_us = start_us;
    sp->dur_us = 0;
    sp->error = 0;
    sp->status_msg = NULL;
    sp->nattrs = 0;
    sp->text_len = 0;
    return g->nspans++;
}

static void span_fail(struct gen *g, int i, const char *msg)
{
    g->spans[i].error = 1;
    g->spans[i].status_msg = msg;
}

static void span_end(struct gen *g, int i, int64_t end_us)
{
    g->spans[i].dur_us = end_us - g->spans[i].start_us;
    if (g->spans[i].dur_us < 1)
        g->spans[i].dur_us = 1;
}

static int64_t span_end_us(const struct gen *g, int i)
{
    return g->spans[i].start_us + g->spans[i].dur_us;
}

/* ---- writers ---- */

static const char *const kind_jaeger[] = {"",       "internal", "server",
                                          "client", "producer", "consumer"};
static const char *const kind_zipkin[] = {"", "", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"};

static void o_attr_value_otlp(struct out *o, const struct gspan *sp, const struct attr *a)
{
    switch (a->type) {
    case A_STR:
        o_str(o, "{\"stringValue\":");
        o_jstr(o, span_text(sp, a->s, a->off));
        break;
    case A_INT:
        o_str(o, "{\"intValue\":\"");
        o_i64(o, a->i);
        o_chr(o, '"');
        break;
    case A_BOOL:
        o_str(o, a->i ? "{\"boolValue\":true" : "{\"boolValue\":false");
        break;
    }
    o_chr(o, '}');
}

static void o_kv_otlp(struct out *o, const char *key, const char *value)
{
    o_str(o, "{\"key\":");
    o_jstr(o, key);
    o_str(o, ",\"value\":{\"stringValue\":");
    o_jstr(o, value);
    o_str(o, "}}");
}

static void o_resource_otlp(struct out *o, const struct service *sv)
{
    o_str(o, "{\"resource\":{\"attributes\":[");
    o_kv_otlp(o, "service.name", sv->name);
    o_chr(o, ',');
    o_kv_otlp(o, "service.namespace", sv->ns);
    o_chr(o, ',');
    o_kv_otlp(o, "service.version", sv->version);
    if (sv->language) {
        o_chr(o, ',');
        o_kv_otlp(o, "service.instance.id", sv->instance);
        o_chr(o, ',');
        o_kv_otlp(o, "telemetry.sdk.language", sv->language);
    }
    o_str(o, "]},\"scopeSpans\":[{\"scope\":{\"name\":\"svcmap-gen\",\"version\":\"1.0\"},"
             "\"spans\":[");
}

static void o_span_otlp(struct out *o, const struct gspan *sp)
{
    o_str(o, "{\"traceId\":\"");
    o_hex64(o, sp->trace_hi);
    o_hex64(o, sp->trace_lo);
    o_str(o, "\",\"spanId\":\"");
    o_hex64(o, sp->span_id);
    if (sp->parent_id) {
        o_str(o, "\",\"parentSpanId\":\"");
        o_hex64(o, sp->parent_id);
    }
    o_str(o, "\",\"name\":");
    o_jstr(o, span_name(sp));
    o_str(o, ",\"kind\":");
    o_u64(o, (uint64_t)sp->kind);
    o_str(o, ",\"startTimeUnixNano\":\"");
    o_i64(o, sp->start_us);
    o_str(o, "000\",\"endTimeUnixNano\":\"");
    o_i64(o, sp->start_us + sp->dur_us);
    o_str(o, "000\",\"attributes\":[");
    for (int k = 0; k < sp->nattrs; k++) {
        if (k)
            o_chr(o, ',');
        o_str(o, "{\"key\":");
        o_jstr(o, sp->attrs[k].key);
        o_str(o, ",\"value\":");
        o_attr_value_otlp(o, sp, &sp->attrs[k]);
        o_chr(o, '}');
    }
    o_str(o, "],\"status\":{");
    if (sp->error) {
        o_str(o, "\"code\":2");
        if (sp->status_msg) {
            o_str(o, ",\"message\":");
            o_jstr(o, sp->status_msg);
        }
    }
    o_str(o, "}}");
}

/* One OTLP line: the spans grouped by service (one resourceSpans entry each), in the
 * order their services first appear. seen has room for a flag per service. */
static void write_otlp_line(struct out *o, const struct gen *g, const struct gspan *spans, int n,
                            unsigned char *seen)
{
    int first = 1;

    memset(seen, 0, (size_t)g->nsvcs);
    o_str(o, "{\"resourceSpans\":[");
    for (int i = 0; i < n; i++) {
        int svc = spans[i].svc, firstspan = 1;

        if (seen[svc])
            continue;
        seen[svc] = 1;
        if (!first)
            o_chr(o, ',');
        first = 0;
        o_resource_otlp(o, &g->svcs[svc]);
        for (int j = i; j < n; j++) {
            if (spans[j].svc != svc)
                continue;
            if (!firstspan)
                o_chr(o, ',');
            firstspan = 0;
            o_span_otlp(o, &spans[j]);
        }
        o_str(o, "]}]}");
    }
    o_str(o, "]}\n");
}

static void o_tag_jaeger(struct out *o, const char *key, const char *type)
{
    o_str(o, "{\"key\":");
    o_jstr(o, key);
    o_str(o, ",\"type\":\"");
    o_str(o, type);
    o_str(o, "\",\"value\":");
}

static void o_stag_jaeger(struct out *o, const char *key, const char *value)
{
    o_tag_jaeger(o, key, "string");
    o_jstr(o, value);
    o_chr(o, '}');
}

static void write_jaeger_trace(struct out *o, const struct gen *g, int first_trace)
{
    int procs[MAX_TRACE_SPANS], nprocs = 0;
    int pid[MAX_TRACE_SPANS];

    if (!first_trace)
        o_chr(o, ',');
    o_str(o, "{\"traceID\":\"");
    o_hex64(o, g->trace_hi);
    o_hex64(o, g->trace_lo);
    o_str(o, "\",\"spans\":[");
    for (int i = 0; i < g->nspans; i++) {
        const struct gspan *sp = &g->spans[i];
        int p;

        for (p = 0; p < nprocs && procs[p] != sp->svc; p++)
            ;
        if (p == nprocs)
            procs[nprocs++] = sp->svc;
        pid[i] = p + 1;
        if (i)
            o_chr(o, ',');
        o_str(o, "{\"traceID\":\"");
        o_hex64(o, sp->trace_hi);
        o_hex64(o, sp->trace_lo);
        o_str(o, "\",\"spanID\":\"");
        o_hex64(o, sp->span_id);
        o_str(o, "\",\"operationName\":");
        o_jstr(o, span_name(sp));
        o_str(o, ",\"references\":[");
        if (sp->parent_id) {
            o_str(o, "{\"refType\":\"CHILD_OF\",\"traceID\":\"");
            o_hex64(o, sp->trace_hi);
            o_hex64(o, sp->trace_lo);
            o_str(o, "\",\"spanID\":\"");
            o_hex64(o, sp->parent_id);
            o_str(o, "\"}");
        }
        o_str(o, "],\"flags\":1,\"startTime\":");
        o_i64(o, sp->start_us);
        o_str(o, ",\"duration\":");
        o_i64(o, sp->dur_us);
        o_str(o, ",\"tags\":[");
        o_stag_jaeger(o, "span.kind", kind_jaeger[sp->kind]);
        for (int k = 0; k < sp->nattrs; k++) {
            const struct attr *a = &sp->attrs[k];

            o_chr(o, ',');
            if (a->type == A_STR) {
                o_stag_jaeger(o, a->key, span_text(sp, a->s, a->off));
            } else if (a->type == A_INT) {
                o_tag_jaeger(o, a->key, "int64");
                o_i64(o, a->i);
                o_chr(o, '}');
            } else {
                o_tag_jaeger(o, a->key, "bool");
                o_str(o, a->i ? "true}" : "false}");
            }
        }
        if (sp->error) {
            o_chr(o, ',');
            o_tag_jaeger(o, "error", "bool");
            o_str(o, "true},");
            o_stag_jaeger(o, "otel.status_code", "ERROR");
            if (sp->status_msg) {
                o_chr(o, ',');
                o_stag_jaeger(o, "otel.status_description", sp->status_msg);
            }
        }
        o_str(o, "],\"logs\":[],\"processID\":\"p");
        o_u64(o, (uint64_t)pid[i]);
        o_str(o, "\",\"warnings\":null}");
    }
    o_str(o, "],\"processes\":{");
    for (int p = 0; p < nprocs; p++) {
        const struct service *sv = &g->svcs[procs[p]];

        if (p)
            o_chr(o, ',');
        o_str(o, "\"p");
        o_u64(o, (uint64_t)p + 1);
        o_str(o, "\":{\"serviceName\":");
        o_jstr(o, sv->name);
        o_str(o, ",\"tags\":[");
        o_stag_jaeger(o, "service.namespace", sv->ns);
        o_chr(o, ',');
        o_stag_jaeger(o, "service.version", sv->version);
        if (sv->language) {
            o_chr(o, ',');
            o_stag_jaeger(o, "service.instance.id", sv->instance);
            o_chr(o, ',');
            o_stag_jaeger(o, "telemetry.sdk.language", sv->language);
        }
        o_str(o, "]}");
    }
    o_str(o, "},\"warnings\":null}\n");
}

static void o_ztag(struct out *o, const char *key, const char *value)
{
    o_jstr(o, key);
    o_chr(o, ':');
    o_jstr(o, value);
}

static void o_span_zipkin(struct out *o, const struct gen *g, const struct gspan *sp)
{
    const struct service *sv = &g->svcs[sp->svc];

    o_str(o, "{\"traceId\":\"");
    o_hex64(o, sp->trace_hi);
    o_hex64(o, sp->trace_lo);
    o_str(o, "\",\"id\":\"");
    o_hex64(o, sp->span_id);
    if (sp->parent_id) {
        o_str(o, "\",\"parentId\":\"");
        o_hex64(o, sp->parent_id);
    }
    o_chr(o, '"');
    if (sp->kind != K_INTERNAL) {
        o_str(o, ",\"kind\":\"");
        o_str(o, kind_zipkin[sp->kind]);
        o_chr(o, '"');
    }
    o_str(o, ",\"name\":");
    o_jstr(o, span_name(sp));
    o_str(o, ",\"timestamp\":");
    o_i64(o, sp->start_us);
    o_str(o, ",\"duration\":");
    o_i64(o, sp->dur_us);
    o_str(o, ",\"localEndpoint\":{\"serviceName\":");
    o_jstr(o, sv->name);
    o_str(o, "},\"tags\":{");
    /* Zipkin has no resource: the exporters copy resource attributes into the tags. */
    o_ztag(o, "service.namespace", sv->ns);
    o_chr(o, ',');
    o_ztag(o, "service.version", sv->version);
    if (sv->language) {
        o_chr(o, ',');
        o_ztag(o, "service.instance.id", sv->instance);
        o_chr(o, ',');
        o_ztag(o, "telemetry.sdk.language", sv->language);
    }
    for (int k = 0; k < sp->nattrs; k++) {
        const struct attr *a = &sp->attrs[k];

        o_chr(o, ',');
        o_jstr(o, a->key);
        o_chr(o, ':');
        if (a->type == A_STR) {
            o_jstr(o, span_text(sp, a->s, a->off));
        } else if (a->type == A_INT) {
            o_chr(o, '"');
            o_i64(o, a->i);
            o_chr(o, '"');
        } else {
            o_str(o, a->i ? "\"true\"" : "\"false\"");
        }
    }
    if (sp->error) {
        o_chr(o, ',');
        o_ztag(o, "otel.status_code", "ERROR");
        o_chr(o, ',');
        o_ztag(o, "error", sp->status_msg ? sp->status_msg : "true");
    }
    o_str(o, "}}");
}

static void write_zipkin_trace(struct out *o, const struct gen *g, int first_trace)
{
    o_str(o, first_trace ? "[" : ",\n[");
    for (int i = 0; i < g->nspans; i++) {
        if (i)
            o_chr(o, ',');
        o_span_zipkin(o, g, &g->spans[i]);
    }
    o_chr(o, ']');
}

/* A Zipkin v1 span as Zipkin's V2SpanConverter writes one: the kind becomes core
 * annotations (sr/ss, cs/cr, ms/ws, wr/mr) and the tags string binary annotations, each
 * logged by the span's service; a local span says so with an empty "lc". */
static void o_v1_endpoint(struct out *o, const struct service *sv)
{
    o_str(o, ",\"endpoint\":{\"serviceName\":");
    o_jstr(o, sv->name);
    o_str(o, "}}");
}

static void o_v1_annotation(struct out *o, const struct service *sv, int64_t ts_us,
                            const char *value, int first)
{
    o_str(o, first ? "{\"timestamp\":" : ",{\"timestamp\":");
    o_i64(o, ts_us);
    o_str(o, ",\"value\":\"");
    o_str(o, value);
    o_chr(o, '"');
    o_v1_endpoint(o, sv);
}

/* A binary annotation; value is written as it is (a JSON string). */
static void o_v1_binary_start(struct out *o, const char *key)
{
    o_str(o, ",{\"key\":");
    o_jstr(o, key);
    o_str(o, ",\"value\":");
}

static void o_v1_tag(struct out *o, const struct service *sv, const char *key, const char *value)
{
    o_v1_binary_start(o, key);
    o_jstr(o, value);
    o_v1_endpoint(o, sv);
}

static void o_span_zipkin1(struct out *o, const struct gen *g, const struct gspan *sp)
{
    static const char *const begin[] = {"", "", "sr", "cs", "ms", "wr"};
    static const char *const end[] = {"", "", "ss", "cr", "ws", "mr"};
    const struct service *sv = &g->svcs[sp->svc];

    o_str(o, "{\"traceId\":\"");
    o_hex64(o, sp->trace_hi);
    o_hex64(o, sp->trace_lo);
    o_str(o, "\",\"id\":\"");
    o_hex64(o, sp->span_id);
    if (sp->parent_id) {
        o_str(o, "\",\"parentId\":\"");
        o_hex64(o, sp->parent_id);
    }
    o_str(o, "\",\"name\":");
    o_jstr(o, span_name(sp));
    o_str(o, ",\"timestamp\":");
    o_i64(o, sp->start_us);
    o_str(o, ",\"duration\":");
    o_i64(o, sp->dur_us);
    o_str(o, ",\"annotations\":[");
    if (sp->kind != K_INTERNAL) {
        o_v1_annotation(o, sv, sp->start_us, begin[sp->kind], 1);
        o_v1_annotation(o, sv, sp->start_us + sp->dur_us, end[sp->kind], 0);
    }
    o_str(o, "],\"binaryAnnotations\":[");
    /* the first binary annotation: "lc" for a local span, else the namespace */
    o_str(o, "{\"key\":");
    if (sp->kind == K_INTERNAL) {
        o_str(o, "\"lc\",\"value\":\"\"");
        o_v1_endpoint(o, sv);
        o_v1_tag(o, sv, "service.namespace", sv->ns);
    } else {
        o_str(o, "\"service.namespace\",\"value\":");
        o_jstr(o, sv->ns);
        o_v1_endpoint(o, sv);
    }
    o_v1_tag(o, sv, "service.version", sv->version);
    if (sv->language) {
        o_v1_tag(o, sv, "service.instance.id", sv->instance);
        o_v1_tag(o, sv, "telemetry.sdk.language", sv->language);
    }
    for (int k = 0; k < sp->nattrs; k++) {
        const struct attr *a = &sp->attrs[k];

        o_v1_binary_start(o, a->key);
        if (a->type == A_STR) {
            o_jstr(o, span_text(sp, a->s, a->off));
        } else if (a->type == A_INT) {
            o_chr(o, '"');
            o_i64(o, a->i);
            o_chr(o, '"');
        } else {
            o_str(o, a->i ? "\"true\"" : "\"false\"");
        }
        o_v1_endpoint(o, sv);
    }
    if (sp->error) {
        o_v1_tag(o, sv, "otel.status_code", "ERROR");
        o_v1_tag(o, sv, "error", sp->status_msg ? sp->status_msg : "true");
    }
    o_str(o, "]}");
}

static void write_zipkin1_trace(struct out *o, const struct gen *g, int first_trace)
{
    o_str(o, first_trace ? "[" : ",\n[");
    for (int i = 0; i < g->nspans; i++) {
        if (i)
            o_chr(o, ',');
        o_span_zipkin1(o, g, &g->spans[i]);
    }
    o_chr(o, ']');
}

/* ---- batching for the unordered formats (OTLP lines, flat Zipkin) ---- */

struct batch {
    struct gspan *spans;
    size_t n, cap;
    int traces;
};

struct sink {
    struct out out;
    enum format format;
    struct batch cur, next;
    int cur_target;      /* traces per batch, 1 to 3 */
    int wrote_any;       /* a span or trace is written (for separators) */
    struct rng batch;    /* separate stream: batching never changes the trace data */
    unsigned char *seen; /* OTLP: one flag per service, for grouping a line */
};

static void batch_push(struct batch *b, const struct gspan *sp)
{
    if (b->n == b->cap)
        sm_grow(&b->spans, &b->cap, b->n + 1, sizeof(*b->spans));
    b->spans[b->n++] = *sp;
}

static void batch_write(struct sink *k, const struct gen *g, struct batch *b)
{
    if (b->n == 0)
        return;
    if (k->format == F_OTLP) {
        if (!k->seen)
            k->seen = sm_xmalloc((size_t)g->nsvcs);
        write_otlp_line(&k->out, g, b->spans, (int)b->n, k->seen);
    } else {
        for (size_t i = 0; i < b->n; i++) {
            o_str(&k->out, k->wrote_any ? ",\n" : "");
            o_span_zipkin(&k->out, g, &b->spans[i]);
            k->wrote_any = 1;
        }
    }
    b->n = 0;
    b->traces = 0;
}

static void sink_begin(struct sink *k)
{
    if (k->format == F_JAEGER)
        o_str(&k->out, "{\"data\":[\n");
    else if (k->format == F_ZIPKIN || k->format == F_ZIPKIN_FLAT || k->format == F_ZIPKIN1)
        o_str(&k->out, "[\n");
}

/* Writes the trace just built. */
static void sink_trace(struct sink *k, struct gen *g)
{
    g->ntraces++;
    g->total_spans += (uint64_t)g->nspans;
    if (k->format == F_JAEGER) {
        write_jaeger_trace(&k->out, g, !k->wrote_any);
        k->wrote_any = 1;
        return;
    }
    if (k->format == F_ZIPKIN) {
        write_zipkin_trace(&k->out, g, !k->wrote_any);
        k->wrote_any = 1;
        return;
    }
    if (k->format == F_ZIPKIN1) {
        write_zipkin1_trace(&k->out, g, !k->wrote_any);
        k->wrote_any = 1;
        return;
    }
    /* Most spans go out with their trace's batch; some (a slow exporter, an async
     * consumer) only with the next one. */
    for (int i = 0; i < g->nspans; i++) {
        struct batch *b = rng_chance(&k->batch, 0.15) ? &k->next : &k->cur;

        batch_push(b, &g->spans[i]);
    }
    k->cur.traces++;
    k->next.traces = 0;
    if (k->cur.traces >= k->cur_target) {
        struct batch t;

        batch_write(k, g, &k->cur);
        t = k->cur;
        k->cur = k->next;
        k->next = t;
        k->cur_target = (int)rng_range(&k->batch, 1, 3);
    }
}

static void sink_end(struct sink *k, const struct gen *g)
{
    batch_write(k, g, &k->cur);
    batch_write(k, g, &k->next);
    if (k->format == F_JAEGER)
        o_str(&k->out, "]}\n");
    else if (k->format == F_ZIPKIN || k->format == F_ZIPKIN_FLAT || k->format == F_ZIPKIN1)
        o_str(&k->out, "\n]\n");
    o_flush(&k->out);
    free(k->cur.spans);
    free(k->next.spans);
    free(k->seen);
}

/* ---- the shop: DESIGN.md's checkout story ---- */

/* Evenly spread events: true for about p of the calls k = 0, 1, 2, ..., exactly
 * floor(n p + phase) of the first n, so that even a small sample holds its share. */
static int spread(uint64_t k, double p, double phase)
{
    return (uint64_t)((double)(k + 1) * p + phase) > (uint64_t)((double)k * p + phase);
}

/* Variant-specific draws come from a side stream: swapping it in and out around them
 * keeps the main stream identical between v1 and v2. */
static void side_swap(struct gen *g)
{
    struct rng t = g->rng;

    g->rng = g->side;
    g->side = t;
}

enum { FRONTEND, GATEWAY, INVENTORY, PAYMENTS, FRAUD, SHIPPING, RECOMMENDATIONS, SHOP_SVCS };

static void shop_services(struct gen *g)
{
    static const char *const names[] = {"frontend",    "api-gateway", "inventory",      "payments",
                                        "fraud-check", "shipping",    "recommendations"};

    g->nsvcs = SHOP_SVCS;
    g->svcs = sm_xcalloc(SHOP_SVCS, sizeof(*g->svcs));
    for (int i = 0; i < SHOP_SVCS; i++) {
        snprintf(g->svcs[i].name, sizeof(g->svcs[i].name), "%s", names[i]);
        g->svcs[i].ns = "shop";
        g->svcs[i].version = g->v2 ? "1.5.0" : "1.4.0";
    }
}

/* A gRPC call from caller to callee: the CLIENT span and the callee's SERVER child.
 * *server is the server span; the caller ends the client span after the server ends. */
static int rpc_call(struct gen *g, int parent, int caller, int callee, const char *service,
                    const char *method, int64_t start_us, int *server)
{
    int c = span_new(g, caller, K_CLIENT, NULL, parent, start_us);
    int s;
    struct gspan *sp = &g->spans[c];

    sp->name_off = span_strf(sp, "%s/%s", service, method);
    attr_str(sp, "rpc.system", "grpc");
    attr_str(sp, "server.address", g->svcs[callee].name);
    attr_int(sp, "server.port", 50051);
    s = span_new(g, callee, K_SERVER, NULL, c, start_us + rng_range(&g->rng, 150, 600));
    sp = &g->spans[s];
    sp->name_off = span_strf(sp, "%s/%s", service, method);
    attr_str(sp, "rpc.system", "grpc");
    *server = s;
    return c;
}

/* Ends an RPC: the server at end_us, the client a network hop later; a failed server
 * makes the client see the gRPC status too. */
static int64_t rpc_end(struct gen *g, int client, int server, int64_t end_us, int grpc_code)
{
    int64_t client_end = end_us + rng_range(&g->rng, 150, 700);

    span_end(g, server, end_us);
    span_end(g, client, client_end);
    if (grpc_code != 0) {
        attr_int(&g->spans[server], "rpc.grpc.status_code", grpc_code);
        attr_int(&g->spans[client], "rpc.grpc.status_code", grpc_code);
        span_fail(g, server, g->spans[server].status_msg);
        span_fail(g, client, g->spans[server].status_msg);
    }
    return client_end;
}

static int64_t shop_redis(struct gen *g, int parent, int64_t t, const char *op)
{
    int r = span_new(g, INVENTORY, K_CLIENT, op, parent, t);
    struct gspan *sp = &g->spans[r];

    attr_str(sp, "db.system", "redis");
    attr_str(sp, "db.operation.name", op);
    attr_str(sp, "server.address", "stock-cache");
    span_end(g, r, t + rng_lognormal_us(&g->rng, 350, 0.4));
    return span_end_us(g, r);
}

/* inventory's ReserveStock: five fast cache calls, then the database update that now
 * and then waits ~30 s on a row lock: the 1st, 34th, 67th, ... database call (3 %, evenly
 * spread rather than random, so that even the 80-trace fixture has two). More than 1 %
 * puts the database's p99 (rank floor(0.99 (n - 1))) in the tail, while its callers,
 * which also serve product pages and carts, see the wait in under 1 % of their calls:
 * the one slow edge of the story. */
static int64_t shop_reserve(struct gen *g, int server, int64_t t, int *failed)
{
    static const char *const ops[] = {"GET", "GET", "HGET", "GET", "SET"};
    int db;
    struct gspan *sp;
    int slow = spread(g->db_calls++, 0.03, 0.99);

    for (int i = 0; i < 5; i++)
        t = shop_redis(g, server, t + rng_range(&g->rng, 40, 200), ops[i]) + 30;
    db = span_new(g, INVENTORY, K_CLIENT, "UPDATE inventory.stock", server, t + 80);
    sp = &g->spans[db];
    attr_str(sp, "db.system", "postgresql");
    attr_str(sp, "db.namespace", "inventory");
    attr_str(sp, "db.operation.name", "UPDATE");
    attr_str(sp, "db.query.text", "UPDATE stock SET reserved = reserved + $1 WHERE sku = $2");
    attr_str(sp, "server.address", "inventory-db");
    if (slow)
        t = sp->start_us + 29000000 + rng_range(&g->rng, 0, 2000000);
    else
        t = sp->start_us + rng_range(&g->rng, 2000, 8000);
    span_end(g, db, t);
    *failed = spread(g->reserve_calls++, 0.03, 0.3);
    if (*failed)
        g->spans[server].status_msg = "insufficient stock";
    return t + rng_range(&g->rng, 100, 400);
}

/* payments.Charge: a fraud score (v1 only), then the card processor's HTTP API. */
static int64_t shop_charge(struct gen *g, int server, int64_t t, int *failed)
{
    int card, status = 200;
    struct gspan *sp;
    uint64_t k = g->card_calls++;
    int slow = spread(k, 0.12, 0.5);
    int64_t dur;

    *failed = 0;
    if (!g->v2) { /* the dependency v2 removes */
        int fs, fc, ferr;
        int64_t fend;

        side_swap(g);
        fc = rpc_call(g, server, PAYMENTS, FRAUD, "fraud.FraudCheck", "Score", t + 100, &fs);
        ferr = spread(g->fraud_calls++, 0.02, 0.3);
        fend = g->spans[fs].start_us + rng_lognormal_us(&g->rng, 6000, 0.3);
        if (ferr)
            g->spans[fs].status_msg = "model unavailable";
        t = rpc_end(g, fc, fs, fend, ferr ? 14 : 0);
        side_swap(g);
    }
    card = span_new(g, PAYMENTS, K_CLIENT, "POST", server, t + 120);
    sp = &g->spans[card];
    attr_str(sp, "http.request.method", "POST");
    attr_str(sp, "url.full", "https://api.cardpay.example/v1/charges");
    attr_str(sp, "server.address", "api.cardpay.example");
    attr_int(sp, "server.port", 443);
    /* 2.5 % fail: 502 or 503 (payments fails too), or 402 declined (a client-side
     * failure by its HTTP status alone), in turn. */
    if (spread(k, 0.025, 0.5)) {
        uint64_t j = g->card_failures++;

        status = j % 2 ? 402 : j % 4 ? 503 : 502;
    }
    attr_int(sp, "http.response.status_code", status);
    /* v2 is slower: a higher median, and one call in eight takes 0.6 to 1.5 s. */
    dur = rng_lognormal_us(&g->rng, g->v2 ? 140000 : 110000, 0.25);
    if (g->v2 && slow) {
        side_swap(g);
        dur = rng_range(&g->rng, 600000, 1500000);
        side_swap(g);
    }
    span_end(g, card, sp->start_us + dur);
    if (status >= 500) {
        span_fail(g, card, "upstream unavailable");
        g->spans[server].status_msg = "card processor unavailable";
        *failed = 1;
    }
    return span_end_us(g, card) + rng_range(&g->rng, 200, 900);
}

/* frontend -> api-gateway over HTTP: the CLIENT span and the gateway's SERVER span.
 * *gs is the server span. */
static int shop_http_call(struct gen *g, int root, int64_t t, const char *method, const char *route,
                          int *gs)
{
    int fc = span_new(g, FRONTEND, K_CLIENT, method, root, t);
    struct gspan *sp = &g->spans[fc];

    attr_str(sp, "http.request.method", method);
    attr_str(sp, "server.address", "api-gateway");
    attr_int(sp, "server.port", 8080);
    *gs = span_new(g, GATEWAY, K_SERVER, NULL, fc, t + rng_range(&g->rng, 200, 800));
    sp = &g->spans[*gs];
    sp->name_off = span_strf(sp, "%s %s", method, route);
    attr_str(sp, "http.request.method", method);
    attr_str(sp, "http.route", route);
    return fc;
}

/* Ends an HTTP call; a 5xx marks both spans failed. */
static int64_t shop_http_end(struct gen *g, int fc, int gs, int64_t end_us, int status)
{
    int64_t client_end = end_us + rng_range(&g->rng, 200, 900);

    attr_int(&g->spans[gs], "http.response.status_code", status);
    attr_int(&g->spans[fc], "http.response.status_code", status);
    span_end(g, gs, end_us);
    span_end(g, fc, client_end);
    if (status >= 500) {
        span_fail(g, gs, NULL);
        span_fail(g, fc, NULL);
    }
    return client_end;
}

/* api-gateway's stock lookup; in v2 it also asks for recommendations (the new edge). */
static int64_t shop_get_stock(struct gen *g, int gs, int64_t t)
{
    int is, ic = rpc_call(g, gs, GATEWAY, INVENTORY, "inventory.Inventory", "GetStock", t, &is);
    /* v2's inventory is overloaded far more often; the gateway shows the page without
     * stock then, so the failure goes no further. */
    int failed = spread(g->stock_calls++, g->v2 ? 0.08 : 0.01, 0.5);
    int64_t end = g->spans[is].start_us + rng_lognormal_us(&g->rng, 1800, 0.35);

    if (failed)
        g->spans[is].status_msg = "too many requests in flight";
    t = rpc_end(g, ic, is, end, failed ? 14 : 0);
    if (g->v2) { /* the dependency v2 adds */
        int rs, rc;

        side_swap(g);
        rc = rpc_call(g, gs, GATEWAY, RECOMMENDATIONS, "recommendations.Recommender",
                      "ListRecommendations", t + 100, &rs);
        t = rpc_end(g, rc, rs, g->spans[rs].start_us + rng_lognormal_us(&g->rng, 9000, 0.3), 0);
        side_swap(g);
    }
    return t;
}

/* One request from outside: a product page (one gateway call), or a checkout (the cart,
 * then the order: stock reservation, payment, and the order published for shipping). */
static void shop_trace(struct gen *g, struct sink *k, int64_t t0)
{
    int root, fc, gs;
    int checkout = spread(g->ntraces, 0.45, 0.5);
    int product = (int)rng_range(&g->rng, 1000, 9999);
    int64_t t;
    int http_status = 200;
    struct gspan *sp;

    trace_begin(g);
    root =
        span_new(g, FRONTEND, K_SERVER, checkout ? "POST /checkout" : "GET /product/{id}", -1, t0);
    sp = &g->spans[root];
    attr_str(sp, "http.request.method", checkout ? "POST" : "GET");
    attr_str(sp, "http.route", checkout ? "/checkout" : "/product/{id}");
    if (checkout)
        attr_str(sp, "url.path", "/checkout");
    else
        attr_strf(sp, "url.path", "/product/%d", product);
    t = t0 + rng_range(&g->rng, 300, 2000);
    if (!checkout) {
        fc = shop_http_call(g, root, t, "GET", "/api/products/{id}", &gs);
        t = shop_get_stock(g, gs, g->spans[gs].start_us + rng_range(&g->rng, 100, 500));
        t = shop_http_end(g, fc, gs, t + rng_range(&g->rng, 100, 600), 200);
    } else {
        int place, is, ic, ps, pc, prod, cons, failed = 0, f;
        int64_t end;

        fc = shop_http_call(g, root, t, "GET", "/api/cart", &gs);
        t = shop_get_stock(g, gs, g->spans[gs].start_us + rng_range(&g->rng, 100, 500));
        t = shop_http_end(g, fc, gs, t + rng_range(&g->rng, 100, 600), 200);

        fc = shop_http_call(g, root, t + rng_range(&g->rng, 200, 1500), "POST", "/api/orders", &gs);
        t = g->spans[gs].start_us + rng_range(&g->rng, 100, 500);
        place = span_new(g, GATEWAY, K_INTERNAL, "place-order", gs, t);
        attr_strf(&g->spans[place], "order.id", "ord-%06" PRIu64, g->ntraces + 1);
        ic = rpc_call(g, place, GATEWAY, INVENTORY, "inventory.Inventory", "ReserveStock", t + 50,
                      &is);
        end = shop_reserve(g, is, g->spans[is].start_us + 100, &f);
        t = rpc_end(g, ic, is, end, f ? 9 : 0);
        failed |= f;
        if (!failed) {
            pc = rpc_call(g, place, GATEWAY, PAYMENTS, "payments.Payments", "Charge", t + 80, &ps);
            end = shop_charge(g, ps, g->spans[ps].start_us + 150, &f);
            t = rpc_end(g, pc, ps, end, f ? 14 : 0);
            failed |= f;
        }
        if (!failed) {
            prod = span_new(g, GATEWAY, K_PRODUCER, "orders publish", place, t + 60);
            sp = &g->spans[prod];
            attr_str(sp, "messaging.system", "kafka");
            attr_str(sp, "messaging.destination.name", "orders");
            attr_str(sp, "messaging.operation.type", "publish");
            span_end(g, prod, sp->start_us + rng_range(&g->rng, 500, 2500));
            t = span_end_us(g, prod);
            /* The consumer runs on its own time, after the queue's delay. */
            cons = span_new(g, SHIPPING, K_CONSUMER, "orders process", prod,
                            t + rng_range(&g->rng, 2000, 80000));
            sp = &g->spans[cons];
            attr_str(sp, "messaging.system", "kafka");
            attr_str(sp, "messaging.destination.name", "orders");
            attr_str(sp, "messaging.operation.type", "process");
            attr_str(sp, "messaging.consumer.group.name", "shipping");
            attr_bool(sp, "messaging.kafka.message.tombstone", 0);
            span_end(g, cons, sp->start_us + rng_lognormal_us(&g->rng, 15000, 0.4));
            if (spread(g->ship_calls++, 0.02, 0.3))
                span_fail(g, cons, "no carrier for destination");
        }
        span_end(g, place, t + 40);
        http_status = failed ? 500 : 201;
        t = shop_http_end(g, fc, gs, t + 40 + rng_range(&g->rng, 100, 600), http_status);
    }
    t += rng_range(&g->rng, 300, 3000);
    attr_int(&g->spans[root], "http.response.status_code", http_status == 201 ? 200 : http_status);
    span_end(g, root, t);
    if (http_status >= 500)
        span_fail(g, root, NULL);
    sink_trace(k, g);
}

static void run_shop(struct gen *g, struct sink *k, uint64_t ntraces)
{
    int64_t t0 = EPOCH_US;
    struct rng clock;

    rng_seed(&clock, g->seed ^ 0xc10c);
    shop_services(g);
    sink_begin(k);
    for (uint64_t i = 0; i < ntraces; i++) {
        /* Each trace draws from streams of its own, so v1 and v2 differ only in what
         * the variant changes, never in which requests arrive when. */
        rng_seed(&g->rng, g->seed * 0x100000001b3ULL + i);
        rng_seed(&g->side, (g->seed * 0x100000001b3ULL + i) ^ 0x51de51de51de51deULL);
        t0 += rng_range(&clock, 50000, 350000); /* ~5 requests a second */
        shop_trace(g, k, t0);
    }
    sink_end(k, g);
}

/* ---- bench: many services, many traces, until a byte budget ---- */

struct bsvc {
    int ntargets;
    int targets[4];
    int has_db, has_cache, has_queue, has_external;
};

static const char *const stems[] = {
    "auth",     "billing", "catalog",  "cart",    "search",   "pricing", "profile",   "reviews",
    "shipping", "tax",     "invoice",  "loyalty", "ledger",   "notify",  "media",     "session",
    "checkout", "coupon",  "delivery", "geo",     "identity", "ads",     "metrics",   "orders",
    "payment",  "quote",   "rating",   "refund",  "returns",  "stock",   "warehouse", "wallet",
    "email",    "sms",     "feed",     "graph",   "history",  "audit",   "config",    "gateway"};

static void bench_services(struct gen *g, struct bsvc *b, int n, int edges_per)
{
    static const char *const langs[] = {"go", "java", "python", "nodejs", "dotnet", "rust"};

    g->nsvcs = n;
    g->svcs = sm_xcalloc((size_t)n, sizeof(*g->svcs));
    for (int i = 0; i < n; i++) {
        int stem = i % (int)(sizeof(stems) / sizeof(stems[0]));
        int round = i / (int)(sizeof(stems) / sizeof(stems[0]));

        if (round)
            snprintf(g->svcs[i].name, sizeof(g->svcs[i].name), "%s-%d", stems[stem], round + 1);
        else
            snprintf(g->svcs[i].name, sizeof(g->svcs[i].name), "%s", stems[stem]);
        g->svcs[i].ns = i < n / 2 ? "storefront" : "backoffice";
        g->svcs[i].version = "2.3.1";
        g->svcs[i].language = langs[rng_range(&g->rng, 0, 5)];
        snprintf(g->svcs[i].instance, sizeof(g->svcs[i].instance), "%s-%08" PRIx64, g->svcs[i].name,
                 rng_u64(&g->rng) & 0xffffffffu);
        if (!b)
            continue;
        /* A DAG: calls only go to higher-numbered services, so every trace ends. */
        b[i].ntargets = 0;
        for (int e = 0; e < edges_per && i + 1 < n; e++) {
            int t = (int)rng_range(&g->rng, i + 1, i + 1 + (n - i - 2) / 3);
            int dup = 0;

            for (int j = 0; j < b[i].ntargets; j++)
                dup |= b[i].targets[j] == t;
            if (!dup)
                b[i].targets[b[i].ntargets++] = t;
        }
        b[i].has_db = rng_chance(&g->rng, 0.35);
        b[i].has_cache = rng_chance(&g->rng, 0.25);
        b[i].has_queue = rng_chance(&g->rng, 0.1);
        b[i].has_external = rng_chance(&g->rng, 0.08);
    }
}

static const char *const user_agents[] = {
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 Version/18.1 Safari",
    "okhttp/4.12.0", "Go-http-client/1.1"};

/* The SERVER span of service s handling a request, with its downstream calls. Returns
 * the end time. */
static int64_t bench_handle(struct gen *g, const struct bsvc *b, int s, int parent, int depth,
                            int64_t t)
{
    int srv = span_new(g, s, K_SERVER, NULL, parent, t);
    struct gspan *sp = &g->spans[srv];
    const char *svc = g->svcs[s].name;
    int id = (int)rng_range(&g->rng, 1, 99999);
    int status = 200;

    sp->name_off = span_strf(sp, "GET /api/v1/%s/{id}", svc);
    attr_str(sp, "http.request.method", "GET");
    attr_strf(sp, "http.route", "/api/v1/%s/{id}", svc);
    attr_strf(sp, "url.path", "/api/v1/%s/%d", svc, id);
    if (depth == 0)
        attr_str(sp, "user_agent.original", user_agents[rng_range(&g->rng, 0, 3)]);
    attr_strf(sp, "client.address", "10.%d.%d.%d", (int)rng_range(&g->rng, 0, 255),
              (int)rng_range(&g->rng, 0, 255), (int)rng_range(&g->rng, 1, 254));
    t += rng_range(&g->rng, 50, 400);
    for (int i = 0; i < b[s].ntargets; i++) {
        int callee = b[s].targets[i], c;

        if (depth >= 5 || g->nspans > MAX_TRACE_SPANS - 40 || !rng_chance(&g->rng, 0.45))
            continue;
        c = span_new(g, s, K_CLIENT, "GET", srv, t);
        sp = &g->spans[c];
        attr_str(sp, "http.request.method", "GET");
        attr_strf(sp, "url.full", "http://%s:8080/api/v1/%s/%d", g->svcs[callee].name,
                  g->svcs[callee].name, id);
        attr_str(sp, "server.address", g->svcs[callee].name);
        attr_int(sp, "server.port", 8080);
        t = bench_handle(g, b, callee, c, depth + 1, t + rng_range(&g->rng, 100, 600));
        t += rng_range(&g->rng, 100, 500);
        attr_int(&g->spans[c], "http.response.status_code", 200);
        span_end(g, c, t);
    }
    if (b[s].has_cache && rng_chance(&g->rng, 0.6)) {
        int c = span_new(g, s, K_CLIENT, "GET", srv, t + 20);

        sp = &g->spans[c];
        attr_str(sp, "db.system", "redis");
        attr_str(sp, "db.operation.name", "GET");
        attr_strf(sp, "db.query.text", "GET %s:%d", svc, id);
        attr_strf(sp, "server.address", "%s-cache", svc);
        attr_int(sp, "server.port", 6379);
        span_end(g, c, sp->start_us + rng_lognormal_us(&g->rng, 400, 0.4));
        t = span_end_us(g, c);
    }
    if (b[s].has_db && rng_chance(&g->rng, 0.7)) {
        int c = span_new(g, s, K_CLIENT, NULL, srv, t + 30);

        sp = &g->spans[c];
        sp->name_off = span_strf(sp, "SELECT %s.items", svc);
        attr_str(sp, "db.system", "postgresql");
        attr_strf(sp, "db.namespace", "%s", svc);
        attr_str(sp, "db.operation.name", "SELECT");
        attr_str(sp, "db.collection.name", "items");
        attr_str(sp, "db.query.text",
                 "SELECT id, owner_id, state, payload, updated_at FROM items WHERE id = $1");
        attr_strf(sp, "server.address", "%s-db", svc);
        attr_int(sp, "server.port", 5432);
        span_end(g, c, sp->start_us + rng_lognormal_us(&g->rng, 3000, 0.6));
        t = span_end_us(g, c);
    }
    if (b[s].has_queue && rng_chance(&g->rng, 0.5)) {
        int p = span_new(g, s, K_PRODUCER, NULL, srv, t + 30);

        sp = &g->spans[p];
        sp->name_off = span_strf(sp, "%s-events publish", svc);
        attr_str(sp, "messaging.system", "kafka");
        attr_strf(sp, "messaging.destination.name", "%s-events", svc);
        attr_str(sp, "messaging.operation.type", "publish");
        span_end(g, p, sp->start_us + rng_range(&g->rng, 300, 2000));
        t = span_end_us(g, p);
    }
    if (b[s].has_external && rng_chance(&g->rng, 0.5)) {
        int c = span_new(g, s, K_CLIENT, "POST", srv, t + 30);

        sp = &g->spans[c];
        attr_str(sp, "http.request.method", "POST");
        attr_strf(sp, "url.full", "https://api.%s-partner.example/v2/requests", svc);
        attr_strf(sp, "server.address", "api.%s-partner.example", svc);
        attr_int(sp, "server.port", 443);
        if (rng_chance(&g->rng, 0.02)) {
            status = 503;
            attr_int(sp, "http.response.status_code", 503);
            span_fail(g, c, "service unavailable");
        } else {
            attr_int(sp, "http.response.status_code", 200);
        }
        span_end(g, c, sp->start_us + rng_lognormal_us(&g->rng, 80000, 0.4));
        t = span_end_us(g, c);
        status = status == 503 ? 502 : 200;
    }
    t += rng_range(&g->rng, 50, 400);
    sp = &g->spans[srv];
    attr_int(sp, "http.response.status_code", status);
    if (status >= 500)
        span_fail(g, srv, NULL);
    span_end(g, srv, t);
    return t;
}

static void run_bench(struct gen *g, struct sink *k, uint64_t max_bytes, int nsvcs)
{
    struct bsvc *b = sm_xcalloc((size_t)nsvcs, sizeof(*b));
    int64_t t0 = EPOCH_US;
    int nentries = nsvcs < 4 ? 1 : nsvcs / 4;

    bench_services(g, b, nsvcs, 3);
    sink_begin(k);
    while (k->out.total + k->out.len < max_bytes) {
        t0 += rng_range(&g->rng, 100, 3000);
        trace_begin(g);
        bench_handle(g, b, (int)rng_range(&g->rng, 0, nentries - 1), -1, 0, t0);
        sink_trace(k, g);
    }
    sink_end(k, g);
    free(b);
}

/* ---- bigmap: a given number of services and distinct edges ---- */

static void run_bigmap(struct gen *g, struct sink *k, int nsvcs, int nedges, int calls)
{
    int64_t t0 = EPOCH_US;
    int *targets = sm_xcalloc((size_t)nedges, sizeof(*targets));
    int per = nedges / nsvcs, extra = nedges % nsvcs, e = 0;

    bench_services(g, NULL, nsvcs, 0);
    /* Service i calls per (+1 for the first `extra`) distinct others. */
    for (int i = 0; i < nsvcs; i++) {
        int want = per + (i < extra), first = e;

        while (e - first < want) {
            int t = (int)rng_range(&g->rng, 0, nsvcs - 1), dup = t == i;

            for (int j = first; j < e && !dup; j++)
                dup = targets[j] == t;
            if (!dup)
                targets[e++] = t;
        }
    }
    sink_begin(k);
    e = 0;
    for (int i = 0; i < nsvcs; i++) {
        int want = per + (i < extra);

        for (int j = 0; j < want; j++, e++) {
            for (int r = 0; r < calls; r++) {
                int root, c, s;

                t0 += rng_range(&g->rng, 100, 2000);
                trace_begin(g);
                root = span_new(g, i, K_SERVER, "GET /", -1, t0);
                c = span_new(g, i, K_CLIENT, "GET", root, t0 + 100);
                attr_str(&g->spans[c], "server.address", g->svcs[targets[e]].name);
                s = span_new(g, targets[e], K_SERVER, "GET /", c, t0 + 300);
                span_end(g, s, t0 + 300 + rng_lognormal_us(&g->rng, 5000, 0.5));
                span_end(g, c, span_end_us(g, s) + 200);
                span_end(g, root, span_end_us(g, c) + 100);
                if (rng_chance(&g->rng, 0.01))
                    span_fail(g, s, "internal error");
                sink_trace(k, g);
            }
        }
    }
    sink_end(k, g);
    free(targets);
}

/* ---- command line ---- */

static void usage(FILE *f)
{
    fputs("usage: svcmap-gen shop --format FORMAT [--traces N] [--seed S] [--variant v1|v2] "
          "[-o FILE]\n"
          "       svcmap-gen bench --format FORMAT --bytes N [--seed S] [--services K] "
          "[-o FILE]\n"
          "       svcmap-gen bigmap --format FORMAT [--services N] [--edges E] [--calls C] "
          "[--seed S] [-o FILE]\n"
          "FORMAT: otlp (JSON lines), jaeger, zipkin (list of traces), zipkin-flat (spans),\n"
          "        zipkin1 (Zipkin v1 list of traces)\n"
          "--bytes accepts K, M and G suffixes (powers of 1024)\n",
          f);
}

static int parse_u64(const char *s, uint64_t *v)
{
    char *end;
    unsigned long long x;

    errno = 0;
    if (!s || *s < '0' || *s > '9')
        return -1;
    x = strtoull(s, &end, 10);
    if (errno)
        return -1;
    if (*end == 'K' || *end == 'k')
        x <<= 10, end++;
    else if (*end == 'M' || *end == 'm')
        x <<= 20, end++;
    else if (*end == 'G' || *end == 'g')
        x <<= 30, end++;
    if (*end)
        return -1;
    *v = x;
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode, *out_path = NULL, *fmt = NULL, *variant = "v1";
    uint64_t seed = 1, ntraces = 200, max_bytes = 0, nsvcs = 0, nedges = 4000, calls = 2;
    struct gen g;
    struct sink k;
    int status = 0;

    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    mode = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int bad = 0;

        if (!strcmp(a, "--format"))
            fmt = v;
        else if (!strcmp(a, "-o"))
            out_path = v;
        else if (!strcmp(a, "--variant"))
            variant = v;
        else if (!strcmp(a, "--seed"))
            bad = parse_u64(v, &seed);
        else if (!strcmp(a, "--traces"))
            bad = parse_u64(v, &ntraces);
        else if (!strcmp(a, "--bytes"))
            bad = parse_u64(v, &max_bytes);
        else if (!strcmp(a, "--services"))
            bad = parse_u64(v, &nsvcs);
        else if (!strcmp(a, "--edges"))
            bad = parse_u64(v, &nedges);
        else if (!strcmp(a, "--calls"))
            bad = parse_u64(v, &calls);
        else
            bad = 1;
        if (bad || !v) {
            fprintf(stderr, "svcmap-gen: bad option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        i++;
    }
    memset(&g, 0, sizeof(g));
    memset(&k, 0, sizeof(k));
    if (!fmt || !strcmp(fmt, "otlp")) {
        k.format = F_OTLP;
    } else if (!strcmp(fmt, "jaeger")) {
        k.format = F_JAEGER;
    } else if (!strcmp(fmt, "zipkin")) {
        k.format = F_ZIPKIN;
    } else if (!strcmp(fmt, "zipkin-flat")) {
        k.format = F_ZIPKIN_FLAT;
    } else if (!strcmp(fmt, "zipkin1")) {
        k.format = F_ZIPKIN1;
    } else {
        fprintf(stderr, "svcmap-gen: unknown format '%s'\n", fmt);
        return 2;
    }
    if (strcmp(variant, "v1") && strcmp(variant, "v2")) {
        fprintf(stderr, "svcmap-gen: unknown variant '%s'\n", variant);
        return 2;
    }
    g.v2 = !strcmp(variant, "v2");
    g.seed = seed;
    rng_seed(&g.rng, seed);
    rng_seed(&g.ids, seed ^ 0x1d51d51d51d51d5ULL);
    rng_seed(&k.batch, seed ^ 0x5bd1e995u);
    k.cur_target = 1;
    g.spans = sm_xcalloc(MAX_TRACE_SPANS, sizeof(*g.spans));
    k.out.buf = sm_xmalloc(OUT_BUF_BYTES);
    k.out.f = out_path ? fopen(out_path, "wb") : stdout;
    if (!k.out.f) {
        fprintf(stderr, "svcmap-gen: %s: %s\n", out_path, strerror(errno));
        return 4;
    }
    if (!strcmp(mode, "shop")) {
        run_shop(&g, &k, ntraces);
    } else if (!strcmp(mode, "bench")) {
        if (max_bytes == 0) {
            fprintf(stderr, "svcmap-gen: bench needs --bytes N\n");
            status = 2;
        } else {
            run_bench(&g, &k, max_bytes, nsvcs ? (int)nsvcs : 40);
        }
    } else if (!strcmp(mode, "bigmap")) {
        int n = nsvcs ? (int)nsvcs : 1000;

        if (n < 2 || nedges > (uint64_t)n * (uint64_t)(n - 1) || nedges > 10000000) {
            fprintf(stderr, "svcmap-gen: cannot make %" PRIu64 " edges among %d services\n", nedges,
                    n);
            status = 2;
        } else {
            run_bigmap(&g, &k, n, (int)nedges, calls ? (int)calls : 1);
        }
    } else {
        fprintf(stderr, "svcmap-gen: unknown mode '%s'\n", mode);
        usage(stderr);
        status = 2;
    }
    if (k.out.failed || (out_path ? fclose(k.out.f) : fflush(stdout)) != 0) {
        fprintf(stderr, "svcmap-gen: %s: write failed: %s\n", out_path ? out_path : "stdout",
                strerror(errno));
        status = 4;
    }
    if (status == 0)
        fprintf(stderr, "svcmap-gen: %" PRIu64 " traces, %" PRIu64 " spans, %" PRIu64 " bytes\n",
                g.ntraces, g.total_spans, k.out.total);
    free(k.out.buf);
    free(g.spans);
    free(g.svcs);
    return status;
}
