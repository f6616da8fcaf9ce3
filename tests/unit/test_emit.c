/* test_emit.c: unit tests of the picture emitters: labels, colours, DOT, SVG, PNG, Mermaid.
 *
 * Maps are built in C with sm_map_node / sm_map_edge / sm_sketch_add, so these tests
 * need no reader or linker. DOT output is read back with Graphviz's own parser
 * (agmemread) and every label compared with the name it came from, hostile names
 * included; Mermaid output is compared byte for byte with a known answer and checked
 * for characters that would break out of a quoted label.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gvc.h>

#include "svcmap/emit.h"
#include "svcmap/map.h"
#include "svcmap/why.h"

/* The shop's checkout story in small: fast calls, one edge that waits 30 s at the tail,
 * one edge with errors, a queue and an external API. */
static void shop_map(struct sm_map *m)
{
    size_t fe, inv, db, q, ext, cl, pay;
    struct sm_edge *e;
    int i;

    sm_map_init(m);
    cl = sm_map_node(m, SM_NODE_CLIENT, "client");
    fe = sm_map_node(m, SM_NODE_SERVICE, "frontend");
    inv = sm_map_node(m, SM_NODE_SERVICE, "inventory");
    pay = sm_map_node(m, SM_NODE_SERVICE, "payments");
    db = sm_map_node(m, SM_NODE_DATABASE, "inventory");
    q = sm_map_node(m, SM_NODE_QUEUE, "orders");
    ext = sm_map_node(m, SM_NODE_EXTERNAL, "api.stripe.com");
    sm_node_set_attr(&m->nodes[fe].namespace_, "shop");
    sm_node_set_attr(&m->nodes[inv].namespace_, "shop");
    sm_node_set_attr(&m->nodes[pay].namespace_, "billing");

    e = sm_map_edge(m, cl, fe, SM_EDGE_RPC);
    e->calls = 400;
    e = sm_map_edge(m, fe, inv, SM_EDGE_RPC);
    e->calls = 400;
    for (i = 0; i < 400; i++)
        sm_sketch_add(&e->client, 10 + i % 10);
    e = sm_map_edge(m, inv, db, SM_EDGE_DATABASE);
    e->calls = 200;
    for (i = 0; i < 200; i++)
        sm_sketch_add(&e->client, i < 195 ? 3 : 30000);
    e = sm_map_edge(m, fe, pay, SM_EDGE_RPC);
    e->calls = 100;
    e->errors = 7;
    for (i = 0; i < 100; i++)
        sm_sketch_add(&e->client, 40);
    e = sm_map_edge(m, pay, ext, SM_EDGE_EXTERNAL);
    e->calls = 100;
    e = sm_map_edge(m, fe, q, SM_EDGE_MESSAGING);
    e->calls = 1;
    sm_map_sort(m);
}

static const struct sm_edge *edge_named(const struct sm_map *m, const char *from, const char *to)
{
    size_t j;

    for (j = 0; j < m->nedges; j++) {
        if (!strcmp(m->nodes[m->edges[j].from].id, from) &&
            !strcmp(m->nodes[m->edges[j].to].id, to))
            return &m->edges[j];
    }
    fail_msg("no edge %s -> %s", from, to);
    return NULL;
}

static char *emit(const struct sm_emitter *em, const struct sm_map *m, const struct sm_style *st,
                  size_t *len)
{
    struct sm_buf out;
    struct sm_error err;

    sm_buf_init(&out);
    sm_error_init(&err);
    assert_int_equal(em->emit(m, st, &out, &err), 0);
    assert_non_null(out.data);
    if (len)
        *len = out.len;
    return out.data;
}

