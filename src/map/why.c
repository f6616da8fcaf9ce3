/* why.c: the per-entry critical-path model of a map: entries, contributors, edges.
 *
 * Entries, their contributors and their edges are small arrays found by a linear scan
 * (a map has a few entry points, an entry a few dozen contributors); sm_why_sort puts
 * them in the canonical order that the map document prints. Every count and sum is an
 * integer added with sm_count_add and every sketch merges exactly, so merging entries in
 * any order gives the same entry.
 */
#include "svcmap/why.h"

#include <stdlib.h>
#include <string.h>

const char *sm_why_kind_name(enum sm_why_kind kind)
{
    return kind == SM_WHY_WIRE ? "wire" : "node";
}

int sm_why_kind_parse(const char *word, enum sm_why_kind *kind)
{
    if (!strcmp(word, "node"))
        *kind = SM_WHY_NODE;
    else if (!strcmp(word, "wire"))
        *kind = SM_WHY_WIRE;
    else
        return -1;
    return 0;
}

double sm_why_share(uint64_t critical_ns, uint64_t total_ns)
{
    if (!total_ns)
        return 0.0;
    return (double)critical_ns / (double)total_ns;
}

double sm_why_share_quantile(const struct sm_why_part *part, double q)
{
    double v = sm_sketch_quantile(part->share, q);

    return v > 1.0 ? 1.0 : v;
}

