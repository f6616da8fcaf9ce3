/* test_preagg.c: maps from pre-aggregated dependencies, on the samples in fixtures/preagg.
 *
 * The samples are written by hand in the shapes the backends answer with: Zipkin's
 * /api/v2/dependencies, Jaeger's /api/dependencies (and its error answer), the
 * OpenTelemetry Collector's Prometheus exporter serving servicegraph connector metrics
 * (dimension labels, escapes, other metrics mixed in), Prometheus /federate output of
 * Tempo's metrics generator (two generator instances, timestamps) and OpenMetrics with
 * exemplars. Counts are checked against the samples; quantiles against values worked
 * out by hand with histogram_quantile's rule (the arithmetic is in each comment).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "svcmap/map.h"
#include "svcmap/emit.h"
#include "svcmap/mapdoc.h"
#include "svcmap/preagg.h"

#define FIX SVCMAP_SOURCE_DIR "/fixtures/preagg/"

static void load(const char *file, struct sm_map *m)
{
    struct sm_error err;
    int rc;

    sm_map_init(m);
    sm_error_init(&err);
    rc = sm_preagg_read(file, NULL, m, &err);
    if (rc)
        fail_msg("%s: %s", file, err.text);
    sm_map_sort(m);
}

static const struct sm_edge *find(const struct sm_map *m, enum sm_node_kind fk, const char *from,
                                  enum sm_node_kind tk, const char *to, enum sm_edge_kind kind)
{
    size_t f = sm_map_find_node(m, fk, from), t = sm_map_find_node(m, tk, to), e;

    assert_true(f != (size_t)-1);
    assert_true(t != (size_t)-1);
    e = sm_map_find_edge(m, f, t, kind);
    if (e == (size_t)-1)
        fail_msg("no edge %s -> %s", from, to);
    return &m->edges[e];
}

static void assert_near_at(double a, double b, int line)
{
    if (!(fabs(a - b) < 1e-6 * (1 + fabs(b))))
        fail_msg("line %d: %.17g, wanted %.17g", line, a, b);
}
#define assert_near(a, b) assert_near_at((a), (b), __LINE__)

static void test_sniff(void **state)
{
    static const struct {
        const char *head;
        bool yes;
        enum sm_input_format format;
    } cases[] = {
        {"[{\"parent\":\"a\",\"child\":\"b\",\"callCount\":1}]", true, SM_FORMAT_ZIPKIN_DEPS},
        {" [ {\n \"callCount\": 3, \"parent\": \"a\"", true, SM_FORMAT_ZIPKIN_DEPS},
        {"{\"data\":[{\"parent\":\"a\",\"child\":\"b\",\"callCount\":1}],\"total\":0}", true,
         SM_FORMAT_JAEGER_DEPS},
        {"{ \"data\" : [ { \"child\"", true, SM_FORMAT_JAEGER_DEPS},
        {"# HELP traces_service_graph_request_total Total\n", true, SM_FORMAT_PROMETHEUS},
        {"# TYPE up gauge\nup 1\n", true, SM_FORMAT_PROMETHEUS},
        {"\n\ntraces_service_graph_request_total{client=\"a\"} 1\n", true, SM_FORMAT_PROMETHEUS},
        {"up 1\n", true, SM_FORMAT_PROMETHEUS},
        /* trace exports and map documents are not claimed */
        {"[{\"traceId\":\"a\",\"id\":\"1\"}]", false, 0},
        {"[[{\"traceId\":\"a\"}]]", false, 0},
        {"{\"data\":[{\"traceID\":\"a\",\"spans\":[]}]}", false, 0},
        {"{\"resourceSpans\":[]}", false, 0},
        {"{\"schema\": \"svcmap.map/v1\"}", false, 0},
        {"[]", false, 0},
        {"", false, 0},
        {"# a comment\n", false, 0},
        {"# scraped 2026-11-26 by cron\n\n# HELP up up\n", true, SM_FORMAT_PROMETHEUS},
        {"# scraped by cron\nup{job=\"x\"} 1\n", true, SM_FORMAT_PROMETHEUS},
        {"# comment\n{\"data\":[]}", false, 0},
        {"null\n", false, 0},
        {"{\"data\":null,\"errors\":[]}", true, SM_FORMAT_JAEGER_DEPS},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum sm_input_format f = SM_FORMAT_UNKNOWN;
        bool got = sm_preagg_sniff(cases[i].head, strlen(cases[i].head), &f);

        if (got != cases[i].yes)
            fail_msg("case %zu (%s): sniff said %d", i, cases[i].head, got);
        if (got)
            assert_int_equal(f, cases[i].format);
    }
}