static void test_registry(void **state)
{
    (void)state;
    assert_ptr_equal(sm_emitter_find("dot"), &sm_emit_dot);
    assert_ptr_equal(sm_emitter_find("mermaid"), &sm_emit_mermaid);
    assert_ptr_equal(sm_emitter_find("png"), &sm_emit_png);
    assert_null(sm_emitter_find("pdf"));
    assert_ptr_equal(sm_emitter_for_path("out/map.SVG"), &sm_emit_svg);
    assert_ptr_equal(sm_emitter_for_path("map.gv"), &sm_emit_dot);
    assert_ptr_equal(sm_emitter_for_path("README.md"), &sm_emit_mermaid);
    assert_ptr_equal(sm_emitter_for_path("map.mmd"), &sm_emit_mermaid);
    assert_ptr_equal(sm_emitter_for_path("map.json"), &sm_emit_json);
    assert_null(sm_emitter_for_path("dir.svg/map"));
    assert_null(sm_emitter_for_path("map"));
    assert_true(sm_emit_png.binary);
    assert_false(sm_emit_dot.binary);
}

static void test_labels(void **state)
{
    struct sm_map m;
    struct sm_style st;
    struct sm_buf b;

    (void)state;
    shop_map(&m);
    sm_style_init(&st);
    sm_buf_init(&b);

    sm_edge_label(&m, edge_named(&m, "service:frontend", "service:inventory"), &st, &b);
    assert_string_equal(b.data, "400 calls, p99 19 ms");
    sm_buf_reset(&b);
    sm_edge_label(&m, edge_named(&m, "service:inventory", "database:inventory"), &st, &b);
    assert_string_equal(b.data, "200 calls, p99 30 s");
    sm_buf_reset(&b);
    sm_edge_label(&m, edge_named(&m, "service:frontend", "service:payments"), &st, &b);
    assert_string_equal(b.data, "100 calls, p99 40 ms, 7.0 % errors");
    sm_buf_reset(&b);
    /* No latency at all: no p99 part; one call is singular. */
    sm_edge_label(&m, edge_named(&m, "service:frontend", "queue:orders"), &st, &b);
    assert_string_equal(b.data, "1 call");
    sm_buf_reset(&b);

    st.edge_label = "{calls}/{errors} {error_rate} p50={p50} max={max} {nope} {p99";
    sm_edge_label(&m, edge_named(&m, "service:frontend", "service:payments"), &st, &b);
    assert_string_equal(b.data, "100/7 7.0 % p50=40 ms max=40 ms {nope} {p99");
    sm_buf_reset(&b);
    sm_edge_label(&m, edge_named(&m, "service:payments", "external:api.stripe.com"), &st, &b);
    assert_string_equal(b.data, "100/0 0.0 % p50=- max=- {nope} {p99");

    sm_buf_release(&b);
    sm_map_release(&m);
}

static void test_latency_side_fallback(void **state)
{
    struct sm_map m;
    struct sm_style st;
    struct sm_buf b;
    struct sm_edge *e;
    size_t a, c;

    (void)state;
    sm_map_init(&m);
    a = sm_map_node(&m, SM_NODE_SERVICE, "a");
    c = sm_map_node(&m, SM_NODE_SERVICE, "c");
    e = sm_map_edge(&m, a, c, SM_EDGE_RPC);
    e->calls = 2;
    sm_sketch_add(&e->server, 100);
    sm_sketch_add(&e->server, 100);
    e->client_summary.count = 2;
    e->client_summary.p99 = 2500;
    sm_style_init(&st);
    sm_buf_init(&b);
    st.edge_label = "{p99}";
    sm_edge_label(&m, e, &st, &b);
    assert_string_equal(b.data, "2.5 s");
    assert_int_equal(sm_edge_severity(e, &st), 2);
    st.latency = SM_LATENCY_SERVER;
    sm_buf_reset(&b);
    sm_edge_label(&m, e, &st, &b);
    assert_string_equal(b.data, "100 ms");
    assert_int_equal(sm_edge_severity(e, &st), 0);
    /* Latency interpolated from buckets is marked as approximate. */
    e->latency_estimated = true;
    sm_buf_reset(&b);
    sm_edge_label(&m, e, &st, &b);
    assert_string_equal(b.data, "~100 ms");
    st.edge_label = NULL;
    sm_buf_reset(&b);
    sm_edge_label(&m, e, &st, &b);
    assert_string_equal(b.data, "2 calls, p99 ~100 ms");
    sm_buf_release(&b);
    sm_map_release(&m);
}

