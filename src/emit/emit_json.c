/* emit_json.c: writes the svcmap.map/v1 document.
 *
 * The writer prints keys in a fixed order, numbers through sm_buf_add_number after
 * rounding latencies to the microsecond, and times as RFC 3339 UTC with milliseconds,
 * so the same map gives the same bytes on every run. Each latency side that has a sketch
 * carries it as "sketch" (the binary form of sketch.h in base64, which is the same bytes
 * however the sketch was merged), so that documents merge exactly.
 * src/read/read_mapdoc.c reads it back.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svcmap/emit.h"
#include "svcmap/mapdoc.h"
#include "svcmap/span.h"
#include "svcmap/why.h"

static void add_time(struct sm_buf *b, int64_t ns)
{
    time_t secs = (time_t)(ns / 1000000000LL);
    int ms = (int)((ns % 1000000000LL) / 1000000LL);
    struct tm tm;
    char tmp[64];

    gmtime_r(&secs, &tm);
    strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
    sm_buf_printf(b, "\"%s.%03dZ\"", tmp, ms);
}

static void add_ms(struct sm_buf *b, double v)
{
    sm_buf_add_number(b, round(v * 1000.0) / 1000.0);
}

static void add_latency(struct sm_buf *b, const struct sm_latency_summary *s,
                        const struct sm_sketch *sketch)
{
    sm_buf_printf(b, "{\"count\": %llu, \"min\": ", (unsigned long long)s->count);
    add_ms(b, s->min);
    sm_buf_adds(b, ", \"p50\": ");
    add_ms(b, s->p50);
    sm_buf_adds(b, ", \"p90\": ");
    add_ms(b, s->p90);
    sm_buf_adds(b, ", \"p95\": ");
    add_ms(b, s->p95);
    sm_buf_adds(b, ", \"p99\": ");
    add_ms(b, s->p99);
    sm_buf_adds(b, ", \"max\": ");
    add_ms(b, s->max);
    sm_buf_adds(b, ", \"mean\": ");
    add_ms(b, s->mean);
    if (sketch->count) {
        unsigned char *bytes = NULL;
        size_t len = sm_sketch_serialize(sketch, &bytes);

        sm_buf_adds(b, ",\n                               \"sketch\": \"");
        sm_buf_add_base64(b, bytes, len);
        sm_buf_addc(b, '"');
        free(bytes);
    }
    sm_buf_addc(b, '}');
}

static const char *const quantile_names[4] = {"p50", "p90", "p95", "p99"};

/* How coarse estimated figures are: the bucket bounds of each quantile, +Inf as null. */
static void add_bounds(struct sm_buf *b, const struct sm_latency_summary *c,
                       const struct sm_latency_summary *s)
{
    const struct sm_latency_summary *sides[2] = {c, s};
    const char *names[2] = {"client", "server"};
    int side, k, first = 1;

    if (!(c && c->bounded) && !(s && s->bounded))
        return;
    sm_buf_adds(b, ",\n     \"latency_bounds_ms\": {");
    for (side = 0; side < 2; side++) {
        if (!sides[side] || !sides[side]->bounded)
            continue;
        sm_buf_printf(b, "%s\"%s\": {", first ? "" : ", ", names[side]);
        first = 0;
        for (k = 0; k < 4; k++) {
            sm_buf_printf(b, "%s\"%s\": [", k ? ", " : "", quantile_names[k]);
            add_ms(b, sides[side]->lo[k]);
            sm_buf_adds(b, ", ");
            if (isinf(sides[side]->hi[k]))
                sm_buf_adds(b, "null");
            else
                add_ms(b, sides[side]->hi[k]);
            sm_buf_addc(b, ']');
        }
        sm_buf_addc(b, '}');
    }
    sm_buf_addc(b, '}');
}

static void add_source(struct sm_buf *b, const struct sm_source *src)
{
    size_t i;
    int f, first = 1;

    sm_buf_adds(b, "  \"source\": {\"files\": [");
    for (i = 0; i < src->nfiles; i++) {
        if (i)
            sm_buf_adds(b, ", ");
        sm_buf_add_json_string(b, src->files[i]);
    }
    sm_buf_adds(b, "], \"formats\": [");
    for (f = 1; f < 32; f++) {
        if (src->formats & (1u << f)) {
            if (!first)
                sm_buf_adds(b, ", ");
            sm_buf_add_json_string(b, sm_format_name((enum sm_input_format)f));
            first = 0;
        }
    }
    sm_buf_printf(b,
                  "],\n             \"spans\": %llu, \"traces\": %llu, \"skipped_records\": "
                  "%llu, \"skipped_spans\": %llu, \"unresolved_calls\": %llu",
                  (unsigned long long)src->spans, (unsigned long long)src->traces,
                  (unsigned long long)src->skipped_records, (unsigned long long)src->skipped_spans,
                  (unsigned long long)src->unresolved_calls);
    /* only when there were any, so that maps of trace-only inputs keep their bytes */
    if (src->ignored_records)
        sm_buf_printf(b, ", \"ignored_records\": %llu", (unsigned long long)src->ignored_records);
    if (src->late_spans)
        sm_buf_printf(b, ", \"late_spans\": %llu", (unsigned long long)src->late_spans);
    if (src->start_ns) {
        sm_buf_adds(b, ",\n             \"start\": ");
        add_time(b, src->start_ns);
        sm_buf_adds(b, ", \"end\": ");
        add_time(b, src->end_ns);
    }
    sm_buf_adds(b, "},\n");
}

