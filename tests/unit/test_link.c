/* test_link.c: the linker's trace grouping: trace keys, the window, late spans.
 *
 * Spans are built directly as sm_span records in batches, marked as whole traces (a
 * Jaeger trace, an element of a Zipkin list of traces) or as loose spans (OTLP lines),
 * and handed to a linker with a small window, so that the finishing rule of link.h is
 * exercised with a few spans: a trace split over batches links as one, 128-bit ids that
 * differ in their high half stay apart, and a part that comes after its trace was
 * linked is counted as late, never linked as a second trace.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "svcmap/link.h"
#include "svcmap/map.h"
#include "svcmap/span.h"

struct fixture {
    struct sm_map map;
    struct sm_linker *linker;
    struct sm_batch batch;
    struct sm_link_options opt;
};

static void start(struct fixture *f, size_t window_spans, bool strict)
{
    memset(f, 0, sizeof(*f));
    sm_map_init(&f->map);
    sm_batch_init(&f->batch);
    f->opt.window_spans = window_spans;
    f->opt.strict = strict;
    f->linker = sm_linker_new(&f->map, &f->opt);
}

static void stop(struct fixture *f)
{
    sm_linker_free(f->linker);
    sm_batch_release(&f->batch);
    sm_map_release(&f->map);
}

/* Appends a span to the batch being built. */
static void span(struct fixture *f, const char *trace, const char *id, const char *parent,
                 const char *service, enum sm_span_kind kind)
{
    struct sm_span *s = sm_batch_add(&f->batch);

    s->trace_id = sm_batch_hex_id(&f->batch, trace);
    s->span_id = sm_batch_hex_id(&f->batch, id);
    s->parent_id = sm_batch_hex_id(&f->batch, parent);
    s->service = sm_batch_str(&f->batch, service);
    s->kind = kind;
    s->duration_ns = 1000000;
    s->has_duration = true;
    s->format = SM_FORMAT_JAEGER;
}

/* Hands the batch built so far to the linker and starts a new one. */
static int send(struct fixture *f, bool whole)
{
    struct sm_error err;
    int rc;

    sm_error_init(&err);
    f->batch.whole_traces = whole;
    rc = sm_linker_add(f->linker, &f->batch, &err);
    sm_batch_reset(&f->batch);
    return rc;
}

static int finish(struct fixture *f)
{
    struct sm_error err;
    int rc;

    sm_error_init(&err);
    rc = sm_linker_finish(f->linker, &err);
    if (rc == 0)
        sm_map_sort(&f->map);
    return rc;
}

static uint64_t calls(const struct fixture *f, const char *from, const char *to)
{
    size_t a = sm_map_find_node(&f->map, SM_NODE_SERVICE, from);
    size_t b = sm_map_find_node(&f->map, SM_NODE_SERVICE, to);
    size_t e;

    if (a == (size_t)-1 || b == (size_t)-1)
        return 0;
    e = sm_map_find_edge(&f->map, a, b, SM_EDGE_RPC);
    return e == (size_t)-1 ? 0 : f->map.edges[e].calls;
}

static uint64_t entry_calls(const struct fixture *f, const char *service)
{
    size_t a = sm_map_find_node(&f->map, SM_NODE_SERVICE, service);

    return a == (size_t)-1 ? 0 : f->map.nodes[a].entry_calls;
}

/* One call frontend -> api, its halves in the two halves of the trace. */
static void first_half(struct fixture *f, const char *trace)
{
    span(f, trace, "a1", NULL, "frontend", SM_KIND_SERVER);
    span(f, trace, "a2", "a1", "frontend", SM_KIND_CLIENT);
}

static void second_half(struct fixture *f, const char *trace)
{
    span(f, trace, "b1", "a2", "api", SM_KIND_SERVER);
    span(f, trace, "b2", "b1", "api", SM_KIND_INTERNAL);
}

/* A lone entry span: a trace of its own, in a service of its own. */
static void filler(struct fixture *f, int i)
{
    char trace[40];

    snprintf(trace, sizeof(trace), "%032x", 0x100000 + i);
    span(f, trace, "f1", NULL, "filler", SM_KIND_SERVER);
}