static void test_severity_defaults(void **state)
{
    struct sm_map m;
    struct sm_style st;

    (void)state;
    shop_map(&m);
    sm_style_init(&st);
    /* The slow database edge is red, the erroring one amber (7 % >= 5 %), fast ones
     * normal. */
    assert_int_equal(
        sm_edge_severity(edge_named(&m, "service:inventory", "database:inventory"), &st), 2);
    assert_int_equal(sm_edge_severity(edge_named(&m, "service:frontend", "service:payments"), &st),
                     1);
    assert_int_equal(sm_edge_severity(edge_named(&m, "service:frontend", "service:inventory"), &st),
                     0);
    st.crit_error_rate = 0.07;
    assert_int_equal(sm_edge_severity(edge_named(&m, "service:frontend", "service:payments"), &st),
                     2);
    st.crit_error_rate = 0.10;
    assert_int_equal(sm_edge_severity(edge_named(&m, "service:frontend", "service:payments"), &st),
                     1);
    st.warn_p99_ms = 15;
    assert_int_equal(sm_edge_severity(edge_named(&m, "service:frontend", "service:inventory"), &st),
                     1);
    sm_map_release(&m);
}

/* Graphviz label text back to the name: \\ is a backslash, \n a newline, &amp; an
 * ampersand (Graphviz decodes entities in labels). */
static void unescape_label(const char *in, char *out)
{
    for (; *in; in++) {
        if (in[0] == '\\' && in[1] == '\\') {
            *out++ = '\\';
            in++;
        } else if (in[0] == '\\' && in[1] == 'n') {
            *out++ = '\n';
            in++;
        } else if (!strncmp(in, "&amp;", 5)) {
            *out++ = '&';
            in += 4;
        } else {
            *out++ = *in;
        }
    }
    *out = '\0';
}

static const char *const hostile[] = {
    "say \"hi\"",  "back\\slash",
    "trailing\\",  "<script>alert(1)</script>",
    "a&b;c",       "a&amp;b",
    "two\nlines",  "caf\xc3\xa9 \xe2\x86\x92 \xe6\x9d\xb1\xe4\xba\xac",
    "Case",        "case",
    "end",         "graph",
    "style",       "click",
    "subgraph",    "x\"]; click n0 \"javascript:alert(1)\"",
    "\\N \\G \\E", "#quot; %% comment `md` {a} [b] (c) |d|",
};
#define NHOSTILE (sizeof(hostile) / sizeof(hostile[0]))

static void hostile_map(struct sm_map *m)
{
    size_t i, prev = 0;

    sm_map_init(m);
    for (i = 0; i < NHOSTILE; i++) {
        size_t n = sm_map_node(m, i % 3 == 2 ? SM_NODE_DATABASE : SM_NODE_SERVICE, hostile[i]);
        struct sm_edge *e;

        sm_node_set_attr(&m->nodes[n].namespace_, hostile[(i + 1) % NHOSTILE]);
        if (i > 0) {
            e = sm_map_edge(m, prev, n, SM_EDGE_RPC);
            e->calls = i;
            e->errors = i % 2;
        }
        prev = n;
    }
    sm_map_sort(m);
}

static void check_dot_roundtrip(const struct sm_map *m, const struct sm_style *st)
{
    char *dot = emit(&sm_emit_dot, m, st, NULL);
    Agraph_t *g = agmemread(dot);
    char name[32], *label, back[512];
    size_t i;

    assert_non_null(g);
    for (i = 0; i < m->nnodes; i++) {
        Agnode_t *n;

        snprintf(name, sizeof(name), "n%zu", i);
        n = agnode(g, name, 0);
        assert_non_null(n);
        label = agget(n, (char *)"label");
        assert_non_null(label);
        unescape_label(label, back);
        assert_string_equal(back, m->nodes[i].name);
    }
    assert_int_equal(agnedges(g), m->nedges);
    agclose(g);
    free(dot);
}

