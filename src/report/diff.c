/* diff.c: compares two maps, orders the changes, checks gates and writes reports.
 *
 * The union map starts as an exact copy of head; nodes and edges only base has are then
 * added with base's figures, and the union is sorted canonically. Every union edge gets
 * the figures of both sides, looked up by identity (kind and name of its nodes, edge
 * kind), never by position. Changes are ranked in tiers: removed nodes, removed edges,
 * regressions (more errors, slower, fewer calls), added nodes, added edges, then the
 * rest; within a tier by magnitude (calls for structure, multiples of the reporting
 * threshold for figures) and then by identity, so the order is the same on every run.
 */
#include "svcmap/diff.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

const double sm_diff_quantiles[SM_DIFF_NQUANTILES] = {0.50, 0.90, 0.95, 0.99};
const char *const sm_diff_quantile_names[SM_DIFF_NQUANTILES] = {"p50", "p90", "p95", "p99"};

static const char *const change_names[] = {
    "removed-node", "removed-edge", "added-node", "added-edge", "errors", "latency", "calls"};

#define COLOR_ADDED     "#2e7d32"
#define COLOR_REMOVED   "#c62828"
#define COLOR_REGRESSED "#ef6c00"

const char *sm_change_kind_name(enum sm_change_kind kind)
{
    if ((unsigned)kind < sizeof(change_names) / sizeof(change_names[0]))
        return change_names[kind];
    return "?";
}

void sm_diff_options_init(struct sm_diff_options *o)
{
    memset(o, 0, sizeof(*o));
    o->min_calls = 10;
    o->side = SM_SIDE_CLIENT;
    o->calls_threshold = 0.25;
    o->errors_threshold = 0.005;
    o->latency_threshold = 0.20;
    o->latency_min_ms = 1.0;
}

void sm_diff_init(struct sm_diff *d)
{
    memset(d, 0, sizeof(*d));
    sm_map_init(&d->map);
    sm_diff_options_init(&d->options);
}

void sm_diff_release(struct sm_diff *d)
{
    sm_map_release(&d->map);
    free(d->edges);
    free(d->node_in_base);
    free(d->node_in_head);
    free(d->changes);
    sm_diff_init(d);
}

static double quantile_of(const struct sm_latency_summary *s, int q)
{
    switch (q) {
    case 0:
        return s->p50;
    case 1:
        return s->p90;
    case 2:
        return s->p95;
    default:
        return s->p99;
    }
}

/* Rounds for stable, readable output and turns -0 into 0. */
static double tidy(double v)
{
    if (isnan(v) || isinf(v))
        return v;
    return round(v * 10000.0) / 10000.0 + 0.0;
}

/* (head - base) / base; NAN when base is 0 (no finite relative change). */
static double relative(double base, double head)
{
    if (base == 0.0)
        return head == 0.0 ? 0.0 : NAN;
    return (head - base) / base;
}

/* The same node of another map, by kind and name. */
static size_t other_node(const struct sm_map *other, const struct sm_map *m, size_t i)
{
    return sm_map_find_node(other, m->nodes[i].kind, m->nodes[i].name);
}

static const struct sm_edge *other_edge(const struct sm_map *other, const struct sm_map *m,
                                        const struct sm_edge *e)
{
    size_t from = other_node(other, m, e->from), to = other_node(other, m, e->to), i;

    if (from == NONE || to == NONE)
        return NULL;
    i = sm_map_find_edge(other, from, to, e->kind);
    return i == NONE ? NULL : &other->edges[i];
}

/* Adds what only base has to the union (which holds head's nodes and edges). */
static void add_base_only(struct sm_map *u, const struct sm_map *base)
{
    size_t i;

    for (i = 0; i < base->nnodes; i++) {
        const struct sm_node *s = &base->nodes[i];
        struct sm_node *n;
        size_t k;

        if (sm_map_find_node(u, s->kind, s->name) != NONE)
            continue;
        k = sm_map_node(u, s->kind, s->name); /* may move u->nodes */
        n = &u->nodes[k];
        sm_node_set_attr(&n->namespace_, s->namespace_);
        sm_node_set_attr(&n->version, s->version);
        sm_node_set_attr(&n->system, s->system);
        n->entry_calls = s->entry_calls;
    }
    for (i = 0; i < base->nedges; i++) {
        const struct sm_edge *s = &base->edges[i];
        size_t from = other_node(u, base, s->from), to = other_node(u, base, s->to);
        struct sm_edge *e;

        if (sm_map_find_edge(u, from, to, s->kind) != NONE)
            continue;
        e = sm_map_edge(u, from, to, s->kind);
        e->calls = s->calls;
        e->errors = s->errors;
        sm_sketch_copy(&e->client, &s->client);
        sm_sketch_copy(&e->server, &s->server);
        e->client_summary = s->client_summary;
        e->server_summary = s->server_summary;
        e->latency_estimated = s->latency_estimated;
    }
}

static void fill_figures(struct sm_edge_figures *f, const struct sm_edge *e)
{
    memset(f, 0, sizeof(*f));
    if (!e)
        return;
    f->present = true;
    f->calls = e->calls;
    f->errors = e->errors;
    f->error_rate = sm_edge_error_rate(e);
}

