/* test_shape.c: unit tests of map shaping: clients, globs, min-calls, focus and depth.
 *
 * A small chain-shaped map with a side branch makes every answer easy to work out by
 * hand: a -> b -> c -> d, e -> b, b -> database:b, client -> a.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svcmap/shape.h"

static void chain(struct sm_map *m)
{
    static const struct {
        enum sm_node_kind fk;
        const char *from;
        enum sm_node_kind tk;
        const char *to;
        uint64_t calls;
    } edges[] = {
        {SM_NODE_SERVICE, "a", SM_NODE_SERVICE, "b", 100},
        {SM_NODE_SERVICE, "b", SM_NODE_SERVICE, "c", 50},
        {SM_NODE_SERVICE, "c", SM_NODE_SERVICE, "d", 5},
        {SM_NODE_SERVICE, "e", SM_NODE_SERVICE, "b", 2},
        {SM_NODE_SERVICE, "b", SM_NODE_DATABASE, "b", 70},
        {SM_NODE_CLIENT, "client", SM_NODE_SERVICE, "a", 100},
    };
    size_t i;

    sm_map_init(m);
    sm_map_node(m, SM_NODE_SERVICE, "lonely");
    for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        size_t f = sm_map_node(m, edges[i].fk, edges[i].from);
        size_t t = sm_map_node(m, edges[i].tk, edges[i].to);

        sm_map_edge(m, f, t, SM_EDGE_RPC)->calls = edges[i].calls;
    }
    sm_map_sort(m);
}

/* The node ids of the map joined by spaces (nodes are sorted by id). */
static const char *ids(const struct sm_map *m)
{
    static char buf[512];
    size_t i;

    buf[0] = '\0';
    for (i = 0; i < m->nnodes; i++) {
        if (i)
            strcat(buf, " ");
        strcat(buf, m->nodes[i].id);
    }
    return buf;
}

static void shape(struct sm_map *m, const struct sm_shape *s, int expect_rc)
{
    struct sm_error err;

    sm_error_init(&err);
    chain(m);
    assert_int_equal(sm_shape_apply(m, s, &err), expect_rc);
}

static void test_clients(void **state)
{
    struct sm_map m;
    struct sm_shape s;

    (void)state;
    sm_shape_init(&s);
    shape(&m, &s, 0);
    assert_string_equal(ids(&m), "database:b service:a service:b service:c service:d "
                                 "service:e service:lonely");
    assert_int_equal(m.nedges, 5);
    sm_map_release(&m);
    s.clients = true;
    shape(&m, &s, 0);
    assert_string_equal(ids(&m), "client:client database:b service:a service:b service:c "
                                 "service:d service:e service:lonely");
    assert_int_equal(m.nedges, 6);
    sm_map_release(&m);
}

static void test_globs(void **state)
{
    const char *inc[] = {"b", "?"};
    const char *exc[] = {"[ce]", "c", "e*", "lon*"};
    struct sm_map m;
    struct sm_shape s;

    (void)state;
    sm_shape_init(&s);
    s.include = inc;
    s.ninclude = 1;
    shape(&m, &s, 0);
    /* Globs match names, so the database named b is kept too. */
    assert_string_equal(ids(&m), "database:b service:b");
    assert_int_equal(m.nedges, 1);
    sm_map_release(&m);

    s.ninclude = 2;
    s.exclude = exc;
    s.nexclude = 4;
    shape(&m, &s, 0);
    assert_string_equal(ids(&m), "database:b service:a service:b service:d");
    assert_int_equal(m.nedges, 2);
    sm_map_release(&m);
}

static void test_client_follows_its_services(void **state)
{
    const char *inc[] = {"c*"};
    struct sm_map m;
    struct sm_shape s;

    (void)state;
    sm_shape_init(&s);
    s.clients = true;
    s.include = inc;
    s.ninclude = 1;
    shape(&m, &s, 0);
    /* The client called only a, which is filtered out: no lone client node. */
    assert_string_equal(ids(&m), "service:c");
    sm_map_release(&m);
}

static void test_min_calls(void **state)
{
    struct sm_map m;
    struct sm_shape s;

    (void)state;
    sm_shape_init(&s);
    s.min_calls = 50;
    shape(&m, &s, 0);
    /* c -> d (5) and e -> b (2) go, and d and e with them; lonely never had an edge. */
    assert_string_equal(ids(&m), "database:b service:a service:b service:c service:lonely");
    assert_int_equal(m.nedges, 3);
    sm_map_release(&m);
}

static void test_focus(void **state)
{
    struct sm_map m;
    struct sm_shape s;

    (void)state;
    sm_shape_init(&s);
    s.focus = "b";
    shape(&m, &s, 0);
    assert_string_equal(ids(&m), "database:b service:a service:b service:c service:e");
    assert_int_equal(m.nedges, 4);
    sm_map_release(&m);

    s.depth = 2;
    shape(&m, &s, 0);
    assert_string_equal(ids(&m), "database:b service:a service:b service:c service:d service:e");
    sm_map_release(&m);

    /* Upstream and downstream separately: c's callers' other callees are not pulled in. */
    s.focus = "c";
    s.depth = 1;
    shape(&m, &s, 0);
    assert_string_equal(ids(&m), "service:b service:c service:d");
    assert_int_equal(m.nedges, 2);
    sm_map_release(&m);

    s.depth = 0;
    s.focus = "database:b";
    shape(&m, &s, 0);
    assert_string_equal(ids(&m), "database:b");
    sm_map_release(&m);

    s.focus = "nope";
    shape(&m, &s, SM_EUSAGE);
    sm_map_release(&m);
}

static void test_focus_with_clients(void **state)
{
    struct sm_map m;
    struct sm_shape s;

    (void)state;
    sm_shape_init(&s);
    s.focus = "a";
    s.clients = true;
    shape(&m, &s, 0);
    assert_string_equal(ids(&m), "client:client service:a service:b");
    sm_map_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clients),
        cmocka_unit_test(test_globs),
        cmocka_unit_test(test_client_follows_its_services),
        cmocka_unit_test(test_min_calls),
        cmocka_unit_test(test_focus),
        cmocka_unit_test(test_focus_with_clients),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