static void test_zipkin(void **state)
{
    struct sm_map m;
    const struct sm_edge *e;
    struct sm_latency_summary l;

    (void)state;
    load(FIX "zipkin-dependencies.json", &m);
    assert_int_equal(m.nnodes, 8);
    assert_int_equal(m.nedges, 7);
    e = find(&m, SM_NODE_SERVICE, "frontend", SM_NODE_SERVICE, "api-gateway", SM_EDGE_RPC);
    assert_int_equal(e->calls, 400);
    assert_int_equal(e->errors, 37);
    assert_false(sm_edge_latency(e, SM_SIDE_CLIENT, &l));
    assert_false(e->latency_estimated);
    /* errorCount left out means none */
    e = find(&m, SM_NODE_SERVICE, "api-gateway", SM_NODE_SERVICE, "inventory", SM_EDGE_RPC);
    assert_int_equal(e->calls, 380);
    assert_int_equal(e->errors, 0);
    /* no kinds in the links: every node is a service */
    assert_true(sm_map_find_node(&m, SM_NODE_SERVICE, "card-api") != (size_t)-1);
    assert_int_equal(m.source.formats, 1u << SM_FORMAT_ZIPKIN_DEPS);
    assert_int_equal(m.source.nfiles, 1);
    sm_map_release(&m);
}

static void test_jaeger(void **state)
{
    struct sm_map m;
    const struct sm_edge *e;
    struct sm_error err;
    const char *text;

    (void)state;
    load(FIX "jaeger-dependencies.json", &m);
    assert_int_equal(m.nnodes, 6);
    assert_int_equal(m.nedges, 5);
    e = find(&m, SM_NODE_SERVICE, "api-gateway", SM_NODE_SERVICE, "shipping", SM_EDGE_RPC);
    assert_int_equal(e->calls, 150);
    assert_int_equal(e->errors, 0);
    assert_int_equal(m.source.formats, 1u << SM_FORMAT_JAEGER_DEPS);
    sm_map_release(&m);

    /* the query API's error answer names its cause */
    sm_map_init(&m);
    sm_error_init(&err);
    assert_int_equal(sm_preagg_read(FIX "jaeger-dependencies-error.json", NULL, &m, &err),
                     SM_EINPUT);
    assert_non_null(strstr(err.text, "unable to parse param 'endTs'"));
    sm_map_release(&m);

    /* no dependencies in the window: an empty map, not an error */
    sm_map_init(&m);
    text = "{\"data\":null,\"errors\":null}";
    if (sm_preagg_parse(text, strlen(text), "x", SM_FORMAT_JAEGER_DEPS, NULL, &m, &err))
        fail_msg("%s", err.text);
    assert_int_equal(m.nedges, 0);
    /* links add up */
    text = "[{\"parent\":\"a\",\"child\":\"b\",\"callCount\":2},"
           "{\"parent\":\"a\",\"child\":\"b\",\"callCount\":3}]";
    if (sm_preagg_parse(text, strlen(text), "x", SM_FORMAT_UNKNOWN, NULL, &m, &err))
        fail_msg("%s", err.text);
    assert_int_equal(m.edges[0].calls, 5);
    sm_map_release(&m);
}

static void expect_link_error(const char *doc, const char *text)
{
    struct sm_map m;
    struct sm_error err;

    sm_map_init(&m);
    sm_error_init(&err);
    assert_int_equal(
        sm_preagg_parse(doc, strlen(doc), "deps.json", SM_FORMAT_UNKNOWN, NULL, &m, &err),
        SM_EINPUT);
    if (!strstr(err.text, text))
        fail_msg("%s: got '%s', wanted '%s'", doc, err.text, text);
    assert_string_equal(err.file, "deps.json");
    sm_map_release(&m);
}

static void test_links_malformed(void **state)
{
    struct sm_map m;
    struct sm_error err;
    const char *doc = "[{\"parent\":\"a\",\"child\":\"b\",\"callCount\":1},\n {\"parent\" \"a\"}]";

    (void)state;
    expect_link_error("[{\"parent\":\"a\",\"callCount\":1}]", "\"parent\" and \"child\"");
    expect_link_error("[{\"parent\":\"a\",\"child\":\"b\"}]", "\"callCount\" is missing");
    expect_link_error("[{\"parent\":\"a\",\"child\":\"b\",\"callCount\":-1}]", "whole number");
    expect_link_error("[{\"parent\":\"a\",\"child\":\"b\",\"callCount\":\"7\"}]", "whole number");
    /* numbers a count cannot be (issue 11 item 10): they used to become 2^63 or wrap */
    expect_link_error("[{\"parent\":\"a\",\"child\":\"b\",\"callCount\":1e300}]", "whole number");
    expect_link_error("[{\"parent\":\"a\",\"child\":\"b\",\"callCount\":1e19}]", "whole number");
    expect_link_error("[{\"parent\":\"a\",\"child\":\"b\",\"callCount\":2.5}]", "whole number");
    expect_link_error("[{\"parent\":\"a\",\"child\":\"b\",\"callCount\":3,\"errorCount\":4}]",
                      "\"errorCount\" (4) above \"callCount\" (3)");
    /* jansson's place for broken JSON */
    sm_map_init(&m);
    sm_error_init(&err);
    assert_int_equal(
        sm_preagg_parse(doc, strlen(doc), "deps.json", SM_FORMAT_ZIPKIN_DEPS, NULL, &m, &err),
        SM_EINPUT);
    assert_int_equal(err.line, 2);
    assert_true(err.column > 0);
    sm_map_release(&m);
}

