/* phrase.c: the plain words of diff and check reports, shared by every writer.
 *
 * Figures are printed the same way in every report and gate reason: milliseconds with
 * as many digits as they deserve, rates with one decimal, moves as "old -> new (delta)".
 * Nothing here escapes: the writers escape what these return for their destination.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_priv.h"

#define NONE SM_DIFF_NONE

void sm_report_node_label(struct sm_buf *b, const struct sm_node *n, sm_report_escape_fn esc)
{
    const char *s = n->kind == SM_NODE_SERVICE ? n->name : n->id;

    if (esc)
        esc(b, s, strlen(s));
    else
        sm_buf_adds(b, s);
}

void sm_report_edge_label(struct sm_buf *b, const struct sm_map *m, const struct sm_edge *e,
                          sm_report_escape_fn esc)
{
    sm_report_node_label(b, &m->nodes[e->from], esc);
    sm_buf_adds(b, " -> ");
    sm_report_node_label(b, &m->nodes[e->to], esc);
}

static void add_escaped(struct sm_buf *b, const char *s, size_t len, sm_report_escape_fn esc)
{
    if (esc)
        esc(b, s, len);
    else
        sm_buf_add(b, s, len);
}

void sm_report_id_label(struct sm_buf *b, const char *id, sm_report_escape_fn esc)
{
    if (!strncmp(id, "service:", 8))
        id += 8;
    add_escaped(b, id, strlen(id), esc);
}

void sm_report_share(struct sm_buf *b, double share)
{
    double pct = share * 100.0;

    if (pct >= 9.95 || pct == 0)
        sm_buf_printf(b, "%.0f %%", pct);
    else if (pct >= 0.05)
        sm_buf_printf(b, "%.1f %%", pct);
    else
        sm_buf_adds(b, "<0.1 %");
}

void sm_report_share_subject(struct sm_buf *b, const struct sm_share_diff *s,
                             sm_report_escape_fn esc)
{
    const char *arrow = s->kind == SM_WHY_WIRE ? strstr(s->id, "->") : NULL;
    struct sm_buf from;

    if (!arrow) {
        sm_report_id_label(b, s->id, esc);
        return;
    }
    sm_buf_init(&from);
    sm_buf_add(&from, s->id, (size_t)(arrow - s->id));
    sm_report_id_label(b, from.data ? from.data : "", esc);
    sm_buf_adds(b, " -> ");
    sm_report_id_label(b, arrow + 2, esc);
    sm_buf_adds(b, " (wire)");
    sm_buf_release(&from);
}

void sm_report_share_entry(struct sm_buf *b, const struct sm_share_diff *s, sm_report_escape_fn esc)
{
    sm_report_id_label(b, s->entry, esc);
    if (s->operation) {
        sm_buf_addc(b, ' ');
        add_escaped(b, s->operation, strlen(s->operation), esc);
    }
}

void sm_report_share_move(struct sm_buf *b, const struct sm_share_diff *s, sm_report_escape_fn esc)
{
    switch (s->presence) {
    case SM_SHARE_ENTRY_NEW:
    case SM_SHARE_ENTRY_GONE:
        sm_report_share_entry(b, s, esc);
        sm_buf_printf(b,
                      s->presence == SM_SHARE_ENTRY_NEW ? ": %llu traces, none before"
                                                        : ": none now, %llu traces before",
                      (unsigned long long)s->traces);
        return;
    case SM_SHARE_NEW:
        /* not "0 % -> 20 %": it was not on the path at all */
        sm_report_share_subject(b, s, esc);
        sm_buf_adds(b, " new, ");
        sm_report_share(b, s->head);
        sm_buf_adds(b, " of ");
        break;
    case SM_SHARE_GONE:
        sm_report_share_subject(b, s, esc);
        sm_buf_addc(b, ' ');
        sm_report_share(b, s->base);
        sm_buf_adds(b, " -> gone from ");
        break;
    default:
        sm_report_share_subject(b, s, esc);
        sm_buf_addc(b, ' ');
        sm_report_share(b, s->base);
        sm_buf_adds(b, " -> ");
        sm_report_share(b, s->head);
        sm_buf_adds(b, " of ");
        break;
    }
    sm_report_share_entry(b, s, esc);
    sm_buf_printf(b, " (%+.1f pp)", s->delta * 100.0 + 0.0);
}

