/* map.c: nodes, edges and source of a service map, with identity lookups and order.
 *
 * Nodes are identified by (kind, name), edges by (from, to, kind). Lookups go through
 * open-addressing hash indexes of positions in the node and edge arrays; the indexes are
 * rebuilt whenever the arrays are reordered (sort, retain).
 */
#include "svcmap/map.h"

#include "svcmap/why.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

static const char *const node_kind_names[] = {"service", "database", "queue", "external", "client"};
static const char *const edge_kind_names[] = {"rpc", "messaging", "database", "external"};

const char *sm_node_kind_name(enum sm_node_kind kind)
{
    if ((unsigned)kind < sizeof(node_kind_names) / sizeof(node_kind_names[0]))
        return node_kind_names[kind];
    return "service";
}

int sm_node_kind_parse(const char *word, enum sm_node_kind *kind)
{
    size_t i;

    for (i = 0; i < sizeof(node_kind_names) / sizeof(node_kind_names[0]); i++) {
        if (!strcmp(word, node_kind_names[i])) {
            *kind = (enum sm_node_kind)i;
            return 0;
        }
    }
    return -1;
}

const char *sm_edge_kind_name(enum sm_edge_kind kind)
{
    if ((unsigned)kind < sizeof(edge_kind_names) / sizeof(edge_kind_names[0]))
        return edge_kind_names[kind];
    return "rpc";
}

int sm_edge_kind_parse(const char *word, enum sm_edge_kind *kind)
{
    size_t i;

    for (i = 0; i < sizeof(edge_kind_names) / sizeof(edge_kind_names[0]); i++) {
        if (!strcmp(word, edge_kind_names[i])) {
            *kind = (enum sm_edge_kind)i;
            return 0;
        }
    }
    return -1;
}

void sm_map_init(struct sm_map *m)
{
    memset(m, 0, sizeof(*m));
}

static void node_release(struct sm_node *n)
{
    free(n->id);
    free(n->name);
    free(n->namespace_);
    free(n->version);
    free(n->system);
}

static void edge_release(struct sm_edge *e)
{
    sm_sketch_release(&e->client);
    sm_sketch_release(&e->server);
}

void sm_map_release(struct sm_map *m)
{
    size_t i;

    for (i = 0; i < m->nnodes; i++)
        node_release(&m->nodes[i]);
    for (i = 0; i < m->nedges; i++)
        edge_release(&m->edges[i]);
    for (i = 0; i < m->source.nfiles; i++)
        free(m->source.files[i]);
    free(m->source.files);
    sm_why_release(m);
    free(m->nodes);
    free(m->edges);
    free(m->node_index);
    free(m->edge_index);
    sm_map_init(m);
}

static uint64_t node_hash(enum sm_node_kind kind, const char *name)
{
    return sm_hash_str(name) ^ ((uint64_t)kind * 0x9e3779b97f4a7c15ULL);
}

static uint64_t edge_hash(size_t from, size_t to, enum sm_edge_kind kind)
{
    uint64_t k[3] = {from, to, (uint64_t)kind};

    return sm_hash64(k, sizeof(k));
}

/* Index tables have a power-of-two size at least twice the number of entries; a slot
 * holds position + 1, 0 is empty. */
static void rebuild_node_index(struct sm_map *m)
{
    size_t cap = 16, i;

    while (cap < m->nnodes * 2 + 2)
        cap *= 2;
    free(m->node_index);
    m->node_index = sm_xcalloc(cap, sizeof(size_t));
    m->node_index_cap = cap;
    for (i = 0; i < m->nnodes; i++) {
        size_t slot = node_hash(m->nodes[i].kind, m->nodes[i].name) & (cap - 1);

        while (m->node_index[slot])
            slot = (slot + 1) & (cap - 1);
        m->node_index[slot] = i + 1;
    }
}

static void rebuild_edge_index(struct sm_map *m)
{
    size_t cap = 16, i;

    while (cap < m->nedges * 2 + 2)
        cap *= 2;
    free(m->edge_index);
    m->edge_index = sm_xcalloc(cap, sizeof(size_t));
    m->edge_index_cap = cap;
    for (i = 0; i < m->nedges; i++) {
        const struct sm_edge *e = &m->edges[i];
        size_t slot = edge_hash(e->from, e->to, e->kind) & (cap - 1);

        while (m->edge_index[slot])
            slot = (slot + 1) & (cap - 1);
        m->edge_index[slot] = i + 1;
    }
}

size_t sm_map_find_node(const struct sm_map *m, enum sm_node_kind kind, const char *name)
{
    size_t slot, cap = m->node_index_cap;

    if (!cap)
        return NONE;
    slot = node_hash(kind, name) & (cap - 1);
    while (m->node_index[slot]) {
        const struct sm_node *n = &m->nodes[m->node_index[slot] - 1];

        if (n->kind == kind && !strcmp(n->name, name))
            return m->node_index[slot] - 1;
        slot = (slot + 1) & (cap - 1);
    }
    return NONE;
}

