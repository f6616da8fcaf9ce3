/* test_critical.c: the critical-path walk (src/link/critical.c) through the linker, on
 * hand-made traces, one per rule of docs/critical-path.md. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "svcmap/link.h"
#include "svcmap/why.h"

#define MS 1000000LL

struct spec {
    const char *id, *parent, *service;
    enum sm_span_kind kind;
    double start_ms, dur_ms;
    const char *db; /* db.namespace of a database call, or NULL */
};

static void run(const struct spec *s, size_t n, struct sm_map *map)
{
    struct sm_batch b;
    struct sm_linker *l;
    struct sm_error err;

    sm_map_init(map);
    sm_batch_init(&b);
    for (size_t i = 0; i < n; i++) {
        struct sm_span *sp = sm_batch_add(&b);

        sp->trace_id = sm_batch_str(&b, "00000000000000000000000000000001");
        sp->span_id = sm_batch_str(&b, s[i].id);
        sp->parent_id = s[i].parent ? sm_batch_str(&b, s[i].parent) : NULL;
        sp->service = sm_batch_str(&b, s[i].service);
        sp->kind = s[i].kind;
        sp->start_ns = 1700000000000000000LL + (int64_t)(s[i].start_ms * MS);
        sp->duration_ns = (int64_t)(s[i].dur_ms * MS);
        sp->has_duration = true;
        if (s[i].db) {
            sp->db_system = sm_batch_str(&b, "postgresql");
            sp->db_namespace = sm_batch_str(&b, s[i].db);
        }
    }
    sm_error_init(&err);
    l = sm_linker_new(map, NULL);
    assert_int_equal(sm_linker_add(l, &b, &err), 0);
    assert_int_equal(sm_linker_finish(l, &err), 0);
    sm_linker_free(l);
    sm_batch_release(&b);
    sm_map_sort(map);
}

/* critical ms of a contributor of the first entry, -1 when absent */
static double part_ms(const struct sm_map *m, const char *id)
{
    assert_true(m->nwhy >= 1);
    for (size_t i = 0; i < m->why[0].nparts; i++) {
        if (!strcmp(m->why[0].parts[i].id, id))
            return (double)m->why[0].parts[i].critical_ns / MS;
    }
    return -1;
}

static double edge_ms(const struct sm_map *m, const char *from, const char *to)
{
    for (size_t i = 0; i < m->why[0].nedges; i++) {
        if (!strcmp(m->why[0].edges[i].from, from) && !strcmp(m->why[0].edges[i].to, to))
            return (double)m->why[0].edges[i].critical_ns / MS;
    }
    return -1;
}

static void assert_sums(const struct sm_map *m)
{
    for (size_t e = 0; e < m->nwhy; e++) {
        uint64_t sum = 0;

        for (size_t i = 0; i < m->why[e].nparts; i++)
            sum += m->why[e].parts[i].critical_ns;
        assert_int_equal(sum, m->why[e].total_ns);
    }
}

/* docs/critical-path.md's worked example: sequential nesting, a parallel cache call
 * off the path, wire time, a database peer. */
static void test_worked_example(void **state)
{
    const struct spec s[] = {
        {"a1", NULL, "frontend", SM_KIND_SERVER, 0, 100, NULL},
        {"a2", "a1", "frontend", SM_KIND_CLIENT, 10, 80, NULL},
        {"b1", "a2", "api", SM_KIND_SERVER, 15, 70, NULL},
        {"b2", "b1", "api", SM_KIND_CLIENT, 20, 60, "inventory"},
        {"b3", "b1", "api", SM_KIND_CLIENT, 30, 10, "cache"},
    };
    struct sm_map m;

    (void)state;
    run(s, 5, &m);
    assert_int_equal(m.nwhy, 1);
    assert_string_equal(m.why[0].entry, "service:frontend");
    assert_int_equal(m.why[0].total_ns, 100 * MS);
    assert_true(part_ms(&m, "database:inventory") == 60);
    assert_true(part_ms(&m, "service:frontend") == 20);
    assert_true(part_ms(&m, "service:api") == 10);
    assert_true(part_ms(&m, "service:frontend->service:api") == 10);
    assert_true(part_ms(&m, "database:cache") == -1);
    assert_true(edge_ms(&m, "service:frontend", "service:api") == 80);
    assert_true(edge_ms(&m, "service:api", "database:inventory") == 60);
    assert_string_equal(m.why[0].parts[0].id, "database:inventory");
    assert_sums(&m);
    sm_map_release(&m);
}

