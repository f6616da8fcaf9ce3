/* diff_html.c: the diff as an interactive HTML page (svcmap diff -o diff.html).
 *
 * One picture of the union of both maps, laid out once, so that nothing moves between
 * releases: added nodes and edges green, removed ones red and dashed, changed edges
 * orange with what changed on their label. The page is the map page of emit_html.c
 * (search, focus, filters, table) with, for every node and edge, its figures in the
 * base and in the head map, so the tooltip shows before and after for every number;
 * and the gate result (which --fail-on rule tripped, and why) at the top.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_priv.h"
#include "svcmap/diff.h"
#include "svcmap/emit.h"

#define COLOR_ADDED   "#2e7d32"
#define COLOR_REMOVED "#c62828"
#define COLOR_CHANGED "#ef6c00"

/* The edge of m between the nodes with the ids of u's edge, or NULL. */
static const struct sm_edge *edge_in(const struct sm_map *m, const struct sm_map *u,
                                     const struct sm_edge *e)
{
    size_t from, to, j;

    if (!m)
        return NULL;
    from = sm_map_find_node_id(m, u->nodes[e->from].id);
    to = sm_map_find_node_id(m, u->nodes[e->to].id);
    if (from == (size_t)-1 || to == (size_t)-1)
        return NULL;
    j = sm_map_find_edge(m, from, to, e->kind);
    return j == (size_t)-1 ? NULL : &m->edges[j];
}

static void add_edge_figures(struct sm_buf *out, const struct sm_edge *e)
{
    if (!e) {
        sm_buf_adds(out, "null");
        return;
    }
    sm_buf_printf(out,
                  "{\"calls\":%llu,\"errors\":%llu,\"error_rate\":", (unsigned long long)e->calls,
                  (unsigned long long)e->errors);
    sm_buf_add_number(out, round(sm_edge_error_rate(e) * 1e6) / 1e6);
    sm_buf_adds(out, ",\"client\":");
    sm_html_add_latency(out, e, SM_SIDE_CLIENT);
    sm_buf_adds(out, ",\"server\":");
    sm_html_add_latency(out, e, SM_SIDE_SERVER);
    sm_buf_addc(out, '}');
}

static void add_node_figures(struct sm_buf *out, const struct sm_map *m, const char *id)
{
    size_t i = m ? sm_map_find_node_id(m, id) : (size_t)-1;
    uint64_t in = 0, outc = 0;
    size_t j;

    if (i == (size_t)-1) {
        sm_buf_adds(out, "null");
        return;
    }
    for (j = 0; j < m->nedges; j++) {
        if (m->edges[j].to == i)
            in += m->edges[j].calls;
        if (m->edges[j].from == i)
            outc += m->edges[j].calls;
    }
    sm_buf_printf(out, "{\"entry_calls\":%llu,\"calls_in\":%llu,\"calls_out\":%llu}",
                  (unsigned long long)m->nodes[i].entry_calls, (unsigned long long)in,
                  (unsigned long long)outc);
}

/* Three significant figures or so: enough to see a change on a label. */
static void add_ms_text(struct sm_buf *out, double ms)
{
    if (ms >= 100)
        sm_buf_printf(out, "%.0f ms", ms);
    else if (ms >= 10)
        sm_buf_printf(out, "%.1f ms", ms);
    else
        sm_buf_printf(out, "%.2f ms", ms);
}

static void add_pct_text(struct sm_buf *out, double rate)
{
    sm_buf_add_number(out, round(rate * 10000) / 100);
    sm_buf_adds(out, " %");
}

/* What one change of an edge says: "p99 120 ms -> 480 ms", "errors 1 % -> 5 %". */
static void describe(struct sm_buf *out, const struct sm_diff *d, const struct sm_change *c)
{
    const struct sm_edge_diff *ed = &d->edges[c->edge];

    switch (c->kind) {
    case SM_CHANGE_LATENCY:
        sm_buf_printf(out, "%s %s ", ed->side == SM_SIDE_CLIENT ? "client" : "server",
                      sm_diff_quantile_names[c->quantile]);
        add_ms_text(out, c->base);
        sm_buf_adds(out, " \xe2\x86\x92 ");
        add_ms_text(out, c->head);
        break;
    case SM_CHANGE_ERRORS:
        sm_buf_adds(out, "errors ");
        add_pct_text(out, ed->base.error_rate);
        sm_buf_adds(out, " \xe2\x86\x92 ");
        add_pct_text(out, ed->head.error_rate);
        break;
    case SM_CHANGE_CALLS:
        sm_buf_printf(out, "calls %llu \xe2\x86\x92 %llu", (unsigned long long)ed->base.calls,
                      (unsigned long long)ed->head.calls);
        break;
    default:
        sm_buf_adds(out, sm_change_kind_name(c->kind));
        break;
    }
}