size_t sm_map_find_node_id(const struct sm_map *m, const char *id)
{
    const char *colon = strchr(id, ':');
    enum sm_node_kind kind;
    char word[16];
    size_t len;

    if (!colon)
        return sm_map_find_node(m, SM_NODE_SERVICE, id);
    len = (size_t)(colon - id);
    if (len >= sizeof(word))
        return NONE;
    memcpy(word, id, len);
    word[len] = '\0';
    if (sm_node_kind_parse(word, &kind))
        return NONE;
    return sm_map_find_node(m, kind, colon + 1);
}

size_t sm_map_node(struct sm_map *m, enum sm_node_kind kind, const char *name)
{
    size_t i = sm_map_find_node(m, kind, name);
    struct sm_node *n;
    size_t idlen;

    if (i != NONE)
        return i;
    sm_grow(&m->nodes, &m->nodes_cap, m->nnodes + 1, sizeof(*m->nodes));
    i = m->nnodes++;
    n = &m->nodes[i];
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->name = sm_xstrdup(name);
    idlen = strlen(sm_node_kind_name(kind)) + 1 + strlen(name) + 1;
    n->id = sm_xmalloc(idlen);
    strcpy(n->id, sm_node_kind_name(kind));
    strcat(n->id, ":");
    strcat(n->id, name);
    if (m->nnodes * 2 + 2 > m->node_index_cap) {
        rebuild_node_index(m);
    } else {
        size_t cap = m->node_index_cap;
        size_t slot = node_hash(kind, name) & (cap - 1);

        while (m->node_index[slot])
            slot = (slot + 1) & (cap - 1);
        m->node_index[slot] = i + 1;
    }
    return i;
}

void sm_node_set_attr(char **field, const char *value)
{
    if (!*field && value && *value)
        *field = sm_xstrdup(value);
}

size_t sm_map_find_edge(const struct sm_map *m, size_t from, size_t to, enum sm_edge_kind kind)
{
    size_t slot, cap = m->edge_index_cap;

    if (!cap)
        return NONE;
    slot = edge_hash(from, to, kind) & (cap - 1);
    while (m->edge_index[slot]) {
        const struct sm_edge *e = &m->edges[m->edge_index[slot] - 1];

        if (e->from == from && e->to == to && e->kind == kind)
            return m->edge_index[slot] - 1;
        slot = (slot + 1) & (cap - 1);
    }
    return NONE;
}

struct sm_edge *sm_map_edge(struct sm_map *m, size_t from, size_t to, enum sm_edge_kind kind)
{
    size_t i = sm_map_find_edge(m, from, to, kind);
    struct sm_edge *e;

    if (i != NONE)
        return &m->edges[i];
    sm_grow(&m->edges, &m->edges_cap, m->nedges + 1, sizeof(*m->edges));
    i = m->nedges++;
    e = &m->edges[i];
    memset(e, 0, sizeof(*e));
    e->from = from;
    e->to = to;
    e->kind = kind;
    sm_sketch_init(&e->client);
    sm_sketch_init(&e->server);
    if (m->nedges * 2 + 2 > m->edge_index_cap) {
        rebuild_edge_index(m);
    } else {
        size_t cap = m->edge_index_cap;
        size_t slot = edge_hash(from, to, kind) & (cap - 1);

        while (m->edge_index[slot])
            slot = (slot + 1) & (cap - 1);
        m->edge_index[slot] = i + 1;
    }
    return e;
}

void sm_map_add_file(struct sm_map *m, const char *path)
{
    size_t i;

    for (i = 0; i < m->source.nfiles; i++) {
        if (!strcmp(m->source.files[i], path))
            return;
    }
    m->source.files = sm_xrealloc(m->source.files, (m->source.nfiles + 1) * sizeof(char *));
    m->source.files[m->source.nfiles++] = sm_xstrdup(path);
}

/* An approximate sketch of the values a summary describes: one value at min, one at
 * max, the rest spread evenly between the quantiles around them (half between min and
 * p50, 40 % between p50 and p90, ...), and the sum taken from the mean. Used only for a
 * merge that cannot be exact; the edge is then marked latency_estimated. */