static void expect_prom_error(const char *text, long line, long column, const char *what);

struct skips {
    int n;
    struct sm_error last;
};

static void count_skip(void *ctx, const struct sm_error *err)
{
    struct skips *k = ctx;

    k->n++;
    k->last = *err;
}

/* Without strict, a bad link is told, counted and left out; the good ones stay. Links
 * that add up past SM_COUNT_MAX saturate instead of wrapping to a small number. */
static void test_links_skipped_and_saturated(void **state)
{
    const char *doc = "[{\"parent\":\"a\",\"child\":\"b\",\"callCount\":5,\"errorCount\":1},"
                      "{\"parent\":\"a\",\"child\":\"b\",\"callCount\":-5},"
                      "{\"parent\":\"a\",\"child\":\"c\",\"callCount\":9223372036854775807},"
                      "{\"parent\":\"a\",\"child\":\"c\",\"callCount\":9223372036854775807}]";
    struct sm_ingest_options opt;
    struct skips k = {0};
    struct sm_map m;
    struct sm_error err;
    size_t a, b, c;

    (void)state;
    sm_ingest_options_init(&opt);
    opt.on_skip = count_skip;
    opt.ctx = &k;
    sm_map_init(&m);
    sm_error_init(&err);
    assert_int_equal(
        sm_preagg_parse(doc, strlen(doc), "deps.json", SM_FORMAT_ZIPKIN_DEPS, &opt, &m, &err), 0);
    assert_int_equal(k.n, 1);
    assert_non_null(strstr(k.last.text, "dependency link 1"));
    assert_int_equal(m.source.skipped_records, 1);
    a = sm_map_find_node(&m, SM_NODE_SERVICE, "a");
    b = sm_map_find_node(&m, SM_NODE_SERVICE, "b");
    c = sm_map_find_node(&m, SM_NODE_SERVICE, "c");
    assert_int_equal(m.edges[sm_map_find_edge(&m, a, b, SM_EDGE_RPC)].calls, 5);
    assert_true(m.edges[sm_map_find_edge(&m, a, c, SM_EDGE_RPC)].calls == SM_COUNT_MAX);
    sm_map_release(&m);
}

#define SG "traces_service_graph_request_"

/* Service-graph samples whose numbers cannot be right are bad records with their place
 * (issue 11 item 10): +Inf, 1e300 and 2^64 counters used to give 2^63 calls, le="-1" a
 * negative latency, shrinking buckets a silently repaired histogram. */
static void test_prom_bad_numbers(void **state)
{
    (void)state;
    expect_prom_error(SG "total{client=\"a\",server=\"b\"} +Inf\n", 1, 59, "out of range");
    expect_prom_error(SG "total{client=\"a\",server=\"b\"} 1e300\n", 1, 59, "out of range");
    expect_prom_error("# c\n" SG "total{client=\"a\",server=\"b\"} 18446744073709551616\n", 2, 59,
                      "out of range");
    expect_prom_error(SG "failed_total{client=\"a\",server=\"b\"} -3\n", 1, 66, "out of range");
    expect_prom_error(SG "server_seconds_bucket{client=\"a\",server=\"b\",le=\"-1\"} 3\n", 1, 1,
                      "le=\"SECONDS\" from 0 up");
    expect_prom_error(SG "server_seconds_bucket{client=\"a\",server=\"b\"} 3\n", 1, 1,
                      "le=\"SECONDS\"");
    expect_prom_error(SG "server_seconds_bucket{client=\"a\",server=\"b\",le=\"0.1\"} 5\n" SG
                         "server_seconds_bucket{client=\"a\",server=\"b\",le=\"0.2\"} 3\n",
                      2, 84, "fewer than the 5");
    expect_prom_error(SG "server_seconds_bucket{client=\"a\",server=\"b\",le=\"0.2\"} 3\n" SG
                         "server_seconds_bucket{client=\"a\",server=\"b\",le=\"0.1\"} 5\n",
                      2, 1, "bounds must grow");
    expect_prom_error(SG "server_seconds_sum{client=\"a\",server=\"b\"} -1\n", 1, 72,
                      "out of range");
}

/* Without strict the bad samples are skipped and counted; the rest maps. Buckets of other
 * label sets (another instance) may start low again; NaN (staleness) is passed over. */
