/* test_conformance_links.c: every case of fixtures/conformance/expected, end to end.
 *
 * Each case names a real export (and sometimes the same data in another format) and the
 * dependency links its origin states or computes. The input goes through the real
 * ingest and linker; edges are compared by node name (case-insensitively), summing
 * edge kinds, with the client node of entry calls left out.
 *
 * - stated cases: calls and errors exactly; with "complete", no other edge.
 * - computed cases (derived by plain client/server pairing or Zipkin's linker, asserted
 *   nowhere) differ from svcmap by two rules of DESIGN.md, applied to every such case:
 *   rule 3, svcmap draws peers that send no spans (database, queue and external nodes),
 *   so extra edges to such nodes are allowed; rule 6, svcmap reads error status and
 *   tags on both sides, so errors may be higher than computed, never lower.
 * - "latency_sum_s": mean x count of each side gives back the stated sums.
 */
#include <dirent.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svcmap/ingest.h"
#include "svcmap/link.h"
#include "svcmap/map.h"

#define DIR_CONFORMANCE SVCMAP_SOURCE_DIR "/fixtures/conformance"

/* Zipkin's cases are lists of traces where each element is one call of Zipkin's
 * putTrace, and several reuse one trace id for unrelated traces. svcmap groups spans
 * by trace id across elements (DESIGN rule 1), so to state Zipkin's cases as Zipkin
 * meant them, each element of whole traces is linked on its own, into the same map. */
struct run {
    struct sm_map *map;
    struct sm_linker *shared;
};

static int on_batch(void *ctx, struct sm_batch *batch, struct sm_error *err)
{
    struct run *run = ctx;
    struct sm_linker *own;
    int rc;

    if (!batch->whole_traces)
        return sm_linker_add(run->shared, batch, err);
    own = sm_linker_new(run->map, NULL);
    rc = sm_linker_add(own, batch, err);
    if (rc == 0)
        rc = sm_linker_finish(own, err);
    sm_linker_free(own);
    return rc;
}

static void load(const char *rel, struct sm_map *map)
{
    char path[1024];
    struct sm_ingest_options opt;
    struct sm_ingest_stats stats;
    struct sm_error err;
    struct sm_linker *l = sm_linker_new(map, NULL);
    struct run run = {map, l};

    snprintf(path, sizeof(path), "%s/%s", DIR_CONFORMANCE, rel);
    sm_ingest_options_init(&opt);
    opt.strict = true;
    memset(&stats, 0, sizeof(stats));
    sm_error_init(&err);
    if (sm_ingest_file(path, &opt, on_batch, &run, &stats, &err) != 0)
        fail_msg("%s: %s", rel, err.text);
    assert_int_equal(sm_linker_finish(l, &err), 0);
    sm_linker_free(l);
    map->source.spans += stats.spans;
    sm_map_sort(map);
}

/* Calls and errors between two names, summed over edge kinds. */
static void pair(const struct sm_map *m, const char *from, const char *to, uint64_t *calls,
                 uint64_t *errors)
{
    size_t i;

    *calls = *errors = 0;
    for (i = 0; i < m->nedges; i++) {
        const struct sm_edge *e = &m->edges[i];

        if (!sm_strcasecmp(m->nodes[e->from].name, from) &&
            !sm_strcasecmp(m->nodes[e->to].name, to) && m->nodes[e->from].kind != SM_NODE_CLIENT) {
            *calls += e->calls;
            *errors += e->errors;
        }
    }
}

static bool expected_has(const json_t *edges, const char *from, const char *to)
{
    size_t i;
    const json_t *e;

    json_array_foreach(edges, i, e)
    {
        if (!sm_strcasecmp(json_string_value(json_object_get(e, "from")), from) &&
            !sm_strcasecmp(json_string_value(json_object_get(e, "to")), to))
            return true;
    }
    return false;
}