static void split_over_elements_links_as_one(void **state)
{
    struct fixture f;

    (void)state;
    start(&f, 64, false);
    first_half(&f, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_int_equal(send(&f, true), 0);
    filler(&f, 1);
    assert_int_equal(send(&f, true), 0);
    second_half(&f, "4bf92f3577b34da6a3ce929d0e0e4736");
    assert_int_equal(send(&f, true), 0);
    assert_int_equal(finish(&f), 0);
    assert_int_equal(f.map.source.traces, 2);
    assert_int_equal(calls(&f, "frontend", "api"), 1);
    assert_int_equal(entry_calls(&f, "frontend"), 1);
    assert_int_equal(entry_calls(&f, "api"), 0);
    assert_int_equal(f.map.source.late_spans, 0);
    stop(&f);
}

/* Half in a trace-grouped input, half in an unordered one, in both orders. */
static void split_over_formats(void **state)
{
    struct fixture f;
    int loose_first;

    (void)state;
    for (loose_first = 0; loose_first < 2; loose_first++) {
        start(&f, 4, false);
        first_half(&f, "00000000000000000000000000000abc");
        assert_int_equal(send(&f, !loose_first), 0);
        for (int i = 0; i < 10; i++) {
            filler(&f, i);
            assert_int_equal(send(&f, true), 0);
        }
        second_half(&f, "abc"); /* a 64-bit id equal to the low half */
        assert_int_equal(send(&f, loose_first), 0);
        assert_int_equal(finish(&f), 0);
        assert_int_equal(f.map.source.traces, 11);
        assert_int_equal(entry_calls(&f, "api"), 0);
        if (loose_first) {
            /* a loose span waits for the end, and so does every span after it */
            assert_int_equal(f.map.source.late_spans, 0);
            assert_int_equal(calls(&f, "frontend", "api"), 1);
        } else {
            /* the whole-trace half went through a window of 4 before the rest came */
            assert_int_equal(f.map.source.late_spans, 2);
            assert_int_equal(calls(&f, "frontend", "api"), 0);
        }
        stop(&f);
    }
}

static void high_half_tells_traces_apart(void **state)
{
    struct fixture f;

    (void)state;
    start(&f, 0, false);
    first_half(&f, "1111111111111111aaaaaaaaaaaaaaaa");
    second_half(&f, "2222222222222222aaaaaaaaaaaaaaaa");
    assert_int_equal(send(&f, false), 0);
    assert_int_equal(finish(&f), 0);
    assert_int_equal(f.map.source.traces, 2);
    assert_int_equal(calls(&f, "frontend", "api"), 0);
    stop(&f);

    /* the same two as whole traces, one element each */
    start(&f, 0, false);
    first_half(&f, "1111111111111111aaaaaaaaaaaaaaaa");
    assert_int_equal(send(&f, true), 0);
    second_half(&f, "2222222222222222aaaaaaaaaaaaaaaa");
    assert_int_equal(send(&f, true), 0);
    assert_int_equal(finish(&f), 0);
    assert_int_equal(f.map.source.traces, 2);
    assert_int_equal(calls(&f, "frontend", "api"), 0);
    stop(&f);
}

static void short_id_joins_its_low_half(void **state)
{
    struct fixture f;

    (void)state;
    start(&f, 0, false);
    first_half(&f, "1111111111111111aaaaaaaaaaaaaaaa");
    second_half(&f, "AAAAAAAAAAAAAAAA");
    assert_int_equal(send(&f, false), 0);
    assert_int_equal(finish(&f), 0);
    assert_int_equal(f.map.source.traces, 1);
    assert_int_equal(calls(&f, "frontend", "api"), 1);
    stop(&f);

    /* several 128-bit traces share the low half: the 64-bit spans are a trace apart */
    start(&f, 0, false);
    first_half(&f, "1111111111111111aaaaaaaaaaaaaaaa");
    filler(&f, 0);
    span(&f, "2222222222222222aaaaaaaaaaaaaaaa", "c1", NULL, "other", SM_KIND_SERVER);
    second_half(&f, "aaaaaaaaaaaaaaaa");
    assert_int_equal(send(&f, false), 0);
    assert_int_equal(finish(&f), 0);
    assert_int_equal(f.map.source.traces, 4);
    assert_int_equal(calls(&f, "frontend", "api"), 0);
    stop(&f);
}

/* Past the window: the second half is late, counted and not linked as a trace. */
static void late_part_is_counted(void **state)
{
    struct fixture f;
    int i;

    (void)state;
    start(&f, 8, false);
    first_half(&f, "77");
    assert_int_equal(send(&f, true), 0);
    for (i = 0; i < 20; i++) {
        filler(&f, i);
        assert_int_equal(send(&f, true), 0);
        assert_true(sm_linker_pending(f.linker) <= 8);
    }
    second_half(&f, "77");
    assert_int_equal(send(&f, true), 0);
    assert_int_equal(finish(&f), 0);
    assert_int_equal(f.map.source.late_spans, 2);
    assert_int_equal(sm_linker_late_spans(f.linker), 2);
    assert_int_equal(f.map.source.traces, 21);
    assert_int_equal(entry_calls(&f, "api"), 0);
    assert_int_equal(entry_calls(&f, "frontend"), 1);
    assert_int_equal(entry_calls(&f, "filler"), 20);
    assert_int_equal(sm_map_find_node(&f.map, SM_NODE_SERVICE, "api"), (size_t)-1);
    stop(&f);

    /* strict: an error */
    start(&f, 8, true);
    first_half(&f, "77");
    assert_int_equal(send(&f, true), 0);
    for (i = 0; i < 20; i++) {
        filler(&f, i);
        assert_int_equal(send(&f, true), 0);
    }
    second_half(&f, "77");
    assert_int_equal(send(&f, true), SM_EINPUT);
    stop(&f);
}

/* The keys of traces linked early are kept for at least 131,072 traces (two
 * generations of that many): within that a late part is recognised, beyond it the
 * part is linked as a trace of its own (the documented horizon). */
static void late_horizon(void **state)
{
    struct fixture f;
    int fillers[2] = {150000, 300000}, round, i;

    (void)state;
    for (round = 0; round < 2; round++) {
        start(&f, 2, false);
        first_half(&f, "77");
        assert_int_equal(send(&f, true), 0);
        for (i = 0; i < fillers[round]; i++) {
            filler(&f, i);
            assert_int_equal(send(&f, true), 0);
        }
        second_half(&f, "77");
        assert_int_equal(send(&f, true), 0);
        assert_int_equal(finish(&f), 0);
        assert_int_equal(calls(&f, "frontend", "api"), 0);
        if (round == 0) {
            assert_int_equal(f.map.source.late_spans, 2);
            assert_int_equal(f.map.source.traces, (uint64_t)fillers[round] + 1);
        } else {
            assert_int_equal(f.map.source.late_spans, 0);
            assert_int_equal(f.map.source.traces, (uint64_t)fillers[round] + 2);
        }
        stop(&f);
    }
}

/* The window links the traces idle longest first, not the ones that began first: a
 * trace whose first span is the oldest waiting one but which got a span lately stays. */
static void busy_trace_waits(void **state)
{
    struct fixture f;
    int i;

    (void)state;
    start(&f, 16, false);
    span(&f, "99", "01", NULL, "frontend", SM_KIND_SERVER);
    assert_int_equal(send(&f, true), 0);
    for (i = 0; i < 13; i++) {
        filler(&f, i);
        assert_int_equal(send(&f, true), 0);
    }
    span(&f, "99", "10", "01", "frontend", SM_KIND_INTERNAL);
    assert_int_equal(send(&f, true), 0);
    filler(&f, 13); /* the window fills: fillers 0 to 7 are linked */
    assert_int_equal(send(&f, true), 0);
    assert_true(sm_linker_pending(f.linker) <= 8);
    span(&f, "99", "02", "10", "frontend", SM_KIND_CLIENT);
    span(&f, "99", "03", "02", "api", SM_KIND_SERVER);
    assert_int_equal(send(&f, true), 0);
    for (i = 14; i < 20; i++) {
        filler(&f, i);
        assert_int_equal(send(&f, true), 0);
    }
    assert_int_equal(finish(&f), 0);
    assert_int_equal(f.map.source.late_spans, 0);
    assert_int_equal(calls(&f, "frontend", "api"), 1);
    assert_int_equal(f.map.source.traces, 21);
    stop(&f);
}

/* Many traces through a small window: every one linked once, none late. */
static void many_small_traces(void **state)
{
    struct fixture f;
    char trace[40];
    int i;

    (void)state;
    start(&f, 16, false);
    for (i = 0; i < 5000; i++) {
        snprintf(trace, sizeof(trace), "%x", i + 1);
        first_half(&f, trace);
        if (i > 0) {
            snprintf(trace, sizeof(trace), "%x", i);
            second_half(&f, trace); /* each trace's rest in the next element */
        }
        assert_int_equal(send(&f, true), 0);
        assert_true(sm_linker_pending(f.linker) <= 16 + 4);
    }
    snprintf(trace, sizeof(trace), "%x", i);
    second_half(&f, trace);
    assert_int_equal(send(&f, true), 0);
    assert_int_equal(finish(&f), 0);
    assert_int_equal(f.map.source.late_spans, 0);
    assert_int_equal(f.map.source.traces, 5000);
    assert_int_equal(calls(&f, "frontend", "api"), 5000);
    assert_int_equal(entry_calls(&f, "frontend"), 5000);
    assert_int_equal(entry_calls(&f, "api"), 0);
    stop(&f);
}

/* Loose spans of many traces, every trace's spans far apart (one span of each trace a
 * round), sent in batches as an unordered input: enough records (80 bytes each) for the
 * waiting array to move onto huge pages and grow there twice, linked by their chains. */
static void unordered_traces_interleaved(void **state)
{
    enum { TRACES = 4000, ROUNDS = 40 };
    struct fixture f;
    char trace[40], id[20], parent[20];
    int t, round;

    (void)state;
    start(&f, 16, false);
    for (round = 0; round < ROUNDS; round++) {
        for (t = 0; t < TRACES; t++) {
            /* the high half differs in round 10 of every fifth trace only: a 128-bit
             * id that shares its low half and so its chain, a trace of its own */
            snprintf(trace, sizeof(trace), "%016x%016x", round == 10 && t % 5 == 0 ? 0xbeef : 0x1,
                     t + 1);
            snprintf(id, sizeof(id), "%x", round + 1);
            snprintf(parent, sizeof(parent), "%x", round);
            if (round == 0)
                span(&f, trace, id, NULL, "frontend", SM_KIND_SERVER);
            else if (round == 1)
                span(&f, trace, id, parent, "frontend", SM_KIND_CLIENT);
            else if (round == 2)
                span(&f, trace, id, parent, "api", SM_KIND_SERVER);
            else
                span(&f, trace, id, parent, "api", SM_KIND_INTERNAL);
            if (f.batch.len == 1000)
                assert_int_equal(send(&f, false), 0);
        }
    }
    assert_int_equal(send(&f, false), 0);
    assert_int_equal(sm_linker_pending(f.linker), TRACES * ROUNDS);
    assert_int_equal(finish(&f), 0);
    assert_int_equal(f.map.source.late_spans, 0);
    /* each fifth trace's last span is a trace of its own: an internal span whose parent
     * is missing, so an entry of api; the rounds after it hang from their root */
    assert_int_equal(f.map.source.traces, TRACES + TRACES / 5);
    assert_int_equal(calls(&f, "frontend", "api"), TRACES);
    assert_int_equal(entry_calls(&f, "frontend"), TRACES);
    stop(&f);
}

/* An unordered input with one trace too long to gather (over 4,096 spans) is put in
 * order by the sort, in place, and links as the chains would. */
static void unordered_long_trace(void **state)
{
    struct fixture f;
    char id[20], parent[20];
    int i;

    (void)state;
    start(&f, 16, false);
    for (i = 0; i < 6000; i++) {
        snprintf(id, sizeof(id), "%x", i + 2);
        snprintf(parent, sizeof(parent), "%x", i + 1);
        /* frontend's client spans each call api once, api's servers answer */
        if (i % 2 == 0)
            span(&f, "a1", id, "1", "frontend", SM_KIND_CLIENT);
        else
            span(&f, "a1", id, parent, "api", SM_KIND_SERVER);
        filler(&f, i % 3000); /* traces of one span, each twice */
        if (f.batch.len >= 500)
            assert_int_equal(send(&f, false), 0);
    }
    span(&f, "a1", "1", NULL, "frontend", SM_KIND_SERVER);
    assert_int_equal(send(&f, false), 0);
    assert_int_equal(finish(&f), 0);
    assert_int_equal(f.map.source.traces, 1 + 3000);
    assert_int_equal(calls(&f, "frontend", "api"), 3000);
    assert_int_equal(entry_calls(&f, "frontend"), 1);
    stop(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_over_elements_links_as_one),
        cmocka_unit_test(split_over_formats),
        cmocka_unit_test(high_half_tells_traces_apart),
        cmocka_unit_test(short_id_joins_its_low_half),
        cmocka_unit_test(late_part_is_counted),
        cmocka_unit_test(late_horizon),
        cmocka_unit_test(busy_trace_waits),
        cmocka_unit_test(many_small_traces),
        cmocka_unit_test(unordered_traces_interleaved),
        cmocka_unit_test(unordered_long_trace),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