/* The gate line at the top of the page: the rules, and why each hit tripped. */
static void add_banner(struct sm_buf *b, const struct sm_diff *d, const struct sm_gate *gates,
                       size_t ngates, const struct sm_gate_hits *hits)
{
    size_t tripped = hits ? hits->nhits : 0, k;

    if (ngates == 0) {
        sm_buf_printf(b, "%zu change%s; no --fail-on gate was given", d->nchanges,
                      d->nchanges == 1 ? "" : "s");
        return;
    }
    if (tripped) {
        sm_buf_printf(b, "gate tripped (%zu): ", tripped);
        for (k = 0; k < ngates; k++)
            sm_buf_printf(b, "%s%s", k ? ", " : "--fail-on ", gates[k].text);
        for (k = 0; k < tripped; k++) {
            sm_buf_addc(b, '\n');
            sm_gate_hit_describe(d, &hits->hits[k], b);
        }
        return;
    }
    sm_buf_adds(b, "gates passed: ");
    for (k = 0; k < ngates; k++)
        sm_buf_printf(b, "%s%s", k ? ", " : "--fail-on ", gates[k].text);
}

int sm_diff_write_html(const struct sm_diff *d, const struct sm_map *base,
                       const struct sm_map *head, const struct sm_gate *gates, size_t ngates,
                       const struct sm_gate_hits *hits, const struct sm_style *style,
                       struct sm_buf *out, struct sm_error *err)
{
    const struct sm_map *u = &d->map;
    size_t nn = u->nnodes ? u->nnodes : 1, ne = u->nedges ? u->nedges : 1;
    struct sm_decor *nd = sm_xcalloc(nn, sizeof(*nd));
    struct sm_decor *ed = sm_xcalloc(ne, sizeof(*ed));
    struct sm_buf *node_members = sm_xcalloc(nn, sizeof(struct sm_buf));
    struct sm_buf *edge_members = sm_xcalloc(ne, sizeof(struct sm_buf));
    struct sm_buf *edge_notes = sm_xcalloc(ne, sizeof(struct sm_buf));
    const char **node_extra = sm_xcalloc(nn, sizeof(char *));
    const char **edge_extra = sm_xcalloc(ne, sizeof(char *));
    struct sm_buf notes, top, banner, one;
    struct sm_html_extra extra;
    struct sm_style st = *style;
    size_t i, j, tripped = hits ? hits->nhits : 0;
    int rc;

    sm_buf_init(&notes);
    sm_buf_init(&top);
    sm_buf_init(&banner);
    sm_buf_init(&one);
    sm_diff_decorate(d, nd, ed, &notes);
    for (j = 0; j < u->nedges; j++)
        sm_buf_init(&edge_notes[j]);
    /* every change of an edge, improvements too, in the order of the list */
    for (i = 0; i < d->nchanges; i++) {
        const struct sm_change *c = &d->changes[i];

        if (c->kind != SM_CHANGE_LATENCY && c->kind != SM_CHANGE_ERRORS &&
            c->kind != SM_CHANGE_CALLS)
            continue;
        if (edge_notes[c->edge].len)
            sm_buf_addc(&edge_notes[c->edge], '\n');
        describe(&edge_notes[c->edge], d, c);
    }
    for (i = 0; i < u->nnodes; i++) {
        bool in_base = d->node_in_base[i], in_head = d->node_in_head[i];

        sm_buf_init(&node_members[i]);
        sm_buf_printf(&node_members[i], "\"status\":\"%s\",\"base\":",
                      !in_base   ? "added"
                      : !in_head ? "removed"
                                 : "same");
        add_node_figures(&node_members[i], in_base ? base : NULL, u->nodes[i].id);
        sm_buf_adds(&node_members[i], ",\"head\":");
        add_node_figures(&node_members[i], in_head ? head : NULL, u->nodes[i].id);
        node_extra[i] = node_members[i].data;
    }
    for (j = 0; j < u->nedges; j++) {
        const struct sm_edge *e = &u->edges[j];
        const struct sm_edge *b = edge_in(base, u, e), *h = edge_in(head, u, e);
        const char *status = !b ? "added" : !h ? "removed" : edge_notes[j].len ? "changed" : "same";
        const char *p;

        sm_buf_init(&edge_members[j]);
        sm_buf_printf(&edge_members[j], "\"status\":\"%s\",\"changes\":[", status);
        for (p = edge_notes[j].data; p && *p;) {
            const char *nl = strchr(p, '\n');
            size_t len = nl ? (size_t)(nl - p) : strlen(p);

            sm_buf_reset(&one);
            sm_buf_add(&one, p, len);
            if (p != edge_notes[j].data)
                sm_buf_addc(&edge_members[j], ',');
            sm_html_add_json_string(&edge_members[j], one.data);
            p += len + (nl ? 1 : 0);
        }
        sm_buf_adds(&edge_members[j], "],\"base\":");
        add_edge_figures(&edge_members[j], b);
        sm_buf_adds(&edge_members[j], ",\"head\":");
        add_edge_figures(&edge_members[j], h);
        edge_extra[j] = edge_members[j].data;
        /* changed edges, improvements included, are drawn with what changed */
        if (b && h && edge_notes[j].len) {
            ed[j].color = COLOR_CHANGED;
            ed[j].bold = true;
            ed[j].note = edge_notes[j].data;
        }
    }