static void test_prom_bad_numbers_skipped(void **state)
{
    const char *text =
        SG "total{client=\"a\",server=\"b\"} 10\n" SG
           "total{client=\"a\",server=\"b\",i=\"2\"} +Inf\n" SG
           "total{client=\"a\",server=\"b\",i=\"3\"} NaN\n" SG
           "server_seconds_bucket{client=\"a\",server=\"b\",i=\"1\",le=\"0.1\"} 6\n" SG
           "server_seconds_bucket{client=\"a\",server=\"b\",i=\"1\",le=\"+Inf\"} 10\n" SG
           "server_seconds_bucket{client=\"a\",server=\"b\",i=\"2\",le=\"0.1\"} 0\n" SG
           "server_seconds_bucket{client=\"a\",server=\"b\",i=\"2\",le=\"-1\"} 4\n" SG
           "server_seconds_bucket{client=\"a\",server=\"b\",i=\"2\",le=\"+Inf\"} 0\n";
    struct sm_ingest_options opt;
    struct skips k = {0};
    struct sm_latency_summary l;
    struct sm_map m;
    struct sm_error err;

    (void)state;
    sm_ingest_options_init(&opt);
    opt.on_skip = count_skip;
    opt.ctx = &k;
    sm_map_init(&m);
    sm_error_init(&err);
    if (sm_preagg_parse(text, strlen(text), "m.prom", SM_FORMAT_PROMETHEUS, &opt, &m, &err))
        fail_msg("%s", err.text);
    assert_int_equal(k.n, 2);
    assert_int_equal(m.source.skipped_records, 2);
    assert_int_equal(m.nedges, 1);
    assert_int_equal(m.edges[0].calls, 10);
    assert_true(sm_edge_latency(&m.edges[0], SM_SIDE_SERVER, &l));
    assert_int_equal(l.count, 10);
    assert_true(l.min >= 0 && l.p50 >= 0);
    sm_map_release(&m);
}

/* Counts that add up past what a map holds saturate instead of wrapping (llround of a
 * sum above 2^63 was undefined: 2^63 calls); the figures stay within what a map
 * document reads back. */
static void test_prom_saturates(void **state)
{
    struct sm_buf text;
    struct sm_latency_summary l;
    struct sm_map m, back;
    struct sm_error err;
    struct sm_buf doc;

    (void)state;
    sm_buf_init(&text);
    for (int i = 0; i < 1100; i++)
        sm_buf_printf(&text, SG "total{client=\"a\",server=\"b\",i=\"%d\"} 9007199254740992\n", i);
    sm_buf_adds(&text, SG "server_seconds_bucket{client=\"a\",server=\"b\",le=\"1e300\"} 5\n" SG
                          "server_seconds_bucket{client=\"a\",server=\"b\",le=\"+Inf\"} 5\n" SG
                          "server_seconds_sum{client=\"a\",server=\"b\"} 9007199254740992\n");
    sm_map_init(&m);
    sm_error_init(&err);
    if (sm_preagg_parse(text.data, text.len, "m.prom", SM_FORMAT_PROMETHEUS, NULL, &m, &err))
        fail_msg("%s", err.text);
    assert_true(m.edges[0].calls == SM_COUNT_MAX);
    assert_true(sm_edge_latency(&m.edges[0], SM_SIDE_SERVER, &l));
    assert_true(l.max <= SM_SKETCH_MAX_MS && l.p99 <= l.max && l.mean <= l.max);
    /* and the map document of it reads back */
    sm_buf_init(&doc);
    sm_map_sort(&m);
    assert_int_equal(sm_emit_json.emit(&m, NULL, &doc, &err), 0);
    sm_map_init(&back);
    if (sm_mapdoc_parse(doc.data, doc.len, "doc", NULL, &back, &err))
        fail_msg("%s:%ld:%ld: %s", err.file, err.line, err.column, err.text);
    assert_true(back.edges[0].calls == SM_COUNT_MAX);
    sm_map_release(&back);
    sm_buf_release(&doc);
    sm_map_release(&m);
    sm_buf_release(&text);
}

static void test_histogram_quantile(void **state)
{
    struct sm_bucket b[] = {{0.1, 10}, {0.2, 30}, {0.4, 40}, {INFINITY, 50}};
    struct sm_bucket noinf[] = {{0.1, 10}, {0.2, 30}};
    struct sm_bucket neg[] = {{-1, 5}, {1, 10}, {INFINITY, 10}};
    double lo, hi;

    (void)state;
    /* rank 25 in (0.1, 0.2]: 0.1 + 0.1 * (25 - 10) / 20 */
    assert_near(sm_histogram_quantile(b, 4, 0.5), 0.175);
    /* rank 5 in the first bucket, which starts at 0 */
    assert_near(sm_histogram_quantile(b, 4, 0.1), 0.05);
    /* rank 45 in +Inf: the largest finite bound */
    assert_near(sm_histogram_quantile(b, 4, 0.9), 0.4);
    /* rank 40 exactly: the top of (0.2, 0.4] */
    assert_near(sm_histogram_quantile(b, 4, 0.8), 0.4);
    assert_true(isnan(sm_histogram_quantile(noinf, 2, 0.5)));
    assert_true(isnan(sm_histogram_quantile(b, 0, 0.5)));
    /* a first bound at or below zero is returned as it is */
    assert_near(sm_histogram_quantile(neg, 3, 0.2), -1);

    /* how coarse: the bucket each estimate lies in */
    assert_true(sm_histogram_quantile_bounds(b, 4, 0.5, &lo, &hi));
    assert_near(lo, 0.1);
    assert_near(hi, 0.2);
    assert_true(sm_histogram_quantile_bounds(b, 4, 0.1, &lo, &hi));
    assert_near(lo, 0);
    assert_near(hi, 0.1);
    assert_true(sm_histogram_quantile_bounds(b, 4, 0.9, &lo, &hi));
    assert_near(lo, 0.4);
    assert_true(isinf(hi));
    assert_false(sm_histogram_quantile_bounds(noinf, 2, 0.5, &lo, &hi));
    assert_true(isnan(lo) && isnan(hi));
}