static void test_dot_hostile_names(void **state)
{
    struct sm_map m;
    struct sm_style st;

    (void)state;
    hostile_map(&m);
    sm_style_init(&st);
    check_dot_roundtrip(&m, &st);
    st.group_by = "service.namespace";
    st.title = "title \"with\" <markup> \\ and\nnewline";
    check_dot_roundtrip(&m, &st);
    sm_map_release(&m);
}

static void test_dot_shop(void **state)
{
    struct sm_map m;
    struct sm_style st;
    char *dot;

    (void)state;
    shop_map(&m);
    sm_style_init(&st);
    dot = emit(&sm_emit_dot, &m, &st, NULL);
    /* Kinds by shape; the slow edge red with its p99 on the label; legend present. */
    assert_non_null(strstr(dot, "shape=cylinder"));
    assert_non_null(strstr(dot, "shape=cds"));
    assert_non_null(strstr(dot, "shape=ellipse"));
    assert_non_null(strstr(dot, "rankdir=LR"));
    assert_non_null(strstr(dot, "label=\"200 calls, p99 30 s\""));
    assert_non_null(strstr(dot, "color=\"#d62728\""));
    assert_non_null(strstr(dot, "legend_crit"));
    check_dot_roundtrip(&m, &st);
    free(dot);

    /* Same map, same bytes. */
    {
        char *again = emit(&sm_emit_dot, &m, &st, NULL);

        dot = emit(&sm_emit_dot, &m, &st, NULL);
        assert_string_equal(dot, again);
        free(again);
        free(dot);
    }
    st.direction = SM_DIR_TB;
    st.legend = false;
    st.group_by = "service.namespace";
    dot = emit(&sm_emit_dot, &m, &st, NULL);
    assert_non_null(strstr(dot, "rankdir=TB"));
    assert_null(strstr(dot, "legend"));
    assert_non_null(strstr(dot, "subgraph cluster_0"));
    assert_non_null(strstr(dot, "label=billing"));
    free(dot);
    sm_map_release(&m);
}

static void test_svg_and_png(void **state)
{
    struct sm_map m;
    struct sm_style st;
    char *svg, *png, title[64];
    size_t len, i;

    (void)state;
    hostile_map(&m);
    sm_style_init(&st);
    svg = emit(&sm_emit_svg, &m, &st, &len);
    assert_true(len > 100);
    assert_non_null(strstr(svg, "<svg"));
    assert_non_null(strstr(svg, "</svg>"));
    /* Names are text, never markup. */
    assert_null(strstr(svg, "<script"));
    assert_non_null(strstr(svg, "&lt;script&gt;"));
    for (i = 0; i < m.nnodes; i++) {
        snprintf(title, sizeof(title), "<title>n%zu</title>", i);
        assert_non_null(strstr(svg, title));
    }
    free(svg);
    png = emit(&sm_emit_png, &m, &st, &len);
    assert_true(len > 100);
    assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
    free(png);
    sm_map_release(&m);
}