static bool side_latency(const struct sm_edge *e, enum sm_side side, struct sm_latency_summary *out)
{
    if (!e) {
        memset(out, 0, sizeof(*out));
        return false;
    }
    return sm_edge_latency(e, side, out);
}

/* Quantiles to the microsecond, the precision of the map document, so that a map read
 * from its document compares equal to the same map built from traces. */
static void round_latency(struct sm_latency_summary *l)
{
    l->p50 = round(l->p50 * 1000.0) / 1000.0;
    l->p90 = round(l->p90 * 1000.0) / 1000.0;
    l->p95 = round(l->p95 * 1000.0) / 1000.0;
    l->p99 = round(l->p99 * 1000.0) / 1000.0;
}

/* Latency of the preferred side when both present sides have it, else of the other. */
static void pick_latency(struct sm_edge_diff *ed, const struct sm_edge *b, const struct sm_edge *h,
                         enum sm_side pref)
{
    enum sm_side sides[2] = {pref, pref == SM_SIDE_CLIENT ? SM_SIDE_SERVER : SM_SIDE_CLIENT};
    int i;

    ed->side = pref;
    for (i = 0; i < 2; i++) {
        struct sm_latency_summary lb, lh;
        bool hb = side_latency(b, sides[i], &lb), hh = side_latency(h, sides[i], &lh);

        if ((b && !hb) || (h && !hh))
            continue;
        ed->side = sides[i];
        round_latency(&lb);
        round_latency(&lh);
        ed->base.has_latency = hb;
        ed->base.latency = lb;
        ed->head.has_latency = hh;
        ed->head.latency = lh;
        return;
    }
}

static size_t tier_of(const struct sm_change *c)
{
    switch (c->kind) {
    case SM_CHANGE_REMOVED_NODE:
        return 5;
    case SM_CHANGE_REMOVED_EDGE:
        return 4;
    case SM_CHANGE_ADDED_NODE:
        return 2;
    case SM_CHANGE_ADDED_EDGE:
        return 1;
    default:
        return c->regression ? 3 : 0;
    }
}

/* qsort has no context argument in C11: the union map for the comparison lives here
 * for the duration of one sort call. */
static const struct sm_map *sort_map;

static int cmp_change(const void *pa, const void *pb)
{
    const struct sm_change *a = pa, *b = pb;
    size_t ta = tier_of(a), tb = tier_of(b);

    if (ta != tb)
        return ta > tb ? -1 : 1;
    if (a->severity != b->severity)
        return a->severity > b->severity ? -1 : 1;
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    if (a->kind == SM_CHANGE_ADDED_NODE || a->kind == SM_CHANGE_REMOVED_NODE)
        return strcmp(sort_map->nodes[a->node].id, sort_map->nodes[b->node].id);
    /* union edges are sorted canonically, so their index is their identity order */
    if (a->edge != b->edge)
        return a->edge < b->edge ? -1 : 1;
    return 0;
}

static struct sm_change *add_change(struct sm_diff *d, size_t *cap, enum sm_change_kind kind)
{
    struct sm_change *c;

    sm_grow(&d->changes, cap, d->nchanges + 1, sizeof(*d->changes));
    c = &d->changes[d->nchanges++];
    memset(c, 0, sizeof(*c));
    c->kind = kind;
    c->node = NONE;
    c->edge = NONE;
    return c;
}

/* For every node of m: the calls into and out of it, plus its entry calls. Caller
 * frees. */
static uint64_t *node_weights(const struct sm_map *m)
{
    uint64_t *w = sm_xcalloc(m->nnodes ? m->nnodes : 1, sizeof(uint64_t));
    size_t i;

    for (i = 0; i < m->nnodes; i++)
        w[i] = m->nodes[i].entry_calls;
    for (i = 0; i < m->nedges; i++) {
        w[m->edges[i].from] += m->edges[i].calls;
        if (m->edges[i].to != m->edges[i].from)
            w[m->edges[i].to] += m->edges[i].calls;
    }
    return w;
}