static void test_otelcol(void **state)
{
    struct sm_map m;
    const struct sm_edge *e;
    struct sm_latency_summary l;
    size_t n;

    (void)state;
    load(FIX "servicegraph-otelcol.prom", &m);
    /* frontend api-gateway inventory shipping payments fraud-check (services),
     * database:inventory, external:card-api.example.com, client:client */
    assert_int_equal(m.nnodes, 9);
    assert_int_equal(m.nedges, 8);
    assert_int_equal(m.source.formats, 1u << SM_FORMAT_PROMETHEUS);
    assert_int_equal(m.source.skipped_records, 0);

    /* two series (GET 300, POST 100) summed */
    e = find(&m, SM_NODE_SERVICE, "frontend", SM_NODE_SERVICE, "api-gateway", SM_EDGE_RPC);
    assert_int_equal(e->calls, 400);
    assert_int_equal(e->errors, 37);
    assert_true(e->latency_estimated);
    assert_true(sm_edge_latency(e, SM_SIDE_CLIENT, &l));
    /* summed cumulative buckets: 0.008:0 0.01:40 0.05:320 0.1:358 0.2:379 0.4:392 0.8:397 1:400
     * p50: rank 200 in (0.01, 0.05]: 0.01 + 0.04 * 160 / 280 */
    assert_int_equal(l.count, 400);
    assert_near(l.p50, (0.01 + 0.04 * 160.0 / 280.0) * 1000);
    /* p90: rank 360 in (0.1, 0.2]: 0.1 + 0.1 * 2 / 21 */
    assert_near(l.p90, (0.1 + 0.1 * 2.0 / 21.0) * 1000);
    /* p95: rank 380 in (0.2, 0.4]: 0.2 + 0.2 * 1 / 13 */
    assert_near(l.p95, (0.2 + 0.2 * 1.0 / 13.0) * 1000);
    /* p99: rank 396 in (0.4, 0.8]: 0.4 + 0.4 * 4 / 5 = 0.72 */
    assert_near(l.p99, 720);
    /* mean: (12.3 + 4.1) / 400 s; min and max: the occupied buckets' outer bounds */
    assert_near(l.mean, 41);
    assert_near(l.min, 8);
    assert_near(l.max, 1000);
    assert_true(sm_edge_latency(e, SM_SIDE_SERVER, &l));
    /* server: 0.01:80 0.05:335; rank 200: 0.01 + 0.04 * 120 / 255 */
    assert_near(l.p50, (0.01 + 0.04 * 120.0 / 255.0) * 1000);
    assert_near(l.mean, 13.2 / 400 * 1000);

    /* connection_type picks the kinds */
    e = find(&m, SM_NODE_SERVICE, "inventory", SM_NODE_DATABASE, "inventory", SM_EDGE_DATABASE);
    assert_int_equal(e->calls, 1200);
    assert_true(sm_edge_latency(e, SM_SIDE_CLIENT, &l));
    assert_false(sm_edge_latency(e, SM_SIDE_SERVER, &l));
    e = find(&m, SM_NODE_SERVICE, "api-gateway", SM_NODE_SERVICE, "shipping", SM_EDGE_MESSAGING);
    assert_int_equal(e->calls, 150);
    assert_int_equal(e->errors, 2);
    /* the uninstrumented server: external, its made-up server latency dropped */
    e = find(&m, SM_NODE_SERVICE, "payments", SM_NODE_EXTERNAL, "card-api.example.com",
             SM_EDGE_EXTERNAL);
    assert_int_equal(e->calls, 90);
    assert_int_equal(e->errors, 4);
    assert_true(sm_edge_latency(e, SM_SIDE_CLIENT, &l));
    /* 0.1:5 0.2:40 0.4:80 0.8:88 1:89 2:90; p99: rank 89.1 in (1.4, 2]: 1.4 + 0.6 * 0.1 / 1 */
    assert_near(l.p99, (1.4 + 0.6 * 0.1) * 1000);
    assert_near(l.max, 2000);
    assert_near(l.min, 50);
    assert_false(sm_edge_latency(e, SM_SIDE_SERVER, &l));
    /* the uninstrumented caller ("user"): the client node and entry calls */
    e = find(&m, SM_NODE_CLIENT, "client", SM_NODE_SERVICE, "frontend", SM_EDGE_RPC);
    assert_int_equal(e->calls, 400);
    assert_int_equal(e->errors, 12);
    assert_false(sm_edge_latency(e, SM_SIDE_CLIENT, &l));
    assert_true(sm_edge_latency(e, SM_SIDE_SERVER, &l));
    n = sm_map_find_node(&m, SM_NODE_SERVICE, "frontend");
    assert_int_equal(m.nodes[n].entry_calls, 400);
    assert_true(sm_map_find_node(&m, SM_NODE_SERVICE, "user") == (size_t)-1);
    /* escaped label values parse and fall away */
    e = find(&m, SM_NODE_SERVICE, "payments", SM_NODE_SERVICE, "fraud-check", SM_EDGE_RPC);
    assert_int_equal(e->calls, 90);
    sm_map_release(&m);
}