bool sm_why_latency(const struct sm_why_entry *e, struct sm_latency_summary *out)
{
    const struct sm_sketch *sk = e->latency;

    memset(out, 0, sizeof(*out));
    if (!sk || !sk->count)
        return false;
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

static struct sm_sketch *new_sketch(void)
{
    struct sm_sketch *s = sm_xmalloc(sizeof(*s));

    sm_sketch_init(s);
    return s;
}

static void free_sketch(struct sm_sketch *s)
{
    if (!s)
        return;
    sm_sketch_release(s);
    free(s);
}

static bool same_operation(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

const struct sm_why_entry *sm_why_find(const struct sm_map *m, const char *entry,
                                       const char *operation)
{
    for (size_t i = 0; i < m->nwhy; i++) {
        if (!strcmp(m->why[i].entry, entry) && same_operation(m->why[i].operation, operation))
            return &m->why[i];
    }
    return NULL;
}

struct sm_why_entry *sm_why_entry(struct sm_map *m, const char *entry, const char *operation)
{
    struct sm_why_entry *e = (struct sm_why_entry *)sm_why_find(m, entry, operation);

    if (e)
        return e;
    sm_grow(&m->why, &m->why_cap, m->nwhy + 1, sizeof(*m->why));
    e = &m->why[m->nwhy++];
    memset(e, 0, sizeof(*e));
    e->entry = sm_xstrdup(entry);
    e->operation = operation ? sm_xstrdup(operation) : NULL;
    e->latency = new_sketch();
    return e;
}

struct sm_why_part *sm_why_part(struct sm_why_entry *e, const char *id, enum sm_why_kind kind)
{
    struct sm_why_part *p;

    for (size_t i = 0; i < e->nparts; i++) {
        if (e->parts[i].kind == kind && !strcmp(e->parts[i].id, id))
            return &e->parts[i];
    }
    sm_grow(&e->parts, &e->parts_cap, e->nparts + 1, sizeof(*e->parts));
    p = &e->parts[e->nparts++];
    memset(p, 0, sizeof(*p));
    p->id = sm_xstrdup(id);
    p->kind = kind;
    p->share = new_sketch();
    return p;
}

struct sm_why_edge *sm_why_edge(struct sm_why_entry *e, const char *from, const char *to)
{
    struct sm_why_edge *w;

    for (size_t i = 0; i < e->nedges; i++) {
        if (!strcmp(e->edges[i].from, from) && !strcmp(e->edges[i].to, to))
            return &e->edges[i];
    }
    sm_grow(&e->edges, &e->edges_cap, e->nedges + 1, sizeof(*e->edges));
    w = &e->edges[e->nedges++];
    memset(w, 0, sizeof(*w));
    w->from = sm_xstrdup(from);
    w->to = sm_xstrdup(to);
    return w;
}

struct sm_why_stack *sm_why_stack(struct sm_why_entry *e, const char *path)
{
    struct sm_why_stack *s;

    for (size_t i = 0; i < e->nstacks; i++) {
        if (!strcmp(e->stacks[i].path, path))
            return &e->stacks[i];
    }
    sm_grow(&e->stacks, &e->stacks_cap, e->nstacks + 1, sizeof(*e->stacks));
    s = &e->stacks[e->nstacks++];
    s->path = sm_xstrdup(path);
    s->critical_ns = 0;
    return s;
}

void sm_why_entry_complete(struct sm_why_entry *e)
{
    for (size_t i = 0; i < e->nparts; i++) {
        struct sm_sketch *s = e->parts[i].share;

        if (s->count < e->traces)
            sm_sketch_add_n(s, 0.0, e->traces - s->count);
    }
}

void sm_why_entry_merge(struct sm_why_entry *dst, const struct sm_why_entry *src)
{
    uint64_t dst_traces = dst->traces;
    size_t i, old_parts = dst->nparts;
    bool *seen = sm_xcalloc(old_parts ? old_parts : 1, sizeof(bool));

    for (i = 0; i < src->nparts; i++) {
        const struct sm_why_part *s = &src->parts[i];
        size_t before = dst->nparts;
        struct sm_why_part *d = sm_why_part(dst, s->id, s->kind);

        if (dst->nparts > before) {
            /* new on this side: absent from every trace dst had */
            sm_sketch_add_n(d->share, 0.0, dst_traces);
        } else {
            seen[d - dst->parts] = true;
        }
        d->critical_ns = sm_count_add(d->critical_ns, s->critical_ns);
        sm_sketch_merge(d->share, s->share);
    }
    for (i = 0; i < old_parts; i++) {
        /* absent from every trace src had */
        if (!seen[i])
            sm_sketch_add_n(dst->parts[i].share, 0.0, src->traces);
    }
    free(seen);
    for (i = 0; i < src->nedges; i++) {
        struct sm_why_edge *d = sm_why_edge(dst, src->edges[i].from, src->edges[i].to);

        d->critical_ns = sm_count_add(d->critical_ns, src->edges[i].critical_ns);
    }
    for (i = 0; i < src->nstacks; i++) {
        struct sm_why_stack *d = sm_why_stack(dst, src->stacks[i].path);

        d->critical_ns = sm_count_add(d->critical_ns, src->stacks[i].critical_ns);
    }
    dst->traces = sm_count_add(dst->traces, src->traces);
    dst->total_ns = sm_count_add(dst->total_ns, src->total_ns);
    sm_sketch_merge(dst->latency, src->latency);
}

void sm_why_merge(struct sm_map *dst, const struct sm_map *src)
{
    for (size_t i = 0; i < src->nwhy; i++) {
        const struct sm_why_entry *s = &src->why[i];

        sm_why_entry_merge(sm_why_entry(dst, s->entry, s->operation), s);
    }
}

static int cmp_entry(const void *a, const void *b)
{
    const struct sm_why_entry *x = a, *y = b;
    int c = strcmp(x->entry, y->entry);

    if (c)
        return c;
    if (!x->operation || !y->operation)
        return (x->operation != NULL) - (y->operation != NULL);
    return strcmp(x->operation, y->operation);
}

static int cmp_part(const void *a, const void *b)
{
    const struct sm_why_part *x = a, *y = b;
    int c;

    if (x->critical_ns != y->critical_ns)
        return x->critical_ns > y->critical_ns ? -1 : 1;
    c = strcmp(x->id, y->id);
    if (c)
        return c;
    return (int)x->kind - (int)y->kind;
}

static int cmp_edge(const void *a, const void *b)
{
    const struct sm_why_edge *x = a, *y = b;
    int c = strcmp(x->from, y->from);

    return c ? c : strcmp(x->to, y->to);
}

static int cmp_stack(const void *a, const void *b)
{
    return strcmp(((const struct sm_why_stack *)a)->path, ((const struct sm_why_stack *)b)->path);
}

void sm_why_sort(struct sm_map *m)
{
    if (m->nwhy > 1)
        qsort(m->why, m->nwhy, sizeof(*m->why), cmp_entry);
    for (size_t i = 0; i < m->nwhy; i++) {
        struct sm_why_entry *e = &m->why[i];

        if (e->nparts > 1)
            qsort(e->parts, e->nparts, sizeof(*e->parts), cmp_part);
        if (e->nedges > 1)
            qsort(e->edges, e->nedges, sizeof(*e->edges), cmp_edge);
        if (e->nstacks > 1)
            qsort(e->stacks, e->nstacks, sizeof(*e->stacks), cmp_stack);
    }
}

void sm_why_entry_release(struct sm_why_entry *e)
{
    size_t i;

    for (i = 0; i < e->nparts; i++) {
        free(e->parts[i].id);
        free_sketch(e->parts[i].share);
    }
    for (i = 0; i < e->nedges; i++) {
        free(e->edges[i].from);
        free(e->edges[i].to);
    }
    for (i = 0; i < e->nstacks; i++)
        free(e->stacks[i].path);
    free(e->parts);
    free(e->edges);
    free(e->stacks);
    free(e->entry);
    free(e->operation);
    free_sketch(e->latency);
    memset(e, 0, sizeof(*e));
}

void sm_why_release(struct sm_map *m)
{
    for (size_t i = 0; i < m->nwhy; i++)
        sm_why_entry_release(&m->why[i]);
    free(m->why);
    m->why = NULL;
    m->nwhy = m->why_cap = 0;
}
