/* test_check.c: architecture rules on maps built in C: every rule kind, the file format.
 *
 * The map is the shop (client -> frontend -> api-gateway -> inventory -> database,
 * gateway -> payments -> fraud-check and the card API, gateway -> orders queue ->
 * shipping). Each rule kind is run alone against it, once where it holds and once where
 * it must fire, and the violations are compared with the ones worked out by hand: which
 * edge or node, which rule line. Bad rules files must fail at the right line and column.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "svcmap/check.h"
#include "svcmap/map.h"

static void edge(struct sm_map *m, enum sm_node_kind fk, const char *from, enum sm_node_kind tk,
                 const char *to, enum sm_edge_kind kind, uint64_t calls)
{
    size_t f = sm_map_node(m, fk, from), t = sm_map_node(m, tk, to);

    sm_map_edge(m, f, t, kind)->calls = calls;
}

static void shop(struct sm_map *m)
{
    sm_map_init(m);
    edge(m, SM_NODE_CLIENT, "client", SM_NODE_SERVICE, "frontend", SM_EDGE_RPC, 400);
    edge(m, SM_NODE_SERVICE, "frontend", SM_NODE_SERVICE, "api-gateway", SM_EDGE_RPC, 400);
    edge(m, SM_NODE_SERVICE, "api-gateway", SM_NODE_SERVICE, "inventory", SM_EDGE_RPC, 380);
    edge(m, SM_NODE_SERVICE, "inventory", SM_NODE_DATABASE, "inventory", SM_EDGE_DATABASE, 1200);
    edge(m, SM_NODE_SERVICE, "api-gateway", SM_NODE_SERVICE, "payments", SM_EDGE_RPC, 95);
    edge(m, SM_NODE_SERVICE, "payments", SM_NODE_SERVICE, "fraud-check", SM_EDGE_RPC, 90);
    edge(m, SM_NODE_SERVICE, "payments", SM_NODE_EXTERNAL, "card-api", SM_EDGE_EXTERNAL, 90);
    edge(m, SM_NODE_SERVICE, "api-gateway", SM_NODE_QUEUE, "orders", SM_EDGE_MESSAGING, 150);
    edge(m, SM_NODE_QUEUE, "orders", SM_NODE_SERVICE, "shipping", SM_EDGE_MESSAGING, 150);
    sm_map_sort(m);
}

/* Runs rules (text) against m; returns the violations as lines
 * "LINE KIND FROM>TO" or "LINE KIND NODE", joined by '\n', in a static buffer. */
static const char *run(const struct sm_map *m, const char *text, uint64_t min_calls)
{
    static char buf[4096];
    struct sm_rules rules;
    struct sm_check c;
    struct sm_check_options o;
    struct sm_error err;
    size_t i, len = 0;

    sm_rules_init(&rules);
    sm_check_init(&c);
    sm_error_init(&err);
    sm_check_options_init(&o);
    o.min_calls = min_calls;
    if (sm_rules_parse(text, strlen(text), "t.rules", &rules, &err))
        fail_msg("%s:%ld:%ld: %s", err.file, err.line, err.column, err.text);
    sm_check_run(&c, &rules, m, &o);
    buf[0] = '\0';
    for (i = 0; i < c.nviolations; i++) {
        const struct sm_violation *v = &c.violations[i];
        long line = rules.rules[v->rule].line;
        const char *kind = sm_violation_kind_name(v->kind);

        if (v->edge != (size_t)-1)
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%ld %s %s>%s", len ? "\n" : "",
                                    line, kind, m->nodes[m->edges[v->edge].from].id,
                                    m->nodes[m->edges[v->edge].to].id);
        else
            len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%ld %s %s", len ? "\n" : "",
                                    line, kind, m->nodes[v->node].id);
        assert_true(len < sizeof(buf));
        assert_non_null(v->why);
    }
    sm_check_release(&c);
    sm_rules_release(&rules);
    return buf;
}