static void test_tempo_federate(void **state)
{
    struct sm_map m;
    const struct sm_edge *e;
    struct sm_latency_summary l;

    (void)state;
    load(FIX "tempo-federate.prom", &m);
    assert_int_equal(m.nedges, 3);
    /* two generator instances summed */
    e = find(&m, SM_NODE_SERVICE, "checkout", SM_NODE_SERVICE, "cart", SM_EDGE_RPC);
    assert_int_equal(e->calls, 2000);
    assert_int_equal(e->errors, 40);
    assert_true(sm_edge_latency(e, SM_SIDE_SERVER, &l));
    /* 0.1:1620 0.2:1870 0.4:1975 0.8:2000 */
    assert_near(l.p50, 0.1 * 1000.0 / 1620.0 * 1000);       /* rank 1000 in (0, 0.1] */
    assert_near(l.p90, (0.1 + 0.1 * 180.0 / 250.0) * 1000); /* rank 1800 */
    assert_near(l.p95, (0.2 + 0.2 * 30.0 / 105.0) * 1000);  /* rank 1900 */
    assert_near(l.p99, (0.4 + 0.4 * 5.0 / 25.0) * 1000);    /* rank 1980 */
    assert_near(l.mean, (98.25 + 31.5) / 2000 * 1000);
    e = find(&m, SM_NODE_SERVICE, "cart", SM_NODE_DATABASE, "redis", SM_EDGE_DATABASE);
    assert_int_equal(e->calls, 2600);
    e = find(&m, SM_NODE_CLIENT, "client", SM_NODE_SERVICE, "checkout", SM_EDGE_RPC);
    assert_int_equal(e->calls, 2000);
    /* the sample timestamps bound the window (milliseconds) */
    assert_true(m.source.start_ns == 1795700101987LL * 1000000);
    assert_true(m.source.end_ns == 1795700102510LL * 1000000);
    sm_map_release(&m);
}

static void test_openmetrics(void **state)
{
    struct sm_map m;
    const struct sm_edge *e;
    struct sm_latency_summary l;

    (void)state;
    load(FIX "servicegraph-openmetrics.txt", &m);
    assert_int_equal(m.nedges, 1);
    e = find(&m, SM_NODE_SERVICE, "web", SM_NODE_SERVICE, "api", SM_EDGE_RPC);
    assert_int_equal(e->calls, 42);
    assert_int_equal(e->errors, 1);
    assert_true(sm_edge_latency(e, SM_SIDE_CLIENT, &l));
    /* 0.005:10 0.025:30 0.1:40 +Inf:42 */
    assert_near(l.p50, (0.005 + 0.02 * 11.0 / 20.0) * 1000);
    assert_near(l.p90, (0.025 + 0.075 * 7.8 / 10.0) * 1000);
    assert_near(l.p95, (0.025 + 0.075 * 9.9 / 10.0) * 1000);
    assert_near(l.p99, 100); /* rank 41.58 falls in +Inf */
    assert_near(l.max, 100);
    assert_near(l.min, 0);
    assert_near(l.mean, 30);
    /* NaN (stale) samples give no server figures */
    assert_false(sm_edge_latency(e, SM_SIDE_SERVER, &l));
    /* float seconds timestamps */
    assert_true(m.source.start_ns == 1795700102500LL * 1000000);
    sm_map_release(&m);
}

static void expect_prom_error(const char *text, long line, long column, const char *what)
{
    struct sm_map m;
    struct sm_error err;

    sm_map_init(&m);
    sm_error_init(&err);
    assert_int_equal(
        sm_preagg_parse(text, strlen(text), "m.prom", SM_FORMAT_PROMETHEUS, NULL, &m, &err),
        SM_EINPUT);
    if (err.line != line || err.column != column || !strstr(err.text, what))
        fail_msg("%s: got %ld:%ld '%s', wanted %ld:%ld '%s'", text, err.line, err.column, err.text,
                 line, column, what);
    assert_string_equal(err.file, "m.prom");
    sm_map_release(&m);
}