void sm_report_share_side(struct sm_buf *b, const struct sm_share_diff *s, bool head)
{
    if (s->presence == (head ? SM_SHARE_GONE : SM_SHARE_NEW) ||
        s->presence == (head ? SM_SHARE_ENTRY_GONE : SM_SHARE_ENTRY_NEW))
        sm_buf_adds(b, head ? "gone" : "new");
    else if (s->presence == SM_SHARE_ENTRY_NEW || s->presence == SM_SHARE_ENTRY_GONE)
        sm_buf_printf(b, "%llu traces", (unsigned long long)s->traces);
    else
        sm_report_share(b, head ? s->head : s->base);
}

const char *sm_report_share_title(const struct sm_share_diff *s)
{
    if (s->presence == SM_SHARE_ENTRY_NEW)
        return "new entry";
    if (s->presence == SM_SHARE_ENTRY_GONE)
        return "entry gone";
    return s->delta > 0 ? "share up" : "share down";
}

const char *sm_report_share_mark(const struct sm_share_diff *s)
{
    if (s->presence == SM_SHARE_ENTRY_NEW)
        return "+";
    if (s->presence == SM_SHARE_ENTRY_GONE)
        return "-";
    return s->delta > 0 ? "!" : "~";
}

const char *sm_report_share_presence(const struct sm_share_diff *s)
{
    static const char *const names[] = {"both", "new", "gone", "entry_new", "entry_gone"};

    return names[s->presence];
}

bool sm_diff_share_moved(const struct sm_diff *d, size_t i)
{
    /* an entry on one side only is always said; the tolerance keeps a move of exactly
     * the threshold (0.34 - 0.24) in */
    if (d->shares[i].presence == SM_SHARE_ENTRY_NEW || d->shares[i].presence == SM_SHARE_ENTRY_GONE)
        return true;
    return fabs(d->shares[i].delta) + 1e-12 >= d->options.share_threshold;
}

size_t sm_diff_shares_moved(const struct sm_diff *d)
{
    size_t i, n = 0;

    for (i = 0; i < d->nshares; i++)
        n += sm_diff_share_moved(d, i);
    return n;
}

void sm_report_ms(struct sm_buf *b, double ms)
{
    if (ms >= 100.0)
        sm_buf_printf(b, "%.0f", ms);
    else if (ms >= 10.0)
        sm_buf_printf(b, "%.1f", ms);
    else
        sm_buf_printf(b, "%.2f", ms);
}

static void add_percent(struct sm_buf *b, double fraction)
{
    if (isnan(fraction))
        sm_buf_adds(b, "new");
    else
        sm_buf_printf(b, "%+.0f%%", fraction * 100.0);
}

void sm_report_rate(struct sm_buf *b, double rate)
{
    sm_buf_printf(b, "%.1f%%", rate * 100.0);
}

void sm_report_quantile_move(struct sm_buf *b, const struct sm_edge_diff *ed, int q)
{
    double vb = sm_report_quantile(&ed->base.latency, q),
           vh = sm_report_quantile(&ed->head.latency, q);

    sm_buf_printf(b, "%s ", sm_diff_quantile_names[q]);
    sm_report_ms(b, vb);
    sm_buf_adds(b, " -> ");
    sm_report_ms(b, vh);
    sm_buf_adds(b, " ms (");
    add_percent(b, sm_report_relative(vb, vh));
    sm_buf_adds(b, ")");
}

void sm_report_errors_move(struct sm_buf *b, const struct sm_edge_diff *ed)
{
    sm_buf_adds(b, "error rate ");
    sm_report_rate(b, ed->base.error_rate);
    sm_buf_adds(b, " -> ");
    sm_report_rate(b, ed->head.error_rate);
    sm_buf_printf(b, " (%+.1f pp)", (ed->head.error_rate - ed->base.error_rate) * 100.0);
}

void sm_report_calls_move(struct sm_buf *b, const struct sm_edge_diff *ed)
{
    sm_buf_printf(b, "calls %llu -> %llu (", (unsigned long long)ed->base.calls,
                  (unsigned long long)ed->head.calls);
    add_percent(b, sm_report_relative((double)ed->base.calls, (double)ed->head.calls));
    sm_buf_adds(b, ")");
}

/* ---- diff ---- */

void sm_diff_tally(const struct sm_diff *d, struct sm_diff_tally *t)
{
    bool *changed = sm_xcalloc(d->map.nedges ? d->map.nedges : 1, sizeof(bool));
    size_t i;

    memset(t, 0, sizeof(*t));
    for (i = 0; i < d->nchanges; i++) {
        const struct sm_change *c = &d->changes[i];

        switch (c->kind) {
        case SM_CHANGE_ADDED_NODE:
            t->nodes_added++;
            break;
        case SM_CHANGE_REMOVED_NODE:
            t->nodes_removed++;
            break;
        case SM_CHANGE_ADDED_EDGE:
            t->edges_added++;
            break;
        case SM_CHANGE_REMOVED_EDGE:
            t->edges_removed++;
            break;
        default:
            if (!changed[c->edge]) {
                changed[c->edge] = true;
                t->edges_changed++;
            }
            break;
        }
    }
    free(changed);
}