static void sketch_from_summary(struct sm_sketch *out, const struct sm_latency_summary *s)
{
    enum { SLICES = 8 };
    const double q[6] = {0.0, 0.50, 0.90, 0.95, 0.99, 1.0};
    const double v[6] = {s->min, s->p50, s->p90, s->p95, s->p99, s->max};
    uint64_t rest, placed = 0;
    double mean_ns;

    sm_sketch_add(out, s->min);
    if (s->count < 2)
        return;
    sm_sketch_add(out, s->max);
    rest = s->count - 2;
    /* Cumulative rounding, so that the slices add up to rest exactly. */
    for (int k = 0; k < 5; k++) {
        for (int j = 0; j < SLICES; j++) {
            double upto = q[k] + (q[k + 1] - q[k]) * (double)(j + 1) / SLICES;
            uint64_t cum = k == 4 && j == SLICES - 1 ? rest : (uint64_t)((double)rest * upto);
            double value = v[k] + (v[k + 1] - v[k]) * ((double)j + 0.5) / SLICES;

            if (cum > rest)
                cum = rest;
            if (cum > placed) {
                sm_sketch_add_n(out, value, cum - placed);
                placed = cum;
            }
        }
    }
    mean_ns = s->mean * 1e6 * (double)out->count;
    if (isfinite(mean_ns) && mean_ns >= 0.0)
        out->sum_ns = mean_ns >= (double)SM_COUNT_MAX ? SM_COUNT_MAX : (uint64_t)llround(mean_ns);
}

/* Merges one latency side of src into dst. A side's figures are its sketch when it has
 * one, else its summary. Sketch into sketch is exact; into an empty side, a copy; any
 * other pair goes through sketch_from_summary and returns true (estimated). */
static bool merge_side(struct sm_sketch *dsk, struct sm_latency_summary *dsum,
                       const struct sm_sketch *ssk, const struct sm_latency_summary *ssum)
{
    struct sm_sketch tmp;

    if (ssk->count == 0 && ssum->count == 0)
        return false;
    if (dsk->count == 0 && dsum->count == 0) {
        sm_sketch_merge(dsk, ssk);
        *dsum = *ssum;
        return false;
    }
    if (dsk->count > 0 && ssk->count > 0) {
        sm_sketch_merge(dsk, ssk);
        return false;
    }
    if (dsk->count == 0) {
        sketch_from_summary(dsk, dsum);
        memset(dsum, 0, sizeof(*dsum));
    }
    if (ssk->count > 0) {
        sm_sketch_merge(dsk, ssk);
    } else {
        sm_sketch_init(&tmp);
        sketch_from_summary(&tmp, ssum);
        sm_sketch_merge(dsk, &tmp);
        sm_sketch_release(&tmp);
    }
    return true;
}

unsigned sm_edge_merge(struct sm_edge *d, const struct sm_edge *s)
{
    unsigned estimated = 0;

    d->calls = sm_count_add(d->calls, s->calls);
    d->errors = sm_count_add(d->errors, s->errors);
    estimated += merge_side(&d->client, &d->client_summary, &s->client, &s->client_summary);
    estimated += merge_side(&d->server, &d->server_summary, &s->server, &s->server_summary);
    d->latency_estimated = d->latency_estimated || s->latency_estimated || estimated;
    return estimated;
}

void sm_map_merge(struct sm_map *dst, const struct sm_map *src)
{
    size_t *node_map = sm_xmalloc((src->nnodes ? src->nnodes : 1) * sizeof(size_t));
    size_t i;

    for (i = 0; i < src->nnodes; i++) {
        const struct sm_node *s = &src->nodes[i];
        struct sm_node *d;

        node_map[i] = sm_map_node(dst, s->kind, s->name);
        d = &dst->nodes[node_map[i]];
        sm_node_set_attr(&d->namespace_, s->namespace_);
        sm_node_set_attr(&d->version, s->version);
        sm_node_set_attr(&d->system, s->system);
        d->entry_calls = sm_count_add(d->entry_calls, s->entry_calls);
    }
    for (i = 0; i < src->nedges; i++) {
        const struct sm_edge *s = &src->edges[i];
        struct sm_edge *d = sm_map_edge(dst, node_map[s->from], node_map[s->to], s->kind);

        dst->source.estimated_merges =
            sm_count_add(dst->source.estimated_merges, sm_edge_merge(d, s));
    }
    for (i = 0; i < src->source.nfiles; i++)
        sm_map_add_file(dst, src->source.files[i]);
    dst->source.formats |= src->source.formats;
    dst->source.spans = sm_count_add(dst->source.spans, src->source.spans);
    dst->source.traces = sm_count_add(dst->source.traces, src->source.traces);
    dst->source.skipped_records =
        sm_count_add(dst->source.skipped_records, src->source.skipped_records);
    dst->source.skipped_spans = sm_count_add(dst->source.skipped_spans, src->source.skipped_spans);
    dst->source.ignored_records =
        sm_count_add(dst->source.ignored_records, src->source.ignored_records);
    dst->source.unresolved_calls =
        sm_count_add(dst->source.unresolved_calls, src->source.unresolved_calls);
    dst->source.late_spans = sm_count_add(dst->source.late_spans, src->source.late_spans);
    dst->source.estimated_merges =
        sm_count_add(dst->source.estimated_merges, src->source.estimated_merges);
    if (src->source.start_ns &&
        (!dst->source.start_ns || src->source.start_ns < dst->source.start_ns))
        dst->source.start_ns = src->source.start_ns;
    if (src->source.end_ns > dst->source.end_ns)
        dst->source.end_ns = src->source.end_ns;
    sm_why_merge(dst, src);
    free(node_map);
}

