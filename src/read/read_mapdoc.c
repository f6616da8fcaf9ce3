/* read_mapdoc.c: reads a svcmap.map/v1 document back into a map.
 *
 * The reader accepts what emit_json.c writes (and hand-written documents). A latency
 * side that carries "sketch" comes back as that sketch, so documents merge exactly; one
 * without comes back as a summary of the figures it printed. Every record (each node,
 * each edge, the source block) is checked before it touches the map: counts are whole
 * numbers from 0 to SM_COUNT_MAX, errors at most calls, latencies finite, from 0 to
 * SM_SKETCH_MAX_MS and in order (min <= p50 <= ... <= max, min <= mean <= max), a sketch
 * valid and of the side's count. A bad record is named with its place (the line and
 * column where it starts, found by a small scan of the raw text, as jansson keeps no
 * places) and skipped and counted, or with strict it ends the read. Records are merged
 * into the map with sm_edge_merge, so a document that names an edge twice, or a map that
 * already holds the edge, adds up like any other merge.
 */
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/ingest.h"
#include "svcmap/input.h"
#include "svcmap/mapdoc.h"
#include "svcmap/scan.h"
#include "svcmap/span.h"
#include "svcmap/why.h"

static const char *const quantile_names[4] = {"p50", "p90", "p95", "p99"};

/* A UTF-8 byte order mark, as some editors write at the start of a file. */
static size_t bom_length(const char *data, size_t len)
{
    return len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3) ? 3 : 0;
}