static void compare_edge(struct sm_diff *d, size_t i, size_t *cap)
{
    const struct sm_diff_options *o = &d->options;
    struct sm_edge_diff *ed = &d->edges[i];
    struct sm_change *c;
    uint64_t most = ed->base.calls > ed->head.calls ? ed->base.calls : ed->head.calls;
    double rel;
    int q, best = -1;
    double best_rel = 0.0;

    if (most < o->min_calls) {
        ed->below_floor = true;
        d->ignored_edges++;
        return;
    }
    if (!ed->base.present || !ed->head.present) {
        c = add_change(d, cap, ed->head.present ? SM_CHANGE_ADDED_EDGE : SM_CHANGE_REMOVED_EDGE);
        c->edge = i;
        c->regression = !ed->head.present;
        c->base = (double)ed->base.calls;
        c->head = (double)ed->head.calls;
        c->severity = (double)most;
        return;
    }
    /* call volume: meaningful as soon as one side is above the floor */
    rel = relative((double)ed->base.calls, (double)ed->head.calls);
    if (isnan(rel) || fabs(rel) >= o->calls_threshold) {
        c = add_change(d, cap, SM_CHANGE_CALLS);
        c->edge = i;
        c->base = (double)ed->base.calls;
        c->head = (double)ed->head.calls;
        c->delta = tidy(rel);
        c->regression = rel < 0;
        c->severity = isnan(rel) ? HUGE_VAL : fabs(rel) / o->calls_threshold;
    }
    /* rates and quantiles of a side with few calls are noise */
    ed->comparable = ed->base.calls >= o->min_calls && ed->head.calls >= o->min_calls;
    if (!ed->comparable)
        return;
    if (fabs(ed->head.error_rate - ed->base.error_rate) >= o->errors_threshold &&
        ed->head.error_rate != ed->base.error_rate) {
        c = add_change(d, cap, SM_CHANGE_ERRORS);
        c->edge = i;
        c->base = ed->base.error_rate;
        c->head = ed->head.error_rate;
        c->delta = tidy((ed->head.error_rate - ed->base.error_rate) * 100.0);
        c->regression = ed->head.error_rate > ed->base.error_rate;
        c->severity = fabs(ed->head.error_rate - ed->base.error_rate) /
                      (o->errors_threshold > 0 ? o->errors_threshold : 0.001);
    }
    if (!ed->base.has_latency || !ed->head.has_latency)
        return;
    for (q = 0; q < SM_DIFF_NQUANTILES; q++) {
        double b = quantile_of(&ed->base.latency, q), h = quantile_of(&ed->head.latency, q);
        double r = relative(b, h);

        if (fabs(h - b) < o->latency_min_ms || (!isnan(r) && fabs(r) < o->latency_threshold))
            continue;
        if (best < 0 || isnan(r) || (!isnan(best_rel) && fabs(r) >= fabs(best_rel))) {
            best = q;
            best_rel = r;
        }
    }
    if (best < 0)
        return;
    c = add_change(d, cap, SM_CHANGE_LATENCY);
    c->edge = i;
    /* the direction and the severity are the largest move's; the quantile shown is p99,
     * the one people quote, when it moved enough the same way */
    c->regression = quantile_of(&ed->head.latency, best) > quantile_of(&ed->base.latency, best);
    q = SM_DIFF_NQUANTILES - 1;
    if (best != q) {
        double b = quantile_of(&ed->base.latency, q), h = quantile_of(&ed->head.latency, q);
        double r = relative(b, h);

        if (fabs(h - b) >= o->latency_min_ms && (isnan(r) || fabs(r) >= o->latency_threshold) &&
            (h > b) == c->regression)
            c->quantile = q;
        else
            c->quantile = best;
    } else {
        c->quantile = best;
    }
    c->base = quantile_of(&ed->base.latency, c->quantile);
    c->head = quantile_of(&ed->head.latency, c->quantile);
    c->delta = tidy(relative(c->base, c->head));
    c->severity = isnan(best_rel)
                      ? HUGE_VAL
                      : fabs(best_rel) / (o->latency_threshold > 0 ? o->latency_threshold : 0.01);
}

void sm_diff_maps(struct sm_diff *d, const struct sm_map *base, const struct sm_map *head,
                  const struct sm_diff_options *o)
{
    uint64_t *base_weight, *head_weight;
    size_t i, cap = 0;

    sm_diff_release(d);
    if (o)
        d->options = *o;
    sm_map_merge(&d->map, head); /* into an empty map: an exact copy */
    add_base_only(&d->map, base);
    sm_map_sort(&d->map);

    d->node_in_base = sm_xcalloc(d->map.nnodes ? d->map.nnodes : 1, sizeof(bool));
    d->node_in_head = sm_xcalloc(d->map.nnodes ? d->map.nnodes : 1, sizeof(bool));
    d->edges = sm_xcalloc(d->map.nedges ? d->map.nedges : 1, sizeof(*d->edges));
    for (i = 0; i < d->map.nedges; i++) {
        const struct sm_edge *e = &d->map.edges[i];
        const struct sm_edge *b = other_edge(base, &d->map, e), *h = other_edge(head, &d->map, e);

        fill_figures(&d->edges[i].base, b);
        fill_figures(&d->edges[i].head, h);
        pick_latency(&d->edges[i], b, h, d->options.side);
        compare_edge(d, i, &cap);
    }
    base_weight = node_weights(base);
    head_weight = node_weights(head);
    for (i = 0; i < d->map.nnodes; i++) {
        size_t bi = other_node(base, &d->map, i), hi = other_node(head, &d->map, i);
        struct sm_change *c;
        uint64_t w;

        d->node_in_base[i] = bi != NONE;
        d->node_in_head[i] = hi != NONE;
        if (d->node_in_base[i] == d->node_in_head[i])
            continue;
        w = d->node_in_head[i] ? head_weight[hi] : base_weight[bi];
        if (w < d->options.min_calls)
            continue;
        c = add_change(d, &cap, d->node_in_head[i] ? SM_CHANGE_ADDED_NODE : SM_CHANGE_REMOVED_NODE);
        c->node = i;
        c->regression = !d->node_in_head[i];
        c->severity = (double)w;
        c->base = d->node_in_base[i] ? (double)w : 0.0;
        c->head = d->node_in_head[i] ? (double)w : 0.0;
    }
    free(base_weight);
    free(head_weight);
    sort_map = &d->map;
    if (d->nchanges)
        qsort(d->changes, d->nchanges, sizeof(*d->changes), cmp_change);
    sort_map = NULL;
}