static void add_plural(struct sm_buf *b, size_t n, const char *what, const char *verb)
{
    sm_buf_printf(b, "%zu %s%s %s", n, what, n == 1 ? "" : "s", verb);
}

void sm_diff_add_summary(struct sm_buf *b, const struct sm_diff *d)
{
    struct sm_diff_tally t;
    size_t parts = 0;

    sm_diff_tally(d, &t);
    if (!d->nchanges) {
        sm_buf_adds(b, "no changes");
    } else {
        struct {
            size_t n;
            const char *what, *verb;
        } items[] = {
            {t.nodes_added, "node", "added"},     {t.nodes_removed, "node", "removed"},
            {t.edges_added, "edge", "added"},     {t.edges_removed, "edge", "removed"},
            {t.edges_changed, "edge", "changed"},
        };
        size_t i;

        for (i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
            if (!items[i].n)
                continue;
            if (parts++)
                sm_buf_adds(b, ", ");
            add_plural(b, items[i].n, items[i].what, items[i].verb);
        }
    }
    if (d->ignored_edges)
        sm_buf_printf(b, " (%zu edge%s under %llu calls ignored)", d->ignored_edges,
                      d->ignored_edges == 1 ? "" : "s", (unsigned long long)d->options.min_calls);
}

/* What moved on a changed edge, for the report line of change c. */
void sm_diff_add_change_detail(struct sm_buf *b, const struct sm_diff *d, const struct sm_change *c)
{
    const struct sm_edge_diff *ed = c->edge != NONE ? &d->edges[c->edge] : NULL;
    int q, shown = 0;

    switch (c->kind) {
    case SM_CHANGE_ADDED_NODE:
    case SM_CHANGE_REMOVED_NODE:
        sm_buf_printf(b, "%.0f calls", c->kind == SM_CHANGE_ADDED_NODE ? c->head : c->base);
        break;
    case SM_CHANGE_ADDED_EDGE:
    case SM_CHANGE_REMOVED_EDGE:
        sm_buf_printf(b, "%s, %.0f calls", sm_edge_kind_name(d->map.edges[c->edge].kind),
                      c->kind == SM_CHANGE_ADDED_EDGE ? c->head : c->base);
        break;
    case SM_CHANGE_ERRORS:
        sm_report_errors_move(b, ed);
        break;
    case SM_CHANGE_CALLS:
        sm_report_calls_move(b, ed);
        break;
    case SM_CHANGE_LATENCY:
        /* the quantile that moved most first, then the others that moved enough */
        sm_report_quantile_move(b, ed, c->quantile);
        shown++;
        for (q = SM_DIFF_NQUANTILES - 1; q >= 0; q--) {
            double vb = sm_report_quantile(&ed->base.latency, q),
                   vh = sm_report_quantile(&ed->head.latency, q);
            double r = sm_report_relative(vb, vh);

            if (q == c->quantile || fabs(vh - vb) < d->options.latency_min_ms ||
                (!isnan(r) && fabs(r) < d->options.latency_threshold))
                continue;
            sm_buf_adds(b, shown++ ? ", " : "");
            sm_report_quantile_move(b, ed, q);
        }
        sm_buf_printf(b, " [%s]", ed->side == SM_SIDE_CLIENT ? "client" : "server");
        break;
    }
}

void sm_diff_add_change_subject(struct sm_buf *b, const struct sm_diff *d,
                                const struct sm_change *c, sm_report_escape_fn esc)
{
    if (c->edge != NONE)
        sm_report_edge_label(b, &d->map, &d->map.edges[c->edge], esc);
    else
        sm_report_node_label(b, &d->map.nodes[c->node], esc);
}

const char *sm_diff_change_title(const struct sm_change *c)
{
    switch (c->kind) {
    case SM_CHANGE_REMOVED_NODE:
        return "removed node";
    case SM_CHANGE_REMOVED_EDGE:
        return "removed edge";
    case SM_CHANGE_ADDED_NODE:
        return "added node";
    case SM_CHANGE_ADDED_EDGE:
        return "added edge";
    case SM_CHANGE_ERRORS:
        return c->regression ? "more errors" : "fewer errors";
    case SM_CHANGE_LATENCY:
        return c->regression ? "slower" : "faster";
    default:
        return c->regression ? "fewer calls" : "more calls";
    }
}