bool sm_mapdoc_sniff(const char *head, size_t len)
{
    size_t i = bom_length(head, len);
    const char *needle = "\"" SM_MAP_SCHEMA "\"";
    size_t nlen = strlen(needle);

    while (i < len && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t'))
        i++;
    if (i >= len || head[i] != '{')
        return false;
    for (; i + nlen <= len; i++) {
        if (!memcmp(head + i, needle, nlen))
            return true;
    }
    return false;
}

/* ---- places of records ---- */

/* Byte offsets where the elements of the top-level member key's array start, in order;
 * *n of them. The text has already parsed as JSON, so the scan only tracks strings,
 * escapes and depth. Owned by the caller: free(). NULL when there is no such array. */
static size_t *element_offsets(const char *data, size_t len, const char *key, size_t *n)
{
    size_t *offs = NULL, cap = 0, keylen = strlen(key);
    const char *last_str = NULL; /* the last string closed at depth 1 */
    size_t last_len = 0;
    int depth = 0;
    bool in_target = false, expect = false;

    *n = 0;
    for (size_t i = 0; i < len; i++) {
        char c = data[i];

        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (in_target && depth == 2 && expect && c != ']') {
            sm_grow(&offs, &cap, *n + 1, sizeof(*offs));
            offs[(*n)++] = i;
            expect = false;
        }
        if (c == '"') {
            size_t start = ++i;

            while (i < len && data[i] != '"')
                i += data[i] == '\\' ? 2 : 1;
            if (depth == 1) {
                last_str = data + start;
                last_len = i - start;
            }
        } else if (c == '{' || c == '[') {
            if (c == '[' && depth == 1 && last_str && last_len == keylen &&
                !memcmp(last_str, key, keylen)) {
                in_target = true;
                expect = true;
            }
            depth++;
        } else if (c == '}' || c == ']') {
            depth--;
            if (in_target && depth < 2)
                break;
        } else if (c == ',' && in_target && depth == 2) {
            expect = true;
        }
    }
    return offs;
}

/* Byte offset where the value of the top-level member key starts; (size_t)-1 when not
 * found. The same scan as element_offsets. */
static size_t member_offset(const char *data, size_t len, const char *key)
{
    size_t keylen = strlen(key);
    bool after_key = false, expect = false;
    int depth = 0;

    for (size_t i = 0; i < len; i++) {
        char c = data[i];

        if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
            continue;
        if (expect)
            return i;
        if (c == '"') {
            size_t start = ++i;

            while (i < len && data[i] != '"')
                i += data[i] == '\\' ? 2 : 1;
            after_key = depth == 1 && i - start == keylen && !memcmp(data + start, key, keylen);
            continue;
        }
        if (c == ':' && depth == 1 && after_key)
            expect = true;
        else if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
        after_key = false;
    }
    return (size_t)-1;
}

struct place {
    const char *data;
    size_t off; /* the cursor: byte offset, its line and the offset its line starts at */
    long line;
    size_t line_start;
};

/* Line and column (1-based, in bytes) of offset; offsets asked for mostly increase. */
static void place_of(struct place *p, size_t off, long *line, long *col)
{
    if (off < p->off) {
        p->off = 0;
        p->line = 1;
        p->line_start = 0;
    }
    for (; p->off < off; p->off++) {
        if (p->data[p->off] == '\n') {
            p->line++;
            p->line_start = p->off + 1;
        }
    }
    *line = p->line;
    *col = (long)(off - p->line_start) + 1;
}

/* ---- the document being read ---- */

struct doc {
    const char *name;
    const struct sm_ingest_options *opt; /* NULL: strict, no callback */
    struct sm_map *map;
    struct place place;
    size_t base; /* bytes skipped before data (a BOM), added to offsets */
    size_t *node_offs, nnode_offs;
    size_t *edge_offs, nedge_offs;
    size_t *why_offs, nwhy_offs;
    size_t source_off; /* (size_t)-1: unknown */
};

/* A bad record: with strict (or no options) the error of the read; otherwise told to
 * on_skip, counted, and 0 so that reading goes on. offs/noffs locate record index. */
static int bad_record(struct doc *d, const size_t *offs, size_t noffs, size_t index,
                      struct sm_error *err, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static int bad_record(struct doc *d, const size_t *offs, size_t noffs, size_t index,
                      struct sm_error *err, const char *fmt, ...)
{
    struct sm_error local;
    struct sm_error *e = d->opt && !d->opt->strict ? &local : err;
    char text[400];
    long line = 0, col = 0;
    long long off = -1;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (offs && index < noffs) {
        place_of(&d->place, offs[index], &line, &col);
        off = (long long)(offs[index] + d->base);
    }
    sm_error_init(&local);
    sm_error_at(e, SM_EINPUT, d->name, line, col, off, "map document: %s", text);
    if (e == err)
        return SM_EINPUT;
    d->map->source.skipped_records = sm_count_add(d->map->source.skipped_records, 1);
    if (d->opt->on_skip)
        d->opt->on_skip(d->opt->ctx, &local);
    return SM_OK;
}

/* ---- checked fields; each returns false with a reason in why ---- */

#define WHY_SIZE 200

/* A count: absent is 0; else a whole number from 0 to SM_COUNT_MAX. */
static bool get_count(const json_t *o, const char *key, uint64_t *out, char *why)
{
    const json_t *v = json_object_get(o, key);

    *out = 0;
    if (!v)
        return true;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return true;
    }
    /* 2^63 as a double is one above SM_COUNT_MAX. */
    if (json_is_real(v) && json_real_value(v) >= 0.0 &&
        json_real_value(v) < 9223372036854775808.0 &&
        json_real_value(v) == floor(json_real_value(v))) {
        *out = (uint64_t)json_real_value(v);
        return true;
    }
    snprintf(why, WHY_SIZE, "\"%s\" must be a whole number from 0 to %llu", key,
             (unsigned long long)SM_COUNT_MAX);
    return false;
}

/* A latency in milliseconds: a number from 0 to SM_SKETCH_MAX_MS. */
static bool get_ms(const json_t *o, const char *side, const char *key, double *out, char *why)
{
    const json_t *v = json_object_get(o, key);

    if (!json_is_number(v)) {
        snprintf(why, WHY_SIZE, "%s latency \"%s\" must be a number", side, key);
        return false;
    }
    *out = json_number_value(v);
    if (!(*out >= 0.0 && *out <= SM_SKETCH_MAX_MS)) { /* also NaN */
        snprintf(why, WHY_SIZE, "%s latency \"%s\" must be from 0 to %.0f ms", side, key,
                 SM_SKETCH_MAX_MS);
        return false;
    }
    return true;
}

/* The bucket bounds of estimated figures: [lo, hi] pairs, hi null for +Inf. */
static bool read_bounds(const json_t *o, const char *side, struct sm_latency_summary *s, char *why)
{
    if (!o)
        return true;
    for (int k = 0; k < 4 && json_is_object(o); k++) {
        const json_t *pair = json_object_get(o, quantile_names[k]);
        const json_t *lo = json_array_get(pair, 0), *hi = json_array_get(pair, 1);

        if (json_array_size(pair) != 2 || !json_is_number(lo) ||
            !(json_is_number(hi) || json_is_null(hi)))
            goto out_bad;
        s->lo[k] = json_number_value(lo);
        s->hi[k] = json_is_number(hi) ? json_number_value(hi) : INFINITY;
        if (!(s->lo[k] >= 0.0 && s->lo[k] <= s->hi[k] && s->lo[k] <= SM_SKETCH_MAX_MS) ||
            (json_is_number(hi) && s->hi[k] > SM_SKETCH_MAX_MS))
            goto out_bad;
    }
    if (!json_is_object(o))
        goto out_bad;
    s->bounded = true;
    return true;

out_bad:
    snprintf(why, WHY_SIZE,
             "%s latency bounds must be [low, high] pairs from 0 to %.0f ms (high null for +Inf)",
             side, SM_SKETCH_MAX_MS);
    return false;
}

/* One latency side: its sketch when it carries one, else its summary. */
static bool read_side(const json_t *o, const json_t *bounds, const char *side, struct sm_sketch *sk,
                      struct sm_latency_summary *s, char *why)
{
    const double *order[] = {&s->min, &s->p50, &s->p90, &s->p95, &s->p99, &s->max};
    const json_t *sketch;

    memset(s, 0, sizeof(*s));
    if (!o)
        return true;
    if (!json_is_object(o)) {
        snprintf(why, WHY_SIZE, "%s latency must be an object", side);
        return false;
    }
    if (!get_count(o, "count", &s->count, why))
        return false;
    if (s->count == 0)
        return true; /* no figures */
    if (!get_ms(o, side, "min", &s->min, why) || !get_ms(o, side, "p50", &s->p50, why) ||
        !get_ms(o, side, "p90", &s->p90, why) || !get_ms(o, side, "p95", &s->p95, why) ||
        !get_ms(o, side, "p99", &s->p99, why) || !get_ms(o, side, "max", &s->max, why) ||
        !get_ms(o, side, "mean", &s->mean, why))
        return false;
    for (size_t k = 1; k < sizeof(order) / sizeof(order[0]); k++) {
        if (*order[k] < *order[k - 1]) {
            snprintf(why, WHY_SIZE,
                     "%s latency figures out of order (min <= p50 <= p90 <= "
                     "p95 <= p99 <= max)",
                     side);
            return false;
        }
    }
    if (s->mean < s->min || s->mean > s->max) {
        snprintf(why, WHY_SIZE, "%s latency mean outside [min, max]", side);
        return false;
    }
    sketch = json_object_get(o, "sketch");
    if (sketch) {
        const char *text = json_string_value(sketch);
        unsigned char *bytes = NULL;
        size_t nbytes = 0;
        struct sm_error serr;
        int rc;

        if (!text || sm_base64_decode(text, json_string_length(sketch), &bytes, &nbytes)) {
            snprintf(why, WHY_SIZE, "%s \"sketch\" must be a base64 string", side);
            return false;
        }
        sm_error_init(&serr);
        rc = sm_sketch_deserialize(sk, bytes, nbytes, &serr);
        free(bytes);
        if (rc) {
            snprintf(why, WHY_SIZE, "%s %.160s", side, serr.text);
            return false;
        }
        if (sk->count != s->count) {
            snprintf(why, WHY_SIZE, "%s \"sketch\" holds %llu values, \"count\" says %llu", side,
                     (unsigned long long)sk->count, (unsigned long long)s->count);
            sm_sketch_release(sk);
            return false;
        }
        memset(s, 0, sizeof(*s)); /* the sketch is the figures */
        return true;
    }
    return read_bounds(bounds, side, s, why);
}

static int64_t read_time(const json_t *v)
{
    int y, mo, d, h, mi, sec, ms = 0;

    if (!json_is_string(v))
        return 0;
    if (sscanf(json_string_value(v), "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &y, &mo, &d, &h, &mi, &sec,
               &ms) < 6)
        return 0;
    return sm_civil_to_unix(y, mo, d, h, mi, sec) * 1000000000LL + (int64_t)ms * 1000000LL;
}

/* ---- records ---- */

static int read_node(struct doc *d, const json_t *n, size_t i, struct sm_error *err)
{
    const char *nname = json_string_value(json_object_get(n, "name"));
    const char *kind = json_string_value(json_object_get(n, "kind"));
    char why[WHY_SIZE];
    enum sm_node_kind k;
    uint64_t entry;
    size_t idx;

    if (!nname || !kind || sm_node_kind_parse(kind, &k))
        return bad_record(d, d->node_offs, d->nnode_offs, i, err,
                          "node %zu needs a \"name\" and a known \"kind\"", i);
    if (!get_count(n, "entry_calls", &entry, why))
        return bad_record(d, d->node_offs, d->nnode_offs, i, err, "node %zu: %s", i, why);
    idx = sm_map_node(d->map, k, nname);
    sm_node_set_attr(&d->map->nodes[idx].namespace_,
                     json_string_value(json_object_get(n, "namespace")));
    sm_node_set_attr(&d->map->nodes[idx].version, json_string_value(json_object_get(n, "version")));
    sm_node_set_attr(&d->map->nodes[idx].system, json_string_value(json_object_get(n, "system")));
    d->map->nodes[idx].entry_calls = sm_count_add(d->map->nodes[idx].entry_calls, entry);
    return SM_OK;
}

static int read_edge(struct doc *d, const json_t *e, size_t i, struct sm_error *err)
{
    const char *from = json_string_value(json_object_get(e, "from"));
    const char *to = json_string_value(json_object_get(e, "to"));
    const char *kind = json_string_value(json_object_get(e, "kind"));
    const json_t *lat = json_object_get(e, "latency_ms");
    const json_t *bounds = json_object_get(e, "latency_bounds_ms");
    char why[WHY_SIZE];
    struct sm_edge one;
    size_t fi, ti;
    enum sm_edge_kind k;
    int rc = SM_OK;

    memset(&one, 0, sizeof(one));
    sm_sketch_init(&one.client);
    sm_sketch_init(&one.server);
    if (!from || !to || !kind || sm_edge_kind_parse(kind, &k))
        return bad_record(d, d->edge_offs, d->nedge_offs, i, err,
                          "edge %zu needs \"from\", \"to\" and a known \"kind\"", i);
    fi = sm_map_find_node_id(d->map, from);
    ti = sm_map_find_node_id(d->map, to);
    if (fi == (size_t)-1 || ti == (size_t)-1)
        return bad_record(d, d->edge_offs, d->nedge_offs, i, err,
                          "edge %zu names a node that is not in \"nodes\"", i);
    if (!get_count(e, "calls", &one.calls, why) || !get_count(e, "errors", &one.errors, why))
        goto out_bad;
    if (one.errors > one.calls) {
        snprintf(why, sizeof(why), "\"errors\" (%llu) above \"calls\" (%llu)",
                 (unsigned long long)one.errors, (unsigned long long)one.calls);
        goto out_bad;
    }
    if ((lat && !json_is_object(lat)) || (bounds && !json_is_object(bounds))) {
        snprintf(why, sizeof(why), "\"latency_ms\" and \"latency_bounds_ms\" must be objects");
        goto out_bad;
    }
    if (!read_side(json_object_get(lat, "client"), json_object_get(bounds, "client"), "client",
                   &one.client, &one.client_summary, why) ||
        !read_side(json_object_get(lat, "server"), json_object_get(bounds, "server"), "server",
                   &one.server, &one.server_summary, why))
        goto out_bad;
    one.latency_estimated = json_is_true(json_object_get(e, "latency_estimated"));
    d->map->source.estimated_merges = sm_count_add(
        d->map->source.estimated_merges, sm_edge_merge(sm_map_edge(d->map, fi, ti, k), &one));
    goto out_release;

out_bad:
    rc = bad_record(d, d->edge_offs, d->nedge_offs, i, err, "edge %zu: %s", i, why);
out_release:
    sm_sketch_release(&one.client);
    sm_sketch_release(&one.server);
    return rc;
}

/* A share sketch or a latency sketch in base64 into an initialised sk. */
static bool get_sketch(const json_t *v, const char *what, struct sm_sketch *sk, char *why)
{
    const char *text = json_string_value(v);
    unsigned char *bytes = NULL;
    size_t nbytes = 0;
    struct sm_error serr;
    int rc;

    if (!text || sm_base64_decode(text, json_string_length(v), &bytes, &nbytes)) {
        snprintf(why, WHY_SIZE, "%s \"sketch\" must be a base64 string", what);
        return false;
    }
    sm_error_init(&serr);
    rc = sm_sketch_deserialize(sk, bytes, nbytes, &serr);
    free(bytes);
    if (rc) {
        snprintf(why, WHY_SIZE, "%s %.160s", what, serr.text);
        return false;
    }
    return true;
}

/* A critical time: a count that no single contributor or edge can exceed the entry's
 * total by (their sections lie inside the entry spans). */
static bool get_part_ns(const json_t *o, const char *what, uint64_t total_ns, uint64_t *out,
                        char *why)
{
    if (!get_count(o, "critical_ns", out, why))
        return false;
    if (*out > total_ns) {
        snprintf(why, WHY_SIZE, "%s \"critical_ns\" (%llu) above the entry's \"total_ns\" (%llu)",
                 what, (unsigned long long)*out, (unsigned long long)total_ns);
        return false;
    }
    return true;
}

static bool read_why_part(const json_t *c, size_t k, struct sm_why_entry *one, char *why)
{
    const char *id = json_string_value(json_object_get(c, "id"));
    const char *kind = json_string_value(json_object_get(c, "kind"));
    const json_t *sketch = json_object_get(c, "sketch");
    char what[48];
    enum sm_why_kind wk;
    struct sm_why_part *p;
    size_t before = one->nparts;
    uint64_t ns;

    snprintf(what, sizeof(what), "contributor %zu", k);
    if (!json_is_object(c) || !id || !*id || !kind || sm_why_kind_parse(kind, &wk)) {
        snprintf(why, WHY_SIZE, "%s needs an \"id\" and a \"kind\" of \"node\" or \"wire\"", what);
        return false;
    }
    if (wk == SM_WHY_WIRE && !strstr(id, SM_WHY_WIRE_SEPARATOR)) {
        snprintf(why, WHY_SIZE, "%s: a wire's \"id\" is \"FROM" SM_WHY_WIRE_SEPARATOR "TO\"", what);
        return false;
    }
    if (!get_part_ns(c, what, one->total_ns, &ns, why))
        return false;
    p = sm_why_part(one, id, wk);
    if (one->nparts == before) {
        snprintf(why, WHY_SIZE, "%s: \"%.60s\" is named twice", what, id);
        return false;
    }
    p->critical_ns = ns;
    if (!sketch && one->traces) {
        snprintf(why, WHY_SIZE, "%s needs its share \"sketch\"", what);
        return false;
    }
    if (sketch && !get_sketch(sketch, what, p->share, why))
        return false;
    if (p->share->count != one->traces) {
        snprintf(why, WHY_SIZE, "%s \"sketch\" holds %llu shares, the entry has %llu traces", what,
                 (unsigned long long)p->share->count, (unsigned long long)one->traces);
        return false;
    }
    if (p->share->count && p->share->max > 1.0) {
        snprintf(why, WHY_SIZE, "%s \"sketch\" holds a share above 1", what);
        return false;
    }
    return true;
}

/* One entry of "why", checked whole into one (sm_why_entry_merge adds it to the map). */
static bool read_why_entry(const json_t *w, struct sm_why_entry *one, char *why)
{
    const json_t *op = json_object_get(w, "operation");
    const json_t *lat = json_object_get(w, "latency_ms");
    const json_t *parts = json_object_get(w, "contributors");
    const json_t *edges = json_object_get(w, "edges");
    const json_t *stacks = json_object_get(w, "stacks");
    const char *entry = json_string_value(json_object_get(w, "entry"));
    uint64_t sum = 0, stack_sum = 0;
    size_t k;

    if (!json_is_object(w) || !entry || !*entry ||
        (op && !json_is_null(op) && !json_is_string(op))) {
        snprintf(why, WHY_SIZE, "needs an \"entry\" node id, and an \"operation\" string or null");
        return false;
    }
    one->entry = sm_xstrdup(entry);
    one->operation = json_is_string(op) ? sm_xstrdup(json_string_value(op)) : NULL;
    if (!get_count(w, "traces", &one->traces, why) ||
        !get_count(w, "total_ns", &one->total_ns, why))
        return false;
    if (!json_is_array(parts) || (edges && !json_is_array(edges)) ||
        (stacks && !json_is_array(stacks)) || (lat && !json_is_object(lat))) {
        snprintf(
            why, WHY_SIZE,
            "\"contributors\", \"edges\" and \"stacks\" must be arrays, \"latency_ms\" an object");
        return false;
    }
    if (one->traces && !json_object_get(lat, "sketch")) {
        snprintf(why, WHY_SIZE, "\"latency_ms\" needs its \"sketch\"");
        return false;
    }
    if (lat && json_object_get(lat, "sketch") &&
        !get_sketch(json_object_get(lat, "sketch"), "latency", one->latency, why))
        return false;
    if (one->latency->count != one->traces) {
        snprintf(why, WHY_SIZE, "latency \"sketch\" holds %llu values, \"traces\" says %llu",
                 (unsigned long long)one->latency->count, (unsigned long long)one->traces);
        return false;
    }
    /* durations above SM_SKETCH_MAX_MS share the sketch's top bucket and are summed
     * as that */
    if (one->latency->sum_ns != one->total_ns && one->total_ns < SM_COUNT_MAX &&
        !(one->latency->count && one->latency->max >= SM_SKETCH_MAX_MS)) {
        snprintf(why, WHY_SIZE, "latency \"sketch\" sums to %llu ns, \"total_ns\" says %llu",
                 (unsigned long long)one->latency->sum_ns, (unsigned long long)one->total_ns);
        return false;
    }
    for (k = 0; k < json_array_size(parts); k++) {
        if (!read_why_part(json_array_get(parts, k), k, one, why))
            return false;
        sum = sm_count_add(sum, one->parts[one->nparts - 1].critical_ns);
    }
    if (sum > one->total_ns) {
        snprintf(why, WHY_SIZE, "contributors' \"critical_ns\" add up to more than \"total_ns\"");
        return false;
    }
    for (k = 0; k < json_array_size(edges); k++) {
        const json_t *x = json_array_get(edges, k);
        const char *from = json_string_value(json_object_get(x, "from"));
        const char *to = json_string_value(json_object_get(x, "to"));
        char what[48];
        uint64_t ns;
        size_t before = one->nedges;

        snprintf(what, sizeof(what), "edge %zu", k);
        if (!from || !*from || !to || !*to) {
            snprintf(why, WHY_SIZE, "%s needs \"from\" and \"to\" node ids", what);
            return false;
        }
        if (!get_part_ns(x, what, one->total_ns, &ns, why))
            return false;
        sm_why_edge(one, from, to)->critical_ns = ns;
        if (one->nedges == before) {
            snprintf(why, WHY_SIZE, "%s: \"%.40s\" -> \"%.40s\" is named twice", what, from, to);
            return false;
        }
    }
    for (k = 0; k < json_array_size(stacks); k++) {
        const json_t *x = json_array_get(stacks, k);
        const json_t *path = json_object_get(x, "path");
        struct sm_buf joined;
        char what[48];
        uint64_t ns;
        size_t before = one->nstacks, f;
        bool ok = json_array_size(path) > 0;

        snprintf(what, sizeof(what), "stack %zu", k);
        sm_buf_init(&joined);
        for (f = 0; ok && f < json_array_size(path); f++) {
            const char *frame = json_string_value(json_array_get(path, f));

            ok = frame && *frame && !strstr(frame, SM_WHY_STACK_SEPARATOR);
            if (ok && f)
                sm_buf_adds(&joined, SM_WHY_STACK_SEPARATOR);
            if (ok)
                sm_buf_adds(&joined, frame);
        }
        if (!ok || !get_part_ns(x, what, one->total_ns, &ns, why)) {
            if (!ok)
                snprintf(why, WHY_SIZE, "%s needs a \"path\" of node ids", what);
            sm_buf_release(&joined);
            return false;
        }
        sm_why_stack(one, joined.data)->critical_ns = ns;
        sm_buf_release(&joined);
        if (one->nstacks == before) {
            snprintf(why, WHY_SIZE, "%s: its \"path\" is named twice", what);
            return false;
        }
        stack_sum = sm_count_add(stack_sum, ns);
    }
    if (stack_sum > one->total_ns) {
        snprintf(why, WHY_SIZE, "stacks' \"critical_ns\" add up to more than \"total_ns\"");
        return false;
    }
    return true;
}

static int read_why(struct doc *d, const json_t *w, size_t i, struct sm_error *err)
{
    struct sm_why_entry one;
    char why[WHY_SIZE];
    int rc = SM_OK;

    memset(&one, 0, sizeof(one));
    one.latency = sm_xmalloc(sizeof(*one.latency));
    sm_sketch_init(one.latency);
    if (read_why_entry(w, &one, why))
        sm_why_entry_merge(sm_why_entry(d->map, one.entry, one.operation), &one);
    else
        rc = bad_record(d, d->why_offs, d->nwhy_offs, i, err, "why entry %zu: %s", i, why);
    sm_why_entry_release(&one);
    return rc;
}

static int read_source(struct doc *d, const json_t *src, struct sm_error *err)
{
    static const char *const counts[] = {"spans",         "traces",           "skipped_records",
                                         "skipped_spans", "unresolved_calls", "ignored_records",
                                         "late_spans"};
    const json_t *files = json_object_get(src, "files"), *formats = json_object_get(src, "formats");
    uint64_t *fields[] = {&d->map->source.spans,
                          &d->map->source.traces,
                          &d->map->source.skipped_records,
                          &d->map->source.skipped_spans,
                          &d->map->source.unresolved_calls,
                          &d->map->source.ignored_records,
                          &d->map->source.late_spans};
    uint64_t values[sizeof(counts) / sizeof(counts[0])];
    char why[WHY_SIZE];
    int64_t start, end;
    size_t i;

    if (!src)
        return SM_OK;
    if (!json_is_object(src))
        return bad_record(d, &d->source_off, d->source_off != (size_t)-1, 0, err,
                          "\"source\" must be an object");
    for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
        if (!get_count(src, counts[i], &values[i], why))
            return bad_record(d, &d->source_off, d->source_off != (size_t)-1, 0, err, "source: %s",
                              why);
    }
    for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
        *fields[i] = sm_count_add(*fields[i], values[i]);
    start = read_time(json_object_get(src, "start"));
    end = read_time(json_object_get(src, "end"));
    for (i = 0; i < json_array_size(files); i++) {
        if (json_is_string(json_array_get(files, i)))
            sm_map_add_file(d->map, json_string_value(json_array_get(files, i)));
    }
    for (i = 0; i < json_array_size(formats); i++) {
        const char *f = json_string_value(json_array_get(formats, i));
        enum sm_input_format fmt = f ? sm_format_from_name(f) : SM_FORMAT_UNKNOWN;

        if (fmt != SM_FORMAT_UNKNOWN)
            d->map->source.formats |= 1u << fmt;
    }
    if (start && (!d->map->source.start_ns || start < d->map->source.start_ns))
        d->map->source.start_ns = start;
    if (end > d->map->source.end_ns)
        d->map->source.end_ns = end;
    return SM_OK;
}

