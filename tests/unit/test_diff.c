/* test_diff.c: comparing two maps built in C, gates, reports and decorations.
 *
 * The base and head maps differ in known ways, like the shop example's v1 and v2: a new
 * dependency (gateway -> recommendations), a vanished one (payments -> fraud-check, whose
 * node disappears with it), a slower external call (card-api, four times slower), more
 * failures (gateway -> inventory, 0 % -> 10 %), a rare edge under the floor, and an edge
 * whose client side is unsketched so the server side is compared. Each change must be
 * found, ranked, gated and drawn; a map diffed with itself must report nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "svcmap/diff.h"
#include "svcmap/map.h"
#include "svcmap/why.h"

static struct sm_edge *edge(struct sm_map *m, const char *from, enum sm_node_kind to_kind,
                            const char *to, enum sm_edge_kind kind, uint64_t calls, uint64_t errors)
{
    size_t f = sm_map_node(m, SM_NODE_SERVICE, from), t = sm_map_node(m, to_kind, to);
    struct sm_edge *e = sm_map_edge(m, f, t, kind);

    e->calls = calls;
    e->errors = errors;
    return e;
}

/* calls values spread evenly over [lo, hi] ms on the client side. */
static void spread(struct sm_sketch *s, uint64_t n, double lo, double hi)
{
    uint64_t i;

    for (i = 0; i < n; i++)
        sm_sketch_add(s, lo + (hi - lo) * (double)i / (double)(n - 1));
}

static void build(struct sm_map *m, bool v2)
{
    struct sm_edge *e;

    sm_map_init(m);
    e = edge(m, "gateway", SM_NODE_SERVICE, "payments", SM_EDGE_RPC, 200, 2);
    spread(&e->client, 200, 5, 50);
    e = edge(m, "gateway", SM_NODE_SERVICE, "inventory", SM_EDGE_RPC, 100, v2 ? 10 : 0);
    spread(&e->client, 100, 2, 20);
    e = edge(m, "payments", SM_NODE_EXTERNAL, "card-api", SM_EDGE_EXTERNAL, 100, 0);
    spread(&e->client, 100, v2 ? 40 : 10, v2 ? 480 : 120);
    /* server side only: compared on the server side */
    e = edge(m, "inventory", SM_NODE_DATABASE, "stock", SM_EDGE_DATABASE, 300, 0);
    spread(&e->server, 300, 1, 3);
    if (!v2) {
        e = edge(m, "payments", SM_NODE_SERVICE, "fraud-check", SM_EDGE_RPC, 50, 0);
        spread(&e->client, 50, 3, 9);
        edge(m, "gateway", SM_NODE_SERVICE, "legacy", SM_EDGE_RPC, 3, 1);
    } else {
        e = edge(m, "gateway", SM_NODE_SERVICE, "recommendations", SM_EDGE_RPC, 80, 0);
        spread(&e->client, 80, 4, 12);
    }
    m->nodes[sm_map_find_node(m, SM_NODE_SERVICE, "gateway")].entry_calls = 300;
}

static const char *node_of(const struct sm_diff *d, const struct sm_change *c)
{
    return d->map.nodes[c->node].id;
}

static void edge_of(const struct sm_diff *d, const struct sm_change *c, char *buf, size_t size)
{
    const struct sm_edge *e = &d->map.edges[c->edge];

    snprintf(buf, size, "%s>%s", d->map.nodes[e->from].id, d->map.nodes[e->to].id);
}