static void test_forbid_and_allow(void **state)
{
    struct sm_map m;

    (void)state;
    shop(&m);
    assert_string_equal(run(&m, "forbid frontend -> database:*\n", 0), "");
    /* the kind is part of the pattern: the inventory service is not the database */
    assert_string_equal(run(&m, "forbid * -> database:*\n", 0),
                        "1 forbid service:inventory>database:inventory");
    assert_string_equal(
        run(&m, "# c\n\nforbid api-gateway -> *\nallow * -> service:inventory\n", 0),
        "3 forbid service:api-gateway>queue:orders\n"
        "3 forbid service:api-gateway>service:payments");
    /* no kind: every kind; globs with ? and * */
    assert_string_equal(run(&m,
                            "forbid *ay*s -> ?????"
                            "-check\n",
                            0),
                        "1 forbid service:payments>service:fraud-check");
    assert_string_equal(run(&m, "forbid * -> inventory\n", 0),
                        "1 forbid service:api-gateway>service:inventory\n"
                        "1 forbid service:inventory>database:inventory");
    /* spaces around the arrow are optional; quoted names */
    assert_string_equal(run(&m, "forbid payments -> service:card-api\n", 0), "");
    assert_string_equal(run(&m, "forbid \"payments\"->\"external:card-api\"\n", 0),
                        "1 forbid service:payments>external:card-api");
    assert_string_equal(run(&m, "forbid payments->card-api\n", 0),
                        "1 forbid service:payments>external:card-api");
    /* min calls: rare edges are not held against the rules */
    assert_string_equal(run(&m, "forbid payments -> *\n", 91), "");
    sm_map_release(&m);
}

static void test_layers(void **state)
{
    struct sm_map m;
    const char *layers = "layer edge: client:* frontend\n"
                         "layer core : api-gateway queue:*\n"
                         "layer domain: service:inventory payments fraud-check shipping\n"
                         "layer data: database:* external:*\n";
    char text[1024];

    (void)state;
    shop(&m);
    assert_string_equal(run(&m, layers, 0), "");
    /* a pattern without a kind takes every kind: the database named inventory lands in
     * the domain layer, the first that matches it, and may call up no further than that */
    edge(&m, SM_NODE_DATABASE, "inventory", SM_NODE_SERVICE, "payments", SM_EDGE_RPC, 1);
    sm_map_sort(&m);
    assert_string_equal(run(&m, "layer domain: inventory payments\nlayer data: database:*\n", 0),
                        "");
    assert_string_equal(run(&m, layers, 0), "4 layer database:inventory>service:payments");
    sm_map_release(&m);
    shop(&m);
    /* an upward call is reported at the caller's layer */
    edge(&m, SM_NODE_SERVICE, "shipping", SM_NODE_SERVICE, "api-gateway", SM_EDGE_RPC, 5);
    edge(&m, SM_NODE_DATABASE, "inventory", SM_NODE_SERVICE, "frontend", SM_EDGE_RPC, 1);
    /* a node in no layer is not constrained */
    edge(&m, SM_NODE_SERVICE, "fraud-check", SM_NODE_SERVICE, "ml-model", SM_EDGE_RPC, 9);
    edge(&m, SM_NODE_SERVICE, "ml-model", SM_NODE_SERVICE, "frontend", SM_EDGE_RPC, 9);
    sm_map_sort(&m);
    assert_string_equal(run(&m, layers, 0), "3 layer service:shipping>service:api-gateway\n"
                                            "4 layer database:inventory>service:frontend");
    /* a node takes the first layer that names it; allow excepts an edge */
    snprintf(text, sizeof(text), "%sallow shipping -> api-gateway\nlayer late: shipping\n", layers);
    assert_string_equal(run(&m, text, 0), "4 layer database:inventory>service:frontend");
    sm_map_release(&m);
}