/* ---- gates ---- */

static int parse_number(const char *s, double *v, const char **end)
{
    char *e;

    *v = strtod(s, &e);
    if (e == s || isnan(*v) || isinf(*v) || *v < 0)
        return -1;
    *end = e;
    return 0;
}

int sm_gate_parse(const char *text, struct sm_gate *gate, struct sm_error *err)
{
    static const struct {
        const char *word;
        enum sm_gate_kind kind;
    } words[] = {
        {"added-edge", SM_GATE_ADDED_EDGE},
        {"removed-edge", SM_GATE_REMOVED_EDGE},
        {"added-node", SM_GATE_ADDED_NODE},
        {"removed-node", SM_GATE_REMOVED_NODE},
    };
    const char *p, *end;
    size_t i;
    int q;

    memset(gate, 0, sizeof(*gate));
    if (strlen(text) >= sizeof(gate->text))
        return sm_error_set(err, SM_EUSAGE, "--fail-on rule '%.40s...' is too long", text);
    snprintf(gate->text, sizeof(gate->text), "%s", text);
    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (!strcmp(text, words[i].word)) {
            gate->kind = words[i].kind;
            return 0;
        }
    }
    for (q = 0; q < SM_DIFF_NQUANTILES; q++) {
        size_t len = strlen(sm_diff_quantile_names[q]);

        if (strncmp(text, sm_diff_quantile_names[q], len) || text[len] != '>')
            continue;
        p = text + len + 1;
        if (*p == '+')
            p++;
        if (parse_number(p, &gate->threshold, &end))
            break;
        gate->kind = SM_GATE_LATENCY;
        gate->quantile = q;
        if (!strcmp(end, "%")) {
            gate->threshold /= 100.0;
            return 0;
        }
        if (!strcmp(end, "ms")) {
            gate->absolute_ms = true;
            return 0;
        }
        break;
    }
    if (!strncmp(text, "errors>", 7)) {
        p = text + 7;
        if (*p == '+')
            p++;
        if (!parse_number(p, &gate->threshold, &end) && !strcmp(end, "pp")) {
            gate->kind = SM_GATE_ERRORS;
            gate->threshold /= 100.0;
            return 0;
        }
    }
    if (!strncmp(text, "calls<-", 7) || !strncmp(text, "calls>+", 7) ||
        !strncmp(text, "calls>", 6)) {
        gate->rise = text[5] == '>';
        p = text + 6;
        if (*p == '+' || *p == '-')
            p++;
        if (!parse_number(p, &gate->threshold, &end) && !strcmp(end, "%")) {
            gate->kind = SM_GATE_CALLS;
            gate->threshold /= 100.0;
            return 0;
        }
    }
    return sm_error_set(err, SM_EUSAGE,
                        "--fail-on rule '%s' is not one of added-edge, removed-edge, "
                        "added-node, removed-node, pNN>+X%% or pNN>+Xms (NN 50, 90, 95, 99), "
                        "errors>+Xpp, calls<-X%%, calls>+X%%",
                        text);
}

/* "name" for a service, "kind:name" for anything else. */
static void add_node_label(struct sm_buf *b, const struct sm_node *n)
{
    sm_buf_adds(b, n->kind == SM_NODE_SERVICE ? n->name : n->id);
}

static void add_edge_label(struct sm_buf *b, const struct sm_map *m, const struct sm_edge *e)
{
    add_node_label(b, &m->nodes[e->from]);
    sm_buf_adds(b, " -> ");
    add_node_label(b, &m->nodes[e->to]);
}

/* Milliseconds with as many digits as they deserve. */
static void add_ms(struct sm_buf *b, double ms)
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

static void add_rate(struct sm_buf *b, double rate)
{
    sm_buf_printf(b, "%.1f%%", rate * 100.0);
}

/* "p99 120 -> 480 ms (+300%)" */
static void add_quantile_move(struct sm_buf *b, const struct sm_edge_diff *ed, int q)
{
    double vb = quantile_of(&ed->base.latency, q), vh = quantile_of(&ed->head.latency, q);

    sm_buf_printf(b, "%s ", sm_diff_quantile_names[q]);
    add_ms(b, vb);
    sm_buf_adds(b, " -> ");
    add_ms(b, vh);
    sm_buf_adds(b, " ms (");
    add_percent(b, relative(vb, vh));
    sm_buf_adds(b, ")");
}

static void add_errors_move(struct sm_buf *b, const struct sm_edge_diff *ed)
{
    sm_buf_adds(b, "error rate ");
    add_rate(b, ed->base.error_rate);
    sm_buf_adds(b, " -> ");
    add_rate(b, ed->head.error_rate);
    sm_buf_printf(b, " (%+.1f pp)", (ed->head.error_rate - ed->base.error_rate) * 100.0);
}