static void test_mermaid_shop_golden(void **state)
{
    static const char expected[] =
        "flowchart LR\n"
        "    n0([\"client\"])\n"
        "    n1[(\"inventory\")]\n"
        "    n2{{\"api.stripe.com\"}}\n"
        "    n3>\"orders\"]\n"
        "    n4(\"frontend\")\n"
        "    n5(\"inventory\")\n"
        "    n6(\"payments\")\n"
        "    n0 -->|\"400 calls\"| n4\n"
        "    n4 -.->|\"1 call\"| n3\n"
        "    n4 -->|\"400 calls, p99 19 ms\"| n5\n"
        "    n4 -->|\"100 calls, p99 40 ms, 7.0 #37; errors\"| n6\n"
        "    n5 -->|\"200 calls, p99 30 s\"| n1\n"
        "    n6 -->|\"100 calls\"| n2\n"
        "    classDef service fill:#eef7ee,stroke:#333333,color:#000000\n"
        "    class n4,n5,n6 service\n"
        "    classDef database fill:#e8f0fe,stroke:#333333,color:#000000\n"
        "    class n1 database\n"
        "    classDef queue fill:#fef3e0,stroke:#333333,color:#000000\n"
        "    class n3 queue\n"
        "    classDef external fill:#f5f5f5,stroke:#333333,color:#000000,stroke-dasharray:4 3\n"
        "    class n2 external\n"
        "    classDef client fill:#ffffff,stroke:#333333,color:#000000\n"
        "    class n0 client\n"
        "    linkStyle 0 stroke:#4d4d4d,color:#4d4d4d,stroke-width:3px\n"
        "    linkStyle 2 stroke:#4d4d4d,color:#4d4d4d,stroke-width:3px\n"
        "    linkStyle 3 stroke:#d08c00,color:#d08c00,stroke-width:2.5px\n"
        "    linkStyle 4 stroke:#d62728,color:#d62728,stroke-width:2.75px\n"
        "    linkStyle 5 stroke:#4d4d4d,color:#4d4d4d,stroke-width:2.5px\n"
        "    subgraph legend[\"legend\"]\n"
        "        legend_warn[\"amber: client p99 \xe2\x89\xa5 500 ms or errors \xe2\x89\xa5 5 "
        "#37;\"]\n"
        "        legend_crit[\"red: client p99 \xe2\x89\xa5 2 s or errors \xe2\x89\xa5 10 #37;\"]\n"
        "    end\n"
        "    style legend_warn fill:#ffffff,stroke:#d08c00,color:#d08c00\n"
        "    style legend_crit fill:#ffffff,stroke:#d62728,color:#d62728\n";
    struct sm_map m;
    struct sm_style st;
    char *text;

    (void)state;
    shop_map(&m);
    sm_style_init(&st);
    text = emit(&sm_emit_mermaid, &m, &st, NULL);
    assert_string_equal(text, expected);
    free(text);
    sm_map_release(&m);
}

static void test_mermaid_groups_title_decor(void **state)
{
    struct sm_map m;
    struct sm_style st;
    struct sm_decor *nd, *ed;
    char *text;

    (void)state;
    shop_map(&m);
    sm_style_init(&st);
    nd = calloc(m.nnodes, sizeof(*nd));
    ed = calloc(m.nedges, sizeof(*ed));
    nd[6].color = "#2ca02c";
    nd[6].note = "added";
    ed[5].dashed = true;
    ed[5].note = "removed";
    st.node_decor = nd;
    st.edge_decor = ed;
    st.group_by = "service.namespace";
    st.direction = SM_DIR_TB;
    st.title = "Shop \"v2\" <b>";
    text = emit(&sm_emit_mermaid, &m, &st, NULL);
    assert_non_null(
        strstr(text, "---\ntitle: \"Shop \\\"v2\\\" \\x3cb\\x3e\"\n---\nflowchart TB\n"));
    assert_non_null(strstr(text, "    subgraph g1[\"billing\"]\n        n6(\"payments<br>added\")\n"
                                 "    end\n"));
    assert_non_null(strstr(text, "    subgraph g0[\"shop\"]\n        n4(\"frontend\")\n"
                                 "        n5(\"inventory\")\n    end\n"));
    assert_non_null(strstr(text, "    style n6 stroke:#2ca02c,color:#2ca02c,stroke-width:2px\n"));
    assert_non_null(strstr(text, "n6 -->|\"100 calls<br>removed\"| n2"));
    assert_non_null(strstr(text, "linkStyle 5 stroke:#4d4d4d,color:#4d4d4d,stroke-width:2.5px,"
                                 "stroke-dasharray:5 4\n"));
    free(text);
    free(nd);
    free(ed);
    sm_map_release(&m);
}

/* Inside a quoted label nothing may end the quote, open markup or start an entity the
 * map did not ask for. */
