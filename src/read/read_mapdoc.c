/* read_mapdoc.c: reads a svcmap.map/v1 document back into a map.
 *
 * The reader accepts what emit_json.c writes (and hand-written documents): latency comes
 * back as summaries, not sketches.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "svcmap/input.h"
#include "svcmap/mapdoc.h"
#include "svcmap/scan.h"
#include "svcmap/span.h"

static const char *const quantile_names[4] = {"p50", "p90", "p95", "p99"};

bool sm_mapdoc_sniff(const char *head, size_t len)
{
    size_t i = 0;
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

static int bad(struct sm_error *err, const char *name, const char *what, size_t index)
{
    return sm_error_at(err, SM_EINPUT, name, 0, 0, -1, "map document: %s %zu is malformed", what,
                       index);
}

static double num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    return json_is_number(v) ? json_number_value(v) : 0.0;
}

static void read_bounds(const json_t *o, struct sm_latency_summary *s)
{
    int k;

    if (!json_is_object(o))
        return;
    s->bounded = true;
    for (k = 0; k < 4; k++) {
        const json_t *pair = json_object_get(o, quantile_names[k]);
        const json_t *hi = json_array_get(pair, 1);

        if (json_array_size(pair) != 2 || !json_is_number(json_array_get(pair, 0))) {
            s->bounded = false;
            return;
        }
        s->lo[k] = json_number_value(json_array_get(pair, 0));
        s->hi[k] = json_is_number(hi) ? json_number_value(hi) : INFINITY;
    }
}

static void read_latency(const json_t *o, struct sm_latency_summary *s)
{
    memset(s, 0, sizeof(*s));
    if (!json_is_object(o))
        return;
    s->count = (uint64_t)num(o, "count");
    s->min = num(o, "min");
    s->p50 = num(o, "p50");
    s->p90 = num(o, "p90");
    s->p95 = num(o, "p95");
    s->p99 = num(o, "p99");
    s->max = num(o, "max");
    s->mean = num(o, "mean");
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

int sm_mapdoc_parse(const char *data, size_t len, const char *name, struct sm_map *map,
                    struct sm_error *err)
{
    json_error_t jerr;
    json_t *doc = json_loadb(data, len, 0, &jerr), *nodes, *edges, *src, *v;
    size_t i;
    int rc = 0;

    if (!doc)
        return sm_error_at(err, SM_EINPUT, name, jerr.line, jerr.column, jerr.position, "%s",
                           jerr.text);
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
    for (i = 0; i < json_array_size(nodes); i++) {
        const json_t *n = json_array_get(nodes, i);
        const char *nname = json_string_value(json_object_get(n, "name"));
        const char *kind = json_string_value(json_object_get(n, "kind"));
        enum sm_node_kind k;
        size_t idx;

        if (!nname || !kind || sm_node_kind_parse(kind, &k)) {
            rc = bad(err, name, "node", i);
            goto out;
        }
        idx = sm_map_node(map, k, nname);
        sm_node_set_attr(&map->nodes[idx].namespace_,
                         json_string_value(json_object_get(n, "namespace")));
        sm_node_set_attr(&map->nodes[idx].version,
                         json_string_value(json_object_get(n, "version")));
        sm_node_set_attr(&map->nodes[idx].system, json_string_value(json_object_get(n, "system")));
        map->nodes[idx].entry_calls += (uint64_t)num(n, "entry_calls");
    }
    for (i = 0; i < json_array_size(edges); i++) {
        const json_t *e = json_array_get(edges, i), *lat;
        const char *from = json_string_value(json_object_get(e, "from"));
        const char *to = json_string_value(json_object_get(e, "to"));
        const char *kind = json_string_value(json_object_get(e, "kind"));
        size_t fi, ti;
        enum sm_edge_kind k;
        struct sm_edge *edge;

        if (!from || !to || !kind || sm_edge_kind_parse(kind, &k)) {
            rc = bad(err, name, "edge", i);
            goto out;
        }
        fi = sm_map_find_node_id(map, from);
        ti = sm_map_find_node_id(map, to);
        if (fi == (size_t)-1 || ti == (size_t)-1) {
            rc = sm_error_at(err, SM_EINPUT, name, 0, 0, -1,
                             "map document: edge %zu names a node that is not in \"nodes\"", i);
            goto out;
        }
        edge = sm_map_edge(map, fi, ti, k);
        edge->calls += (uint64_t)num(e, "calls");
        edge->errors += (uint64_t)num(e, "errors");
        lat = json_object_get(e, "latency_ms");
        read_latency(json_object_get(lat, "client"), &edge->client_summary);
        read_latency(json_object_get(lat, "server"), &edge->server_summary);
        edge->latency_estimated = json_is_true(json_object_get(e, "latency_estimated"));
        lat = json_object_get(e, "latency_bounds_ms");
        read_bounds(json_object_get(lat, "client"), &edge->client_summary);
        read_bounds(json_object_get(lat, "server"), &edge->server_summary);
    }
    src = json_object_get(doc, "source");
    if (json_is_object(src)) {
        json_t *files = json_object_get(src, "files"), *formats = json_object_get(src, "formats");
        int64_t start = read_time(json_object_get(src, "start"));
        int64_t end = read_time(json_object_get(src, "end"));

        for (i = 0; i < json_array_size(files); i++) {
            if (json_is_string(json_array_get(files, i)))
                sm_map_add_file(map, json_string_value(json_array_get(files, i)));
        }
        for (i = 0; i < json_array_size(formats); i++) {
            const char *f = json_string_value(json_array_get(formats, i));
            enum sm_input_format fmt = f ? sm_format_from_name(f) : SM_FORMAT_UNKNOWN;

            if (fmt != SM_FORMAT_UNKNOWN)
                map->source.formats |= 1u << fmt;
        }
        map->source.spans += (uint64_t)num(src, "spans");
        map->source.traces += (uint64_t)num(src, "traces");
        map->source.skipped_records += (uint64_t)num(src, "skipped_records");
        map->source.unresolved_calls += (uint64_t)num(src, "unresolved_calls");
        if (start && (!map->source.start_ns || start < map->source.start_ns))
            map->source.start_ns = start;
        if (end > map->source.end_ns)
            map->source.end_ns = end;
    }
out:
    json_decref(doc);
    return rc;
}

int sm_mapdoc_read(const char *path, struct sm_map *map, struct sm_error *err)
{
    struct sm_input *in = NULL;
    struct sm_buf buf;
    int rc;

    sm_buf_init(&buf);
    rc = sm_input_open(&in, path, err);
    if (rc)
        return rc;
    rc = sm_input_read_rest(in, &buf, SM_DEFAULT_MAX_ELEMENT_BYTES, err);
    if (rc == 0)
        rc = sm_mapdoc_parse(buf.data ? buf.data : "", buf.len, sm_input_name(in), map, err);
    sm_input_free(in);
    sm_buf_release(&buf);
    return rc;
}