static void test_cycles(void **state)
{
    struct sm_map m;

    (void)state;
    shop(&m);
    assert_string_equal(run(&m, "no-cycles\n", 0), "");
    /* a three-node cycle through the queue, a self-call, and an edge leading into a cycle
     * that is not on it */
    edge(&m, SM_NODE_SERVICE, "shipping", SM_NODE_SERVICE, "api-gateway", SM_EDGE_RPC, 5);
    edge(&m, SM_NODE_SERVICE, "fraud-check", SM_NODE_SERVICE, "fraud-check", SM_EDGE_RPC, 2);
    sm_map_sort(&m);
    assert_string_equal(run(&m, "no-cycles\n", 0),
                        "1 cycle queue:orders>service:shipping\n"
                        "1 cycle service:api-gateway>queue:orders\n"
                        "1 cycle service:fraud-check>service:fraud-check\n"
                        "1 cycle service:shipping>service:api-gateway");
    /* restricted to services, the queue breaks the cycle */
    assert_string_equal(run(&m, "no-cycles service:*\n", 0),
                        "1 cycle service:fraud-check>service:fraud-check");
    /* edges under --min-calls do not close a cycle */
    assert_string_equal(run(&m, "no-cycles\n", 6), "");
    sm_map_release(&m);
}

static void test_cycle_names_path(void **state)
{
    struct sm_map m;
    struct sm_rules rules;
    struct sm_check c;
    struct sm_check_options o;
    struct sm_error err;
    const char *text = "no-cycles\n";

    (void)state;
    shop(&m);
    edge(&m, SM_NODE_SERVICE, "shipping", SM_NODE_SERVICE, "api-gateway", SM_EDGE_RPC, 5);
    sm_map_sort(&m);
    sm_rules_init(&rules);
    sm_check_init(&c);
    sm_check_options_init(&o);
    assert_int_equal(sm_rules_parse(text, strlen(text), "t", &rules, &err), 0);
    sm_check_run(&c, &rules, &m, &o);
    assert_int_equal(c.nviolations, 3);
    assert_string_equal(c.violations[2].why,
                        "on the cycle service:shipping -> service:api-gateway -> queue:orders -> "
                        "service:shipping");
    sm_check_release(&c);
    sm_rules_release(&rules);
    sm_map_release(&m);
}

static void test_fan_out(void **state)
{
    struct sm_map m;

    (void)state;
    shop(&m);
    assert_string_equal(run(&m, "max-fan-out 3\n", 0), "");
    assert_string_equal(run(&m, "max-fan-out 2\n", 0), "1 fan-out service:api-gateway");
    assert_string_equal(run(&m, "max-fan-out 1\n", 0),
                        "1 fan-out service:api-gateway\n1 fan-out service:payments");
    assert_string_equal(run(&m, "max-fan-out 1 pay*\n", 0), "1 fan-out service:payments");
    /* a self-call and a second edge kind to the same node do not add to the fan-out */
    edge(&m, SM_NODE_SERVICE, "payments", SM_NODE_SERVICE, "payments", SM_EDGE_RPC, 1);
    edge(&m, SM_NODE_SERVICE, "payments", SM_NODE_SERVICE, "fraud-check", SM_EDGE_MESSAGING, 1);
    sm_map_sort(&m);
    assert_string_equal(run(&m, "max-fan-out 2 payments\n", 0), "");
    sm_map_release(&m);
}

static void test_no_external(void **state)
{
    struct sm_map m;

    (void)state;
    shop(&m);
    assert_string_equal(run(&m, "no-external inventory shipping\n", 0), "");
    assert_string_equal(run(&m, "no-external *\n", 0),
                        "1 external service:payments>external:card-api");
    assert_string_equal(run(&m, "no-external *\nallow payments -> external:card-api\n", 0), "");
    /* an edge of kind external counts even when the node is a service */
    edge(&m, SM_NODE_SERVICE, "shipping", SM_NODE_SERVICE, "carrier", SM_EDGE_EXTERNAL, 4);
    sm_map_sort(&m);
    assert_string_equal(run(&m, "no-external shipping\n", 0),
                        "1 external service:shipping>service:carrier");
    sm_map_release(&m);
}