static void add_calls_move(struct sm_buf *b, const struct sm_edge_diff *ed)
{
    sm_buf_printf(b, "calls %llu -> %llu (", (unsigned long long)ed->base.calls,
                  (unsigned long long)ed->head.calls);
    add_percent(b, relative((double)ed->base.calls, (double)ed->head.calls));
    sm_buf_adds(b, ")");
}

static size_t gate_reason_prefix(struct sm_buf *r, const struct sm_gate *g)
{
    sm_buf_printf(r, "%s: ", g->text);
    return 1;
}

static size_t check_gate(const struct sm_diff *d, const struct sm_gate *g, struct sm_buf *r)
{
    size_t i, n = 0;

    for (i = 0; i < d->nchanges; i++) {
        const struct sm_change *c = &d->changes[i];
        enum sm_gate_kind want;

        switch (c->kind) {
        case SM_CHANGE_ADDED_EDGE:
            want = SM_GATE_ADDED_EDGE;
            break;
        case SM_CHANGE_REMOVED_EDGE:
            want = SM_GATE_REMOVED_EDGE;
            break;
        case SM_CHANGE_ADDED_NODE:
            want = SM_GATE_ADDED_NODE;
            break;
        case SM_CHANGE_REMOVED_NODE:
            want = SM_GATE_REMOVED_NODE;
            break;
        default:
            continue;
        }
        if (want != g->kind)
            continue;
        n += gate_reason_prefix(r, g);
        if (c->edge != NONE) {
            sm_buf_printf(r, "%s edge ", c->kind == SM_CHANGE_ADDED_EDGE ? "new" : "vanished");
            add_edge_label(r, &d->map, &d->map.edges[c->edge]);
            sm_buf_printf(r, " (%s, %.0f calls)\n", sm_edge_kind_name(d->map.edges[c->edge].kind),
                          c->kind == SM_CHANGE_ADDED_EDGE ? c->head : c->base);
        } else {
            sm_buf_printf(r, "%s node %s\n", c->kind == SM_CHANGE_ADDED_NODE ? "new" : "vanished",
                          d->map.nodes[c->node].id);
        }
    }
    if (g->kind != SM_GATE_LATENCY && g->kind != SM_GATE_ERRORS && g->kind != SM_GATE_CALLS)
        return n;
    for (i = 0; i < d->map.nedges; i++) {
        const struct sm_edge_diff *ed = &d->edges[i];
        const struct sm_edge *e = &d->map.edges[i];
        bool tripped = false;

        if (g->kind == SM_GATE_CALLS) {
            double rel;

            if (!ed->base.present || !ed->head.present || ed->below_floor)
                continue;
            rel = relative((double)ed->base.calls, (double)ed->head.calls);
            tripped = g->rise ? (isnan(rel) || rel > g->threshold) : rel < -g->threshold;
            if (!tripped)
                continue;
            n += gate_reason_prefix(r, g);
            add_edge_label(r, &d->map, e);
            sm_buf_adds(r, " ");
            add_calls_move(r, ed);
        } else if (g->kind == SM_GATE_ERRORS) {
            if (!ed->comparable || ed->head.error_rate - ed->base.error_rate <= g->threshold)
                continue;
            n += gate_reason_prefix(r, g);
            add_edge_label(r, &d->map, e);
            sm_buf_adds(r, " ");
            add_errors_move(r, ed);
        } else {
            double vb, vh;

            if (!ed->comparable || !ed->base.has_latency || !ed->head.has_latency)
                continue;
            vb = quantile_of(&ed->base.latency, g->quantile);
            vh = quantile_of(&ed->head.latency, g->quantile);
            if (g->absolute_ms)
                tripped = vh - vb > g->threshold;
            else
                tripped = vb > 0 ? (vh - vb) / vb > g->threshold : vh > 0;
            if (!tripped)
                continue;
            n += gate_reason_prefix(r, g);
            add_edge_label(r, &d->map, e);
            sm_buf_adds(r, " ");
            add_quantile_move(r, ed, g->quantile);
            sm_buf_printf(r, " [%s]", ed->side == SM_SIDE_CLIENT ? "client" : "server");
        }
        sm_buf_adds(r, "\n");
    }
    return n;
}

size_t sm_diff_check_gates(const struct sm_diff *d, const struct sm_gate *gates, size_t ngates,
                           struct sm_buf *reasons)
{
    size_t i, n = 0;

    for (i = 0; i < ngates; i++)
        n += check_gate(d, &gates[i], reasons);
    return n;
}

/* ---- reports ---- */

struct tally {
    size_t nodes_added, nodes_removed, edges_added, edges_removed, edges_changed;
};

static void count_changes(const struct sm_diff *d, struct tally *t)
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

