/* svcmap_bigmap.c: builds a large synthetic map in memory and times one emitter on it.
 *
 * usage: svcmap-bigmap [--services N] [--edges M] [-f FORMAT] [-o FILE] [--json FILE]
 * Services sit in ten layers; edges go from a layer to a deeper one (like callers and
 * callees), with a database or queue behind every tenth service, namespaces for
 * --group-by, and a few slow or failing edges so the legend and colours are drawn.
 * Numbers come from a fixed-seed generator: the same arguments build the same map. It
 * prints one line: services, edges, format, output bytes and the emit time in seconds.
 * --json also writes the map as a svcmap.map/v1 document, for timing the command.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svcmap/emit.h"
#include "svcmap/map.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64*: small, fast and the same on every machine. */
static uint64_t next_random(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static size_t pick(size_t n)
{
    return (size_t)(next_random() % n);
}

static void build(struct sm_map *m, size_t nservices, size_t nedges)
{
    const size_t layers = 10;
    size_t *svc = sm_xmalloc(nservices * sizeof(*svc));
    size_t i, made = 0, tries = 0;
    char name[64], ns[32];

    for (i = 0; i < nservices; i++) {
        snprintf(name, sizeof(name), "svc-%04zu", i);
        snprintf(ns, sizeof(ns), "team-%02zu", i % 17);
        svc[i] = sm_map_node(m, SM_NODE_SERVICE, name);
        sm_node_set_attr(&m->nodes[svc[i]].namespace_, ns);
    }
    /* Stores behind every tenth service. */
    for (i = 0; i < nservices && made < nedges; i += 10) {
        enum sm_node_kind kind = i % 20 ? SM_NODE_DATABASE : SM_NODE_QUEUE;
        size_t store;
        struct sm_edge *e;
        int k;

        snprintf(name, sizeof(name), "%s-%04zu", kind == SM_NODE_DATABASE ? "db" : "q", i);
        store = sm_map_node(m, kind, name);
        e = sm_map_edge(m, svc[i], store,
                        kind == SM_NODE_DATABASE ? SM_EDGE_DATABASE : SM_EDGE_MESSAGING);
        e->calls = 10 + pick(5000);
        for (k = 0; k < 20; k++)
            sm_sketch_add(&e->client, 0.5 + (double)pick(40));
        made++;
    }
    while (made < nedges && tries < nedges * 100) {
        size_t from = pick(nservices), to = pick(nservices);
        size_t lf = from * layers / nservices, lt = to * layers / nservices;
        struct sm_edge *e;
        int k;

        tries++;
        if (lt <= lf || sm_map_find_edge(m, svc[from], svc[to], SM_EDGE_RPC) != (size_t)-1)
            continue;
        e = sm_map_edge(m, svc[from], svc[to], SM_EDGE_RPC);
        e->calls = 1 + pick(100000);
        e->errors = pick(50) == 0 ? e->calls / 10 : 0;
        for (k = 0; k < 20; k++)
            sm_sketch_add(&e->client, pick(200) == 0 ? 30000 : 1 + (double)pick(300));
        made++;
    }
    free(svc);
    sm_map_sort(m);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        fprintf(stderr, "svcmap-bigmap: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    size_t nservices = 1000, nedges = 4000;
    const char *format = "svg", *out_path = NULL, *json_path = NULL;
    const struct sm_emitter *em;
    struct sm_map map;
    struct sm_style style;
    struct sm_buf out;
    struct sm_error err;
    double t0, t1;
    int i, status = 0;

    for (i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (!strcmp(argv[i], "--services") && v)
            nservices = (size_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--edges") && v)
            nedges = (size_t)strtoul(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "-f") && v)
            format = argv[++i];
        else if (!strcmp(argv[i], "-o") && v)
            out_path = argv[++i];
        else if (!strcmp(argv[i], "--json") && v)
            json_path = argv[++i];
        else {
            fprintf(stderr, "usage: svcmap-bigmap [--services N] [--edges M] [-f FORMAT] "
                            "[-o FILE] [--json FILE]\n");
            return 2;
        }
    }
    if (nservices < 2) {
        fprintf(stderr, "svcmap-bigmap: --services must be at least 2\n");
        return 2;
    }
    em = sm_emitter_find(format);
    if (!em) {
        fprintf(stderr, "svcmap-bigmap: unknown format '%s'\n", format);
        return 2;
    }
    sm_map_init(&map);
    sm_style_init(&style);
    sm_buf_init(&out);
    sm_error_init(&err);
    build(&map, nservices, nedges);
    if (json_path) {
        struct sm_buf doc;

        sm_buf_init(&doc);
        if (sm_emit_json.emit(&map, &style, &doc, &err) < 0 ||
            write_file(json_path, doc.data, doc.len) < 0)
            status = 1;
        sm_buf_release(&doc);
    }
    t0 = now_s();
    if (status == 0 && em->emit(&map, &style, &out, &err) < 0) {
        fprintf(stderr, "svcmap-bigmap: %s\n", err.text);
        status = 1;
    }
    t1 = now_s();
    if (status == 0) {
        printf("services=%zu nodes=%zu edges=%zu format=%s bytes=%zu seconds=%.2f\n", nservices,
               map.nnodes, map.nedges, em->name, out.len, t1 - t0);
        if (out_path && write_file(out_path, out.data, out.len) < 0)
            status = 1;
    }
    sm_buf_release(&out);
    sm_map_release(&map);
    return status;
}