static void test_default_deny(void **state)
{
    struct sm_map m;

    (void)state;
    shop(&m);
    assert_string_equal(run(&m,
                            "default deny\n"
                            "allow * -> *\n",
                            0),
                        "");
    assert_string_equal(run(&m,
                            "allow client:* -> *\n"
                            "allow service:* -> service:*\n"
                            "allow * -> queue:*\n"
                            "allow queue:* -> *\n"
                            "default deny\n",
                            0),
                        "5 unlisted service:inventory>database:inventory\n"
                        "5 unlisted service:payments>external:card-api");
    /* default allow is the default, and checks nothing */
    assert_string_equal(run(&m, "default allow\n", 0), "");
    sm_map_release(&m);
}

static void expect_bad(const char *text, long line, long column, const char *what)
{
    struct sm_rules rules;
    struct sm_error err;

    sm_rules_init(&rules);
    sm_error_init(&err);
    assert_int_equal(sm_rules_parse(text, strlen(text), "r.rules", &rules, &err), SM_EINPUT);
    if (err.line != line || err.column != column || !strstr(err.text, what))
        fail_msg("'%s': got %ld:%ld '%s', wanted %ld:%ld '%s'", text, err.line, err.column,
                 err.text, line, column, what);
    assert_string_equal(err.file, "r.rules");
    sm_rules_release(&rules);
}

static void test_bad_rules(void **state)
{
    (void)state;
    expect_bad("forbid a b\n", 1, 10, "expected '->'");
    expect_bad("\n  forbid a ->   # nothing\n", 2, 14, "callee pattern");
    expect_bad("forbid\n", 1, 7, "caller pattern");
    expect_bad("allow a -> b c\n", 1, 14, "unexpected 'c'");
    expect_bad("forbid -> b\n", 1, 8, "caller pattern before '->'");
    expect_bad("forbid a -> database:\n", 1, 13, "empty name");
    expect_bad("layer core api\n", 1, 12, "expected ':'");
    expect_bad("layer core:\n", 1, 12, "at least one pattern");
    expect_bad("layer a: x\nlayer a: y\n", 2, 7, "declared twice");
    expect_bad("layer \"a b\": x\n", 1, 7, "layer name");
    expect_bad("layer a/b: x\n", 1, 7, "layer name");
    expect_bad("max-fan-out many\n", 1, 13, "whole number");
    expect_bad("max-fan-out -1\n", 1, 13, "whole number");
    expect_bad("max-fan-out\n", 1, 12, "expected a number");
    expect_bad("no-external\n", 1, 12, "patterns");
    expect_bad("default\n", 1, 8, "'deny' or 'allow'");
    expect_bad("default deny now\n", 1, 14, "unexpected 'now'");
    expect_bad("# ok\nforbid a -> b\n  permit a -> b\n", 3, 3, "unknown statement 'permit'");
    expect_bad("forbid \"a -> b\n", 1, 8, "unterminated");
}

static void test_rules_text_and_lines(void **state)
{
    struct sm_rules rules;
    struct sm_error err;
    const char *text = "# header\n\n  forbid  a -> b   # why\r\nno-cycles\n"
                       "max-fan-out 7 service:*\nlayer x: \"a b\" c\ndefault allow\ndefault deny";

    (void)state;
    sm_rules_init(&rules);
    assert_int_equal(sm_rules_parse(text, strlen(text), "r", &rules, &err), 0);
    assert_int_equal(rules.nrules, 5);
    assert_int_equal(rules.rules[0].kind, SM_RULE_FORBID);
    assert_int_equal(rules.rules[0].line, 3);
    assert_string_equal(rules.rules[0].text, "forbid  a -> b");
    assert_int_equal(rules.rules[1].kind, SM_RULE_NO_CYCLES);
    assert_int_equal(rules.rules[1].nfrom, 0);
    assert_int_equal(rules.rules[2].limit, 7);
    assert_false(rules.rules[2].from[0].any_kind);
    assert_int_equal(rules.rules[2].from[0].kind, SM_NODE_SERVICE);
    assert_string_equal(rules.rules[2].from[0].glob, "*");
    assert_string_equal(rules.rules[3].name, "x");
    assert_int_equal(rules.rules[3].nfrom, 2);
    assert_string_equal(rules.rules[3].from[0].glob, "a b");
    assert_int_equal(rules.rules[4].kind, SM_RULE_DEFAULT_DENY);
    assert_int_equal(rules.rules[4].line, 8);
    sm_rules_release(&rules);
    sm_rules_release(&rules); /* twice is safe */
}