static void test_prom_malformed(void **state)
{
    (void)state;
    expect_prom_error("# TYPE x counter\ntraces_service_graph_request_total{client=\"a\" "
                      "server=\"b\"} 1\n",
                      2, 47, "expected ',' or '}'");
    expect_prom_error("up 1\ntraces_service_graph_request_total{client=\"a\\x\"} 1\n", 2, 43,
                      "bad label value");
    expect_prom_error("traces_service_graph_request_total{client=\"a} 1\n", 1, 43,
                      "bad label value");
    expect_prom_error("traces_service_graph_request_total{client=\"a\"}\n", 1, 47,
                      "expected a sample value");
    expect_prom_error("traces_service_graph_request_total{client=\"a\"} one\n", 1, 48,
                      "not a number");
    expect_prom_error("traces_service_graph_request_total 1 2 3\n", 1, 40, "unexpected text");
    expect_prom_error("traces_service_graph_request_total 1 soon\n", 1, 38, "bad timestamp");
    expect_prom_error("\n\n  {client=\"a\"} 1\n", 3, 3, "expected a metric name");
    expect_prom_error("traces_service_graph_request_total{=\"a\"} 1\n", 1, 36, "label name");
    expect_prom_error("traces_service_graph_request_total{client \"a\"} 1\n", 1, 43, "'='");
    expect_prom_error("# HELP up up\nup 1\n", 0, 0, "no traces_service_graph_");
}

static void test_prom_details(void **state)
{
    struct sm_map m;
    struct sm_error err;
    const char *text =
        "# HELP traces_service_graph_request_total total\r\n"
        "otelcol_traces_service_graph_request_total{client=\"a\",server=\"b\",} 3\r\n"
        "traces_service_graph_request_total{client=\"a\",server=\"b\",connection_type=\"\"} 2\n"
        "traces_service_graph_request_total{client=\"\",server=\"b\"} 5\n"
        "traces_service_graph_request_failed_total { client = \"a\" , server = \"b\" } 9\n"
        "\t\n"
        "# EOF\n"
        "this is not read\n";

    (void)state;
    sm_map_init(&m);
    sm_error_init(&err);
    assert_int_equal(sm_preagg_parse(text, strlen(text), "x", SM_FORMAT_UNKNOWN, NULL, &m, &err),
                     0);
    /* a namespace prefix, a trailing comma, CRLF and spaces are all fine; no client is
     * a skipped record; errors never exceed calls */
    assert_int_equal(m.nedges, 1);
    assert_int_equal(m.edges[0].calls, 5);
    assert_int_equal(m.edges[0].errors, 5);
    assert_false(m.edges[0].latency_estimated);
    assert_int_equal(m.source.skipped_records, 1);
    sm_map_release(&m);

    /* a histogram with nothing but +Inf has no figures to offer */
    text = "traces_service_graph_request_total{client=\"a\",server=\"b\"} 4\n"
           "traces_service_graph_request_client_seconds_bucket{client=\"a\",server=\"b\","
           "le=\"+Inf\"} 4\n"
           "traces_service_graph_request_client_seconds_sum{client=\"a\",server=\"b\"} 2\n";
    sm_map_init(&m);
    assert_int_equal(sm_preagg_parse(text, strlen(text), "x", SM_FORMAT_UNKNOWN, NULL, &m, &err),
                     0);
    assert_int_equal(m.edges[0].calls, 4);
    assert_int_equal(m.edges[0].client_summary.count, 0);
    assert_false(m.edges[0].latency_estimated);
    sm_map_release(&m);

    /* OpenMetrics timestamps in whole seconds are seconds, not milliseconds */
    text = "traces_service_graph_request_total{client=\"a\",server=\"b\"} 1 1795700102\n"
           "traces_service_graph_request_total{client=\"a\",server=\"c\"} 1 1795700103000\n";
    sm_map_init(&m);
    assert_int_equal(sm_preagg_parse(text, strlen(text), "x", SM_FORMAT_UNKNOWN, NULL, &m, &err),
                     0);
    assert_true(m.source.start_ns == 1795700102LL * 1000000000);
    assert_true(m.source.end_ns == 1795700103LL * 1000000000);
    sm_map_release(&m);

    /* a virtual server that is an instrumented service elsewhere stays a service */
    text = "traces_service_graph_request_total{client=\"a\",server=\"b\"} 1\n"
           "traces_service_graph_request_total{client=\"b\",server=\"a\","
           "connection_type=\"virtual_node\"} 4\n";
    sm_map_init(&m);
    assert_int_equal(sm_preagg_parse(text, strlen(text), "x", SM_FORMAT_UNKNOWN, NULL, &m, &err),
                     0);
    assert_true(sm_map_find_edge(&m, sm_map_find_node(&m, SM_NODE_SERVICE, "b"),
                                 sm_map_find_node(&m, SM_NODE_SERVICE, "a"),
                                 SM_EDGE_RPC) != (size_t)-1);
    assert_true(sm_map_find_node(&m, SM_NODE_EXTERNAL, "a") == (size_t)-1);
    sm_map_release(&m);
}

