/* diff.c: the diff model: compares two maps, orders the changes, checks the gates.
 *
 * The union map starts as an exact copy of head; nodes and edges only base has are then
 * added with base's figures, and the union is sorted canonically. Every union edge gets
 * the figures of both sides, looked up by identity (kind and name of its nodes, edge
 * kind), never by position. Changes are ranked in tiers: removed nodes, removed edges,
 * regressions (more errors, slower, fewer calls), added nodes, added edges, then the
 * rest; within a tier by magnitude (calls for structure, multiples of the reporting
 * threshold for figures) and then by identity, so the order is the same on every run.
 * Gates are held against the changes and the compared figures, and what tripped comes
 * back as data; the report writers (diff_text.c, diff_markdown.c, diff_json.c,
 * diff_draw.c) put it into words.
 */
#include "svcmap/diff.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_priv.h"

#define NONE SM_DIFF_NONE

const double sm_diff_quantiles[SM_DIFF_NQUANTILES] = {0.50, 0.90, 0.95, 0.99};
const char *const sm_diff_quantile_names[SM_DIFF_NQUANTILES] = {"p50", "p90", "p95", "p99"};

static const char *const change_names[] = {
    "removed-node", "removed-edge", "added-node", "added-edge", "errors", "latency", "calls"};

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
    o->share_threshold = 0.01;
}

void sm_diff_init(struct sm_diff *d)
{
    memset(d, 0, sizeof(*d));
    sm_map_init(&d->map);
    sm_diff_options_init(&d->options);
}

static void release_shares(struct sm_diff *d)
{
    size_t i;

    for (i = 0; i < d->nshares; i++) {
        free(d->shares[i].entry);
        free(d->shares[i].operation);
        free(d->shares[i].id);
    }
    free(d->shares);
    d->shares = NULL;
    d->nshares = 0;
}