static void test_changes_found_and_ranked(void **state)
{
    struct sm_map base, head;
    struct sm_diff d;
    char buf[200];

    (void)state;
    build(&base, false);
    build(&head, true);
    sm_diff_init(&d);
    sm_diff_maps(&d, &base, &head, NULL);

    assert_int_equal(d.nchanges, 6);
    assert_int_equal(d.ignored_edges, 1); /* gateway -> legacy, 3 calls */
    assert_int_equal(d.changes[0].kind, SM_CHANGE_REMOVED_NODE);
    assert_string_equal(node_of(&d, &d.changes[0]), "service:fraud-check");
    assert_int_equal(d.changes[1].kind, SM_CHANGE_REMOVED_EDGE);
    edge_of(&d, &d.changes[1], buf, sizeof(buf));
    assert_string_equal(buf, "service:payments>service:fraud-check");
    assert_true(d.changes[1].base == 50);
    /* regressions by multiples of their thresholds: +10 pp is 20x 0.5 pp, card-api's
     * quantiles rose by 300 % (15x 20 %) */
    assert_int_equal(d.changes[2].kind, SM_CHANGE_ERRORS);
    edge_of(&d, &d.changes[2], buf, sizeof(buf));
    assert_string_equal(buf, "service:gateway>service:inventory");
    assert_true(d.changes[2].regression);
    assert_true(fabs(d.changes[2].delta - 10.0) < 1e-9);
    assert_int_equal(d.changes[3].kind, SM_CHANGE_LATENCY);
    edge_of(&d, &d.changes[3], buf, sizeof(buf));
    assert_string_equal(buf, "service:payments>external:card-api");
    assert_true(d.changes[3].regression);
    assert_true(d.changes[3].delta > 2.9 && d.changes[3].delta < 3.1);
    assert_int_equal(d.edges[d.changes[3].edge].side, SM_SIDE_CLIENT);
    assert_int_equal(d.changes[4].kind, SM_CHANGE_ADDED_NODE);
    assert_string_equal(node_of(&d, &d.changes[4]), "service:recommendations");
    assert_int_equal(d.changes[5].kind, SM_CHANGE_ADDED_EDGE);
    edge_of(&d, &d.changes[5], buf, sizeof(buf));
    assert_string_equal(buf, "service:gateway>service:recommendations");
    assert_true(d.changes[5].head == 80);

    /* the union holds both sides; legacy is there, unreported */
    assert_int_equal(d.map.nnodes, 8);
    assert_int_equal(d.map.nedges, 7);
    assert_int_not_equal(sm_map_find_node(&d.map, SM_NODE_SERVICE, "legacy"), (size_t)-1);
    /* the database edge has no client figures: compared on the server side, unchanged */
    {
        size_t inv = sm_map_find_node(&d.map, SM_NODE_SERVICE, "inventory");
        size_t stock = sm_map_find_node(&d.map, SM_NODE_DATABASE, "stock");
        size_t i = sm_map_find_edge(&d.map, inv, stock, SM_EDGE_DATABASE);

        assert_int_equal(d.edges[i].side, SM_SIDE_SERVER);
        assert_true(d.edges[i].comparable);
        assert_true(d.edges[i].base.has_latency && d.edges[i].head.has_latency);
    }
    sm_diff_release(&d);
    sm_map_release(&base);
    sm_map_release(&head);
}

/* The gates' hits as reason lines, one a line, as a person reads them. */
static size_t check_gates(const struct sm_diff *d, const struct sm_gate *g, size_t n,
                          struct sm_gate_hits *hits, struct sm_buf *reasons)
{
    size_t i, tripped;

    sm_gate_hits_release(hits);
    sm_buf_reset(reasons);
    tripped = sm_diff_check_gates(d, g, n, hits);
    assert_int_equal(tripped, hits->nhits);
    for (i = 0; i < hits->nhits; i++) {
        sm_gate_hit_describe(d, &hits->hits[i], reasons);
        sm_buf_adds(reasons, "\n");
    }
    return tripped;
}

static void test_self_diff_is_empty(void **state)
{
    struct sm_map base;
    struct sm_diff d;
    struct sm_gate gates[8];
    const char *rules[] = {"added-edge", "removed-edge", "added-node", "removed-node",
                           "p99>+0%",    "errors>+0pp",  "calls<-0%",  "p50>+0ms"};
    struct sm_buf reasons, text;
    struct sm_gate_hits hits;
    size_t i;

    (void)state;
    build(&base, true);
    sm_diff_init(&d);
    sm_diff_maps(&d, &base, &base, NULL);
    assert_int_equal(d.nchanges, 0);
    for (i = 0; i < 8; i++)
        assert_int_equal(sm_gate_parse(rules[i], &gates[i], NULL), 0);
    sm_buf_init(&reasons);
    sm_gate_hits_init(&hits);
    assert_int_equal(check_gates(&d, gates, 8, &hits, &reasons), 0);
    assert_int_equal(reasons.len, 0);
    sm_buf_init(&text);
    sm_diff_write_text(&d, &hits, false, &text);
    assert_string_equal(text.data, "svcmap diff: no changes\n");
    sm_buf_release(&text);
    sm_buf_release(&reasons);
    sm_gate_hits_release(&hits);
    sm_diff_release(&d);
    sm_map_release(&base);
}