static void test_pattern_kinds(void **state)
{
    char svc_name[] = "db:5432", ext_name[] = "api.example.com:443", g1[] = "db:*", g2[] = "*:443";
    struct sm_node svc = {.name = svc_name, .kind = SM_NODE_SERVICE};
    struct sm_node ext = {.name = ext_name, .kind = SM_NODE_EXTERNAL};
    struct sm_pattern p;

    (void)state;
    /* a prefix that is not a kind word is part of the name */
    p = (struct sm_pattern){.any_kind = true, .glob = g1};
    assert_true(sm_pattern_match(&p, &svc));
    p = (struct sm_pattern){.any_kind = false, .kind = SM_NODE_EXTERNAL, .glob = g2};
    assert_true(sm_pattern_match(&p, &ext));
    assert_false(sm_pattern_match(&p, &svc));
}

static void test_gates(void **state)
{
    unsigned mask = 0;
    struct sm_error err;

    (void)state;
    assert_int_equal(sm_check_gate_parse("forbid, no-cycles", &mask, &err), 0);
    assert_int_equal(mask, (1u << SM_VIOLATION_FORBID) | (1u << SM_VIOLATION_CYCLE));
    assert_int_equal(sm_check_gate_parse("max-fan-out,external,unlisted,layer", &mask, &err), 0);
    assert_int_equal(mask, (1u << SM_VIOLATION_NKINDS) - 1 - (0u));
    assert_int_equal(sm_check_gate_parse("none", &mask, &err), 0);
    assert_int_equal(mask, 0);
    assert_int_equal(sm_check_gate_parse("any", &mask, &err), 0);
    assert_int_equal(mask, (1u << SM_VIOLATION_NKINDS) - 1);
    assert_int_equal(sm_check_gate_parse("forbid,cycles", &mask, &err), SM_EUSAGE);
    assert_non_null(strstr(err.text, "'cycles'"));
}