static void test_gzip_and_stdin_name(void **state)
{
    char path[] = "/tmp/svcmap-preagg-XXXXXX";
    int fd = mkstemp(path);
    gzFile gz;
    struct sm_map m;
    const char *doc = "[{\"parent\":\"x\",\"child\":\"y\",\"callCount\":12,\"errorCount\":1}]";

    (void)state;
    assert_true(fd >= 0);
    gz = gzdopen(fd, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, doc, (unsigned)strlen(doc)), (int)strlen(doc));
    assert_int_equal(gzclose(gz), Z_OK);
    load(path, &m);
    assert_int_equal(m.nedges, 1);
    assert_int_equal(m.edges[0].calls, 12);
    assert_int_equal(m.edges[0].errors, 1);
    assert_string_equal(m.source.files[0], path);
    sm_map_release(&m);
    unlink(path);
}

/* Every prefix of every sample (a download cut short) either reads or fails with a
 * place; under ASan this also checks that no parse reads past the end. */
static void test_truncated(void **state)
{
    static const char *const files[] = {"zipkin-dependencies.json", "jaeger-dependencies.json",
                                        "servicegraph-openmetrics.txt", "tempo-federate.prom"};
    size_t f, n;

    (void)state;
    for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        char path[512];
        FILE *fp;
        char *data;
        long size;

        snprintf(path, sizeof(path), FIX "%s", files[f]);
        fp = fopen(path, "rb");
        assert_non_null(fp);
        fseek(fp, 0, SEEK_END);
        size = ftell(fp);
        rewind(fp);
        data = malloc((size_t)size);
        assert_int_equal(fread(data, 1, (size_t)size, fp), (size_t)size);
        fclose(fp);
        for (n = 0; n <= (size_t)size; n += (n < 200 ? 1 : 37)) {
            /* an exact-size copy so that ASan sees a read past the end */
            char *cut = malloc(n ? n : 1);
            struct sm_map m;
            struct sm_error err;
            int rc;

            memcpy(cut, data, n);
            sm_map_init(&m);
            sm_error_init(&err);
            rc = sm_preagg_parse(cut, n, "cut", SM_FORMAT_UNKNOWN, NULL, &m, &err);
            assert_true(rc == 0 || rc == SM_EINPUT);
            if (rc)
                assert_true(err.text[0] != '\0');
            sm_map_release(&m);
            free(cut);
        }
        free(data);
    }
}

/* A metrics file read in chunks: lines that straddle chunk ends, the place of a bad
 * line far into the file, and a line without end. */
static void test_streamed(void **state)
{
    char path[] = "/tmp/svcmap-preagg-XXXXXX";
    int fd = mkstemp(path), i;
    FILE *fp;
    struct sm_map m;
    struct sm_error err;

    (void)state;
    assert_true(fd >= 0);
    fp = fdopen(fd, "w");
    fputs("# HELP traces_service_graph_request_total total\n", fp);
    for (i = 0; i < 3000; i++)
        fprintf(fp, "traces_service_graph_request_total{client=\"c%d\",server=\"s\"} 2\n", i % 7);
    fclose(fp);
    load(path, &m);
    assert_int_equal(m.nedges, 7);
    assert_int_equal(m.edges[0].calls, 858); /* c0: i = 0, 7, ..., 2996: 429 lines */
    sm_map_release(&m);

    fp = fopen(path, "a");
    fputs("traces_service_graph_request_total{client=\"x\",server=\"y\"} 1 2 3\n", fp);
    fclose(fp);
    sm_map_init(&m);
    sm_error_init(&err);
    assert_int_equal(sm_preagg_read(path, NULL, &m, &err), SM_EINPUT);
    assert_int_equal(err.line, 3002);
    assert_int_equal(err.column, 63);
    sm_map_release(&m);

    fp = fopen(path, "w");
    fputs("# TYPE x counter\nx{a=\"", fp);
    for (i = 0; i < (1 << 20) / 64 + 2; i++)
        fputs("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", fp);
    fclose(fp);
    sm_map_init(&m);
    sm_error_init(&err);
    assert_int_equal(sm_preagg_read(path, NULL, &m, &err), SM_EINPUT);
    assert_non_null(strstr(err.text, "longer than"));
    assert_int_equal(err.line, 2);
    sm_map_release(&m);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sniff),
        cmocka_unit_test(test_zipkin),
        cmocka_unit_test(test_jaeger),
        cmocka_unit_test(test_links_malformed),
        cmocka_unit_test(test_links_skipped_and_saturated),
        cmocka_unit_test(test_prom_bad_numbers),
        cmocka_unit_test(test_prom_bad_numbers_skipped),
        cmocka_unit_test(test_prom_saturates),
        cmocka_unit_test(test_histogram_quantile),
        cmocka_unit_test(test_otelcol),
        cmocka_unit_test(test_tempo_federate),
        cmocka_unit_test(test_openmetrics),
        cmocka_unit_test(test_prom_malformed),
        cmocka_unit_test(test_prom_details),
        cmocka_unit_test(test_gzip_and_stdin_name),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_streamed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