static void test_floor(void **state)
{
    struct sm_map base, head;
    struct sm_diff d;
    struct sm_diff_options o;

    (void)state;
    build(&base, false);
    build(&head, true);
    sm_diff_options_init(&o);
    o.min_calls = 0;
    sm_diff_init(&d);
    sm_diff_maps(&d, &base, &head, &o);
    /* legacy's edge and node now count */
    assert_int_equal(d.ignored_edges, 0);
    assert_int_equal(d.nchanges, 8);
    o.min_calls = 60; /* fraud-check (50) and recommendations (80) straddle it */
    sm_diff_maps(&d, &base, &head, &o);
    assert_int_equal(d.ignored_edges, 2);
    assert_int_equal(d.nchanges, 4);
    assert_int_equal(d.changes[0].kind, SM_CHANGE_ERRORS);
    assert_int_equal(d.changes[2].kind, SM_CHANGE_ADDED_NODE);
    sm_diff_release(&d);
    sm_map_release(&base);
    sm_map_release(&head);
}

static void test_gate_parse(void **state)
{
    struct sm_gate g;
    struct sm_error err;
    const char *bad[] = {"",           "p98>+25%",    "p99>25",    "p99<+25%",
                         "errors>+1%", "errors>x pp", "calls<-50", "added-edges",
                         "p99>+-3%",   "p99>+nan%"};
    size_t i;

    (void)state;
    assert_int_equal(sm_gate_parse("p99>+25%", &g, NULL), 0);
    assert_int_equal(g.kind, SM_GATE_LATENCY);
    assert_int_equal(g.quantile, 3);
    assert_false(g.absolute_ms);
    assert_true(fabs(g.threshold - 0.25) < 1e-12);
    assert_string_equal(g.text, "p99>+25%");
    assert_int_equal(sm_gate_parse("p50>100ms", &g, NULL), 0);
    assert_int_equal(g.quantile, 0);
    assert_true(g.absolute_ms);
    assert_true(g.threshold == 100);
    assert_int_equal(sm_gate_parse("errors>+1pp", &g, NULL), 0);
    assert_int_equal(g.kind, SM_GATE_ERRORS);
    assert_true(fabs(g.threshold - 0.01) < 1e-12);
    assert_int_equal(sm_gate_parse("errors>0.5pp", &g, NULL), 0);
    assert_true(fabs(g.threshold - 0.005) < 1e-12);
    assert_int_equal(sm_gate_parse("calls<-50%", &g, NULL), 0);
    assert_int_equal(g.kind, SM_GATE_CALLS);
    assert_false(g.rise);
    assert_int_equal(sm_gate_parse("calls>+200%", &g, NULL), 0);
    assert_true(g.rise);
    assert_true(fabs(g.threshold - 2.0) < 1e-12);
    assert_int_equal(sm_gate_parse("removed-node", &g, NULL), 0);
    assert_int_equal(g.kind, SM_GATE_REMOVED_NODE);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sm_error_init(&err);
        if (sm_gate_parse(bad[i], &g, &err) != SM_EUSAGE)
            fail_msg("'%s' was accepted", bad[i]);
        assert_non_null(strstr(err.text, "--fail-on rule"));
    }
}

static size_t trips(const struct sm_diff *d, const char *rule, struct sm_buf *reasons)
{
    struct sm_gate g;
    struct sm_gate_hits hits;
    size_t n;

    assert_int_equal(sm_gate_parse(rule, &g, NULL), 0);
    sm_gate_hits_init(&hits);
    n = check_gates(d, &g, 1, &hits, reasons);
    sm_gate_hits_release(&hits);
    return n;
}