static void test_mermaid_hostile_names(void **state)
{
    struct sm_map m;
    struct sm_style st;
    char *text, *line, *save = NULL;
    size_t i;

    (void)state;
    hostile_map(&m);
    sm_style_init(&st);
    st.group_by = "service.namespace";
    text = emit(&sm_emit_mermaid, &m, &st, NULL);
    for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *q = strchr(line, '"'), *r = strrchr(line, '"');

        if (!q || q == r)
            continue;
        for (q++; q < r; q++) {
            bool br = *q == '<' && !strncmp(q, "<br>", 4);

            assert_false(*q == '"' || (*q == '<' && !br) || *q == '>' || *q == '&' || *q == '`' ||
                         *q == '%' || *q == '\\');
            if (br)
                q += 3;
        }
    }
    free(text);
    /* Each node on its own generated id, with its name escaped. */
    text = emit(&sm_emit_mermaid, &m, &st, NULL);
    for (i = 0; i < m.nnodes; i++) {
        char id[32];

        snprintf(id, sizeof(id), " n%zu", i);
        assert_non_null(strstr(text, id));
    }
    assert_non_null(strstr(text, "(\"say #34;hi#34;\")"));
    assert_non_null(strstr(text, "(\"two<br>lines\")"));
    assert_non_null(strstr(text, "(\"end\")"));
    assert_non_null(strstr(text, "(\"caf\xc3\xa9 \xe2\x86\x92 \xe6\x9d\xb1\xe4\xba\xac\")"));
    free(text);
    sm_map_release(&m);
}

static void test_control_characters(void **state)
{
    struct sm_map m;
    struct sm_style st;
    char *text;

    (void)state;
    sm_map_init(&m);
    sm_map_node(&m, SM_NODE_SERVICE, "bell\x07 tab\t bad\xff utf8 \xc0\xaf");
    sm_style_init(&st);
    text = emit(&sm_emit_mermaid, &m, &st, NULL);
    assert_non_null(strstr(text, "n0(\"bell\xef\xbf\xbd tab\xef\xbf\xbd bad\xef\xbf\xbd utf8 "
                                 "\xef\xbf\xbd\xef\xbf\xbd\")"));
    free(text);
    sm_map_release(&m);
}

/* The critical share of an edge: inclusive critical time over the chosen entries' total,
 * by entry name, id or all; the {critical} field, the level and width it gives, and the
 * refusals: no why section, no such entry. */
