/* test_collapse.c: --collapse ATTR (sm_shape.collapse): one node per group, edges between
 * groups with calls and errors summed and latency merged from the sketches, nodes
 * without the attribute kept, and a group never absorbing a node of the same name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "svcmap/map.h"
#include "svcmap/shape.h"

static size_t service(struct sm_map *m, const char *name, const char *ns)
{
    size_t i = sm_map_node(m, SM_NODE_SERVICE, name);

    sm_node_set_attr(&m->nodes[i].namespace_, ns);
    return i;
}

static void add(struct sm_map *m, size_t from, size_t to, uint64_t calls, uint64_t errors,
                double base_ms)
{
    struct sm_edge *e = sm_map_edge(m, from, to, SM_EDGE_RPC);
    uint64_t k;

    e->calls += calls;
    e->errors += errors;
    for (k = 0; k < calls; k++)
        sm_sketch_add(&e->client, base_ms + (double)k);
}

static void test_collapse_namespace(void **state)
{
    struct sm_map m, expect;
    struct sm_shape shape;
    struct sm_error err;
    size_t web, cart, pay, bill, db, g, i;
    const struct sm_edge *e;
    struct sm_latency_summary got, want;
    struct sm_sketch merged;

    (void)state;
    sm_map_init(&m);
    web = service(&m, "web", "front");
    cart = service(&m, "cart", "shop");
    pay = service(&m, "pay", "shop");
    bill = service(&m, "shop", NULL); /* named like the group, but not in it */
    db = sm_map_node(&m, SM_NODE_DATABASE, "orders");
    add(&m, web, cart, 100, 3, 10);
    add(&m, web, pay, 50, 5, 200);
    add(&m, cart, pay, 20, 0, 1);
    add(&m, pay, bill, 7, 1, 3);
    sm_map_edge(&m, pay, db, SM_EDGE_DATABASE)->calls = 9;
    sm_map_sort(&m);

    /* what front -> shop must be: both edges' sketches merged */
    sm_map_init(&expect);
    sm_sketch_init(&merged);
    sm_sketch_merge(&merged,
                    &m.edges[sm_map_find_edge(&m, sm_map_find_node_id(&m, "service:web"),
                                              sm_map_find_node_id(&m, "service:cart"), SM_EDGE_RPC)]
                         .client);
    sm_sketch_merge(&merged,
                    &m.edges[sm_map_find_edge(&m, sm_map_find_node_id(&m, "service:web"),
                                              sm_map_find_node_id(&m, "service:pay"), SM_EDGE_RPC)]
                         .client);

    sm_shape_init(&shape);
    shape.collapse = "service.namespace";
    sm_error_init(&err);
    assert_int_equal(sm_shape_apply(&m, &shape, &err), 0);
    /* front, shop (group), shop (the plain service), orders */
    assert_int_equal(m.nnodes, 4);
    assert_true(sm_map_find_node_id(&m, "service:front") != (size_t)-1);
    assert_true(sm_map_find_node_id(&m, "service:shop (group)") != (size_t)-1);
    assert_true(sm_map_find_node_id(&m, "service:shop") != (size_t)-1);
    assert_true(sm_map_find_node_id(&m, "database:orders") != (size_t)-1);
    g = sm_map_find_node_id(&m, "service:shop (group)");
    assert_string_equal(m.nodes[g].namespace_, "shop");

    i = sm_map_find_edge(&m, sm_map_find_node_id(&m, "service:front"), g, SM_EDGE_RPC);
    assert_true(i != (size_t)-1);
    e = &m.edges[i];
    assert_int_equal(e->calls, 150);
    assert_int_equal(e->errors, 8);
    assert_false(e->latency_estimated);
    assert_true(sm_edge_latency(e, SM_SIDE_CLIENT, &got));
    {
        struct sm_edge tmp;

        memset(&tmp, 0, sizeof(tmp));
        tmp.client = merged;
        assert_true(sm_edge_latency(&tmp, SM_SIDE_CLIENT, &want));
    }
    assert_int_equal(got.count, 150);
    assert_true(got.p99 == want.p99 && got.p50 == want.p50 && got.max == want.max);
    /* cart -> pay inside the group: a self-edge of the group */
    i = sm_map_find_edge(&m, g, g, SM_EDGE_RPC);
    assert_true(i != (size_t)-1);
    assert_int_equal(m.edges[i].calls, 20);
    /* the plain service keeps its own edge */
    i = sm_map_find_edge(&m, g, sm_map_find_node_id(&m, "service:shop"), SM_EDGE_RPC);
    assert_true(i != (size_t)-1);
    assert_int_equal(m.edges[i].calls, 7);
    assert_int_equal(m.nedges, 4);
    sm_sketch_release(&merged);
    sm_map_release(&expect);
    sm_map_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_collapse_namespace),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