static void test_gates_trip(void **state)
{
    struct sm_map base, head;
    struct sm_diff d;
    struct sm_buf r;

    (void)state;
    build(&base, false);
    build(&head, true);
    sm_diff_init(&d);
    sm_diff_maps(&d, &base, &head, NULL);
    sm_buf_init(&r);
    assert_int_equal(trips(&d, "added-edge", &r), 1);
    assert_string_equal(r.data,
                        "added-edge: new edge gateway -> recommendations (rpc, 80 calls)\n");
    assert_int_equal(trips(&d, "removed-edge", &r), 1);
    assert_non_null(strstr(r.data, "vanished edge payments -> fraud-check"));
    assert_int_equal(trips(&d, "added-node", &r), 1);
    assert_string_equal(r.data, "added-node: new node service:recommendations\n");
    assert_int_equal(trips(&d, "removed-node", &r), 1);
    assert_int_equal(trips(&d, "errors>+1pp", &r), 1);
    assert_string_equal(r.data, "errors>+1pp: gateway -> inventory error rate 0.0% -> 10.0% "
                                "(+10.0 pp)\n");
    assert_int_equal(trips(&d, "errors>+10pp", &r), 0); /* exactly +10 pp is not more */
    assert_int_equal(trips(&d, "p99>+25%", &r), 1);
    assert_non_null(strstr(r.data, "p99>+25%: payments -> external:card-api p99 1"));
    assert_non_null(strstr(r.data, " ms (+3"));
    assert_non_null(strstr(r.data, "[client]"));
    assert_int_equal(trips(&d, "p99>+400%", &r), 0);
    assert_int_equal(trips(&d, "p50>+100ms", &r), 1);
    assert_int_equal(trips(&d, "p50>+300ms", &r), 0);
    assert_int_equal(trips(&d, "calls<-10%", &r), 0);
    assert_int_equal(trips(&d, "calls>+10%", &r), 0);
    {
        struct sm_gate g[3];
        struct sm_gate_hits hits;

        assert_int_equal(sm_gate_parse("added-edge", &g[0], NULL), 0);
        assert_int_equal(sm_gate_parse("p95>+25%", &g[1], NULL), 0);
        assert_int_equal(sm_gate_parse("calls<-50%", &g[2], NULL), 0);
        sm_gate_hits_init(&hits);
        assert_int_equal(check_gates(&d, g, 3, &hits, &r), 2);
        /* the hits are data: the rule that tripped and the edge it tripped on */
        assert_ptr_equal(hits.hits[0].gate, &g[0]);
        assert_int_equal(hits.hits[0].node, SM_DIFF_NONE);
        assert_int_equal(d.map.edges[hits.hits[0].edge].kind, SM_EDGE_RPC);
        assert_ptr_equal(hits.hits[1].gate, &g[1]);
        sm_gate_hits_release(&hits);
    }
    sm_buf_release(&r);
    sm_diff_release(&d);
    sm_map_release(&base);
    sm_map_release(&head);
}

static void test_calls_change(void **state)
{
    struct sm_map base, head;
    struct sm_diff d;
    struct sm_buf r;

    (void)state;
    sm_map_init(&base);
    sm_map_init(&head);
    edge(&base, "a", SM_NODE_SERVICE, "b", SM_EDGE_RPC, 400, 0);
    edge(&head, "a", SM_NODE_SERVICE, "b", SM_EDGE_RPC, 150, 0);
    edge(&base, "a", SM_NODE_QUEUE, "jobs", SM_EDGE_MESSAGING, 100, 0);
    edge(&head, "a", SM_NODE_QUEUE, "jobs", SM_EDGE_MESSAGING, 110, 0); /* +10 %: quiet */
    sm_diff_init(&d);
    sm_diff_maps(&d, &base, &head, NULL);
    assert_int_equal(d.nchanges, 1);
    assert_int_equal(d.changes[0].kind, SM_CHANGE_CALLS);
    assert_true(d.changes[0].regression);
    assert_true(fabs(d.changes[0].delta + 0.625) < 1e-9);
    sm_buf_init(&r);
    assert_int_equal(trips(&d, "calls<-50%", &r), 1);
    assert_string_equal(r.data, "calls<-50%: a -> b calls 400 -> 150 (-62%)\n");
    assert_int_equal(trips(&d, "calls<-70%", &r), 0);
    /* no latency anywhere: latency gates have nothing to trip on */
    assert_int_equal(trips(&d, "p99>+0%", &r), 0);
    sm_buf_release(&r);
    sm_diff_release(&d);
    sm_map_release(&base);
    sm_map_release(&head);
}