/* Two sequential calls: both on the path, the gaps the parent's. */
static void test_sequential(void **state)
{
    const struct spec s[] = {
        {"a1", NULL, "web", SM_KIND_SERVER, 0, 50, NULL},
        {"a2", "a1", "web", SM_KIND_CLIENT, 5, 10, "users"},
        {"a3", "a1", "web", SM_KIND_CLIENT, 20, 20, "orders"},
    };
    struct sm_map m;

    (void)state;
    run(s, 3, &m);
    assert_true(part_ms(&m, "database:users") == 10);
    assert_true(part_ms(&m, "database:orders") == 20);
    assert_true(part_ms(&m, "service:web") == 20);
    assert_sums(&m);
    sm_map_release(&m);
}

/* Parallel calls: the one finishing last is on the path, the other not. */
static void test_parallel(void **state)
{
    const struct spec s[] = {
        {"a1", NULL, "web", SM_KIND_SERVER, 0, 50, NULL},
        {"a2", "a1", "web", SM_KIND_CLIENT, 10, 30, "users"},
        {"a3", "a1", "web", SM_KIND_CLIENT, 10, 20, "orders"},
    };
    struct sm_map m;

    (void)state;
    run(s, 3, &m);
    assert_true(part_ms(&m, "database:users") == 30);
    assert_true(part_ms(&m, "database:orders") == -1);
    assert_true(part_ms(&m, "service:web") == 20);
    assert_sums(&m);
    sm_map_release(&m);
}

/* A child outliving its parent and a child starting before it are clipped. */
static void test_clipped(void **state)
{
    const struct spec s[] = {
        {"a1", NULL, "web", SM_KIND_SERVER, 0, 40, NULL},
        {"a2", "a1", "web", SM_KIND_CLIENT, 30, 50, "late"},
        {"a3", "a1", "web", SM_KIND_CLIENT, -10, 20, "early"},
    };
    struct sm_map m;

    (void)state;
    run(s, 3, &m);
    assert_true(part_ms(&m, "database:late") == 10);
    assert_true(part_ms(&m, "database:early") == 10);
    assert_true(part_ms(&m, "service:web") == 20);
    assert_int_equal(m.why[0].total_ns, 40 * MS);
    assert_sums(&m);
    sm_map_release(&m);
}

/* An async consumer that runs after the entry ended is off the path; a producer with a
 * consumer answer is wire time to the queue. */
static void test_async_consumer(void **state)
{
    const struct spec s[] = {
        {"a1", NULL, "web", SM_KIND_SERVER, 0, 20, NULL},
        {"a2", "a1", "web", SM_KIND_PRODUCER, 5, 5, NULL},
        {"c1", "a2", "worker", SM_KIND_CONSUMER, 100, 50, NULL},
    };
    struct sm_map m;

    (void)state;
    run(s, 3, &m);
    assert_int_equal(m.nwhy, 1);
    assert_true(part_ms(&m, "service:worker") == -1);
    assert_true(part_ms(&m, "service:web->service:worker") == 5);
    assert_true(part_ms(&m, "service:web") == 15);
    assert_sums(&m);
    sm_map_release(&m);
}

/* A server whose parent is missing from the input is an entry of its own, not part of
 * the root's path; a loop of spans is never walked. */
static void test_missing_parent_and_loop(void **state)
{
    const struct spec s[] = {
        {"a1", NULL, "web", SM_KIND_SERVER, 0, 10, NULL},
        {"b1", "ff", "api", SM_KIND_SERVER, 2, 30, NULL},
        {"c1", "c2", "x", SM_KIND_SERVER, 0, 5, NULL},
        {"c2", "c1", "x", SM_KIND_SERVER, 0, 5, NULL},
    };
    struct sm_map m;

    (void)state;
    run(s, 4, &m);
    assert_int_equal(m.nwhy, 2);
    assert_string_equal(m.why[0].entry, "service:api");
    assert_int_equal(m.why[0].total_ns, 30 * MS);
    assert_string_equal(m.why[1].entry, "service:web");
    assert_int_equal(m.why[1].total_ns, 10 * MS);
    assert_int_equal(m.why[1].nparts, 1);
    assert_sums(&m);
    sm_map_release(&m);
}