static void test_critical_weight(void **state)
{
    struct sm_map m;
    struct sm_why_entry *w;
    struct sm_style st;
    struct sm_error err;
    struct sm_buf label;
    double *shares;
    size_t inv_db, fe_inv, fe_pay, j;

    (void)state;
    shop_map(&m);
    shares = calloc(m.nedges, sizeof(*shares));
    sm_error_init(&err);
    assert_int_equal(sm_emit_critical_shares(&m, NULL, shares, &err), SM_EUSAGE);
    assert_non_null(strstr(err.text, "no critical-path figures"));

    /* frontend: 10 s over its traces, 4.7 s of them below inventory -> db */
    w = sm_why_entry(&m, "service:frontend", NULL);
    w->traces = 100;
    w->total_ns = 10000000000u;
    sm_why_edge(w, "service:frontend", "service:inventory")->critical_ns = 5400000000u;
    sm_why_edge(w, "service:inventory", "database:inventory")->critical_ns = 4700000000u;
    sm_why_edge(w, "service:frontend", "service:gone")->critical_ns = 100000000u;
    /* admin: 10 s too, all of it in inventory's database */
    w = sm_why_entry(&m, "service:admin", NULL);
    w->traces = 10;
    w->total_ns = 10000000000u;
    sm_why_edge(w, "service:inventory", "database:inventory")->critical_ns = 10000000000u;
    sm_map_sort(&m);
    inv_db = (size_t)(edge_named(&m, "service:inventory", "database:inventory") - m.edges);
    fe_inv = (size_t)(edge_named(&m, "service:frontend", "service:inventory") - m.edges);
    fe_pay = (size_t)(edge_named(&m, "service:frontend", "service:payments") - m.edges);

    assert_int_equal(sm_emit_critical_shares(&m, "frontend", shares, &err), 0);
    assert_true(fabs(shares[inv_db] - 0.47) < 1e-12);
    assert_true(fabs(shares[fe_inv] - 0.54) < 1e-12);
    assert_true(shares[fe_pay] < 0);
    assert_int_equal(sm_emit_critical_shares(&m, "service:admin", shares, &err), 0);
    assert_true(shares[inv_db] == 1.0);
    assert_true(shares[fe_inv] < 0);
    /* all entries: (4.7 + 10) / 20 */
    assert_int_equal(sm_emit_critical_shares(&m, NULL, shares, &err), 0);
    assert_true(fabs(shares[inv_db] - 0.735) < 1e-12);
    assert_true(fabs(shares[fe_inv] - 0.27) < 1e-12);
    sm_error_init(&err);
    assert_int_equal(sm_emit_critical_shares(&m, "checkout", shares, &err), SM_EUSAGE);
    assert_string_equal(
        err.text, "no entry 'checkout' in the map; its entries: service:admin, service:frontend");

    assert_int_equal(sm_emit_critical_shares(&m, "frontend", shares, &err), 0);
    sm_style_init(&st);
    st.edge_label = "{critical} of the time, {calls} calls";
    st.critical = shares;
    sm_buf_init(&label);
    sm_edge_label(&m, &m.edges[inv_db], &st, &label);
    assert_string_equal(label.data, "47 % of the time, 200 calls");
    sm_buf_reset(&label);
    sm_edge_label(&m, &m.edges[fe_pay], &st, &label);
    assert_string_equal(label.data, "- of the time, 100 calls");
    shares[fe_pay] = 0.035;
    sm_buf_reset(&label);
    sm_edge_label(&m, &m.edges[fe_pay], &st, &label);
    assert_string_equal(label.data, "3.5 % of the time, 100 calls");
    shares[fe_pay] = 0.0004;
    sm_buf_reset(&label);
    sm_edge_label(&m, &m.edges[fe_pay], &st, &label);
    assert_string_equal(label.data, "<0.1 % of the time, 100 calls");
    shares[fe_pay] = -1;
    /* no shares known: the field is "-" */
    st.critical = NULL;
    sm_buf_reset(&label);
    sm_edge_label(&m, &m.edges[inv_db], &st, &label);
    assert_string_equal(label.data, "- of the time, 200 calls");
    sm_buf_release(&label);

    /* by calls, the database edge is red for its 30 s tail; by critical share it is
     * amber (47 % < 50 %), frontend -> inventory red (54 %), payments normal */
    st.critical = shares;
    assert_int_equal(sm_emit_edge_level(&m, inv_db, &st), 2);
    st.weight = SM_WEIGHT_CRITICAL;
    assert_int_equal(sm_emit_edge_level(&m, inv_db, &st), 1);
    assert_int_equal(sm_emit_edge_level(&m, fe_inv, &st), 2);
    assert_int_equal(sm_emit_edge_level(&m, fe_pay, &st), 0);
    assert_true(sm_emit_edge_width(&m, fe_pay, &st) == 1);
    assert_true(sm_emit_edge_width(&m, fe_inv, &st) == 3.25); /* 1 + 4 * 0.54, quarter steps */
    for (j = 0; j < m.nedges; j++)
        assert_true(sm_emit_edge_width(&m, j, &st) >= 1 && sm_emit_edge_width(&m, j, &st) <= 5);
    st.warn_critical = 0.4;
    st.crit_critical = 0.45;
    assert_int_equal(sm_emit_edge_level(&m, inv_db, &st), 2);
    free(shares);
    sm_map_release(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_latency_side_fallback),
        cmocka_unit_test(test_severity_defaults),
        cmocka_unit_test(test_dot_hostile_names),
        cmocka_unit_test(test_dot_shop),
        cmocka_unit_test(test_svg_and_png),
        cmocka_unit_test(test_mermaid_shop_golden),
        cmocka_unit_test(test_mermaid_groups_title_decor),
        cmocka_unit_test(test_mermaid_hostile_names),
        cmocka_unit_test(test_control_characters),
        cmocka_unit_test(test_critical_weight),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