static void test_reports(void **state)
{
    struct sm_map base, head;
    struct sm_diff d;
    struct sm_buf r, out;
    struct sm_gate_hits hits;
    struct sm_gate g;
    json_t *doc, *changes;
    json_error_t jerr;

    (void)state;
    build(&base, false);
    build(&head, true);
    sm_diff_init(&d);
    sm_diff_maps(&d, &base, &head, NULL);
    sm_buf_init(&r);
    sm_gate_hits_init(&hits);
    sm_buf_init(&out);
    assert_int_equal(sm_gate_parse("removed-edge", &g, NULL), 0);
    assert_int_equal(check_gates(&d, &g, 1, &hits, &r), 1);

    sm_diff_write_text(&d, &hits, false, &out);
    assert_non_null(strstr(out.data, "svcmap diff: 1 node added, 1 node removed, 1 edge added, "
                                     "1 edge removed, 2 edges changed (1 edge under 10 calls "
                                     "ignored)\n"));
    assert_non_null(strstr(out.data, "- removed node fraud-check  50 calls\n"));
    assert_non_null(strstr(out.data, "+ added edge   gateway -> recommendations  rpc, 80 calls\n"));
    assert_non_null(strstr(out.data, "! more errors  gateway -> inventory  error rate 0.0% -> "
                                     "10.0% (+10.0 pp)\n"));
    assert_non_null(strstr(out.data, "! slower       payments -> external:card-api  p"));
    assert_non_null(strstr(out.data, "1 gate tripped:\n  removed-edge: vanished edge"));
    assert_null(strchr(out.data, '\033'));
    sm_buf_reset(&out);
    sm_diff_write_text(&d, &hits, true, &out);
    assert_non_null(strstr(out.data, "\033[31m- removed edge"));
    assert_non_null(strstr(out.data, "\033[32m+ added edge"));

    sm_buf_reset(&out);
    sm_diff_write_markdown(&d, &hits, &out);
    assert_non_null(strstr(out.data, "### svcmap diff\n\n**Failed:** 1 node added"));
    assert_non_null(strstr(out.data, "| | change | from | to | details |\n|---|---|---|---|---|\n"
                                     "| - | removed node | fraud-check |  | 50 calls |\n"));
    assert_non_null(strstr(out.data, "| + | added edge | gateway | recommendations | rpc, 80 "
                                     "calls |\n"));
    assert_non_null(strstr(out.data, "**1 gate tripped:**\n\n- removed-edge: vanished edge "
                                     "payments -> fraud-check (rpc, 50 calls)\n"));

    sm_buf_reset(&out);
    sm_diff_write_json(&d, &hits, &out);
    doc = json_loads(out.data, 0, &jerr);
    if (!doc)
        fail_msg("diff JSON does not parse: %s at %d:%d", jerr.text, jerr.line, jerr.column);
    assert_string_equal(json_string_value(json_object_get(doc, "schema")), "svcmap.diff/v1");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(doc, "summary"), "edges_added")), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(doc, "summary"), "gates_tripped")), 1);
    changes = json_object_get(doc, "changes");
    assert_int_equal(json_array_size(changes), 6);
    assert_string_equal(json_string_value(json_object_get(json_array_get(changes, 1), "kind")),
                        "removed-edge");
    assert_true(json_is_null(json_object_get(json_array_get(changes, 1), "head")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(changes, 3), "quantile")),
                        "p99");
    assert_int_equal(json_array_size(json_object_get(doc, "gates")), 1);
    json_decref(doc);
    /* deterministic: the same diff, the same bytes */
    {
        struct sm_buf again;
        struct sm_diff d2;

        sm_buf_init(&again);
        sm_diff_init(&d2);
        sm_diff_maps(&d2, &base, &head, NULL);
        sm_diff_write_json(&d2, &hits, &again);
        assert_string_equal(out.data, again.data);
        sm_diff_release(&d2);
        sm_buf_release(&again);
    }
    sm_buf_release(&out);
    sm_buf_release(&r);
    sm_gate_hits_release(&hits);
    sm_diff_release(&d);
    sm_map_release(&base);
    sm_map_release(&head);
}