const char *sm_diff_change_mark(const struct sm_change *c)
{
    switch (c->kind) {
    case SM_CHANGE_ADDED_NODE:
    case SM_CHANGE_ADDED_EDGE:
        return "+";
    case SM_CHANGE_REMOVED_NODE:
    case SM_CHANGE_REMOVED_EDGE:
        return "-";
    default:
        return c->regression ? "!" : "~";
    }
}

void sm_gate_hit_describe(const struct sm_diff *d, const struct sm_gate_hit *hit,
                          struct sm_buf *out)
{
    sm_report_hit(out, d, hit, NULL);
}

void sm_report_hit(struct sm_buf *out, const struct sm_diff *d, const struct sm_gate_hit *hit,
                   sm_report_escape_fn esc)
{
    const struct sm_gate *g = hit->gate;
    const struct sm_edge_diff *ed = hit->edge != NONE ? &d->edges[hit->edge] : NULL;
    const struct sm_edge *e = hit->edge != NONE ? &d->map.edges[hit->edge] : NULL;

    sm_buf_printf(out, "%s: ", g->text);
    switch (g->kind) {
    case SM_GATE_ADDED_NODE:
    case SM_GATE_REMOVED_NODE:
        sm_buf_printf(out, "%s node ", g->kind == SM_GATE_ADDED_NODE ? "new" : "vanished");
        if (esc)
            esc(out, d->map.nodes[hit->node].id, strlen(d->map.nodes[hit->node].id));
        else
            sm_buf_adds(out, d->map.nodes[hit->node].id);
        break;
    case SM_GATE_ADDED_EDGE:
    case SM_GATE_REMOVED_EDGE:
        sm_buf_printf(out, "%s edge ", g->kind == SM_GATE_ADDED_EDGE ? "new" : "vanished");
        sm_report_edge_label(out, &d->map, e, esc);
        sm_buf_printf(out, " (%s, %.0f calls)", sm_edge_kind_name(e->kind),
                      (double)(g->kind == SM_GATE_ADDED_EDGE ? ed->head.calls : ed->base.calls));
        break;
    case SM_GATE_CALLS:
        sm_report_edge_label(out, &d->map, e, esc);
        sm_buf_adds(out, " ");
        sm_report_calls_move(out, ed);
        break;
    case SM_GATE_ERRORS:
        sm_report_edge_label(out, &d->map, e, esc);
        sm_buf_adds(out, " ");
        sm_report_errors_move(out, ed);
        break;
    case SM_GATE_LATENCY:
        sm_report_edge_label(out, &d->map, e, esc);
        sm_buf_adds(out, " ");
        sm_report_quantile_move(out, ed, g->quantile);
        sm_buf_printf(out, " [%s]", ed->side == SM_SIDE_CLIENT ? "client" : "server");
        break;
    case SM_GATE_CRITICAL:
        sm_report_share_move(out, &d->shares[hit->share], esc);
        break;
    }
}

/* ---- check ---- */

static const char *plural(size_t n)
{
    return n == 1 ? "" : "s";
}

void sm_check_add_tally(struct sm_buf *out, const struct sm_check *c)
{
    size_t k;
    bool first = true;

    if (!c->nviolations) {
        sm_buf_adds(out, "no violations");
        return;
    }
    sm_buf_printf(out, "%zu violation%s (", c->nviolations, plural(c->nviolations));
    for (k = 0; k < SM_VIOLATION_NKINDS; k++) {
        if (!c->counts[k])
            continue;
        sm_buf_printf(out, "%s%s %zu", first ? "" : ", ",
                      sm_violation_kind_name((enum sm_violation_kind)k), c->counts[k]);
        first = false;
    }
    sm_buf_addc(out, ')');
}

void sm_check_add_scope(struct sm_buf *out, const struct sm_check *c, unsigned mask)
{
    size_t tripped = sm_check_tripped(c, mask);

    sm_buf_printf(out, "%zu rule%s, %zu edge%s checked", c->rules->nrules, plural(c->rules->nrules),
                  c->edges_checked, plural(c->edges_checked));
    if (c->edges_ignored)
        sm_buf_printf(out, " (%zu under --min-calls ignored)", c->edges_ignored);
    if (c->nviolations)
        sm_buf_printf(out, "; %zu fail%s the gate", tripped, tripped == 1 ? "s" : "");
}