/* qsort has no context argument in C11: sort an array of positions against a map
 * held in a file-scope pointer, used only for the duration of one sort call. */
static const struct sm_map *sort_map;

static int cmp_node_pos(const void *a, const void *b)
{
    const struct sm_node *x = &sort_map->nodes[*(const size_t *)a];
    const struct sm_node *y = &sort_map->nodes[*(const size_t *)b];

    return strcmp(x->id, y->id);
}

static int cmp_edge(const void *a, const void *b)
{
    const struct sm_edge *x = a, *y = b;
    int c = strcmp(sort_map->nodes[x->from].id, sort_map->nodes[y->from].id);

    if (c)
        return c;
    c = strcmp(sort_map->nodes[x->to].id, sort_map->nodes[y->to].id);
    if (c)
        return c;
    return strcmp(sm_edge_kind_name(x->kind), sm_edge_kind_name(y->kind));
}

void sm_map_sort(struct sm_map *m)
{
    size_t *order, *rank, i;
    struct sm_node *nodes;

    sm_why_sort(m);
    if (m->nnodes == 0)
        return;
    order = sm_xmalloc(m->nnodes * sizeof(size_t));
    rank = sm_xmalloc(m->nnodes * sizeof(size_t));
    for (i = 0; i < m->nnodes; i++)
        order[i] = i;
    sort_map = m;
    qsort(order, m->nnodes, sizeof(size_t), cmp_node_pos);
    nodes = sm_xmalloc(m->nnodes * sizeof(*nodes));
    for (i = 0; i < m->nnodes; i++) {
        nodes[i] = m->nodes[order[i]];
        rank[order[i]] = i;
    }
    free(m->nodes);
    m->nodes = nodes;
    m->nodes_cap = m->nnodes;
    for (i = 0; i < m->nedges; i++) {
        m->edges[i].from = rank[m->edges[i].from];
        m->edges[i].to = rank[m->edges[i].to];
    }
    sort_map = m;
    if (m->nedges > 1) /* edges is NULL in a map without edges */
        qsort(m->edges, m->nedges, sizeof(*m->edges), cmp_edge);
    sort_map = NULL;
    free(order);
    free(rank);
    rebuild_node_index(m);
    rebuild_edge_index(m);
}

void sm_map_retain(struct sm_map *m, const bool *keep_node, const bool *keep_edge)
{
    size_t *newpos = sm_xmalloc((m->nnodes ? m->nnodes : 1) * sizeof(size_t));
    size_t i, n = 0, ne = 0;

    for (i = 0; i < m->nnodes; i++) {
        if (keep_node[i]) {
            newpos[i] = n;
            m->nodes[n++] = m->nodes[i];
        } else {
            newpos[i] = NONE;
            node_release(&m->nodes[i]);
        }
    }
    for (i = 0; i < m->nedges; i++) {
        struct sm_edge *e = &m->edges[i];
        bool keep =
            newpos[e->from] != NONE && newpos[e->to] != NONE && (!keep_edge || keep_edge[i]);

        if (keep) {
            e->from = newpos[e->from];
            e->to = newpos[e->to];
            m->edges[ne++] = *e;
        } else {
            edge_release(e);
        }
    }
    m->nnodes = n;
    m->nedges = ne;
    free(newpos);
    rebuild_node_index(m);
    rebuild_edge_index(m);
}

double sm_edge_error_rate(const struct sm_edge *e)
{
    if (!e->calls)
        return 0.0;
    return (double)e->errors / (double)e->calls;
}

bool sm_edge_latency(const struct sm_edge *e, enum sm_side side, struct sm_latency_summary *out)
{
    const struct sm_sketch *sk = side == SM_SIDE_CLIENT ? &e->client : &e->server;
    const struct sm_latency_summary *sum =
        side == SM_SIDE_CLIENT ? &e->client_summary : &e->server_summary;

    memset(out, 0, sizeof(*out));
    if (sk->count) {
        out->count = sk->count;
        out->min = sk->min;
        out->max = sk->max;
        out->mean = sm_sketch_mean(sk);
        out->p50 = sm_sketch_quantile(sk, 0.50);
        out->p90 = sm_sketch_quantile(sk, 0.90);
        out->p95 = sm_sketch_quantile(sk, 0.95);
        out->p99 = sm_sketch_quantile(sk, 0.99);
        return true;
    }
    if (sum->count) {
        *out = *sum;
        return true;
    }
    return false;
}
