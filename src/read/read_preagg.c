/* read_preagg.c: maps from pre-aggregated dependencies (Zipkin, Jaeger, service-graph metrics).
 *
 * Dependency links are aggregates, small next to the spans they summarise, so the two
 * JSON shapes are read whole and parsed by jansson; each link is one edge. The
 * Prometheus text exposition is streamed line by line (comments, label escapes,
 * +Inf/NaN, optional timestamps and OpenMetrics exemplars), since a federation dump of
 * a large system runs to tens of megabytes: every traces_service_graph_* sample is
 * added into one series per (client, server, connection_type) held in an
 * open-addressing hash table, histogram buckets summed by their bound. At the end each
 * series becomes an edge whose kinds follow connection_type (see preagg.h) and whose
 * latency is interpolated from the buckets.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "svcmap/ingest.h"
#include "svcmap/input.h"
#include "svcmap/scan.h"
#include "svcmap/preagg.h"
#include "svcmap/util.h"

/* ---- sniffing ---- */

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

/* The key of a JSON object member starting at p ("key"), copied into key. */
static const char *read_key(const char *p, const char *end, char *key, size_t size)
{
    size_t n = 0;

    if (p >= end || *p != '"')
        return NULL;
    for (p++; p < end && *p != '"'; p++) {
        if (*p == '\\' || n + 1 >= size)
            return NULL;
        key[n++] = *p;
    }
    if (p >= end)
        return NULL;
    key[n] = '\0';
    return p + 1;
}

static bool is_link_key(const char *key)
{
    return !strcmp(key, "parent") || !strcmp(key, "child") || !strcmp(key, "callCount") ||
           !strcmp(key, "errorCount") || !strcmp(key, "source");
}

/* p at '[': true when the array's first element is an object with a link key first. */
static bool array_of_links(const char *p, const char *end)
{
    char key[32];

    p = skip_ws(p + 1, end);
    if (p >= end || *p != '{')
        return false;
    p = skip_ws(p + 1, end);
    return read_key(p, end, key, sizeof(key)) && is_link_key(key);
}

static bool name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}

static bool name_char(char c)
{
    return name_start(c) || (c >= '0' && c <= '9');
}

bool sm_preagg_sniff(const char *head, size_t len, enum sm_input_format *format)
{
    const char *end = head + len, *p = skip_ws(head, end);
    char key[32];

    if (p >= end)
        return false;
    if (*p == '[') {
        if (!array_of_links(p, end))
            return false;
        *format = SM_FORMAT_ZIPKIN_DEPS;
        return true;
    }
    if (*p == '{') {
        p = read_key(skip_ws(p + 1, end), end, key, sizeof(key));
        if (!p || strcmp(key, "data"))
            return false;
        p = skip_ws(p, end);
        if (p >= end || *p != ':')
            return false;
        p = skip_ws(p + 1, end);
        /* "data": null is the query API's answer with an error or with nothing */
        if (p >= end || !((*p == '[' && array_of_links(p, end)) ||
                          ((size_t)(end - p) >= 4 && !strncmp(p, "null", 4))))
            return false;
        *format = SM_FORMAT_JAEGER_DEPS;
        return true;
    }
    /* free comments may precede the first HELP, TYPE or sample line */
    while (*p == '#') {
        const char *nl;

        if ((size_t)(end - p) >= 7 && (!strncmp(p, "# HELP ", 7) || !strncmp(p, "# TYPE ", 7))) {
            *format = SM_FORMAT_PROMETHEUS;
            return true;
        }
        nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return false;
        p = skip_ws(nl + 1, end);
        if (p >= end)
            return false;
    }
    if (!name_start(*p))
        return false;
    while (p < end && name_char(*p))
        p++;
    if (p < end && (*p == '{' || *p == ' ' || *p == '\t')) {
        *format = SM_FORMAT_PROMETHEUS;
        return true;
    }
    return false;
}

/* ---- Zipkin and Jaeger dependency links ---- */

/* A bad record: the error of the read with strict (or no options); otherwise told to
 * on_skip, counted in *skipped, and 0 so that reading goes on. */
static int bad_record(const struct sm_ingest_options *opt, uint64_t *skipped,
                      const struct sm_error *bad, struct sm_error *err)
{
    if (!opt || opt->strict) {
        *err = *bad;
        return SM_EINPUT;
    }
    *skipped = sm_count_add(*skipped, 1);
    if (opt->on_skip)
        opt->on_skip(opt->ctx, bad);
    return SM_OK;
}

/* A count in a link: a whole number from 0 to SM_COUNT_MAX. 1 when it is bad (bad
 * filled), 0 when it is good or absent and not required. */
static int link_count(const json_t *v, const char *key, bool required, uint64_t *out,
                      const char *name, size_t i, struct sm_error *bad)
{
    const json_t *c = json_object_get(v, key);

    *out = 0;
    if (!c || json_is_null(c)) {
        if (required) {
            sm_error_at(bad, SM_EINPUT, name, 0, 0, -1, "dependency link %zu: \"%s\" is missing", i,
                        key);
            return 1;
        }
        return 0;
    }
    if (json_is_integer(c) && json_integer_value(c) >= 0) {
        *out = (uint64_t)json_integer_value(c);
        return 0;
    }
    /* 2^63 as a double is one above SM_COUNT_MAX */
    if (json_is_real(c) && json_real_value(c) >= 0 && json_real_value(c) < 9223372036854775808.0 &&
        json_real_value(c) == floor(json_real_value(c))) {
        *out = (uint64_t)json_real_value(c);
        return 0;
    }
    sm_error_at(bad, SM_EINPUT, name, 0, 0, -1,
                "dependency link %zu: \"%s\" must be a whole number from 0 to %llu", i, key,
                (unsigned long long)SM_COUNT_MAX);
    return 1;
}