static void test_decorate(void **state)
{
    struct sm_map base, head;
    struct sm_diff d;
    struct sm_decor *nd, *ed;
    struct sm_buf notes;
    size_t i, reco, fraud, pay, card, gw, inv;

    (void)state;
    build(&base, false);
    build(&head, true);
    sm_diff_init(&d);
    sm_diff_maps(&d, &base, &head, NULL);
    nd = calloc(d.map.nnodes, sizeof(*nd));
    ed = calloc(d.map.nedges, sizeof(*ed));
    sm_buf_init(&notes);
    sm_diff_decorate(&d, nd, ed, &notes);
    reco = sm_map_find_node(&d.map, SM_NODE_SERVICE, "recommendations");
    fraud = sm_map_find_node(&d.map, SM_NODE_SERVICE, "fraud-check");
    pay = sm_map_find_node(&d.map, SM_NODE_SERVICE, "payments");
    card = sm_map_find_node(&d.map, SM_NODE_EXTERNAL, "card-api");
    gw = sm_map_find_node(&d.map, SM_NODE_SERVICE, "gateway");
    inv = sm_map_find_node(&d.map, SM_NODE_SERVICE, "inventory");
    assert_string_equal(nd[reco].color, "#2e7d32");
    assert_string_equal(nd[fraud].color, "#c62828");
    assert_true(nd[fraud].dashed);
    assert_null(nd[pay].color);
    i = sm_map_find_edge(&d.map, pay, fraud, SM_EDGE_RPC);
    assert_string_equal(ed[i].color, "#c62828");
    assert_true(ed[i].dashed);
    i = sm_map_find_edge(&d.map, gw, reco, SM_EDGE_RPC);
    assert_string_equal(ed[i].color, "#2e7d32");
    assert_false(ed[i].dashed);
    i = sm_map_find_edge(&d.map, pay, card, SM_EDGE_EXTERNAL);
    assert_string_equal(ed[i].color, "#ef6c00");
    assert_non_null(ed[i].note);
    assert_true(!strncmp(ed[i].note, "p99 1", 5));
    assert_non_null(strstr(ed[i].note, " -> 4"));
    assert_non_null(strstr(ed[i].note, " ms"));
    i = sm_map_find_edge(&d.map, gw, inv, SM_EDGE_RPC);
    assert_string_equal(ed[i].note, "errors 0.0% -> 10.0%");
    i = sm_map_find_edge(&d.map, gw, pay, SM_EDGE_RPC);
    assert_null(ed[i].color);
    assert_null(ed[i].note);
    free(nd);
    free(ed);
    sm_buf_release(&notes);
    sm_diff_release(&d);
    sm_map_release(&base);
    sm_map_release(&head);
}

/* One side empty: everything above the floor is added (or removed); both empty: nothing. */
static void test_empty_sides(void **state)
{
    struct sm_map empty, m;
    struct sm_diff d;
    struct sm_buf out;

    (void)state;
    sm_map_init(&empty);
    build(&m, true);
    sm_diff_init(&d);
    sm_diff_maps(&d, &empty, &empty, NULL);
    assert_int_equal(d.nchanges, 0);
    assert_int_equal(d.map.nnodes, 0);
    sm_buf_init(&out);
    sm_diff_write_json(&d, NULL, &out);
    assert_non_null(strstr(out.data, "\"changes\":[],\n\"gates\":[]}"));
    sm_diff_maps(&d, &empty, &m, NULL);
    /* 6 nodes and 5 edges, none under the floor */
    assert_int_equal(d.nchanges, 11);
    assert_int_equal(d.changes[0].kind, SM_CHANGE_ADDED_NODE);
    assert_int_equal(d.changes[10].kind, SM_CHANGE_ADDED_EDGE);
    /* busiest first: gateway (entry 300 + 380 out + 0 in) leads the nodes */
    assert_string_equal(d.map.nodes[d.changes[0].node].id, "service:gateway");
    sm_diff_maps(&d, &m, &empty, NULL);
    assert_int_equal(d.nchanges, 11);
    assert_int_equal(d.changes[0].kind, SM_CHANGE_REMOVED_NODE);
    assert_true(d.changes[0].regression);
    sm_buf_release(&out);
    sm_diff_release(&d);
    sm_diff_release(&d); /* twice is safe */
    sm_map_release(&m);
}

/* One entry's contributors with fixed critical time out of a 1 s total, one trace. */
static void why_entry(struct sm_map *m, const char *entry, const char *operation,
                      const char *const *ids, const uint64_t *ms, size_t n)
{
    struct sm_why_entry *e = sm_why_entry(m, entry, operation);
    size_t i;

    e->traces = 1;
    e->total_ns = 1000000000u;
    sm_sketch_add(e->latency, 1000);
    for (i = 0; i < n; i++) {
        struct sm_why_part *p =
            sm_why_part(e, ids[i], strstr(ids[i], "->") ? SM_WHY_WIRE : SM_WHY_NODE);

        p->critical_ns = ms[i] * 1000000u;
        sm_sketch_add(p->share, (double)ms[i] / 1000);
    }
    sm_why_entry_complete(e);
}