static void add_summary_line(struct sm_buf *b, const struct sm_diff *d)
{
    struct tally t;
    size_t parts = 0;

    count_changes(d, &t);
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
static void add_change_detail(struct sm_buf *b, const struct sm_diff *d, const struct sm_change *c)
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
        add_errors_move(b, ed);
        break;
    case SM_CHANGE_CALLS:
        add_calls_move(b, ed);
        break;
    case SM_CHANGE_LATENCY:
        /* the quantile that moved most first, then the others that moved enough */
        add_quantile_move(b, ed, c->quantile);
        shown++;
        for (q = SM_DIFF_NQUANTILES - 1; q >= 0; q--) {
            double vb = quantile_of(&ed->base.latency, q), vh = quantile_of(&ed->head.latency, q);
            double r = relative(vb, vh);

            if (q == c->quantile || fabs(vh - vb) < d->options.latency_min_ms ||
                (!isnan(r) && fabs(r) < d->options.latency_threshold))
                continue;
            sm_buf_adds(b, shown++ ? ", " : "");
            add_quantile_move(b, ed, q);
        }
        sm_buf_printf(b, " [%s]", ed->side == SM_SIDE_CLIENT ? "client" : "server");
        break;
    }
}

static void add_change_subject(struct sm_buf *b, const struct sm_diff *d, const struct sm_change *c)
{
    if (c->edge != NONE)
        add_edge_label(b, &d->map, &d->map.edges[c->edge]);
    else
        add_node_label(b, &d->map.nodes[c->node]);
}

static const char *change_title(const struct sm_change *c)
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

/* Splits the newline-separated reasons and calls fn for each line. */
static void each_reason(const char *reasons, struct sm_buf *out,
                        void (*fn)(struct sm_buf *out, const char *line, size_t len))
{
    const char *p = reasons;

    while (p && *p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);

        if (len)
            fn(out, p, len);
        p += len + (nl ? 1 : 0);
    }
}

static size_t count_reasons(const char *reasons)
{
    size_t n = 0;
    const char *p;

    for (p = reasons; p && *p; p++)
        n += *p == '\n';
    if (reasons && *reasons && reasons[strlen(reasons) - 1] != '\n')
        n++;
    return n;
}

static void text_reason(struct sm_buf *out, const char *line, size_t len)
{
    sm_buf_adds(out, "  ");
    sm_buf_add(out, line, len);
    sm_buf_adds(out, "\n");
}

void sm_diff_write_text(const struct sm_diff *d, const char *reasons, bool color,
                        struct sm_buf *out)
{
    const char *red = color ? "\033[31m" : "", *green = color ? "\033[32m" : "";
    const char *yellow = color ? "\033[33m" : "", *bold = color ? "\033[1m" : "";
    const char *reset = color ? "\033[0m" : "";
    size_t i, nreasons = count_reasons(reasons);

    sm_buf_printf(out, "%ssvcmap diff", bold);
    if (d->options.base_name && d->options.head_name)
        sm_buf_printf(out, " %s -> %s", d->options.base_name, d->options.head_name);
    sm_buf_printf(out, ":%s ", reset);
    add_summary_line(out, d);
    sm_buf_adds(out, "\n");
    for (i = 0; i < d->nchanges; i++) {
        const struct sm_change *c = &d->changes[i];
        const char *mark, *col;

        if (c->kind == SM_CHANGE_ADDED_NODE || c->kind == SM_CHANGE_ADDED_EDGE) {
            mark = "+";
            col = green;
        } else if (c->kind == SM_CHANGE_REMOVED_NODE || c->kind == SM_CHANGE_REMOVED_EDGE) {
            mark = "-";
            col = red;
        } else {
            mark = c->regression ? "!" : "~";
            col = c->regression ? yellow : "";
        }
        sm_buf_printf(out, "%s%s %-12s%s ", col, mark, change_title(c), color && *col ? reset : "");
        add_change_subject(out, d, c);
        sm_buf_adds(out, "  ");
        add_change_detail(out, d, c);
        sm_buf_adds(out, "\n");
    }
    if (nreasons) {
        sm_buf_printf(out, "%s%zu gate%s tripped:%s\n", color ? "\033[1;31m" : "", nreasons,
                      nreasons == 1 ? "" : "s", reset);
        each_reason(reasons, out, text_reason);
    }
}

/* Markdown text: what GitHub would read as a table border, code, emphasis or HTML is
 * escaped; '>' is only special at the start of a line, which a cell never is. */
static void md_cell(struct sm_buf *out, const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == '|' || s[i] == '`' || s[i] == '*' || s[i] == '_' || s[i] == '<' || s[i] == '\\')
            sm_buf_addc(out, '\\');
        sm_buf_addc(out, s[i]);
    }
}

static void md_reason(struct sm_buf *out, const char *line, size_t len)
{
    sm_buf_adds(out, "- ");
    md_cell(out, line, len);
    sm_buf_adds(out, "\n");
}