void sm_diff_release(struct sm_diff *d)
{
    release_shares(d);
    sm_map_release(&d->map);
    free(d->edges);
    free(d->node_in_base);
    free(d->node_in_head);
    free(d->changes);
    sm_diff_init(d);
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
    rel = sm_report_relative((double)ed->base.calls, (double)ed->head.calls);
    if (isnan(rel) || fabs(rel) >= o->calls_threshold) {
        c = add_change(d, cap, SM_CHANGE_CALLS);
        c->edge = i;
        c->base = (double)ed->base.calls;
        c->head = (double)ed->head.calls;
        c->delta = sm_report_tidy(rel);
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
        c->delta = sm_report_tidy((ed->head.error_rate - ed->base.error_rate) * 100.0);
        c->regression = ed->head.error_rate > ed->base.error_rate;
        c->severity = fabs(ed->head.error_rate - ed->base.error_rate) /
                      (o->errors_threshold > 0 ? o->errors_threshold : 0.001);
    }
    if (!ed->base.has_latency || !ed->head.has_latency)
        return;
    for (q = 0; q < SM_DIFF_NQUANTILES; q++) {
        double b = sm_report_quantile(&ed->base.latency, q),
               h = sm_report_quantile(&ed->head.latency, q);
        double r = sm_report_relative(b, h);

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
    c->regression =
        sm_report_quantile(&ed->head.latency, best) > sm_report_quantile(&ed->base.latency, best);
    q = SM_DIFF_NQUANTILES - 1;
    if (best != q) {
        double b = sm_report_quantile(&ed->base.latency, q),
               h = sm_report_quantile(&ed->head.latency, q);
        double r = sm_report_relative(b, h);

        if (fabs(h - b) >= o->latency_min_ms && (isnan(r) || fabs(r) >= o->latency_threshold) &&
            (h > b) == c->regression)
            c->quantile = q;
        else
            c->quantile = best;
    } else {
        c->quantile = best;
    }
    c->base = sm_report_quantile(&ed->base.latency, c->quantile);
    c->head = sm_report_quantile(&ed->head.latency, c->quantile);
    c->delta = sm_report_tidy(sm_report_relative(c->base, c->head));
    c->severity = isnan(best_rel)
                      ? HUGE_VAL
                      : fabs(best_rel) / (o->latency_threshold > 0 ? o->latency_threshold : 0.01);
}

/* ---- critical-path shares ---- */

static double part_share(const struct sm_why_entry *w, const struct sm_why_part *p)
{
    return w->total_ns ? (double)p->critical_ns / (double)w->total_ns : 0.0;
}

static bool same_operation(const char *a, const char *b)
{
    return a == b || (a && b && !strcmp(a, b));
}

static const struct sm_why_entry *find_entry(const struct sm_map *m, const struct sm_why_entry *w)
{
    size_t k;

    for (k = 0; k < m->nwhy; k++) {
        if (!strcmp(m->why[k].entry, w->entry) && same_operation(m->why[k].operation, w->operation))
            return &m->why[k];
    }
    return NULL;
}

static int cmp_part_id(const void *a, const void *b)
{
    const struct sm_why_part *const *pa = a, *const *pb = b;

    return strcmp((*pa)->id, (*pb)->id);
}

/* The parts of w sorted by id (borrowed pointers; caller frees the array). */
static const struct sm_why_part **parts_by_id(const struct sm_why_entry *w)
{
    const struct sm_why_part **v = sm_xcalloc(w->nparts ? w->nparts : 1, sizeof(*v));
    size_t i;

    for (i = 0; i < w->nparts; i++)
        v[i] = &w->parts[i];
    if (w->nparts > 1)
        qsort(v, w->nparts, sizeof(*v), cmp_part_id);
    return v;
}

/* A row for contributor p of entry w (p NULL: for the entry itself). */
static void add_share(struct sm_diff *d, size_t *cap, const struct sm_why_entry *w,
                      const struct sm_why_part *p, double base, double head,
                      enum sm_share_presence presence)
{
    struct sm_share_diff *s;

    sm_grow(&d->shares, cap, d->nshares + 1, sizeof(*d->shares));
    s = &d->shares[d->nshares++];
    memset(s, 0, sizeof(*s));
    s->entry = sm_xstrdup(w->entry);
    s->operation = w->operation ? sm_xstrdup(w->operation) : NULL;
    s->id = sm_xstrdup(p ? p->id : w->entry);
    s->kind = p ? p->kind : SM_WHY_NODE;
    s->base = base;
    s->head = head;
    s->delta = head - base;
    s->presence = presence;
    if (!p)
        s->traces = w->traces;
}

static int cmp_share(const void *a, const void *b)
{
    const struct sm_share_diff *x = a, *y = b;
    int c = strcmp(x->entry, y->entry);

    if (c)
        return c;
    if (!same_operation(x->operation, y->operation))
        return !x->operation ? -1 : !y->operation ? 1 : strcmp(x->operation, y->operation);
    if (fabs(x->delta) != fabs(y->delta))
        return fabs(x->delta) > fabs(y->delta) ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* Every contributor of every entry both maps have, its share on both sides; a row for
 * each entry one map has and the other not. */
static void compare_shares(struct sm_diff *d, const struct sm_map *base, const struct sm_map *head)
{
    size_t cap = 0, k;

    d->has_why = base->nwhy > 0 && head->nwhy > 0;
    if (!d->has_why)
        return;
    for (k = 0; k < base->nwhy; k++) {
        if (!find_entry(head, &base->why[k]))
            add_share(d, &cap, &base->why[k], NULL, 0.0, 0.0, SM_SHARE_ENTRY_GONE);
    }
    for (k = 0; k < head->nwhy; k++) {
        const struct sm_why_entry *hw = &head->why[k], *bw = find_entry(base, hw);
        const struct sm_why_part **hp, **bp;
        size_t i = 0, j = 0;

        if (!bw) {
            add_share(d, &cap, hw, NULL, 0.0, 0.0, SM_SHARE_ENTRY_NEW);
            continue;
        }
        hp = parts_by_id(hw);
        bp = parts_by_id(bw);
        /* a merge of the two id-sorted lists */
        while (i < hw->nparts || j < bw->nparts) {
            int c = i == hw->nparts ? 1 : j == bw->nparts ? -1 : strcmp(hp[i]->id, bp[j]->id);

            if (c < 0) {
                add_share(d, &cap, hw, hp[i], 0.0, part_share(hw, hp[i]), SM_SHARE_NEW);
                i++;
            } else if (c > 0) {
                add_share(d, &cap, bw, bp[j], part_share(bw, bp[j]), 0.0, SM_SHARE_GONE);
                j++;
            } else {
                add_share(d, &cap, hw, hp[i], part_share(bw, bp[j]), part_share(hw, hp[i]),
                          SM_SHARE_BOTH);
                i++;
                j++;
            }
        }
        free(hp);
        free(bp);
    }
    if (d->nshares > 1)
        qsort(d->shares, d->nshares, sizeof(*d->shares), cmp_share);
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
    compare_shares(d, base, head);
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
    if (!strncmp(text, "critical>", 9)) {
        p = text + 9;
        if (*p == '+')
            p++;
        if (!parse_number(p, &gate->threshold, &end) && !strcmp(end, "pp") &&
            gate->threshold <= 100) {
            gate->kind = SM_GATE_CRITICAL;
            gate->threshold /= 100.0;
            return 0;
        }
    }
    return sm_error_set(err, SM_EUSAGE,
                        "--fail-on rule '%s' is not one of added-edge, removed-edge, "
                        "added-node, removed-node, pNN>+X%% or pNN>+Xms (NN 50, 90, 95, 99), "
                        "errors>+Xpp, calls<-X%%, calls>+X%%, critical>+Xpp",
                        text);
}

/* The structural gate a change kind trips, or -1. */
static int structural_gate(enum sm_change_kind kind)
{
    switch (kind) {
    case SM_CHANGE_ADDED_EDGE:
        return SM_GATE_ADDED_EDGE;
    case SM_CHANGE_REMOVED_EDGE:
        return SM_GATE_REMOVED_EDGE;
    case SM_CHANGE_ADDED_NODE:
        return SM_GATE_ADDED_NODE;
    case SM_CHANGE_REMOVED_NODE:
        return SM_GATE_REMOVED_NODE;
    default:
        return -1;
    }
}

static void add_hit(struct sm_gate_hits *h, const struct sm_gate *g, size_t node, size_t edge,
                    size_t share)
{
    sm_grow(&h->hits, &h->cap, h->nhits + 1, sizeof(*h->hits));
    h->hits[h->nhits].gate = g;
    h->hits[h->nhits].node = node;
    h->hits[h->nhits].edge = edge;
    h->hits[h->nhits].share = share;
    h->nhits++;
}

bool sm_gate_needs_why(const struct sm_gate *gate)
{
    return gate->kind == SM_GATE_CRITICAL;
}

/* Whether the figures of edge ed trip gate g (latency, errors or calls). */
static bool figures_trip(const struct sm_gate *g, const struct sm_edge_diff *ed)
{
    double vb, vh, rel;

    switch (g->kind) {
    case SM_GATE_CALLS:
        if (!ed->base.present || !ed->head.present || ed->below_floor)
            return false;
        rel = sm_report_relative((double)ed->base.calls, (double)ed->head.calls);
        return g->rise ? (isnan(rel) || rel > g->threshold) : rel < -g->threshold;
    case SM_GATE_ERRORS:
        return ed->comparable && ed->head.error_rate - ed->base.error_rate > g->threshold;
    case SM_GATE_LATENCY:
        if (!ed->comparable || !ed->base.has_latency || !ed->head.has_latency)
            return false;
        vb = sm_report_quantile(&ed->base.latency, g->quantile);
        vh = sm_report_quantile(&ed->head.latency, g->quantile);
        if (g->absolute_ms)
            return vh - vb > g->threshold;
        return vb > 0 ? (vh - vb) / vb > g->threshold : vh > 0;
    default:
        return false;
    }
}

void sm_gate_hits_init(struct sm_gate_hits *h)
{
    memset(h, 0, sizeof(*h));
}

void sm_gate_hits_release(struct sm_gate_hits *h)
{
    free(h->hits);
    sm_gate_hits_init(h);
}

size_t sm_diff_check_gates(const struct sm_diff *d, const struct sm_gate *gates, size_t ngates,
                           struct sm_gate_hits *hits)
{
    size_t before = hits->nhits, i, k;

    for (k = 0; k < ngates; k++) {
        const struct sm_gate *g = &gates[k];

        for (i = 0; i < d->nchanges; i++) {
            const struct sm_change *c = &d->changes[i];

            if (structural_gate(c->kind) == (int)g->kind)
                add_hit(hits, g, c->node, c->edge, NONE);
        }
        for (i = 0; i < d->map.nedges; i++) {
            if (figures_trip(g, &d->edges[i]))
                add_hit(hits, g, NONE, i, NONE);
        }
        for (i = 0; g->kind == SM_GATE_CRITICAL && i < d->nshares; i++) {
            /* a rise of exactly the threshold holds, as for the other gates; a contributor
             * new in an entry rises from 0; an entry on one side only moved nothing (it
             * has no release to compare with) */
            if (d->shares[i].presence < SM_SHARE_ENTRY_NEW &&
                d->shares[i].delta > g->threshold + 1e-12)
                add_hit(hits, g, NONE, NONE, i);
        }
    }
    return hits->nhits - before;
}