static void check_latency_sums(const struct sm_map *m, const json_t *sums, const char *name)
{
    const char *key;
    const json_t *sides;

    json_object_foreach((json_t *)sums, key, sides)
    {
        char from[128], to[128];
        const char *arrow = strstr(key, "->");
        size_t i;
        bool found = false;

        assert_non_null(arrow);
        snprintf(from, sizeof(from), "%.*s", (int)(arrow - key), key);
        snprintf(to, sizeof(to), "%s", arrow + 2);
        for (i = 0; i < m->nedges; i++) {
            const struct sm_edge *e = &m->edges[i];
            struct sm_latency_summary c, s;

            if (sm_strcasecmp(m->nodes[e->from].name, from) ||
                sm_strcasecmp(m->nodes[e->to].name, to))
                continue;
            found = true;
            assert_true(sm_edge_latency(e, SM_SIDE_CLIENT, &c));
            assert_true(sm_edge_latency(e, SM_SIDE_SERVER, &s));
            if (fabs(c.mean * (double)c.count / 1000.0 -
                     json_number_value(json_object_get(sides, "client"))) > 1e-6 ||
                fabs(s.mean * (double)s.count / 1000.0 -
                     json_number_value(json_object_get(sides, "server"))) > 1e-6)
                fail_msg("%s: %s latency sums client %.6f s server %.6f s", name, key,
                         c.mean * (double)c.count / 1000.0, s.mean * (double)s.count / 1000.0);
        }
        if (!found)
            fail_msg("%s: no edge %s for the latency sums", name, key);
    }
}

static void check_case(const char *name, const json_t *exp, const char *input)
{
    struct sm_map m;
    const json_t *edges = json_object_get(exp, "edges"), *e, *v;
    bool stated = !strcmp(json_string_value(json_object_get(exp, "authority")), "stated");
    bool complete = json_is_true(json_object_get(exp, "complete"));
    size_t i;

    sm_map_init(&m);
    load(input, &m);
    json_array_foreach(edges, i, e)
    {
        const char *from = json_string_value(json_object_get(e, "from"));
        const char *to = json_string_value(json_object_get(e, "to"));
        uint64_t want_calls = (uint64_t)json_integer_value(json_object_get(e, "calls"));
        uint64_t want_errors = (uint64_t)json_integer_value(json_object_get(e, "errors"));
        uint64_t calls, errors;

        pair(&m, from, to, &calls, &errors);
        if (calls != want_calls || (stated && errors != want_errors) || errors < want_errors)
            fail_msg("%s (%s): %s -> %s: %llu calls %llu errors, expected %llu and %llu", name,
                     input, from, to, (unsigned long long)calls, (unsigned long long)errors,
                     (unsigned long long)want_calls, (unsigned long long)want_errors);
    }
    if (complete) {
        for (i = 0; i < m.nedges; i++) {
            const struct sm_node *f = &m.nodes[m.edges[i].from], *t = &m.nodes[m.edges[i].to];

            if (f->kind == SM_NODE_CLIENT || expected_has(edges, f->name, t->name))
                continue;
            if (!stated && t->kind != SM_NODE_SERVICE)
                continue; /* rule 3: a peer that sends no spans */
            fail_msg("%s (%s): unexpected edge %s -> %s (%llu calls)", name, input, f->id, t->id,
                     (unsigned long long)m.edges[i].calls);
        }
    }
    if ((v = json_object_get(exp, "spans")))
        assert_int_equal(m.source.spans, json_integer_value(v));
    if ((v = json_object_get(exp, "services"))) {
        const json_t *svc;

        json_array_foreach(v, i, svc)
        {
            if (sm_map_find_node(&m, SM_NODE_SERVICE, json_string_value(svc)) == (size_t)-1)
                fail_msg("%s: service %s missing", name, json_string_value(svc));
        }
    }
    if ((v = json_object_get(exp, "latency_sum_s")))
        check_latency_sums(&m, v, name);
    sm_map_release(&m);
}

static void test_all_cases(void **state)
{
    DIR *d = opendir(DIR_CONFORMANCE "/expected");
    struct dirent *de;
    int ncases = 0;

    (void)state;
    assert_non_null(d);
    while ((de = readdir(d))) {
        char path[1024];
        json_error_t jerr;
        json_t *exp;
        const char *also;

        if (!strstr(de->d_name, ".json"))
            continue;
        snprintf(path, sizeof(path), "%s/expected/%s", DIR_CONFORMANCE, de->d_name);
        exp = json_load_file(path, 0, &jerr);
        assert_non_null(exp);
        check_case(de->d_name, exp, json_string_value(json_object_get(exp, "input")));
        also = json_string_value(json_object_get(exp, "also_input"));
        if (also)
            check_case(de->d_name, exp, also);
        json_decref(exp);
        ncases++;
    }
    closedir(d);
    /* the corpus holds 49 cases; a missing folder must not pass quietly */
    assert_int_equal(ncases, 49);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_cases),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