int sm_mapdoc_parse(const char *data, size_t len, const char *name,
                    const struct sm_ingest_options *opt, struct sm_map *map, struct sm_error *err)
{
    json_error_t jerr;
    json_t *doc, *nodes, *edges, *whys, *v;
    struct doc d;
    size_t i, bom = bom_length(data, len);
    int rc = 0;

    data += bom;
    len -= bom;
    doc = json_loadb(data, len, 0, &jerr);
    if (!doc)
        return sm_error_at(err, SM_EINPUT, name, jerr.line, jerr.column, jerr.position + (int)bom,
                           "%s", jerr.text);
    memset(&d, 0, sizeof(d));
    d.name = name;
    d.opt = opt;
    d.map = map;
    d.base = bom;
    d.place.data = data;
    d.place.line = 1;
    v = json_object_get(doc, "schema");
    if (!json_is_string(v) || strcmp(json_string_value(v), SM_MAP_SCHEMA)) {
        rc = sm_error_at(err, SM_EINPUT, name, 0, 0, -1,
                         "not a map document: \"schema\" is not \"" SM_MAP_SCHEMA "\"");
        goto out;
    }
    nodes = json_object_get(doc, "nodes");
    edges = json_object_get(doc, "edges");
    if (!json_is_array(nodes) || !json_is_array(edges)) {
        rc = sm_error_at(err, SM_EINPUT, name, 0, 0, -1,
                         "map document: \"nodes\" and \"edges\" must be arrays");
        goto out;
    }
    d.node_offs = element_offsets(data, len, "nodes", &d.nnode_offs);
    d.edge_offs = element_offsets(data, len, "edges", &d.nedge_offs);
    if (d.nnode_offs != json_array_size(nodes))
        d.nnode_offs = 0; /* a duplicate key or an escaped one: no places */
    if (d.nedge_offs != json_array_size(edges))
        d.nedge_offs = 0;
    whys = json_object_get(doc, "why");
    if (whys && !json_is_array(whys)) {
        rc = sm_error_at(err, SM_EINPUT, name, 0, 0, -1, "map document: \"why\" must be an array");
        goto out;
    }
    d.why_offs = element_offsets(data, len, "why", &d.nwhy_offs);
    if (d.nwhy_offs != json_array_size(whys))
        d.nwhy_offs = 0;
    d.source_off = member_offset(data, len, "source");
    for (i = 0; i < json_array_size(nodes) && rc == 0; i++)
        rc = read_node(&d, json_array_get(nodes, i), i, err);
    for (i = 0; i < json_array_size(edges) && rc == 0; i++)
        rc = read_edge(&d, json_array_get(edges, i), i, err);
    for (i = 0; i < json_array_size(whys) && rc == 0; i++)
        rc = read_why(&d, json_array_get(whys, i), i, err);
    if (rc == 0)
        rc = read_source(&d, json_object_get(doc, "source"), err);
out:
    free(d.node_offs);
    free(d.edge_offs);
    free(d.why_offs);
    json_decref(doc);
    return rc;
}

int sm_mapdoc_read_input(struct sm_input *in, const struct sm_ingest_options *opt,
                         struct sm_map *map, struct sm_error *err)
{
    struct sm_buf buf;
    int rc;

    sm_buf_init(&buf);
    rc = sm_input_read_rest(in, &buf, SM_DEFAULT_MAX_ELEMENT_BYTES, err);
    if (rc == 0)
        rc = sm_mapdoc_parse(buf.data ? buf.data : "", buf.len, sm_input_name(in), opt, map, err);
    sm_buf_release(&buf);
    return rc;
}

int sm_mapdoc_read(const char *path, const struct sm_ingest_options *opt, struct sm_map *map,
                   struct sm_error *err)
{
    struct sm_input *in = NULL;
    int rc;

    rc = sm_input_open(&in, path, err);
    if (rc)
        return rc;
    rc = sm_mapdoc_read_input(in, opt, map, err);
    sm_input_free(in);
    return rc;
}