static int read_links(const json_t *links, const char *name, const struct sm_ingest_options *opt,
                      struct sm_map *map, struct sm_error *err)
{
    size_t i;
    int rc;

    for (i = 0; i < json_array_size(links); i++) {
        const json_t *v = json_array_get(links, i);
        const char *parent = json_string_value(json_object_get(v, "parent"));
        const char *child = json_string_value(json_object_get(v, "child"));
        uint64_t calls, errors;
        struct sm_edge *e;
        struct sm_error bad;
        size_t from, to;

        if (!json_is_object(v))
            return sm_error_at(err, SM_EINPUT, name, 0, 0, -1,
                               "dependency link %zu: expected an object", i);
        if (!parent || !*parent || !child || !*child)
            return sm_error_at(err, SM_EINPUT, name, 0, 0, -1,
                               "dependency link %zu: \"parent\" and \"child\" must be service "
                               "names",
                               i);
        sm_error_init(&bad);
        if (link_count(v, "callCount", true, &calls, name, i, &bad) ||
            link_count(v, "errorCount", false, &errors, name, i, &bad) ||
            (errors > calls &&
             sm_error_at(&bad, SM_EINPUT, name, 0, 0, -1,
                         "dependency link %zu: \"errorCount\" (%llu) above \"callCount\" (%llu)", i,
                         (unsigned long long)errors, (unsigned long long)calls))) {
            if ((rc = bad_record(opt, &map->source.skipped_records, &bad, err)))
                return rc;
            continue;
        }
        from = sm_map_node(map, SM_NODE_SERVICE, parent);
        to = sm_map_node(map, SM_NODE_SERVICE, child);
        e = sm_map_edge(map, from, to, SM_EDGE_RPC);
        e->calls = sm_count_add(e->calls, calls);
        e->errors = sm_count_add(e->errors, errors);
    }
    return 0;
}

static int parse_links(const char *data, size_t len, const char *name, enum sm_input_format format,
                       const struct sm_ingest_options *opt, struct sm_map *map,
                       struct sm_error *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, 0, &jerr), *links;
    int rc = 0;

    if (!doc)
        return sm_error_at(err, SM_EINPUT, name, jerr.line, jerr.column, jerr.position, "%s",
                           jerr.text);
    links = doc;
    if (json_is_object(doc)) {
        const json_t *errors = json_object_get(doc, "errors");

        links = json_object_get(doc, "data");
        if (json_array_size(errors) > 0 && !json_array_size(links)) {
            const char *msg = json_string_value(json_object_get(json_array_get(errors, 0), "msg"));

            rc = sm_error_at(err, SM_EINPUT, name, 0, 0, -1, "the query answered with an error: %s",
                             msg ? msg : "(no message)");
            goto out;
        }
        if (json_is_null(links) || !links)
            goto out; /* no dependencies in the window */
    }
    if (!json_is_array(links)) {
        rc = sm_error_at(err, SM_EINPUT, name, 0, 0, -1,
                         format == SM_FORMAT_JAEGER_DEPS
                             ? "Jaeger dependencies: \"data\" must be an array of links"
                             : "Zipkin dependencies: expected an array of links");
        goto out;
    }
    rc = read_links(links, name, opt, map, err);
out:
    json_decref(doc);
    return rc;
}

/* ---- Prometheus text exposition ---- */

/* A metrics line longer than this is not a service-graph sample: refuse it rather than
 * buffer without bound. */
#define SM_PREAGG_MAX_LINE_BYTES (1 << 20)

enum metric {
    M_OTHER = 0,
    M_TOTAL,
    M_FAILED,
    M_BUCKET,
    M_SUM,
    M_COUNT,
};

struct hist {
    struct sm_bucket *b; /* owned, sorted by le, counts summed over label sets */
    size_t n, cap;
    double sum, count;
    bool has_sum, has_count;
};

struct series {
    char *client, *server, *ctype; /* owned */
    double total, failed;
    struct hist side[2]; /* SM_SIDE_CLIENT, SM_SIDE_SERVER */
};

/* The largest sample value taken as a count (or a sum of seconds): 2^53, above which a
 * double no longer holds every whole number. +Inf, 1e300 or 2^64 there is a bad sample. */
#define PROM_MAX_VALUE 9007199254740992.0

struct prom {
    const char *name;                    /* for messages */
    const struct sm_ingest_options *opt; /* strict, on_skip; NULL: strict */
    struct series *s;                    /* owned */
    size_t n, cap;
    size_t *slots; /* open addressing: index + 1, 0 empty */
    size_t nslots;
    bool seen; /* a service-graph metric (sample, HELP or TYPE) was seen */
    int64_t min_ts_ms, max_ts_ms;
    bool has_ts;
    long line; /* of the next line to parse */
    bool eof;  /* "# EOF" seen: the rest is not read */
    uint64_t skipped;
    /* labels of the current sample */
    struct sm_buf client, server, ctype, le, scratch;
    bool has_client, has_server, has_le;
    uint64_t label_hash; /* of every label but le */
    /* the previous line's _bucket sample, to check that a histogram's buckets grow */
    bool prev_bucket;
    uint64_t prev_key;
    double prev_le, prev_count;
};