void sm_diff_write_markdown(const struct sm_diff *d, const char *reasons, struct sm_buf *out)
{
    struct sm_buf cell;
    size_t i, nreasons = count_reasons(reasons);

    sm_buf_init(&cell);
    sm_buf_adds(out, "### svcmap diff");
    if (d->options.base_name && d->options.head_name) {
        sm_buf_adds(out, ": ");
        md_cell(out, d->options.base_name, strlen(d->options.base_name));
        sm_buf_adds(out, " -> ");
        md_cell(out, d->options.head_name, strlen(d->options.head_name));
    }
    sm_buf_adds(out, "\n\n");
    sm_buf_adds(out, nreasons ? "**Failed:** " : "**Summary:** ");
    add_summary_line(&cell, d);
    md_cell(out, cell.data, cell.len);
    sm_buf_adds(out, ".\n");
    if (nreasons) {
        sm_buf_printf(out, "\n**%zu gate%s tripped:**\n\n", nreasons, nreasons == 1 ? "" : "s");
        each_reason(reasons, out, md_reason);
    }
    if (d->nchanges) {
        sm_buf_adds(out, "\n| | change | from | to | details |\n|---|---|---|---|---|\n");
        for (i = 0; i < d->nchanges; i++) {
            const struct sm_change *c = &d->changes[i];
            const char *mark =
                c->kind == SM_CHANGE_ADDED_NODE || c->kind == SM_CHANGE_ADDED_EDGE       ? "+"
                : c->kind == SM_CHANGE_REMOVED_NODE || c->kind == SM_CHANGE_REMOVED_EDGE ? "-"
                : c->regression                                                          ? "!"
                                                                                         : "~";

            sm_buf_printf(out, "| %s | %s | ", mark, change_title(c));
            sm_buf_reset(&cell);
            if (c->edge != NONE)
                add_node_label(&cell, &d->map.nodes[d->map.edges[c->edge].from]);
            else
                add_node_label(&cell, &d->map.nodes[c->node]);
            md_cell(out, cell.data, cell.len);
            sm_buf_adds(out, " | ");
            if (c->edge != NONE) {
                sm_buf_reset(&cell);
                add_node_label(&cell, &d->map.nodes[d->map.edges[c->edge].to]);
                md_cell(out, cell.data, cell.len);
            }
            sm_buf_adds(out, " | ");
            sm_buf_reset(&cell);
            add_change_detail(&cell, d, c);
            md_cell(out, cell.data, cell.len);
            sm_buf_adds(out, " |\n");
        }
    }
    sm_buf_release(&cell);
}

static void json_latency(struct sm_buf *out, const struct sm_edge_figures *f)
{
    int q;

    sm_buf_adds(out, "{");
    for (q = 0; q < SM_DIFF_NQUANTILES; q++) {
        sm_buf_printf(out, "%s\"%s\":", q ? "," : "", sm_diff_quantile_names[q]);
        sm_buf_add_number(out, tidy(quantile_of(&f->latency, q)));
    }
    sm_buf_adds(out, "}");
}

static void json_figures(struct sm_buf *out, const struct sm_edge_figures *f)
{
    if (!f->present) {
        sm_buf_adds(out, "null");
        return;
    }
    sm_buf_printf(out,
                  "{\"calls\":%llu,\"errors\":%llu,\"error_rate\":", (unsigned long long)f->calls,
                  (unsigned long long)f->errors);
    sm_buf_add_number(out, tidy(f->error_rate));
    if (f->has_latency) {
        sm_buf_adds(out, ",\"latency_ms\":");
        json_latency(out, f);
    }
    sm_buf_adds(out, "}");
}

static void json_reason(struct sm_buf *out, const char *line, size_t len)
{
    char *s = sm_xstrndup(line, len);

    if (out->len && out->data[out->len - 1] != '[')
        sm_buf_adds(out, ",");
    sm_buf_add_json_string(out, s);
    free(s);
}