    sm_buf_adds(&top, "\"base_name\":");
    sm_html_add_json_string(&top, d->options.base_name ? d->options.base_name : "base");
    sm_buf_adds(&top, ",\"head_name\":");
    sm_html_add_json_string(&top, d->options.head_name ? d->options.head_name : "head");
    sm_buf_adds(&top, ",\"gate\":{\"rules\":[");
    for (i = 0; i < ngates; i++) {
        if (i)
            sm_buf_addc(&top, ',');
        sm_html_add_json_string(&top, gates[i].text);
    }
    sm_buf_adds(&top, "],\"reasons\":[");
    for (i = 0; i < tripped; i++) {
        sm_buf_reset(&one);
        sm_gate_hit_describe(d, &hits->hits[i], &one);
        if (i)
            sm_buf_addc(&top, ',');
        sm_html_add_json_string(&top, one.data ? one.data : "");
    }
    sm_buf_printf(&top, "],\"tripped\":%zu}", tripped);
    /* the critical-path shares that moved by the reporting threshold, for their table */
    if (d->has_why) {
        size_t n = 0;

        sm_buf_adds(&top, ",\"critical\":[");
        for (i = 0; i < d->nshares; i++) {
            const struct sm_share_diff *s = &d->shares[i];

            if (!sm_diff_share_moved(d, i))
                continue;
            sm_buf_adds(&top, n++ ? ",{\"entry\":" : "{\"entry\":");
            sm_html_add_json_string(&top, s->entry);
            sm_buf_adds(&top, ",\"operation\":");
            if (s->operation)
                sm_html_add_json_string(&top, s->operation);
            else
                sm_buf_adds(&top, "null");
            sm_buf_adds(&top, ",\"id\":");
            sm_html_add_json_string(&top, s->id);
            sm_buf_printf(&top, ",\"kind\":\"%s\",\"presence\":\"%s\",\"traces\":%llu,\"base\":",
                          sm_why_kind_name(s->kind), sm_report_share_presence(s),
                          (unsigned long long)s->traces);
            sm_buf_add_number(&top, round(s->base * 1e6) / 1e6);
            sm_buf_adds(&top, ",\"head\":");
            sm_buf_add_number(&top, round(s->head * 1e6) / 1e6);
            sm_buf_adds(&top, ",\"delta_pp\":");
            sm_buf_add_number(&top, round(s->delta * 1e6) / 1e4 + 0.0);
            sm_buf_addc(&top, '}');
        }
        sm_buf_addc(&top, ']');
    }
    add_banner(&banner, d, gates, ngates, hits);

    st.node_decor = nd;
    st.edge_decor = ed;
    memset(&extra, 0, sizeof(extra));
    extra.page = "diff";
    extra.top = top.data;
    extra.nodes = node_extra;
    extra.edges = edge_extra;
    extra.banner = banner.data;
    extra.banner_failed = tripped > 0;
    rc = sm_emit_html_page(u, &st, &extra, out, err);

    for (i = 0; i < u->nnodes; i++)
        sm_buf_release(&node_members[i]);
    for (j = 0; j < u->nedges; j++) {
        sm_buf_release(&edge_members[j]);
        sm_buf_release(&edge_notes[j]);
    }
    free(node_members);
    free(edge_members);
    free(edge_notes);
    free(node_extra);
    free(edge_extra);
    free(nd);
    free(ed);
    sm_buf_release(&notes);
    sm_buf_release(&top);
    sm_buf_release(&banner);
    sm_buf_release(&one);
    return rc;
}