static uint64_t key_hash(const char *c, const char *s, const char *t)
{
    return sm_hash_str(c) * 31 + sm_hash_str(s) * 7 + sm_hash_str(t);
}

static struct series *find_series(struct prom *p, const char *c, const char *s, const char *t)
{
    size_t i, mask;

    if ((p->n + 1) * 2 > p->nslots) {
        size_t nslots = p->nslots ? p->nslots * 2 : 64, j;

        free(p->slots);
        p->slots = sm_xcalloc(nslots, sizeof(*p->slots));
        p->nslots = nslots;
        for (j = 0; j < p->n; j++) {
            struct series *x = &p->s[j];

            i = key_hash(x->client, x->server, x->ctype) & (nslots - 1);
            while (p->slots[i])
                i = (i + 1) & (nslots - 1);
            p->slots[i] = j + 1;
        }
    }
    mask = p->nslots - 1;
    for (i = key_hash(c, s, t) & mask; p->slots[i]; i = (i + 1) & mask) {
        struct series *x = &p->s[p->slots[i] - 1];

        if (!strcmp(x->client, c) && !strcmp(x->server, s) && !strcmp(x->ctype, t))
            return x;
    }
    sm_grow(&p->s, &p->cap, p->n + 1, sizeof(*p->s));
    memset(&p->s[p->n], 0, sizeof(p->s[p->n]));
    p->s[p->n].client = sm_xstrdup(c);
    p->s[p->n].server = sm_xstrdup(s);
    p->s[p->n].ctype = sm_xstrdup(t);
    p->slots[i] = ++p->n;
    return &p->s[p->n - 1];
}

static void hist_add_bucket(struct hist *h, double le, double count)
{
    size_t i;

    for (i = 0; i < h->n && h->b[i].le < le; i++)
        ;
    if (i < h->n && h->b[i].le == le) {
        h->b[i].count += count;
        return;
    }
    sm_grow(&h->b, &h->cap, h->n + 1, sizeof(*h->b));
    memmove(&h->b[i + 1], &h->b[i], (h->n - i) * sizeof(*h->b));
    h->b[i].le = le;
    h->b[i].count = count;
    h->n++;
}

/* What a metric name means to us: which figure, which side. Names may carry a
 * namespace prefix (an exporter's "namespace" setting): "otelcol_traces_service_graph_...". */
static enum metric classify(const char *name, size_t len, int *side, bool *service_graph)
{
    static const struct {
        const char *suffix;
        enum metric m;
        int side;
    } table[] = {
        {"request_total", M_TOTAL, 0},
        {"request_failed_total", M_FAILED, 0},
        {"request_client_seconds_bucket", M_BUCKET, SM_SIDE_CLIENT},
        {"request_client_seconds_sum", M_SUM, SM_SIDE_CLIENT},
        {"request_client_seconds_count", M_COUNT, SM_SIDE_CLIENT},
        {"request_server_seconds_bucket", M_BUCKET, SM_SIDE_SERVER},
        {"request_server_seconds_sum", M_SUM, SM_SIDE_SERVER},
        {"request_server_seconds_count", M_COUNT, SM_SIDE_SERVER},
        /* early connector releases had one server-side histogram under this name */
        {"request_duration_seconds_bucket", M_BUCKET, SM_SIDE_SERVER},
        {"request_duration_seconds_sum", M_SUM, SM_SIDE_SERVER},
        {"request_duration_seconds_count", M_COUNT, SM_SIDE_SERVER},
    };
    static const char prefix[] = "traces_service_graph_";
    const char *at = NULL, *p;
    size_t i, rest;

    for (p = name; p + sizeof(prefix) - 1 <= name + len; p++) {
        if (!strncmp(p, prefix, sizeof(prefix) - 1) && (p == name || p[-1] == '_')) {
            at = p + sizeof(prefix) - 1;
            break;
        }
    }
    *service_graph = at != NULL;
    if (!at)
        return M_OTHER;
    rest = len - (size_t)(at - name);
    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (strlen(table[i].suffix) == rest && !strncmp(at, table[i].suffix, rest)) {
            *side = table[i].side;
            return table[i].m;
        }
    }
    return M_OTHER;
}

/* A number as Prometheus writes them: Go's ParseFloat, so also +Inf, -Inf, NaN. */
static bool parse_value(const char *s, size_t n, double *out)
{
    char tmp[64];
    char *end;

    if (n == 0 || n >= sizeof(tmp))
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (!sm_strcasecmp(tmp, "+Inf") || !sm_strcasecmp(tmp, "Inf")) {
        *out = INFINITY;
        return true;
    }
    if (!sm_strcasecmp(tmp, "-Inf")) {
        *out = -INFINITY;
        return true;
    }
    if (!sm_strcasecmp(tmp, "NaN")) {
        *out = NAN;
        return true;
    }
    if (!((tmp[0] >= '0' && tmp[0] <= '9') || tmp[0] == '-' || tmp[0] == '+' || tmp[0] == '.'))
        return false;
    *out = strtod(tmp, &end);
    return *end == '\0';
}

static int bad_line(struct prom *p, long line, const char *start, const char *at,
                    struct sm_error *err, const char *what)
{
    return sm_error_at(err, SM_EINPUT, p->name, line, (long)(at - start) + 1, -1, "%s", what);
}

/* A well-formed sample whose numbers cannot be right: with strict (or no options) the
 * error of the read; otherwise told to on_skip, counted, and left out. */