void sm_diff_write_json(const struct sm_diff *d, const char *reasons, struct sm_buf *out)
{
    struct tally t;
    size_t i;

    count_changes(d, &t);
    sm_buf_adds(out, "{\"schema\":\"svcmap.diff/v1\",\"options\":{\"min_calls\":");
    sm_buf_printf(out, "%llu,\"latency_side\":\"%s\",\"calls_threshold\":",
                  (unsigned long long)d->options.min_calls,
                  d->options.side == SM_SIDE_CLIENT ? "client" : "server");
    sm_buf_add_number(out, d->options.calls_threshold);
    sm_buf_adds(out, ",\"errors_threshold_pp\":");
    sm_buf_add_number(out, tidy(d->options.errors_threshold * 100.0));
    sm_buf_adds(out, ",\"latency_threshold\":");
    sm_buf_add_number(out, d->options.latency_threshold);
    sm_buf_adds(out, ",\"latency_min_ms\":");
    sm_buf_add_number(out, d->options.latency_min_ms);
    if (d->options.base_name && d->options.head_name) {
        sm_buf_adds(out, ",\"base\":");
        sm_buf_add_json_string(out, d->options.base_name);
        sm_buf_adds(out, ",\"head\":");
        sm_buf_add_json_string(out, d->options.head_name);
    }
    sm_buf_printf(out,
                  "},\"summary\":{\"nodes_added\":%zu,\"nodes_removed\":%zu,\"edges_added\":%zu,"
                  "\"edges_removed\":%zu,\"edges_changed\":%zu,\"ignored_edges\":%zu,"
                  "\"changes\":%zu,\"gates_tripped\":%zu},\n\"changes\":[",
                  t.nodes_added, t.nodes_removed, t.edges_added, t.edges_removed, t.edges_changed,
                  d->ignored_edges, d->nchanges, count_reasons(reasons));
    for (i = 0; i < d->nchanges; i++) {
        const struct sm_change *c = &d->changes[i];

        sm_buf_printf(out, "%s\n{\"kind\":\"%s\",\"regression\":%s", i ? "," : "",
                      sm_change_kind_name(c->kind), c->regression ? "true" : "false");
        if (c->edge == NONE) {
            const struct sm_node *n = &d->map.nodes[c->node];

            sm_buf_adds(out, ",\"node\":");
            sm_buf_add_json_string(out, n->id);
            sm_buf_adds(out, ",\"calls\":");
            sm_buf_add_number(out, c->kind == SM_CHANGE_ADDED_NODE ? c->head : c->base);
        } else {
            const struct sm_edge *e = &d->map.edges[c->edge];
            const struct sm_edge_diff *ed = &d->edges[c->edge];

            sm_buf_adds(out, ",\"from\":");
            sm_buf_add_json_string(out, d->map.nodes[e->from].id);
            sm_buf_adds(out, ",\"to\":");
            sm_buf_add_json_string(out, d->map.nodes[e->to].id);
            sm_buf_printf(out, ",\"edge_kind\":\"%s\"", sm_edge_kind_name(e->kind));
            if (c->kind == SM_CHANGE_LATENCY)
                sm_buf_printf(out, ",\"quantile\":\"%s\",\"latency_side\":\"%s\"",
                              sm_diff_quantile_names[c->quantile],
                              ed->side == SM_SIDE_CLIENT ? "client" : "server");
            if (c->kind == SM_CHANGE_LATENCY || c->kind == SM_CHANGE_CALLS ||
                c->kind == SM_CHANGE_ERRORS) {
                /* calls and latency: relative (0.5 = +50 %); errors: percentage points */
                sm_buf_adds(out, ",\"delta\":");
                sm_buf_add_number(out, c->delta);
            }
            sm_buf_adds(out, ",\"base\":");
            json_figures(out, &ed->base);
            sm_buf_adds(out, ",\"head\":");
            json_figures(out, &ed->head);
        }
        sm_buf_adds(out, "}");
    }
    sm_buf_adds(out, "],\n\"gates\":[");
    each_reason(reasons, out, json_reason);
    sm_buf_adds(out, "]}\n");
}

/* ---- drawing ---- */

void sm_diff_decorate(const struct sm_diff *d, struct sm_decor *node_decor,
                      struct sm_decor *edge_decor, struct sm_buf *notes)
{
    size_t *note_at = sm_xcalloc(d->map.nedges ? d->map.nedges : 1, sizeof(size_t));
    size_t i;

    memset(node_decor, 0, d->map.nnodes * sizeof(*node_decor));
    memset(edge_decor, 0, d->map.nedges * sizeof(*edge_decor));
    sm_buf_reset(notes);
    sm_buf_addc(notes, '\0'); /* offset 0 means "no note" */
    for (i = 0; i < d->nchanges; i++) {
        const struct sm_change *c = &d->changes[i];
        struct sm_decor *dec = c->edge != NONE ? &edge_decor[c->edge] : &node_decor[c->node];
        const struct sm_edge_diff *ed = c->edge != NONE ? &d->edges[c->edge] : NULL;

        switch (c->kind) {
        case SM_CHANGE_ADDED_NODE:
        case SM_CHANGE_ADDED_EDGE:
            dec->color = COLOR_ADDED;
            dec->bold = true;
            continue;
        case SM_CHANGE_REMOVED_NODE:
        case SM_CHANGE_REMOVED_EDGE:
            dec->color = COLOR_REMOVED;
            dec->dashed = true;
            continue;
        default:
            break;
        }
        if (!c->regression)
            continue;
        dec->color = COLOR_REGRESSED;
        dec->bold = true;
        /* notes of one edge are joined; changes of one edge are not adjacent in the
         * list, so an edge's note is rebuilt whole when a later change extends it */
        {
            struct sm_buf one;
            size_t prev = note_at[c->edge];

            sm_buf_init(&one);
            if (prev) {
                sm_buf_adds(&one, notes->data + prev);
                sm_buf_adds(&one, ", ");
            }
            if (c->kind == SM_CHANGE_LATENCY) {
                sm_buf_printf(&one, "%s ", sm_diff_quantile_names[c->quantile]);
                add_ms(&one, c->base);
                sm_buf_adds(&one, " -> ");
                add_ms(&one, c->head);
                sm_buf_adds(&one, " ms");
            } else if (c->kind == SM_CHANGE_ERRORS) {
                sm_buf_adds(&one, "errors ");
                add_rate(&one, ed->base.error_rate);
                sm_buf_adds(&one, " -> ");
                add_rate(&one, ed->head.error_rate);
            } else {
                sm_buf_printf(&one, "calls %llu -> %llu", (unsigned long long)ed->base.calls,
                              (unsigned long long)ed->head.calls);
            }
            note_at[c->edge] = notes->len;
            sm_buf_add(notes, one.data, one.len);
            sm_buf_addc(notes, '\0');
            sm_buf_release(&one);
        }
    }
    /* the buffer has stopped moving: turn offsets into pointers */
    for (i = 0; i < d->map.nedges; i++) {
        if (note_at[i])
            edge_decor[i].note = notes->data + note_at[i];
    }
    free(note_at);
}