static void test_reports(void **state)
{
    struct sm_map m;
    struct sm_rules rules;
    struct sm_check c;
    struct sm_check_options o;
    struct sm_error err;
    struct sm_buf out;
    const char *text = "forbid api-gateway -> payments\nmax-fan-out 1 payments\n";
    unsigned mask = 1u << SM_VIOLATION_FORBID;
    json_t *doc, *v;
    json_error_t jerr;

    (void)state;
    shop(&m);
    sm_rules_init(&rules);
    sm_check_init(&c);
    sm_check_options_init(&o);
    sm_buf_init(&out);
    assert_int_equal(sm_rules_parse(text, strlen(text), "shop|x.rules", &rules, &err), 0);
    sm_check_run(&c, &rules, &m, &o);
    assert_int_equal(sm_check_tripped(&c, mask), 1);
    assert_int_equal(sm_check_tripped(&c, 0), 0);

    sm_check_write_text(&c, mask, &out);
    assert_string_equal(out.data, "shop|x.rules:1: forbid: service:api-gateway -> service:payments "
                                  "(rpc, 95 calls): forbidden by 'forbid api-gateway -> payments'\n"
                                  "shop|x.rules:2: fan-out: service:payments: calls 2 nodes, more "
                                  "than 1: external:card-api, service:fraud-check\n"
                                  "2 violations (forbid 1, fan-out 1): 2 rules, 9 edges checked; "
                                  "1 fails the gate\n");
    sm_buf_reset(&out);
    sm_check_write_markdown(&c, mask, &out);
    /* the '|' in the file name must not split the table cell */
    assert_non_null(strstr(out.data, "| shop\\|x.rules:1 forbid api-gateway -> payments | forbid | "
                                     "service:api-gateway → service:payments | 95 | "));
    assert_non_null(strstr(out.data, "| fan-out | service:payments |  | "));
    sm_buf_reset(&out);
    sm_check_write_json(&c, mask, &out);
    doc = json_loads(out.data, 0, &jerr);
    if (!doc)
        fail_msg("json: %s", jerr.text);
    assert_string_equal(json_string_value(json_object_get(doc, "schema")), SM_CHECK_SCHEMA);
    v = json_object_get(doc, "violations");
    assert_int_equal(json_array_size(v), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(v, 0), "calls")), 95);
    assert_true(json_is_true(json_object_get(json_array_get(v, 0), "fails_gate")));
    assert_true(json_is_false(json_object_get(json_array_get(v, 1), "fails_gate")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(v, 1), "node")),
                        "service:payments");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "gate"), "tripped")),
                     1);
    json_decref(doc);

    /* nothing found */
    sm_check_run(&c, &rules, &m, &(struct sm_check_options){.min_calls = 1000});
    sm_buf_reset(&out);
    sm_check_write_text(&c, mask, &out);
    assert_string_equal(out.data,
                        "no violations: 2 rules, 1 edge checked (8 under --min-calls ignored)\n");
    sm_buf_reset(&out);
    sm_check_write_json(&c, mask, &out);
    doc = json_loads(out.data, 0, &jerr);
    assert_non_null(doc);
    assert_int_equal(json_array_size(json_object_get(doc, "violations")), 0);
    json_decref(doc);

    sm_buf_release(&out);
    sm_check_release(&c);
    sm_rules_release(&rules);
    sm_map_release(&m);
}

/* Every prefix of the example rules files parses or fails with a place; exact-size
 * copies let ASan catch a read past the end. */
static void test_truncated_rules(void **state)
{
    static const char *const files[] = {SVCMAP_SOURCE_DIR "/fixtures/rules/shop.rules",
                                        SVCMAP_SOURCE_DIR "/fixtures/rules/shop-strict.rules"};
    size_t f, n;

    (void)state;
    for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        FILE *fp = fopen(files[f], "rb");
        char *data;
        long size;

        assert_non_null(fp);
        fseek(fp, 0, SEEK_END);
        size = ftell(fp);
        rewind(fp);
        data = malloc((size_t)size);
        assert_int_equal(fread(data, 1, (size_t)size, fp), (size_t)size);
        fclose(fp);
        for (n = 0; n <= (size_t)size; n++) {
            char *cut = malloc(n ? n : 1);
            struct sm_rules rules;
            struct sm_error err;
            int rc;

            memcpy(cut, data, n);
            sm_rules_init(&rules);
            sm_error_init(&err);
            rc = sm_rules_parse(cut, n, "cut", &rules, &err);
            assert_true(rc == 0 || (rc == SM_EINPUT && err.line > 0 && err.column > 0));
            sm_rules_release(&rules);
            free(cut);
        }
        free(data);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forbid_and_allow),
        cmocka_unit_test(test_layers),
        cmocka_unit_test(test_cycles),
        cmocka_unit_test(test_cycle_names_path),
        cmocka_unit_test(test_fan_out),
        cmocka_unit_test(test_no_external),
        cmocka_unit_test(test_default_deny),
        cmocka_unit_test(test_bad_rules),
        cmocka_unit_test(test_rules_text_and_lines),
        cmocka_unit_test(test_pattern_kinds),
        cmocka_unit_test(test_gates),
        cmocka_unit_test(test_reports),
        cmocka_unit_test(test_truncated_rules),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