static int bad_sample(struct prom *p, long line, const char *start, const char *at,
                      struct sm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int bad_sample(struct prom *p, long line, const char *start, const char *at,
                      struct sm_error *err, const char *fmt, ...)
{
    struct sm_error bad;
    char text[300];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    sm_error_init(&bad);
    sm_error_at(&bad, SM_EINPUT, p->name, line, (long)(at - start) + 1, -1, "%s", text);
    return bad_record(p->opt, &p->skipped, &bad, err);
}

/* Reads a label value at q (after the opening quote) into b, undoing \\ \" \n. */
static const char *read_label_value(const char *q, const char *end, struct sm_buf *b)
{
    sm_buf_reset(b);
    sm_buf_add(b, "", 0);
    for (; q < end && *q != '"'; q++) {
        if (*q == '\\') {
            if (q + 1 >= end)
                return NULL;
            q++;
            if (*q == 'n')
                sm_buf_addc(b, '\n');
            else if (*q == '\\' || *q == '"')
                sm_buf_addc(b, *q);
            else
                return NULL;
        } else {
            sm_buf_addc(b, *q);
        }
    }
    return q < end ? q + 1 : NULL;
}

static const char *skip_blank(const char *q, const char *end)
{
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    return q;
}

/* Parses {name="value",...} at q ('{'); keeps the labels we need. NULL on error, with
 * *bad pointing at the offending byte and *why saying what was wrong. */
static const char *read_labels(struct prom *p, const char *q, const char *end, const char **bad,
                               const char **why)
{
    q++;
    for (;;) {
        const char *ln;
        size_t lnlen;
        struct sm_buf *dst = &p->scratch;

        q = skip_blank(q, end);
        if (q < end && *q == '}')
            return q + 1;
        ln = q;
        if (q >= end || !(name_start(*q) && *q != ':')) {
            *bad = q;
            *why = "expected a label name or '}'";
            return NULL;
        }
        while (q < end && name_char(*q) && *q != ':')
            q++;
        lnlen = (size_t)(q - ln);
        q = skip_blank(q, end);
        if (q >= end || *q != '=') {
            *bad = q;
            *why = "expected '=' after the label name";
            return NULL;
        }
        q = skip_blank(q + 1, end);
        if (q >= end || *q != '"') {
            *bad = q;
            *why = "expected '\"' to open the label value";
            return NULL;
        }
        if (lnlen == 6 && !strncmp(ln, "client", 6)) {
            dst = &p->client;
            p->has_client = true;
        } else if (lnlen == 6 && !strncmp(ln, "server", 6)) {
            dst = &p->server;
            p->has_server = true;
        } else if (lnlen == 15 && !strncmp(ln, "connection_type", 15)) {
            dst = &p->ctype;
        } else if (lnlen == 2 && !strncmp(ln, "le", 2)) {
            dst = &p->le;
            p->has_le = true;
        }
        *bad = q;
        q = read_label_value(q + 1, end, dst);
        if (!q) {
            *why = "bad label value: unterminated, or an escape other than \\\\ \\\" \\n";
            return NULL;
        }
        if (dst != &p->le)
            p->label_hash = (p->label_hash ^ sm_hash64(ln, lnlen)) * 0x100000001b3ULL +
                            sm_hash64(dst->data, dst->len);
        q = skip_blank(q, end);
        if (q < end && *q == ',') {
            q++;
            continue;
        }
        if (q < end && *q == '}')
            return q + 1;
        *bad = q;
        *why = "expected ',' or '}' after a label";
        return NULL;
    }
}

static void add_sample(struct prom *p, enum metric m, int side, double v)
{
    struct series *s;
    struct hist *h;
    double le;

    if (v != v || v < 0)
        return; /* a staleness marker or nonsense: no figure */
    if (!p->has_client || !p->has_server || !p->client.len || !p->server.len) {
        p->skipped++;
        return;
    }
    s = find_series(p, p->client.data, p->server.data, p->ctype.data ? p->ctype.data : "");
    h = &s->side[side];
    switch (m) {
    case M_TOTAL:
        s->total += v;
        break;
    case M_FAILED:
        s->failed += v;
        break;
    case M_BUCKET:
        if (parse_value(p->le.data, p->le.len, &le)) /* checked by check_sample */
            hist_add_bucket(h, le, v);
        break;
    case M_SUM:
        h->sum += v;
        h->has_sum = true;
        break;
    case M_COUNT:
        h->count += v;
        h->has_count = true;
        break;
    case M_OTHER:
        break;
    }
}

/* Checks the numbers of a service-graph sample, then adds it. Counters, bucket counts,
 * _count and _sum are from 0 to PROM_MAX_VALUE (NaN, Prometheus' staleness marker, says
 * nothing and is passed over); a bucket's le is a number of seconds from 0 up or +Inf,
 * and the buckets of one histogram (consecutive lines with the same labels but le) have
 * growing bounds and counts that do not shrink. */
static int check_sample(struct prom *p, enum metric m, int side, double v, const char *name,
                        size_t namelen, const char *start, const char *val, long line,
                        struct sm_error *err)
{
    bool prev = p->prev_bucket;
    uint64_t key;
    double le;

    p->prev_bucket = false;
    if (v != v)
        return 0;
    if (!(v >= 0 && v <= PROM_MAX_VALUE))
        return bad_sample(p, line, start, val, err,
                          "service-graph sample value %g out of range: must be from 0 to 2^53", v);
    if (m != M_BUCKET) {
        add_sample(p, m, side, v);
        return 0;
    }
    if (!p->has_le || !p->le.data || !parse_value(p->le.data, p->le.len, &le) || le != le || le < 0)
        return bad_sample(p, line, start, start, err,
                          "histogram bucket needs le=\"SECONDS\" from 0 up or \"+Inf\"%s%.40s%s",
                          p->has_le ? ", not \"" : "", p->has_le && p->le.data ? p->le.data : "",
                          p->has_le ? "\"" : "");
    key = sm_hash64(name, namelen) ^ p->label_hash;
    if (prev && key == p->prev_key) {
        if (le <= p->prev_le)
            return bad_sample(p, line, start, start, err,
                              "histogram bucket le=\"%g\" after le=\"%g\": bounds must grow", le,
                              p->prev_le);
        if (v < p->prev_count)
            return bad_sample(p, line, start, val, err,
                              "histogram bucket le=\"%g\" counts %g, fewer than the %g of the "
                              "bucket before it",
                              le, v, p->prev_count);
    }
    p->prev_bucket = true;
    p->prev_key = key;
    p->prev_le = le;
    p->prev_count = v;
    add_sample(p, m, side, v);
    return 0;
}

static int parse_line(struct prom *p, const char *start, const char *end, long line,
                      struct sm_error *err)
{
    const char *q = skip_blank(start, end), *name, *val, *bad = NULL, *why = NULL;
    enum metric m;
    bool sg;
    int side = 0;
    double v;
    size_t namelen;

    if (q >= end)
        return 0;
    if (*q == '#') {
        /* # HELP name ..., # TYPE name type, or a free comment */
        const char *w = skip_blank(q + 1, end);

        if (end - w >= 5 && (!strncmp(w, "HELP ", 5) || !strncmp(w, "TYPE ", 5))) {
            w = skip_blank(w + 5, end);
            name = w;
            while (w < end && name_char(*w))
                w++;
            classify(name, (size_t)(w - name), &side, &sg);
            p->seen = p->seen || sg;
        }
        return 0;
    }
    if (!name_start(*q))
        return bad_line(p, line, start, q, err, "expected a metric name or a '#' comment");
    name = q;
    while (q < end && name_char(*q))
        q++;
    namelen = (size_t)(q - name);
    p->has_client = p->has_server = p->has_le = false;
    p->label_hash = 0;
    sm_buf_reset(&p->client);
    sm_buf_reset(&p->server);
    sm_buf_reset(&p->ctype);
    sm_buf_reset(&p->le);
    q = skip_blank(q, end);
    if (q < end && *q == '{') {
        q = read_labels(p, q, end, &bad, &why);
        if (!q)
            return bad_line(p, line, start, bad, err, why);
        q = skip_blank(q, end);
    }
    val = q;
    while (q < end && *q != ' ' && *q != '\t')
        q++;
    if (val == q)
        return bad_line(p, line, start, val, err, "expected a sample value");
    if (!parse_value(val, (size_t)(q - val), &v))
        return bad_line(p, line, start, val, err, "bad sample value: not a number");
    q = skip_blank(q, end);
    if (q < end && *q != '#') {
        /* a timestamp: integer milliseconds (text format) or float seconds (OpenMetrics) */
        const char *ts = q;
        double t;

        while (q < end && *q != ' ' && *q != '\t')
            q++;
        if (!parse_value(ts, (size_t)(q - ts), &t) || t != t || isinf(t))
            return bad_line(p, line, start, ts, err, "bad timestamp: not a number");
        {
            /* the text format writes milliseconds, OpenMetrics seconds (with or without a
             * fraction); no millisecond timestamp of this era is below 1e11 (1973) */
            bool seconds = memchr(ts, '.', (size_t)(q - ts)) != NULL || fabs(t) < 1e11;
            double ms = seconds ? t * 1000.0 : t;

            /* only times a nanosecond clock can hold (1970 to 2262) bound the window */
            if (ms >= 0 && ms < 9.2e12) {
                if (!p->has_ts || (int64_t)ms < p->min_ts_ms)
                    p->min_ts_ms = (int64_t)ms;
                if (!p->has_ts || (int64_t)ms > p->max_ts_ms)
                    p->max_ts_ms = (int64_t)ms;
                p->has_ts = true;
            }
        }
        q = skip_blank(q, end);
    }
    if (q < end && *q != '#')
        return bad_line(p, line, start, q, err, "unexpected text after the sample");
    /* q at '#': an OpenMetrics exemplar, which says nothing about the totals */
    m = classify(name, namelen, &side, &sg);
    p->seen = p->seen || sg;
    if (m == M_OTHER)
        return 0;
    return check_sample(p, m, side, v, name, namelen, start, val, line, err);
}

/* A sum of sample values as a count: rounded, saturating at SM_COUNT_MAX. */
static uint64_t to_count(double v)
{
    if (!(v > 0))
        return 0;
    if (v >= 9223372036854775807.0)
        return SM_COUNT_MAX;
    return (uint64_t)llround(v);
}

/* A figure in milliseconds within what a map document holds: 0 .. SM_SKETCH_MAX_MS. */
static double clamp_ms(double v)
{
    if (!(v > 0)) /* also NaN */
        return 0;
    return v > SM_SKETCH_MAX_MS ? SM_SKETCH_MAX_MS : v;
}

/* Bounds of estimated figures: the same, +Inf kept as the mark of the open bucket. */
static double clamp_bound_ms(double v)
{
    return isinf(v) && v > 0 ? v : clamp_ms(v);
}

/* Latency figures of one side from its histogram, in milliseconds. Every figure is
 * within 0 .. SM_SKETCH_MAX_MS and in order (min <= p50 <= ... <= p99 <= max, the mean
 * between min and max, which _sum / _count need not be), so that the map document it
 * becomes reads back. */
static bool hist_summary(struct hist *h, struct sm_latency_summary *out)
{
    double total, prev = 0, lo = NAN, hi = NAN;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (h->n == 0)
        return false;
    /* cumulative counts may only grow; a +Inf bucket closes the histogram */
    for (i = 1; i < h->n; i++) {
        if (h->b[i].count < h->b[i - 1].count)
            h->b[i].count = h->b[i - 1].count;
    }
    if (!isinf(h->b[h->n - 1].le)) {
        double last = h->b[h->n - 1].count;

        hist_add_bucket(h, INFINITY, h->has_count && h->count > last ? h->count : last);
    }
    total = h->b[h->n - 1].count;
    /* no observations, or only a +Inf bucket: no bound to interpolate between */
    if (total <= 0 || h->n < 2)
        return false;
    for (i = 0; i < h->n; i++) {
        if (h->b[i].count > prev) {
            if (lo != lo)
                lo = i == 0 ? (h->b[0].le < 0 ? h->b[0].le : 0) : h->b[i - 1].le;
            hi = isinf(h->b[i].le) ? (i > 0 ? h->b[i - 1].le : 0) : h->b[i].le;
        }
        prev = h->b[i].count;
    }
    out->count = to_count(total);
    if (out->count == 0)
        return false; /* below one observation in all */
    out->min = clamp_ms(lo * 1000.0);
    out->max = clamp_ms(hi * 1000.0);
    out->p50 = clamp_ms(sm_histogram_quantile(h->b, h->n, 0.50) * 1000.0);
    out->p90 = clamp_ms(sm_histogram_quantile(h->b, h->n, 0.90) * 1000.0);
    out->p95 = clamp_ms(sm_histogram_quantile(h->b, h->n, 0.95) * 1000.0);
    out->p99 = clamp_ms(sm_histogram_quantile(h->b, h->n, 0.99) * 1000.0);
    {
        double *order[] = {&out->min, &out->p50, &out->p90, &out->p95, &out->p99, &out->max};

        for (size_t k = 1; k < sizeof(order) / sizeof(order[0]); k++) {
            if (*order[k] < *order[k - 1])
                *order[k] = *order[k - 1];
        }
    }
    {
        static const double qs[4] = {0.50, 0.90, 0.95, 0.99};
        int k;

        out->bounded = true;
        for (k = 0; k < 4; k++) {
            if (!sm_histogram_quantile_bounds(h->b, h->n, qs[k], &out->lo[k], &out->hi[k]))
                out->bounded = false;
            out->lo[k] = clamp_ms(out->lo[k] * 1000.0);
            out->hi[k] = clamp_bound_ms(out->hi[k] * 1000.0);
            if (out->hi[k] < out->lo[k])
                out->hi[k] = out->lo[k];
        }
    }
    if (h->has_sum && (h->has_count ? h->count : total) > 0) {
        out->mean = h->sum / (h->has_count ? h->count : total) * 1000.0;
    } else {
        /* no _sum: the midpoints of the buckets stand in */
        double acc = 0, below = 0, lower = 0;

        for (i = 0; i < h->n; i++) {
            double upper = isinf(h->b[i].le) ? lower : h->b[i].le;

            acc += (h->b[i].count - below) * (lower + upper) / 2;
            below = h->b[i].count;
            lower = upper;
        }
        out->mean = acc / total * 1000.0;
    }
    out->mean = clamp_ms(out->mean);
    if (out->mean < out->min)
        out->mean = out->min;
    if (out->mean > out->max)
        out->mean = out->max;
    return true;
}

double sm_histogram_quantile(const struct sm_bucket *b, size_t n, double q)
{
    double rank, start, before, in;
    size_t i;

    if (n < 2 || !isinf(b[n - 1].le) || b[n - 1].count <= 0 || q != q)
        return NAN;
    if (q < 0)
        return -INFINITY;
    if (q > 1)
        return INFINITY;
    rank = q * b[n - 1].count;
    for (i = 0; i < n - 1 && b[i].count < rank; i++)
        ;
    if (i == n - 1)
        return b[n - 2].le;
    if (i == 0 && b[0].le <= 0)
        return b[0].le;
    start = i == 0 ? 0 : b[i - 1].le;
    before = i == 0 ? 0 : b[i - 1].count;
    in = b[i].count - before;
    if (in <= 0)
        return b[i].le;
    return start + (b[i].le - start) * ((rank - before) / in);
}

bool sm_histogram_quantile_bounds(const struct sm_bucket *b, size_t n, double q, double *low,
                                  double *high)
{
    double rank;
    size_t i;

    *low = *high = NAN;
    if (n < 2 || !isinf(b[n - 1].le) || b[n - 1].count <= 0 || q != q || q < 0 || q > 1)
        return false;
    rank = q * b[n - 1].count;
    for (i = 0; i < n - 1 && b[i].count < rank; i++)
        ;
    if (i == n - 1) {
        *low = b[n - 2].le;
        *high = INFINITY;
    } else {
        *low = i == 0 ? (b[0].le <= 0 ? b[0].le : 0) : b[i - 1].le;
        *high = b[i].le;
    }
    return true;
}

static bool is_virtual(const struct series *s)
{
    return !strcmp(s->ctype, "virtual_node");
}

/* The connector's name for a caller that sent no spans. */
static bool virtual_client(const struct series *s)
{
    return is_virtual(s) && !strcmp(s->client, "user");
}

static void prom_to_map(struct prom *p, struct sm_map *map)
{
    struct sm_map services; /* names of instrumented services, as nodes */
    size_t i;

    sm_map_init(&services);
    for (i = 0; i < p->n; i++) {
        const struct series *s = &p->s[i];

        if (!virtual_client(s))
            sm_map_node(&services, SM_NODE_SERVICE, s->client);
        if (!is_virtual(s) && strcmp(s->ctype, "database"))
            sm_map_node(&services, SM_NODE_SERVICE, s->server);
        if (virtual_client(s))
            sm_map_node(&services, SM_NODE_SERVICE, s->server);
    }
    for (i = 0; i < p->n; i++) {
        struct series *s = &p->s[i];
        enum sm_node_kind fk = SM_NODE_SERVICE, tk = SM_NODE_SERVICE;
        enum sm_edge_kind ek = SM_EDGE_RPC;
        const char *from = s->client;
        bool keep[2] = {true, true};
        struct sm_edge *e;
        size_t f, t;
        double calls = s->total;

        if (calls <= 0 && s->failed <= 0 && !s->side[0].n && !s->side[1].n)
            continue;
        if (!strcmp(s->ctype, "messaging_system")) {
            ek = SM_EDGE_MESSAGING;
        } else if (!strcmp(s->ctype, "database")) {
            tk = SM_NODE_DATABASE;
            ek = SM_EDGE_DATABASE;
        } else if (virtual_client(s)) {
            /* as the linker draws requests from outside: the "client" node */
            fk = SM_NODE_CLIENT;
            from = "client";
            keep[SM_SIDE_CLIENT] = false; /* no caller measured it */
        } else if (is_virtual(s)) {
            keep[SM_SIDE_SERVER] = false; /* no server span */
            if (sm_map_find_node(&services, SM_NODE_SERVICE, s->server) == (size_t)-1) {
                tk = SM_NODE_EXTERNAL;
                ek = SM_EDGE_EXTERNAL;
            }
        }
        f = sm_map_node(map, fk, from);
        t = sm_map_node(map, tk, s->server);
        if (fk == SM_NODE_CLIENT)
            map->nodes[t].entry_calls = sm_count_add(map->nodes[t].entry_calls, to_count(calls));
        e = sm_map_edge(map, f, t, ek);
        e->calls = sm_count_add(e->calls, to_count(calls));
        e->errors = sm_count_add(e->errors, to_count(s->failed < calls ? s->failed : calls));
        if (keep[SM_SIDE_CLIENT] && hist_summary(&s->side[SM_SIDE_CLIENT], &e->client_summary))
            e->latency_estimated = true;
        if (keep[SM_SIDE_SERVER] && hist_summary(&s->side[SM_SIDE_SERVER], &e->server_summary))
            e->latency_estimated = true;
        if (e->calls == 0 && (e->client_summary.count || e->server_summary.count))
            e->calls = e->client_summary.count > e->server_summary.count ? e->client_summary.count
                                                                         : e->server_summary.count;
    }
    sm_map_release(&services);
}

static void prom_release(struct prom *p)
{
    size_t i;
    int k;

    for (i = 0; i < p->n; i++) {
        free(p->s[i].client);
        free(p->s[i].server);
        free(p->s[i].ctype);
        for (k = 0; k < 2; k++)
            free(p->s[i].side[k].b);
    }
    free(p->s);
    free(p->slots);
    sm_buf_release(&p->client);
    sm_buf_release(&p->server);
    sm_buf_release(&p->ctype);
    sm_buf_release(&p->le);
    sm_buf_release(&p->scratch);
}

static void prom_init(struct prom *p, const char *name)
{
    memset(p, 0, sizeof(*p));
    p->name = name;
    p->line = 1;
    sm_buf_init(&p->client);
    sm_buf_init(&p->server);
    sm_buf_init(&p->ctype);
    sm_buf_init(&p->le);
    sm_buf_init(&p->scratch);
}

/* Parses the complete lines at the start of data (every line when last is true); sets
 * *used to the bytes consumed, so a caller streaming a file keeps the rest. */
static int prom_feed(struct prom *p, const char *data, size_t len, bool last, size_t *used,
                     struct sm_error *err)
{
    const char *q = data, *end = data + len;
    int rc = 0;

    while (q < end && !p->eof) {
        const char *nl = memchr(q, '\n', (size_t)(end - q));
        size_t n = (size_t)((nl ? nl : end) - q);

        if (!nl && !last)
            break;
        if (n > 0 && q[n - 1] == '\r')
            n--;
        if (n == 5 && !strncmp(q, "# EOF", 5)) {
            p->eof = true;
            break;
        }
        if (memchr(q, '\0', n)) {
            rc =
                sm_error_at(err, SM_EINPUT, p->name, p->line, 0, -1, "a NUL byte in a text format");
            break;
        }
        if ((rc = parse_line(p, q, q + n, p->line, err)))
            break;
        q = nl ? nl + 1 : end;
        p->line++;
    }
    *used = (size_t)(q - data);
    return rc;
}

static int prom_finish(struct prom *p, struct sm_map *map, struct sm_error *err)
{
    struct sm_map own;

    if (!p->seen)
        return sm_error_at(err, SM_EINPUT, p->name, 0, 0, -1,
                           "no traces_service_graph_* metrics: not service-graph connector output");
    /* a map of this file's own, merged: a second metrics file adds to the first by
     * sm_map_merge's rules rather than overwriting its latency */
    sm_map_init(&own);
    prom_to_map(p, &own);
    sm_map_merge(map, &own);
    sm_map_release(&own);
    map->source.skipped_records = sm_count_add(map->source.skipped_records, p->skipped);
    if (p->has_ts) {
        int64_t lo = p->min_ts_ms * 1000000, hi = p->max_ts_ms * 1000000;

        if (!map->source.start_ns || lo < map->source.start_ns)
            map->source.start_ns = lo;
        if (hi > map->source.end_ns)
            map->source.end_ns = hi;
    }
    return 0;
}

static int parse_prometheus(const char *data, size_t len, const char *name,
                            const struct sm_ingest_options *opt, struct sm_map *map,
                            struct sm_error *err)
{
    struct prom p;
    size_t used;
    int rc;

    prom_init(&p, name);
    p.opt = opt;
    rc = prom_feed(&p, data, len, true, &used, err);
    if (rc == 0)
        rc = prom_finish(&p, map, err);
    prom_release(&p);
    return rc;
}

/* ---- entry points ---- */

int sm_preagg_parse(const char *data, size_t len, const char *name, enum sm_input_format format,
                    const struct sm_ingest_options *opt, struct sm_map *map, struct sm_error *err)
{
    int rc;

    if (format == SM_FORMAT_UNKNOWN && !sm_preagg_sniff(data, len, &format))
        return sm_error_at(err, SM_EINPUT, name, 0, 0, -1,
                           "unknown format: expected Zipkin or Jaeger dependency links or "
                           "service-graph metrics");
    switch (format) {
    case SM_FORMAT_ZIPKIN_DEPS:
    case SM_FORMAT_JAEGER_DEPS:
        rc = parse_links(data, len, name, format, opt, map, err);
        break;
    case SM_FORMAT_PROMETHEUS:
        rc = parse_prometheus(data, len, name, opt, map, err);
        break;
    default:
        return sm_error_at(err, SM_EUSAGE, name, 0, 0, -1, "%s is not a pre-aggregated format",
                           sm_format_name(format));
    }
    if (rc == 0) {
        map->source.formats |= 1u << format;
        sm_map_add_file(map, name);
    }
    return rc;
}

/* Streams a metrics file line by line: memory stays with the series, not the file. */
static int read_prometheus(struct sm_input *in, struct sm_buf *buf,
                           const struct sm_ingest_options *opt, struct sm_map *map,
                           struct sm_error *err)
{
    struct prom p;
    char chunk[65536];
    ssize_t n = 1;
    size_t used;
    int rc = 0;

    prom_init(&p, sm_input_name(in));
    p.opt = opt;
    for (;;) {
        rc = prom_feed(&p, buf->data ? buf->data : "", buf->len, n == 0, &used, err);
        if (rc || n == 0 || p.eof)
            break;
        memmove(buf->data, buf->data + used, buf->len - used);
        buf->len -= used;
        if (buf->len > SM_PREAGG_MAX_LINE_BYTES) {
            rc = sm_error_at(err, SM_EINPUT, p.name, p.line, 0, -1, "a line longer than %d bytes",
                             SM_PREAGG_MAX_LINE_BYTES);
            break;
        }
        n = sm_input_read(in, chunk, sizeof(chunk), err);
        if (n < 0) {
            rc = (int)n;
            break;
        }
        sm_buf_add(buf, chunk, (size_t)n);
    }
    if (rc == 0)
        rc = prom_finish(&p, map, err);
    prom_release(&p);
    return rc;
}

int sm_preagg_read_input(struct sm_input *in, enum sm_input_format format,
                         const struct sm_ingest_options *opt, struct sm_map *map,
                         struct sm_error *err)
{
    struct sm_buf buf;
    char chunk[65536];
    ssize_t n = 1;
    int rc;

    sm_buf_init(&buf);
    /* enough of the head to tell the shape */
    while (buf.len < 4096 && (n = sm_input_read(in, chunk, sizeof(chunk), err)) > 0)
        sm_buf_add(&buf, chunk, (size_t)n);
    if (n < 0) {
        rc = (int)n;
        goto out;
    }
    if (format == SM_FORMAT_UNKNOWN)
        sm_preagg_sniff(buf.data ? buf.data : "", buf.len, &format);
    if (format == SM_FORMAT_PROMETHEUS) {
        rc = read_prometheus(in, &buf, opt, map, err);
        if (rc == 0) {
            map->source.formats |= 1u << format;
            sm_map_add_file(map, sm_input_name(in));
        }
        goto out;
    }
    rc = sm_input_read_rest(in, &buf, SM_DEFAULT_MAX_ELEMENT_BYTES, err);
    if (rc == 0)
        rc = sm_preagg_parse(buf.data ? buf.data : "", buf.len, sm_input_name(in), format, opt, map,
                             err);
out:
    sm_buf_release(&buf);
    return rc;
}

int sm_preagg_read(const char *path, const struct sm_ingest_options *opt, struct sm_map *map,
                   struct sm_error *err)
{
    struct sm_input *in = NULL;
    int rc;

    rc = sm_input_open(&in, path, err);
    if (rc)
        return rc;
    rc = sm_preagg_read_input(in, SM_FORMAT_UNKNOWN, opt, map, err);
    sm_input_free(in);
    return rc;
}