/* Shares per entry and contributor: matched by id, a contributor on one side only
 * compared with 0 and said to be new or gone, an entry on one side only one row of its
 * own that no gate trips on; the gate trips on rises of more than its points only, and
 * a map without a why section compares nothing. */
static void test_critical_shares(void **state)
{
    static const char *const base_ids[] = {"database:inventory", "service:frontend",
                                           "service:a->service:b", "external:gone"};
    static const uint64_t base_ms[] = {240, 300, 100, 50};
    static const char *const head_ids[] = {"database:inventory", "service:frontend",
                                           "service:a->service:b", "queue:new"};
    static const uint64_t head_ms[] = {470, 300, 130, 20};
    static const char *const only_ids[] = {"service:admin"};
    static const uint64_t only_ms[] = {900};
    struct sm_map base, head, plain;
    struct sm_diff d;
    struct sm_gate g;
    struct sm_buf r, text;
    size_t i;

    (void)state;
    build(&base, false);
    build(&head, true);
    build(&plain, true);
    why_entry(&base, "service:frontend", NULL, base_ids, base_ms, 4);
    why_entry(&head, "service:frontend", NULL, head_ids, head_ms, 4);
    why_entry(&head, "service:admin", NULL, only_ids, only_ms, 1);
    why_entry(&base, "service:frontend", "GET /", only_ids, only_ms, 1);
    sm_map_sort(&base);
    sm_map_sort(&head);
    sm_diff_init(&d);
    sm_diff_maps(&d, &base, &head, NULL);
    assert_true(d.has_why);
    /* admin (head only), frontend's five contributors, frontend "GET /" (base only) */
    assert_int_equal(d.nshares, 7);
    assert_string_equal(d.shares[0].entry, "service:admin");
    assert_int_equal(d.shares[0].presence, SM_SHARE_ENTRY_NEW);
    assert_int_equal(d.shares[0].traces, 1);
    assert_string_equal(d.shares[6].entry, "service:frontend");
    assert_string_equal(d.shares[6].operation, "GET /");
    assert_int_equal(d.shares[6].presence, SM_SHARE_ENTRY_GONE);
    for (i = 1; i < 6; i++) {
        assert_string_equal(d.shares[i].entry, "service:frontend");
        assert_null(d.shares[i].operation);
    }
    /* largest move first */
    assert_string_equal(d.shares[1].id, "database:inventory");
    assert_true(fabs(d.shares[1].base - 0.24) < 1e-12 && fabs(d.shares[1].head - 0.47) < 1e-12);
    assert_true(fabs(d.shares[1].delta - 0.23) < 1e-12);
    assert_int_equal(d.shares[1].presence, SM_SHARE_BOTH);
    assert_string_equal(d.shares[2].id, "external:gone");
    assert_true(d.shares[2].head == 0 && fabs(d.shares[2].delta + 0.05) < 1e-12);
    assert_int_equal(d.shares[2].presence, SM_SHARE_GONE);
    assert_string_equal(d.shares[3].id, "service:a->service:b");
    assert_int_equal(d.shares[3].kind, SM_WHY_WIRE);
    assert_string_equal(d.shares[4].id, "queue:new");
    assert_true(d.shares[4].base == 0);
    assert_int_equal(d.shares[4].presence, SM_SHARE_NEW);
    assert_string_equal(d.shares[5].id, "service:frontend");
    assert_true(d.shares[5].delta == 0);

    sm_buf_init(&r);
    assert_int_equal(trips(&d, "critical>+10pp", &r), 1);
    assert_string_equal(r.data, "critical>+10pp: database:inventory 24 % -> 47 % of frontend "
                                "(+23.0 pp)\n");
    assert_int_equal(trips(&d, "critical>+23pp", &r), 0); /* exactly +23 pp is not more */
    /* inventory, wire, new queue; not the new entry admin (100 % of its own time) */
    assert_int_equal(trips(&d, "critical>1.5pp", &r), 3);
    assert_non_null(strstr(r.data, "a -> b (wire) 10 % -> 13 % of frontend (+3.0 pp)"));
    assert_non_null(strstr(r.data, "queue:new new, 2.0 % of frontend (+2.0 pp)"));
    assert_null(strstr(r.data, "admin"));

    /* the reports: moves of at least 1 pp, the unchanged frontend left out */
    sm_buf_init(&text);
    sm_diff_write_text(&d, NULL, false, &text);
    assert_non_null(
        strstr(text.data, "! share up     database:inventory 24 % -> 47 % of frontend"));
    assert_non_null(
        strstr(text.data, "~ share down   external:gone 5.0 % -> gone from frontend (-5.0 pp)"));
    assert_non_null(strstr(text.data, "+ new entry    admin: 1 traces, none before"));
    assert_non_null(strstr(text.data, "- entry gone   frontend GET /: none now, 1 traces before"));
    assert_null(strstr(text.data, "-> 0 %"));
    assert_null(strstr(text.data, " 0 % ->"));
    assert_null(strstr(text.data, "frontend 30 %"));
    sm_buf_reset(&text);
    sm_diff_write_markdown(&d, NULL, &text);
    assert_non_null(
        strstr(text.data, "| ! | frontend | database:inventory | 24 % | 47 % | +23.0 pp |"));
    sm_buf_reset(&text);
    sm_diff_write_json(&d, NULL, &text);
    {
        json_error_t jerr;
        json_t *doc = json_loads(text.data, 0, &jerr);
        json_t *crit = json_object_get(doc, "critical");

        assert_non_null(doc);
        assert_int_equal(json_array_size(crit), 7);
        assert_true(fabs(json_number_value(json_object_get(json_array_get(crit, 1), "delta_pp")) -
                         23) < 1e-9);
        assert_true(json_is_false(json_object_get(json_array_get(crit, 5), "reported")));
        assert_string_equal(json_string_value(json_object_get(json_array_get(crit, 0), "presence")),
                            "entry_new");
        assert_true(json_is_null(json_object_get(json_array_get(crit, 0), "delta_pp")));
        assert_true(json_is_true(json_object_get(json_array_get(crit, 0), "reported")));
        assert_string_equal(json_string_value(json_object_get(json_array_get(crit, 2), "presence")),
                            "gone");
        json_decref(doc);
    }

    /* a rule the parser knows, and its bad spellings */
    assert_int_equal(sm_gate_parse("critical>+10pp", &g, NULL), 0);
    assert_int_equal(g.kind, SM_GATE_CRITICAL);
    assert_true(sm_gate_needs_why(&g));
    assert_true(fabs(g.threshold - 0.10) < 1e-12);
    assert_int_equal(sm_gate_parse("critical>+10%", &g, NULL), SM_EUSAGE);
    assert_int_equal(sm_gate_parse("critical>+101pp", &g, NULL), SM_EUSAGE);
    assert_int_equal(sm_gate_parse("critical>-5pp", &g, NULL), SM_EUSAGE);
    assert_int_equal(sm_gate_parse("critical<+5pp", &g, NULL), SM_EUSAGE);
    assert_int_equal(sm_gate_parse("p99>+10%", &g, NULL), 0);
    assert_false(sm_gate_needs_why(&g));

    /* no why section on one side: nothing compared, and the JSON says nothing of it */
    sm_diff_maps(&d, &plain, &head, NULL);
    assert_false(d.has_why);
    assert_int_equal(d.nshares, 0);
    assert_int_equal(trips(&d, "critical>+1pp", &r), 0);
    sm_buf_reset(&text);
    sm_diff_write_json(&d, NULL, &text);
    assert_null(strstr(text.data, "\"critical\""));
    sm_buf_release(&text);
    sm_buf_release(&r);
    sm_diff_release(&d);
    sm_map_release(&base);
    sm_map_release(&head);
    sm_map_release(&plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changes_found_and_ranked),
        cmocka_unit_test(test_self_diff_is_empty),
        cmocka_unit_test(test_floor),
        cmocka_unit_test(test_gate_parse),
        cmocka_unit_test(test_gates_trip),
        cmocka_unit_test(test_calls_change),
        cmocka_unit_test(test_reports),
        cmocka_unit_test(test_decorate),
        cmocka_unit_test(test_empty_sides),
        cmocka_unit_test(test_critical_shares),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