/* A deep chain is walked without recursion. */
static void test_deep_chain(void **state)
{
    enum { N = 20000 };
    static struct spec s[N];
    static char ids[N][8];
    struct sm_map m;

    (void)state;
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof(ids[i]), "%x", i + 1);
        s[i].id = ids[i];
        s[i].parent = i ? ids[i - 1] : NULL;
        s[i].service = "deep";
        s[i].kind = i ? SM_KIND_INTERNAL : SM_KIND_SERVER;
        s[i].start_ms = i * 0.001;
        s[i].dur_ms = 100 - i * 0.002;
    }
    run(s, N, &m);
    assert_int_equal(m.nwhy, 1);
    assert_sums(&m);
    sm_map_release(&m);
}

/* A chain alternating over several services: each hop is a new frame, so without a bound
 * on a stack's frames every section would be a stack of its own, as long as the chain
 * (quadratic memory, cubic time). The stacks keep their first frames and the owner. */
static void test_deep_chain_services(void **state)
{
    enum { N = 4000 };
    static struct spec s[N];
    static char ids[N][8];
    static const char *names[] = {"a", "b", "c", "d", "e", "f", "g"};
    struct sm_map m;

    (void)state;
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof(ids[i]), "%x", i + 1);
        s[i].id = ids[i];
        s[i].parent = i ? ids[i - 1] : NULL;
        s[i].service = names[(i / 2) % 7];
        s[i].kind = i % 2 ? SM_KIND_CLIENT : SM_KIND_SERVER;
        s[i].start_ms = i * 0.001;
        s[i].dur_ms = 100 - i * 0.002;
    }
    run(s, N, &m);
    assert_int_equal(m.nwhy, 1);
    assert_sums(&m);
    /* about two stacks a depth up to the bound (node and wire), then one an owner: 138
     * here, whatever N; 4000 without the bound. */
    assert_true(m.why[0].nstacks <= 256);
    for (size_t i = 0; i < m.why[0].nstacks; i++) {
        size_t frames = 1;
        for (const char *p = m.why[0].stacks[i].path; *p; p++)
            frames += *p == '\x1f';
        assert_true(frames <= 64);
    }
    sm_map_release(&m);
}

/* Spans of several traces, a CLIENT span may name its peer by host and port. */
struct tspec {
    const char *trace, *id, *parent, *service;
    enum sm_span_kind kind;
    double start_ms, dur_ms;
    const char *host, *port; /* server.address and server.port, or NULL */
};

static void run_traces(const struct tspec *s, size_t n, double slowest_pct, struct sm_map *map)
{
    struct sm_batch b;
    struct sm_linker *l;
    struct sm_link_options opt;
    struct sm_error err;

    sm_map_init(map);
    sm_batch_init(&b);
    for (size_t i = 0; i < n; i++) {
        struct sm_span *sp = sm_batch_add(&b);

        sp->trace_id = sm_batch_str(&b, s[i].trace);
        sp->span_id = sm_batch_str(&b, s[i].id);
        sp->parent_id = s[i].parent ? sm_batch_str(&b, s[i].parent) : NULL;
        sp->service = sm_batch_str(&b, s[i].service);
        sp->kind = s[i].kind;
        sp->start_ns = 1700000000000000000LL + (int64_t)(s[i].start_ms * MS);
        sp->duration_ns = (int64_t)(s[i].dur_ms * MS);
        sp->has_duration = true;
        if (s[i].host) {
            sp->server_address = sm_batch_str(&b, s[i].host);
            sp->server_port = sm_batch_str(&b, s[i].port);
        }
    }
    sm_error_init(&err);
    memset(&opt, 0, sizeof(opt));
    opt.slowest_pct = slowest_pct;
    l = sm_linker_new(map, &opt);
    assert_int_equal(sm_linker_add(l, &b, &err), 0);
    assert_int_equal(sm_linker_finish(l, &err), 0);
    sm_linker_free(l);
    sm_batch_release(&b);
    sm_map_sort(map);
}