/* A share (a fraction) rounded to 1e-4, as printed; readers recompute it from the
 * integers. */
static void add_share(struct sm_buf *b, double v)
{
    sm_buf_add_number(b, round(v * 1e4) / 1e4);
}

static void add_sketch(struct sm_buf *b, const struct sm_sketch *sketch)
{
    unsigned char *bytes = NULL;
    size_t len = sm_sketch_serialize(sketch, &bytes);

    sm_buf_addc(b, '"');
    sm_buf_add_base64(b, bytes, len);
    sm_buf_addc(b, '"');
    free(bytes);
}

/* The "why" section (why.h): integers in nanoseconds and sketches, so that documents
 * merge exactly; shares and quantiles are there for people and tools that only read. */
static void add_why(struct sm_buf *b, const struct sm_map *map)
{
    for (size_t i = 0; i < map->nwhy; i++) {
        const struct sm_why_entry *e = &map->why[i];
        struct sm_latency_summary lat;

        sm_buf_adds(b, i ? ",\n    {\"entry\": " : "\n    {\"entry\": ");
        sm_buf_add_json_string(b, e->entry);
        sm_buf_adds(b, ", \"operation\": ");
        if (e->operation)
            sm_buf_add_json_string(b, e->operation);
        else
            sm_buf_adds(b, "null");
        sm_buf_printf(b, ", \"traces\": %llu, \"total_ns\": %llu", (unsigned long long)e->traces,
                      (unsigned long long)e->total_ns);
        if (sm_why_latency(e, &lat)) {
            sm_buf_adds(b, ",\n     \"latency_ms\": ");
            add_latency(b, &lat, e->latency);
        }
        sm_buf_adds(b, ",\n     \"contributors\": [");
        for (size_t k = 0; k < e->nparts; k++) {
            const struct sm_why_part *p = &e->parts[k];

            sm_buf_adds(b, k ? ",\n       {\"id\": " : "\n       {\"id\": ");
            sm_buf_add_json_string(b, p->id);
            sm_buf_printf(b, ", \"kind\": \"%s\", \"critical_ns\": %llu, \"share\": ",
                          sm_why_kind_name(p->kind), (unsigned long long)p->critical_ns);
            add_share(b, sm_why_share(p->critical_ns, e->total_ns));
            if (p->share->count) {
                sm_buf_adds(b, ", \"share_p50\": ");
                add_share(b, sm_why_share_quantile(p, 0.50));
                sm_buf_adds(b, ", \"share_p99\": ");
                add_share(b, sm_why_share_quantile(p, 0.99));
                sm_buf_adds(b, ",\n        \"sketch\": ");
                add_sketch(b, p->share);
            }
            sm_buf_addc(b, '}');
        }
        sm_buf_adds(b, e->nparts ? "\n     ],\n     \"edges\": [" : "],\n     \"edges\": [");
        for (size_t k = 0; k < e->nedges; k++) {
            const struct sm_why_edge *w = &e->edges[k];

            sm_buf_adds(b, k ? ",\n       {\"from\": " : "\n       {\"from\": ");
            sm_buf_add_json_string(b, w->from);
            sm_buf_adds(b, ", \"to\": ");
            sm_buf_add_json_string(b, w->to);
            sm_buf_printf(
                b, ", \"critical_ns\": %llu, \"share\": ", (unsigned long long)w->critical_ns);
            add_share(b, sm_why_share(w->critical_ns, e->total_ns));
            sm_buf_addc(b, '}');
        }
        sm_buf_adds(b, e->nedges ? "\n     ],\n     \"stacks\": [" : "],\n     \"stacks\": [");
        for (size_t k = 0; k < e->nstacks; k++) {
            const char *at = e->stacks[k].path;

            sm_buf_adds(b, k ? ",\n       {\"path\": [" : "\n       {\"path\": [");
            for (;;) {
                const char *end = strstr(at, SM_WHY_STACK_SEPARATOR);
                size_t n = end ? (size_t)(end - at) : strlen(at);
                char *frame = sm_xmalloc(n + 1);

                memcpy(frame, at, n);
                frame[n] = '\0';
                sm_buf_add_json_string(b, frame);
                free(frame);
                if (!end)
                    break;
                sm_buf_adds(b, ", ");
                at = end + strlen(SM_WHY_STACK_SEPARATOR);
            }
            sm_buf_printf(b, "], \"critical_ns\": %llu}",
                          (unsigned long long)e->stacks[k].critical_ns);
        }
        sm_buf_adds(b, e->nstacks ? "\n     ]}" : "]}");
    }
}

