/* why.c: the per-entry critical-path model of a map: entries, contributors, edges.
 *
 * Entries are a small array found by a linear scan (a map has a few entry points). An
 * entry's contributors, edges and stacks are arrays in the order they were added, found
 * through a hash index of their positions (an entry can have thousands of peers: a scan
 * per lookup made adding them quadratic); sm_why_sort puts them in the canonical order
 * that the map document prints and drops the index, which is rebuilt on the next lookup. Every
 * count and sum is an integer added with sm_count_add and every sketch merges exactly, so merging
 * entries in any order gives the same entry.
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

/* Positions + 1 (0: empty) of one array of an entry, open addressing with linear
 * probing; holds the first `covered` elements, at most half full. */
struct ix_table {
    size_t *slots;
    size_t nslots, covered;
};

struct sm_why_index {
    struct ix_table parts, edges, stacks;
};

/* FNV-1a over a string, continuing from h. */
static uint64_t hash_str(uint64_t h, const char *s)
{
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3u;
    }
    return h;
}

#define HASH_SEED 0xcbf29ce484222325u

static uint64_t hash_part(const char *id, enum sm_why_kind kind)
{
    return hash_str(HASH_SEED ^ (uint64_t)kind, id);
}

static uint64_t hash_edge(const char *from, const char *to)
{
    /* the byte 0x01 between the two keeps ("ab", "c") and ("a", "bc") apart */
    return hash_str(hash_str(hash_str(HASH_SEED, from), "\x01"), to);
}

static uint64_t hash_stack(const char *path)
{
    return hash_str(HASH_SEED, path);
}

/* The hash of element i of the array the table indexes. */
typedef uint64_t (*hash_at_fn)(const struct sm_why_entry *e, size_t i);

static uint64_t part_hash_at(const struct sm_why_entry *e, size_t i)
{
    return hash_part(e->parts[i].id, e->parts[i].kind);
}

static uint64_t edge_hash_at(const struct sm_why_entry *e, size_t i)
{
    return hash_edge(e->edges[i].from, e->edges[i].to);
}

static uint64_t stack_hash_at(const struct sm_why_entry *e, size_t i)
{
    return hash_stack(e->stacks[i].path);
}

static void ix_insert(struct ix_table *t, uint64_t h, size_t pos)
{
    size_t i = (size_t)h & (t->nslots - 1);

    while (t->slots[i])
        i = (i + 1) & (t->nslots - 1);
    t->slots[i] = pos + 1;
}

/* Brings t up to the first n elements of its array (elements are only appended between
 * sorts), with room for one more while at most half full. */
static void ix_sync(struct ix_table *t, const struct sm_why_entry *e, size_t n, hash_at_fn hash_at)
{
    size_t i;

    if (t->covered > n) {
        /* shortened behind the index's back: start again */
        memset(t->slots, 0, t->nslots * sizeof(*t->slots));
        t->covered = 0;
    }
    if (t->nslots < 2 * (n + 1)) {
        size_t want = 16;

        while (want < 2 * (n + 1))
            want *= 2;
        free(t->slots);
        t->slots = sm_xcalloc(want, sizeof(*t->slots));
        t->nslots = want;
        t->covered = 0;
    }
    for (i = t->covered; i < n; i++)
        ix_insert(t, hash_at(e, i), i);
    t->covered = n;
}

static struct sm_why_index *index_of(struct sm_why_entry *e)
{
    if (!e->index)
        e->index = sm_xcalloc(1, sizeof(*e->index));
    return e->index;
}

static void index_free(struct sm_why_entry *e)
{
    if (!e->index)
        return;
    free(e->index->parts.slots);
    free(e->index->edges.slots);
    free(e->index->stacks.slots);
    free(e->index);
    e->index = NULL;
}

/* The slots of t to probe for hash h: start at first, go on with next_slot until an
 * empty one (where a new element goes). */
static size_t first_slot(const struct ix_table *t, uint64_t h)
{
    return (size_t)h & (t->nslots - 1);
}

static size_t next_slot(const struct ix_table *t, size_t i)
{
    return (i + 1) & (t->nslots - 1);
}

struct sm_why_part *sm_why_part(struct sm_why_entry *e, const char *id, enum sm_why_kind kind)
{
    struct ix_table *t = &index_of(e)->parts;
    struct sm_why_part *p;
    size_t i;

    ix_sync(t, e, e->nparts, part_hash_at);
    for (i = first_slot(t, hash_part(id, kind)); t->slots[i]; i = next_slot(t, i)) {
        p = &e->parts[t->slots[i] - 1];
        if (p->kind == kind && !strcmp(p->id, id))
            return p;
    }
    sm_grow(&e->parts, &e->parts_cap, e->nparts + 1, sizeof(*e->parts));
    t->slots[i] = e->nparts + 1;
    t->covered = e->nparts + 1;
    p = &e->parts[e->nparts++];
    memset(p, 0, sizeof(*p));
    p->id = sm_xstrdup(id);
    p->kind = kind;
    p->share = new_sketch();
    return p;
}

struct sm_why_edge *sm_why_edge(struct sm_why_entry *e, const char *from, const char *to)
{
    struct ix_table *t = &index_of(e)->edges;
    struct sm_why_edge *w;
    size_t i;

    ix_sync(t, e, e->nedges, edge_hash_at);
    for (i = first_slot(t, hash_edge(from, to)); t->slots[i]; i = next_slot(t, i)) {
        w = &e->edges[t->slots[i] - 1];
        if (!strcmp(w->from, from) && !strcmp(w->to, to))
            return w;
    }
    sm_grow(&e->edges, &e->edges_cap, e->nedges + 1, sizeof(*e->edges));
    t->slots[i] = e->nedges + 1;
    t->covered = e->nedges + 1;
    w = &e->edges[e->nedges++];
    memset(w, 0, sizeof(*w));
    w->from = sm_xstrdup(from);
    w->to = sm_xstrdup(to);
    return w;
}

struct sm_why_stack *sm_why_stack(struct sm_why_entry *e, const char *path)
{
    struct ix_table *t = &index_of(e)->stacks;
    struct sm_why_stack *s;
    size_t i;

    ix_sync(t, e, e->nstacks, stack_hash_at);
    for (i = first_slot(t, hash_stack(path)); t->slots[i]; i = next_slot(t, i)) {
        s = &e->stacks[t->slots[i] - 1];
        if (!strcmp(s->path, path))
            return s;
    }
    sm_grow(&e->stacks, &e->stacks_cap, e->nstacks + 1, sizeof(*e->stacks));
    t->slots[i] = e->nstacks + 1;
    t->covered = e->nstacks + 1;
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

        index_free(e);
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
    index_free(e);
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