/* A peer named by host and port ("inventory:8080", no answering span) turns out at the
 * end to be the instrumented service inventory: its contributor and the service's are
 * one, and its per-trace share is the sum of both in each trace (0.8, 0.6, 0.2 + 0.4),
 * not the sketch of one of them. The same with --slowest 100 (kept traces) and 33. */
static void test_renamed_peer_shares(void **state)
{
    const struct tspec s[] = {
        /* t1: the peer only, 80 of 100 ms */
        {"01", "a1", NULL, "frontend", SM_KIND_SERVER, 0, 100, NULL, NULL},
        {"01", "a2", "a1", "frontend", SM_KIND_CLIENT, 10, 80, "inventory", "8080"},
        /* t2: the service only, 60 of 100 ms (and 20 ms of wire) */
        {"02", "b1", NULL, "frontend", SM_KIND_SERVER, 0, 100, NULL, NULL},
        {"02", "b2", "b1", "frontend", SM_KIND_CLIENT, 10, 80, NULL, NULL},
        {"02", "b3", "b2", "inventory", SM_KIND_SERVER, 20, 60, NULL, NULL},
        /* t3: both, 20 + 40 of 100 ms; a 200 ms trace so that --slowest 67 drops t1 */
        {"03", "c1", NULL, "frontend", SM_KIND_SERVER, 0, 200, NULL, NULL},
        {"03", "c2", "c1", "frontend", SM_KIND_CLIENT, 10, 40, "inventory", "8080"},
        {"03", "c3", "c1", "frontend", SM_KIND_CLIENT, 60, 100, NULL, NULL},
        {"03", "c4", "c3", "inventory", SM_KIND_SERVER, 70, 80, NULL, NULL},
    };
    const double slowest[] = {0, 100, 33};

    (void)state;
    for (size_t k = 0; k < 3; k++) {
        struct sm_map m;
        const struct sm_why_part *p = NULL;
        size_t found = 0;

        run_traces(s, sizeof(s) / sizeof(s[0]), slowest[k], &m);
        assert_int_equal(m.nwhy, 1);
        for (size_t i = 0; i < m.why[0].nparts; i++) {
            if (!strcmp(m.why[0].parts[i].id, "service:inventory")) {
                p = &m.why[0].parts[i];
                found++;
            }
        }
        assert_int_equal(found, 1);
        assert_int_equal(p->share->count, m.why[0].traces);
        if (k < 2) {
            /* shares 0.8, 0.6 and (40 + 80) / 200 = 0.6 */
            assert_int_equal(m.why[0].traces, 3);
            assert_int_equal(p->critical_ns, (80 + 60 + 120) * MS);
            assert_true(fabs(sm_why_share_quantile(p, 0.0) - 0.6) < 0.6 * 0.02);
            assert_true(fabs(sm_why_share_quantile(p, 0.5) - 0.6) < 0.6 * 0.02);
            assert_true(fabs(sm_why_share_quantile(p, 1.0) - 0.8) < 0.8 * 0.02);
            assert_int_equal(p->share->zero_count, 0);
        } else {
            /* the slowest 33 % of 3 traces: t3 alone, both parts of it */
            assert_int_equal(m.why[0].traces, 1);
            assert_int_equal(p->critical_ns, 120 * MS);
            assert_true(fabs(sm_why_share_quantile(p, 0.5) - 0.6) < 0.6 * 0.02);
        }
        assert_sums(&m);
        sm_map_release(&m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_worked_example),
        cmocka_unit_test(test_sequential),
        cmocka_unit_test(test_parallel),
        cmocka_unit_test(test_clipped),
        cmocka_unit_test(test_async_consumer),
        cmocka_unit_test(test_missing_parent_and_loop),
        cmocka_unit_test(test_deep_chain),
        cmocka_unit_test(test_deep_chain_services),
        cmocka_unit_test(test_renamed_peer_shares),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