static int emit_json(const struct sm_map *map, const struct sm_style *style, struct sm_buf *out,
                     struct sm_error *err)
{
    size_t i;

    (void)style;
    (void)err;
    sm_buf_adds(out, "{\n  \"schema\": \"" SM_MAP_SCHEMA "\",\n");
    sm_buf_adds(out,
                "  \"generator\": {\"name\": \"svcmap\", \"version\": \"" SVCMAP_VERSION "\"},\n");
    add_source(out, &map->source);
    sm_buf_adds(out, "  \"nodes\": [");
    for (i = 0; i < map->nnodes; i++) {
        const struct sm_node *n = &map->nodes[i];

        sm_buf_adds(out, i ? ",\n    " : "\n    ");
        sm_buf_adds(out, "{\"id\": ");
        sm_buf_add_json_string(out, n->id);
        sm_buf_adds(out, ", \"name\": ");
        sm_buf_add_json_string(out, n->name);
        sm_buf_printf(out, ", \"kind\": \"%s\"", sm_node_kind_name(n->kind));
        if (n->namespace_) {
            sm_buf_adds(out, ", \"namespace\": ");
            sm_buf_add_json_string(out, n->namespace_);
        }
        if (n->version) {
            sm_buf_adds(out, ", \"version\": ");
            sm_buf_add_json_string(out, n->version);
        }
        if (n->system) {
            sm_buf_adds(out, ", \"system\": ");
            sm_buf_add_json_string(out, n->system);
        }
        if (n->kind == SM_NODE_SERVICE)
            sm_buf_printf(out, ", \"entry_calls\": %llu", (unsigned long long)n->entry_calls);
        sm_buf_addc(out, '}');
    }
    sm_buf_adds(out, map->nnodes ? "\n  ],\n" : "],\n");
    sm_buf_adds(out, "  \"edges\": [");
    for (i = 0; i < map->nedges; i++) {
        const struct sm_edge *e = &map->edges[i];
        struct sm_latency_summary c, s;
        bool hc = sm_edge_latency(e, SM_SIDE_CLIENT, &c);
        bool hs = sm_edge_latency(e, SM_SIDE_SERVER, &s);

        sm_buf_adds(out, i ? ",\n    " : "\n    ");
        sm_buf_adds(out, "{\"from\": ");
        sm_buf_add_json_string(out, map->nodes[e->from].id);
        sm_buf_adds(out, ", \"to\": ");
        sm_buf_add_json_string(out, map->nodes[e->to].id);
        sm_buf_printf(out, ", \"kind\": \"%s\", \"calls\": %llu, \"errors\": %llu",
                      sm_edge_kind_name(e->kind), (unsigned long long)e->calls,
                      (unsigned long long)e->errors);
        if (hc || hs) {
            sm_buf_adds(out, ",\n     \"latency_ms\": {");
            if (hc) {
                sm_buf_adds(out, "\"client\": ");
                add_latency(out, &c, &e->client);
            }
            if (hs) {
                sm_buf_adds(out, hc ? ",\n                    \"server\": " : "\"server\": ");
                add_latency(out, &s, &e->server);
            }
            sm_buf_addc(out, '}');
            if (e->latency_estimated) {
                sm_buf_adds(out, ", \"latency_estimated\": true");
                add_bounds(out, hc ? &c : NULL, hs ? &s : NULL);
            }
        }
        sm_buf_addc(out, '}');
    }
    sm_buf_adds(out, map->nedges ? "\n  ]" : "]");
    /* absent when no entry span was seen, so maps of pre-aggregated inputs keep their
     * bytes */
    if (map->nwhy) {
        sm_buf_adds(out, ",\n  \"why\": [");
        add_why(out, map);
        sm_buf_adds(out, "\n  ]");
    }
    sm_buf_adds(out, "\n}\n");
    return 0;
}

static const char *const json_extensions[] = {".json", NULL};

const struct sm_emitter sm_emit_json = {
    .name = "json",
    .extensions = json_extensions,
    .binary = false,
    .emit = emit_json,
};
