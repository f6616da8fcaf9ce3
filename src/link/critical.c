/* critical.c: the critical path of every entry span, added up per entry.
 *
 * The walk (docs/critical-path.md) starts at an entry span's end and goes back in
 * time: of the span's children, clipped to the span's interval, it takes the one that
 * finishes last at or before the current point, gives the gap after it to the span,
 * walks that child the same way, and goes on from the child's start; what is left
 * before the first child taken is the span's too. It is iterative (an explicit stack of
 * frames, one per span being walked), so a chain of 200,000 spans needs no deep C
 * stack. Every section goes to the owner the linker named for the span; the sections of
 * one entry span add up to its duration exactly.
 *
 * Per trace the sections are first added up in dense arrays indexed by contributor id
 * (with a list of the ids touched, to reset them), then added to the entry: critical
 * time, one share value per contributor present, the edges of the calls walked and the
 * stacks (the frames above each section, for folded output). With keep_traces, each
 * trace's figures are also kept so that sm_crit_emit can pick an entry's slowest traces.
 *
 * Two contributors can turn out to be one map node only at the end (a peer named by a
 * "host:port" whose host is an instrumented service). Times add up at the end, but a
 * share sketch holds per-trace values, which cannot be added afterwards. So every
 * contributor that may be renamed belongs to a group (the linker names it: the host),
 * and once a group has two members, each entry also keeps a sketch of the members'
 * per-trace share added up (started from the first member's sketch: the traces before
 * the second member existed had only the first); at the end it stands for the members
 * that did become one node.
 */
#include "critical.h"

#include <stdlib.h>
#include <string.h>

#include "svcmap/why.h"

#define NODE_ONLY (-2)
/* The kind of a group key's side: the name is a group's (sm_crit_set_group). */
#define GROUP_KIND (-3)

/* Kinds -1 (the linker's "resolve at the end") to 6 have node_ids tables. */
#define NODE_CACHE_KINDS 8
/* Names are the linker's interned ids, dense from 1: larger ones go uncached. */
#define NODE_CACHE_NAMES ((uint32_t)1 << 24)

/* A contributor: a node (to_kind NODE_ONLY) or a wire/edge from -> to. */
struct key {
    int from_kind;
    uint32_t from;
    int to_kind;
    uint32_t to;
};

/* u32 -> index, open addressing; keys stored + 1 so that 0 is empty. */
struct idmap {
    uint32_t *keys;
    uint32_t *vals;
    size_t nslots, len;
};

static uint32_t idmap_get(const struct idmap *m, uint32_t key)
{
    size_t i;

    if (!m->nslots)
        return SM_CRIT_NONE;
    i = (key * 2654435761u) & (m->nslots - 1);
    while (m->keys[i]) {
        if (m->keys[i] == key + 1)
            return m->vals[i];
        i = (i + 1) & (m->nslots - 1);
    }
    return SM_CRIT_NONE;
}

static void idmap_put(struct idmap *m, uint32_t key, uint32_t val)
{
    size_t i;

    if ((m->len + 1) * 2 >= m->nslots) {
        size_t n = m->nslots ? m->nslots * 2 : 16;
        uint32_t *keys = sm_xcalloc(n, sizeof(uint32_t)), *vals = sm_xcalloc(n, sizeof(uint32_t));

        for (i = 0; i < m->nslots; i++) {
            size_t j;

            if (!m->keys[i])
                continue;
            j = ((m->keys[i] - 1) * 2654435761u) & (n - 1);
            while (keys[j])
                j = (j + 1) & (n - 1);
            keys[j] = m->keys[i];
            vals[j] = m->vals[i];
        }
        free(m->keys);
        free(m->vals);
        m->keys = keys;
        m->vals = vals;
        m->nslots = n;
    }
    i = (key * 2654435761u) & (m->nslots - 1);
    while (m->keys[i])
        i = (i + 1) & (m->nslots - 1);
    m->keys[i] = key + 1;
    m->vals[i] = val;
    m->len++;
}

static void idmap_release(struct idmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof(*m));
}

/* One contributor, edge or stack of one entry (or group of contributors: id is then the
 * group key's). */
struct slot {
    uint32_t id;
    uint64_t ns;
    struct sm_sketch share; /* parts only */
};

struct entry {
    uint32_t service, op;
    uint64_t traces, total_ns;
    struct sm_sketch latency;
    struct slot *parts, *edges, *stacks, *groups;
    size_t nparts, parts_cap, nedges, edges_cap, nstacks, stacks_cap, ngroups, groups_cap;
    struct idmap part_ix, edge_ix, stack_ix, group_ix;
    /* keep_traces: indexes into sm_crit.kept */
    size_t *traces_kept;
    size_t nkept, kept_cap;
};

/* One walked trace's figures (keep_traces): its pieces are kept[first .. first + n) of
 * pool, parts first, then edges, then stacks. */
struct kept {
    int64_t duration_ns;
    size_t first;
    uint32_t nparts, nedges, nstacks;
};

struct piece {
    uint32_t id;
    uint64_t ns;
};

/* Per-trace sums, indexed by id, with the ids touched. */
struct acc {
    uint64_t *ns;
    size_t cap;
    uint32_t *touched;
    size_t ntouched, touched_cap;
};

struct frame {
    size_t span;
    int64_t lo, hi, cur;
    size_t kids_at, nkids, pos;
    uint64_t walked_at;
    bool pushed_frame; /* whether this span added a frame to the path */
    /* the owner of the span's sections and their stack, the same for every section of
     * the frame (the path below it does not change while it is on top): found at its
     * first section, SM_CRIT_NONE before */
    bool named;
    uint32_t owner, stack;
};

struct sm_crit {
    bool keep;
    struct key *keys;
    size_t nkeys, keys_cap;
    /* per key: its group key (SM_CRIT_NONE: none); per group key: its first member and
     * whether it has more than one */
    uint32_t *key_group, *group_first;
    bool *group_multi;
    size_t group_arrays_cap;
    uint32_t (*group_of)(void *ctx, int kind, uint32_t name);
    void *group_ctx;
    uint32_t *key_slots; /* index + 1 */
    size_t nkey_slots;
    /* node keys of the usual kinds (NODE_CACHE_KINDS from -1) by name: id + 1, 0 unknown;
     * a span names one or two, so the table skips the hashing */
    uint32_t *node_ids[NODE_CACHE_KINDS];
    size_t node_ids_cap[NODE_CACHE_KINDS];
    /* while emitting: each key's text, made on first use (a key is in many stacks) */
    char **key_texts;
    /* stacks: sequences of contributor ids, interned */
    uint32_t *stack_pool;
    size_t stack_pool_len, stack_pool_cap;
    size_t *stack_at, *stack_len;
    size_t nstacks, stacks_cap;
    uint32_t *stack_slots; /* index + 1 */
    size_t nstack_slots;
    struct entry *entries;
    size_t nentries, entries_cap;
    struct kept *kept;
    size_t nkept, kept_cap;
    struct piece *pool;
    size_t npool, pool_cap;
    /* scratch for one trace */
    struct acc parts, edges, stacks, groups;
    size_t *child_start, *children, *kids;
    struct frame *frames;
    uint32_t *path;
    size_t scratch_cap;
};

struct sm_crit *sm_crit_new(bool keep_traces)
{
    struct sm_crit *c = sm_xcalloc(1, sizeof(*c));

    c->keep = keep_traces;
    return c;
}

void sm_crit_set_group(struct sm_crit *c, uint32_t (*group_of)(void *ctx, int kind, uint32_t name),
                       void *ctx)
{
    c->group_of = group_of;
    c->group_ctx = ctx;
}

static void entry_release(struct entry *e)
{
    for (size_t i = 0; i < e->nparts; i++)
        sm_sketch_release(&e->parts[i].share);
    for (size_t i = 0; i < e->ngroups; i++)
        sm_sketch_release(&e->groups[i].share);
    sm_sketch_release(&e->latency);
    free(e->parts);
    free(e->edges);
    free(e->stacks);
    free(e->groups);
    idmap_release(&e->part_ix);
    idmap_release(&e->edge_ix);
    idmap_release(&e->stack_ix);
    idmap_release(&e->group_ix);
    free(e->traces_kept);
}

void sm_crit_free(struct sm_crit *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nentries; i++)
        entry_release(&c->entries[i]);
    free(c->entries);
    free(c->keys);
    free(c->key_group);
    free(c->group_first);
    free(c->group_multi);
    free(c->key_slots);
    for (size_t i = 0; i < NODE_CACHE_KINDS; i++)
        free(c->node_ids[i]);
    free(c->stack_pool);
    free(c->stack_at);
    free(c->stack_len);
    free(c->stack_slots);
    free(c->kept);
    free(c->pool);
    free(c->parts.ns);
    free(c->parts.touched);
    free(c->edges.ns);
    free(c->edges.touched);
    free(c->stacks.ns);
    free(c->stacks.touched);
    free(c->groups.ns);
    free(c->groups.touched);
    free(c->child_start);
    free(c->children);
    free(c->kids);
    free(c->frames);
    free(c->path);
    free(c);
}

size_t sm_crit_kept_bytes(const struct sm_crit *c)
{
    return c->nkept * sizeof(struct kept) + c->npool * sizeof(struct piece) +
           c->nkept * sizeof(size_t);
}

/* ---- contributors and stacks ---- */

/* Hashes only place keys and stacks in their tables (ids are handed out in order of
 * first use), so they mix whole numbers rather than bytes: a key and every stack of a
 * section is hashed once per section walked. */
static uint64_t key_hash(const struct key *k)
{
    uint64_t names = ((uint64_t)k->from << 32) | k->to;
    uint64_t kinds = ((uint64_t)(uint32_t)k->from_kind << 32) | (uint32_t)k->to_kind;

    return sm_mix64(names ^ sm_mix64(kinds));
}

static uint64_t stack_hash(const uint32_t *ids, size_t n)
{
    uint64_t h = n;
    size_t i = 0;

    for (; i + 1 < n; i += 2)
        h = (h ^ (((uint64_t)ids[i] << 32) | ids[i + 1])) * 0x9e3779b97f4a7c15ULL;
    if (i < n)
        h = (h ^ ids[i]) * 0x9e3779b97f4a7c15ULL;
    return sm_mix64(h);
}

static uint32_t key_id(struct sm_crit *c, const struct key *k)
{
    size_t i;

    if ((c->nkeys + 1) * 2 >= c->nkey_slots) {
        size_t n = c->nkey_slots ? c->nkey_slots * 2 : 64;

        free(c->key_slots);
        c->key_slots = sm_xcalloc(n, sizeof(uint32_t));
        c->nkey_slots = n;
        for (i = 0; i < c->nkeys; i++) {
            size_t j = key_hash(&c->keys[i]) & (n - 1);

            while (c->key_slots[j])
                j = (j + 1) & (n - 1);
            c->key_slots[j] = (uint32_t)i + 1;
        }
    }
    i = key_hash(k) & (c->nkey_slots - 1);
    while (c->key_slots[i]) {
        const struct key *o = &c->keys[c->key_slots[i] - 1];

        if (o->from_kind == k->from_kind && o->from == k->from && o->to_kind == k->to_kind &&
            o->to == k->to)
            return c->key_slots[i] - 1;
        i = (i + 1) & (c->nkey_slots - 1);
    }
    sm_grow(&c->keys, &c->keys_cap, c->nkeys + 1, sizeof(*c->keys));
    c->keys[c->nkeys] = *k;
    c->key_slots[i] = (uint32_t)c->nkeys + 1;
    return (uint32_t)c->nkeys++;
}

static void note_group(struct sm_crit *c, uint32_t id);

/* The id of key k, noting the group of a key new to c. */
static uint32_t new_key_id(struct sm_crit *c, const struct key *k)
{
    size_t before = c->nkeys;
    uint32_t id = key_id(c, k);

    if (c->nkeys > before)
        note_group(c, id);
    return id;
}

uint32_t sm_crit_node(struct sm_crit *c, int kind, uint32_t name)
{
    struct key k = {kind, name, NODE_ONLY, 0};
    size_t slot = (size_t)(kind + 1);
    uint32_t id;

    if (kind < -1 || slot >= NODE_CACHE_KINDS || name >= NODE_CACHE_NAMES)
        return new_key_id(c, &k);
    if (name < c->node_ids_cap[slot] && c->node_ids[slot][name])
        return c->node_ids[slot][name] - 1;
    id = new_key_id(c, &k);
    if (name >= c->node_ids_cap[slot]) {
        size_t old = c->node_ids_cap[slot], n = old ? old : 64;

        while (n <= name)
            n *= 2;
        c->node_ids[slot] = sm_xrealloc(c->node_ids[slot], n * sizeof(uint32_t));
        memset(c->node_ids[slot] + old, 0, (n - old) * sizeof(uint32_t));
        c->node_ids_cap[slot] = n;
    }
    c->node_ids[slot][name] = id + 1;
    return id;
}

uint32_t sm_crit_wire(struct sm_crit *c, int from_kind, uint32_t from, int to_kind, uint32_t to)
{
    struct key k = {from_kind, from, to_kind, to};

    return new_key_id(c, &k);
}

static uint32_t stack_id(struct sm_crit *c, const uint32_t *ids, size_t n)
{
    uint64_t h = stack_hash(ids, n);
    size_t i;

    if ((c->nstacks + 1) * 2 >= c->nstack_slots) {
        size_t m = c->nstack_slots ? c->nstack_slots * 2 : 64;

        free(c->stack_slots);
        c->stack_slots = sm_xcalloc(m, sizeof(uint32_t));
        c->nstack_slots = m;
        for (i = 0; i < c->nstacks; i++) {
            size_t j = stack_hash(c->stack_pool + c->stack_at[i], c->stack_len[i]) & (m - 1);

            while (c->stack_slots[j])
                j = (j + 1) & (m - 1);
            c->stack_slots[j] = (uint32_t)i + 1;
        }
    }
    i = h & (c->nstack_slots - 1);
    while (c->stack_slots[i]) {
        size_t s = c->stack_slots[i] - 1;

        if (c->stack_len[s] == n &&
            !memcmp(c->stack_pool + c->stack_at[s], ids, n * sizeof(uint32_t)))
            return (uint32_t)s;
        i = (i + 1) & (c->nstack_slots - 1);
    }
    sm_grow(&c->stack_pool, &c->stack_pool_cap, c->stack_pool_len + n, sizeof(uint32_t));
    memcpy(c->stack_pool + c->stack_pool_len, ids, n * sizeof(uint32_t));
    sm_grow(&c->stack_at, &c->stacks_cap, c->nstacks + 1, sizeof(size_t));
    c->stack_len = sm_xrealloc(c->stack_len, c->stacks_cap * sizeof(size_t));
    c->stack_at[c->nstacks] = c->stack_pool_len;
    c->stack_len[c->nstacks] = n;
    c->stack_pool_len += n;
    c->stack_slots[i] = (uint32_t)c->nstacks + 1;
    return (uint32_t)c->nstacks++;
}

/* ---- per-trace sums ---- */

static void acc_grow(struct acc *a, uint32_t id)
{
    size_t old = a->cap, n = old ? old : 64;

    while (n <= id)
        n *= 2;
    a->ns = sm_xrealloc(a->ns, n * sizeof(uint64_t));
    memset(a->ns + old, 0, (n - old) * sizeof(uint64_t));
    a->cap = n;
}

/* Every section adds to two sums: inline, with the growing out of the way. */
static inline void acc_add(struct acc *a, uint32_t id, uint64_t ns)
{
    if (id >= a->cap)
        acc_grow(a, id);
    if (!a->ns[id]) {
        if (a->ntouched == a->touched_cap)
            sm_grow(&a->touched, &a->touched_cap, a->ntouched + 1, sizeof(uint32_t));
        a->touched[a->ntouched++] = id;
    }
    a->ns[id] = sm_count_add(a->ns[id], ns);
}

static void acc_reset(struct acc *a)
{
    for (size_t i = 0; i < a->ntouched; i++)
        a->ns[a->touched[i]] = 0;
    a->ntouched = 0;
}

static struct entry *entry_of(struct sm_crit *c, uint32_t service, uint32_t op)
{
    struct entry *e;

    for (size_t i = 0; i < c->nentries; i++) {
        if (c->entries[i].service == service && c->entries[i].op == op)
            return &c->entries[i];
    }
    sm_grow(&c->entries, &c->entries_cap, c->nentries + 1, sizeof(*c->entries));
    e = &c->entries[c->nentries++];
    memset(e, 0, sizeof(*e));
    e->service = service;
    e->op = op;
    sm_sketch_init(&e->latency);
    return e;
}

static struct slot *slot_of(struct idmap *ix, struct slot **arr, size_t *len, size_t *cap,
                            uint32_t id)
{
    uint32_t at = idmap_get(ix, id);

    if (at != SM_CRIT_NONE)
        return &(*arr)[at];
    sm_grow(arr, cap, *len + 1, sizeof(**arr));
    memset(&(*arr)[*len], 0, sizeof(**arr));
    (*arr)[*len].id = id;
    sm_sketch_init(&(*arr)[*len].share);
    idmap_put(ix, id, (uint32_t)*len);
    return &(*arr)[(*len)++];
}

/* Keys get their groups here (the linker's group_of names one for a node that may be
 * renamed at the end; a wire is grouped by its sides). The second member of a group
 * starts, in every entry that has the first, the group's share sketch from the first's. */
static void note_group(struct sm_crit *c, uint32_t id)
{
    struct key k = c->keys[id], g = c->keys[id];
    bool grouped = false;
    uint32_t gid;
    size_t i;

    if (c->group_arrays_cap < c->keys_cap) {
        size_t old = c->group_arrays_cap;

        c->key_group = sm_xrealloc(c->key_group, c->keys_cap * sizeof(uint32_t));
        c->group_first = sm_xrealloc(c->group_first, c->keys_cap * sizeof(uint32_t));
        c->group_multi = sm_xrealloc(c->group_multi, c->keys_cap * sizeof(bool));
        for (i = old; i < c->keys_cap; i++) {
            c->key_group[i] = SM_CRIT_NONE;
            c->group_first[i] = SM_CRIT_NONE;
            c->group_multi[i] = false;
        }
        c->group_arrays_cap = c->keys_cap;
    }
    if (!c->group_of || k.from_kind == GROUP_KIND || k.to_kind == GROUP_KIND)
        return;
    if ((gid = c->group_of(c->group_ctx, k.from_kind, k.from)) != SM_CRIT_NONE) {
        g.from_kind = GROUP_KIND;
        g.from = gid;
        grouped = true;
    }
    if (k.to_kind != NODE_ONLY &&
        (gid = c->group_of(c->group_ctx, k.to_kind, k.to)) != SM_CRIT_NONE) {
        g.to_kind = GROUP_KIND;
        g.to = gid;
        grouped = true;
    }
    if (!grouped)
        return;
    gid = new_key_id(c, &g); /* grows the arrays for itself */
    c->key_group[id] = gid;
    if (c->group_first[gid] == SM_CRIT_NONE) {
        c->group_first[gid] = id;
        return;
    }
    if (c->group_multi[gid])
        return;
    c->group_multi[gid] = true;
    for (i = 0; i < c->nentries; i++) {
        struct entry *e = &c->entries[i];
        uint32_t at = idmap_get(&e->part_ix, c->group_first[gid]);
        struct slot *s;

        if (at == SM_CRIT_NONE)
            continue;
        s = slot_of(&e->group_ix, &e->groups, &e->ngroups, &e->groups_cap, gid);
        sm_sketch_merge(&s->share, &e->parts[at].share);
    }
}

/* One trace's figures into its entry. */
static void entry_add(struct sm_crit *c, struct entry *e, int64_t duration_ns,
                      const struct piece *parts, size_t nparts, const struct piece *edges,
                      size_t nedges, const struct piece *stacks, size_t nstacks)
{
    size_t i;

    e->traces = sm_count_add(e->traces, 1);
    e->total_ns = sm_count_add(e->total_ns, (uint64_t)duration_ns);
    sm_sketch_add(&e->latency, (double)duration_ns / 1e6);
    for (i = 0; i < nparts; i++) {
        struct slot *s = slot_of(&e->part_ix, &e->parts, &e->nparts, &e->parts_cap, parts[i].id);
        uint32_t g = c->key_group ? c->key_group[parts[i].id] : SM_CRIT_NONE;

        s->ns = sm_count_add(s->ns, parts[i].ns);
        sm_sketch_add(&s->share, duration_ns ? (double)parts[i].ns / (double)duration_ns : 0.0);
        if (g != SM_CRIT_NONE && c->group_multi[g] && parts[i].ns)
            acc_add(&c->groups, g, parts[i].ns);
    }
    /* the members of each group present, added up in this trace */
    for (i = 0; i < c->groups.ntouched; i++) {
        uint32_t g = c->groups.touched[i];
        struct slot *s = slot_of(&e->group_ix, &e->groups, &e->ngroups, &e->groups_cap, g);

        sm_sketch_add(&s->share, duration_ns ? (double)c->groups.ns[g] / (double)duration_ns : 0.0);
    }
    acc_reset(&c->groups);
    for (i = 0; i < nedges; i++) {
        struct slot *s = slot_of(&e->edge_ix, &e->edges, &e->nedges, &e->edges_cap, edges[i].id);

        s->ns = sm_count_add(s->ns, edges[i].ns);
    }
    for (i = 0; i < nstacks; i++) {
        struct slot *s =
            slot_of(&e->stack_ix, &e->stacks, &e->nstacks, &e->stacks_cap, stacks[i].id);

        s->ns = sm_count_add(s->ns, stacks[i].ns);
    }
}

/* The per-trace sums as pieces appended to c->pool; returns where they start. */
static size_t to_pool(struct sm_crit *c, const struct acc *a)
{
    size_t at = c->npool;

    sm_grow(&c->pool, &c->pool_cap, c->npool + a->ntouched, sizeof(*c->pool));
    for (size_t i = 0; i < a->ntouched; i++) {
        c->pool[c->npool].id = a->touched[i];
        c->pool[c->npool++].ns = a->ns[a->touched[i]];
    }
    return at;
}

/* ---- the walk ---- */

static void ensure_scratch(struct sm_crit *c, size_t n)
{
    if (n + 1 <= c->scratch_cap)
        return;
    c->scratch_cap = n + 1;
    c->child_start = sm_xrealloc(c->child_start, (n + 2) * sizeof(size_t));
    c->children = sm_xrealloc(c->children, (n + 1) * sizeof(size_t));
    c->kids = sm_xrealloc(c->kids, (n + 1) * sizeof(size_t));
    c->frames = sm_xrealloc(c->frames, (n + 1) * sizeof(struct frame));
    c->path = sm_xrealloc(c->path, (n + 2) * sizeof(uint32_t));
}

/* qsort has no context argument in C11: the spans and bounds of the sort in progress. */
static const struct sm_crit_span *sort_spans;
static int64_t sort_hi;

/* Children by clipped end, latest first; the longer one first on a tie, then the
 * linker's order. */
static int cmp_kid(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    int64_t ex = sort_spans[x].end_ns < sort_hi ? sort_spans[x].end_ns : sort_hi;
    int64_t ey = sort_spans[y].end_ns < sort_hi ? sort_spans[y].end_ns : sort_hi;

    if (ex != ey)
        return ex > ey ? -1 : 1;
    if (sort_spans[x].start_ns != sort_spans[y].start_ns)
        return sort_spans[x].start_ns < sort_spans[y].start_ns ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* Most spans have a few children: up to this many are sorted in place with cmp_kid's
 * order inlined (it is a total order, so any sort gives the same result); qsort calls
 * cmp_kid through a pointer and, in glibc, allocates for every sort. */
#define KIDS_INSERTION 16

static inline bool kid_before(const struct sm_crit_span *s, int64_t hi, size_t x, size_t y)
{
    int64_t ex = s[x].end_ns < hi ? s[x].end_ns : hi;
    int64_t ey = s[y].end_ns < hi ? s[y].end_ns : hi;

    if (ex != ey)
        return ex > ey;
    if (s[x].start_ns != s[y].start_ns)
        return s[x].start_ns < s[y].start_ns;
    return x < y;
}

static void sort_kids(const struct sm_crit_span *s, int64_t hi, size_t *kids, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        size_t x = kids[i], j;

        for (j = i; j > 0 && kid_before(s, hi, x, kids[j - 1]); j--)
            kids[j] = kids[j - 1];
        kids[j] = x;
    }
}

/* The owner of a span's sections: its own, or its nearest ancestor's. */
static uint32_t owner_of(const struct sm_crit_span *s, size_t i)
{
    while (i != SM_CRIT_NO_SPAN && s[i].owner == SM_CRIT_NONE)
        i = s[i].parent;
    return i == SM_CRIT_NO_SPAN ? SM_CRIT_NONE : s[i].owner;
}

/* Frames a stack keeps (docs/critical-path.md): the first MAX_STACK_FRAMES - 1 and the
 * section's owner. */
#define MAX_STACK_FRAMES 64

/* The stack of the sections of span i at depth (the frames above them and the owner),
 * interned. */
static uint32_t section_stack(struct sm_crit *c, uint32_t owner, size_t depth)
{
    size_t n = depth;
    uint32_t id;

    if (!n || c->path[n - 1] != owner)
        c->path[n++] = owner;
    if (n > MAX_STACK_FRAMES) {
        /* Keep the first frames and the owner: one frame per hop of a deep chain would
         * make as many distinct stacks as sections, each as long as the chain. */
        uint32_t kept = c->path[MAX_STACK_FRAMES - 1];
        size_t m = MAX_STACK_FRAMES;

        if (c->path[MAX_STACK_FRAMES - 2] == owner)
            m--;
        else
            c->path[MAX_STACK_FRAMES - 1] = owner;
        id = stack_id(c, c->path, m);
        c->path[MAX_STACK_FRAMES - 1] = kept;
        return id;
    }
    return stack_id(c, c->path, n);
}

/* A section of frame f's span of length ns, at depth: to its owner and to the stack of
 * frames above it. Owner and stack are looked up once per frame (a span with k children
 * on the path has up to k + 1 sections). */
static void section(struct sm_crit *c, const struct sm_crit_span *s, struct frame *f, size_t depth,
                    int64_t ns, uint64_t *walked)
{
    if (ns <= 0)
        return;
    if (!f->named) {
        f->named = true;
        f->owner = owner_of(s, f->span);
        if (f->owner != SM_CRIT_NONE)
            f->stack = section_stack(c, f->owner, depth);
    }
    if (f->owner == SM_CRIT_NONE)
        return;
    acc_add(&c->parts, f->owner, (uint64_t)ns);
    *walked += (uint64_t)ns;
    acc_add(&c->stacks, f->stack, (uint64_t)ns);
}

static void push(struct sm_crit *c, const struct sm_crit_span *s, size_t *top, size_t *kids_top,
                 size_t *depth, size_t i, int64_t lo, int64_t hi, uint64_t walked)
{
    struct frame *f = &c->frames[(*top)++];
    size_t k, n = 0;

    f->span = i;
    f->lo = lo;
    f->hi = hi;
    f->cur = hi;
    f->pos = 0;
    f->walked_at = walked;
    f->kids_at = *kids_top;
    for (k = c->child_start[i]; k < c->child_start[i + 1]; k++) {
        size_t ch = c->children[k];

        if (s[ch].timed)
            c->kids[*kids_top + n++] = ch;
    }
    f->nkids = n;
    *kids_top += n;
    if (n > KIDS_INSERTION) {
        sort_spans = s;
        sort_hi = hi;
        qsort(c->kids + f->kids_at, n, sizeof(size_t), cmp_kid);
        sort_spans = NULL;
    } else if (n > 1) {
        sort_kids(s, hi, c->kids + f->kids_at, n);
    }
    f->pushed_frame = false;
    f->named = false;
    if (s[i].frame != SM_CRIT_NONE && (!*depth || c->path[*depth - 1] != s[i].frame)) {
        c->path[(*depth)++] = s[i].frame;
        f->pushed_frame = true;
    }
}

static void walk_entry(struct sm_crit *c, const struct sm_crit_span *s, size_t e)
{
    size_t top = 0, kids_top = 0, depth = 0;
    uint64_t walked = 0;
    int64_t duration = s[e].end_ns - s[e].start_ns;
    struct entry *en;
    size_t p, q, r;

    push(c, s, &top, &kids_top, &depth, e, s[e].start_ns, s[e].end_ns, walked);
    while (top) {
        struct frame *f = &c->frames[top - 1];
        bool descended = false;

        while (f->pos < f->nkids) {
            size_t ch = c->kids[f->kids_at + f->pos++];
            int64_t cl = s[ch].start_ns > f->lo ? s[ch].start_ns : f->lo;
            int64_t chi = s[ch].end_ns < f->hi ? s[ch].end_ns : f->hi;

            /* empty after clipping, or still running at the current point (work in
             * parallel with the child taken after it) */
            if (chi <= cl || chi > f->cur)
                continue;
            section(c, s, f, depth, f->cur - chi, &walked);
            f->cur = cl;
            push(c, s, &top, &kids_top, &depth, ch, cl, chi, walked);
            descended = true;
            break;
        }
        if (descended)
            continue;
        section(c, s, f, depth, f->cur - f->lo, &walked);
        if (s[f->span].call != SM_CRIT_NONE && walked > f->walked_at)
            acc_add(&c->edges, s[f->span].call, walked - f->walked_at);
        if (f->pushed_frame)
            depth--;
        kids_top = f->kids_at;
        top--;
    }
    en = entry_of(c, s[e].entry_service, s[e].entry_op);
    if (c->keep) {
        struct kept *k;

        p = to_pool(c, &c->parts);
        q = to_pool(c, &c->edges);
        r = to_pool(c, &c->stacks);
        sm_grow(&c->kept, &c->kept_cap, c->nkept + 1, sizeof(*c->kept));
        k = &c->kept[c->nkept];
        k->duration_ns = duration;
        k->first = p;
        k->nparts = (uint32_t)(q - p);
        k->nedges = (uint32_t)(r - q);
        k->nstacks = (uint32_t)(c->npool - r);
        sm_grow(&en->traces_kept, &en->kept_cap, en->nkept + 1, sizeof(size_t));
        en->traces_kept[en->nkept++] = c->nkept++;
    } else {
        struct piece *tmp;
        size_t np = c->parts.ntouched, ne = c->edges.ntouched, ns = c->stacks.ntouched;

        p = to_pool(c, &c->parts);
        to_pool(c, &c->edges);
        to_pool(c, &c->stacks);
        tmp = c->pool + p;
        entry_add(c, en, duration, tmp, np, tmp + np, ne, tmp + np + ne, ns);
        c->npool = p;
    }
    acc_reset(&c->parts);
    acc_reset(&c->edges);
    acc_reset(&c->stacks);
}

void sm_crit_trace(struct sm_crit *c, const struct sm_crit_span *s, size_t n)
{
    size_t i;

    if (!n)
        return;
    ensure_scratch(c, n);
    memset(c->child_start, 0, (n + 2) * sizeof(size_t));
    for (i = 0; i < n; i++) {
        if (s[i].parent != SM_CRIT_NO_SPAN)
            c->child_start[s[i].parent + 2]++;
    }
    for (i = 0; i < n; i++)
        c->child_start[i + 2] += c->child_start[i + 1];
    for (i = 0; i < n; i++) {
        if (s[i].parent != SM_CRIT_NO_SPAN)
            c->children[c->child_start[s[i].parent + 1]++] = i;
    }
    for (i = 0; i < n; i++) {
        if (s[i].entry_service && s[i].timed && s[i].parent == SM_CRIT_NO_SPAN)
            walk_entry(c, s, i);
    }
}

/* ---- into the map ---- */

static const struct sm_crit_names *emit_names;

static const char *key_text(const struct sm_crit *c, uint32_t id, struct sm_buf *b)
{
    const struct key *k = &c->keys[id];

    if (c->key_texts && c->key_texts[id])
        return c->key_texts[id];
    sm_buf_reset(b);
    sm_buf_adds(b, emit_names->node_id(emit_names->ctx, k->from_kind, k->from));
    if (k->to_kind != NODE_ONLY) {
        sm_buf_adds(b, SM_WHY_WIRE_SEPARATOR);
        sm_buf_adds(b, emit_names->node_id(emit_names->ctx, k->to_kind, k->to));
    }
    if (c->key_texts)
        c->key_texts[id] = sm_xstrdup(b->data);
    return b->data;
}

static const struct kept *sort_kept;

/* Slowest first; the earlier trace first on a tie. */
static int cmp_slow(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;

    if (sort_kept[x].duration_ns != sort_kept[y].duration_ns)
        return sort_kept[x].duration_ns > sort_kept[y].duration_ns ? -1 : 1;
    return x < y ? -1 : x > y;
}

/* An entry of the kept traces: all of them, or the slowest pct %. */
static void entry_from_kept(struct sm_crit *c, const struct entry *src, double pct,
                            struct entry *out)
{
    size_t *order = sm_xmalloc((src->nkept ? src->nkept : 1) * sizeof(size_t));
    size_t n = src->nkept, i;

    memcpy(order, src->traces_kept, src->nkept * sizeof(size_t));
    if (pct > 0.0 && pct < 100.0) {
        sort_kept = c->kept;
        if (n > 1)
            qsort(order, n, sizeof(size_t), cmp_slow);
        sort_kept = NULL;
        /* rounded up, by whole traces; at least one */
        n = (size_t)((double)src->nkept * pct / 100.0);
        if ((double)n < (double)src->nkept * pct / 100.0)
            n++;
        if (n == 0 && src->nkept)
            n = 1;
    }
    for (i = 0; i < n; i++) {
        const struct kept *k = &c->kept[order[i]];
        const struct piece *pc = c->pool + k->first;

        entry_add(c, out, k->duration_ns, pc, k->nparts, pc + k->nparts, k->nedges,
                  pc + k->nparts + k->nedges, k->nstacks);
    }
    free(order);
}

/* The share sketch that stands for parts a and b of e (two crit ids that became one map
 * node, text): their group's, when both are in one group and every member of it e has
 * became that node; NULL otherwise (a member named elsewhere: the sums of the group are
 * not the node's). */
static const struct sm_sketch *group_share(const struct sm_crit *c, const struct entry *e,
                                           uint32_t a, uint32_t b, const char *text)
{
    uint32_t g = c->key_group ? c->key_group[a] : SM_CRIT_NONE, at;
    const struct sm_sketch *out = NULL;
    struct sm_buf one;

    if (g == SM_CRIT_NONE || c->key_group[b] != g || !c->group_multi[g])
        return NULL;
    at = idmap_get(&e->group_ix, g);
    if (at == SM_CRIT_NONE)
        return NULL;
    sm_buf_init(&one);
    out = &e->groups[at].share;
    for (size_t i = 0; i < e->nparts && out; i++) {
        if (c->key_group[e->parts[i].id] == g && strcmp(key_text(c, e->parts[i].id, &one), text))
            out = NULL;
    }
    sm_buf_release(&one);
    return out;
}

static void emit_entry(const struct sm_crit *c, const struct entry *e, struct sm_map *map)
{
    struct sm_buf b, id;
    const char *service = emit_names->text(emit_names->ctx, e->service);
    const char *op = e->op ? emit_names->text(emit_names->ctx, e->op) : NULL;
    struct sm_why_entry *w;
    struct sm_why_entry one;
    size_t i;

    sm_buf_init(&b);
    sm_buf_init(&id);
    sm_buf_adds(&b, sm_node_kind_name(SM_NODE_SERVICE));
    sm_buf_addc(&b, ':');
    sm_buf_adds(&b, service);
    memset(&one, 0, sizeof(one));
    one.entry = b.data;
    one.operation = (char *)op;
    one.traces = e->traces;
    one.total_ns = e->total_ns;
    one.latency = (struct sm_sketch *)&e->latency;
    w = sm_why_entry(map, one.entry, one.operation);
    /* parts, edges and stacks go in one by one; counts through a merge so that an entry
     * already in the map (a snapshot run twice into one map) adds up */
    {
        struct sm_why_entry add;
        /* per part of add: the first crit part that became it, whether its sketch is
         * already its group's */
        uint32_t *first = sm_xmalloc((e->nparts ? e->nparts : 1) * sizeof(uint32_t));
        bool *grouped = sm_xcalloc(e->nparts ? e->nparts : 1, sizeof(bool));

        memset(&add, 0, sizeof(add));
        add.entry = one.entry;
        add.operation = one.operation;
        add.traces = e->traces;
        add.total_ns = e->total_ns;
        add.latency = one.latency;
        for (i = 0; i < e->nparts; i++) {
            const struct key *k = &c->keys[e->parts[i].id];
            size_t before = add.nparts;
            struct sm_why_part *p =
                sm_why_part(&add, key_text(c, e->parts[i].id, &id),
                            k->to_kind == NODE_ONLY ? SM_WHY_NODE : SM_WHY_WIRE);

            p->critical_ns = sm_count_add(p->critical_ns, e->parts[i].ns);
            if (add.nparts > before) {
                first[add.nparts - 1] = e->parts[i].id;
                sm_sketch_merge(p->share, &e->parts[i].share);
            } else if (!grouped[p - add.parts]) {
                /* Two linker names became one map node (a peer named by host that is an
                 * instrumented service): the times add up, and the per-trace shares are
                 * their group's, added up per trace. Without one (a member of the group
                 * named elsewhere), the first's sketch is kept, so that it still holds one
                 * value per trace (docs/critical-path.md). */
                const struct sm_sketch *gs =
                    group_share(c, e, first[p - add.parts], e->parts[i].id, p->id);

                if (gs) {
                    sm_sketch_release(p->share);
                    sm_sketch_init(p->share);
                    sm_sketch_merge(p->share, gs);
                    grouped[p - add.parts] = true;
                }
            }
        }
        free(first);
        free(grouped);
        for (i = 0; i < e->nedges; i++) {
            const struct key *k = &c->keys[e->edges[i].id];
            char *from = sm_xstrdup(emit_names->node_id(emit_names->ctx, k->from_kind, k->from));
            struct sm_why_edge *x =
                sm_why_edge(&add, from, emit_names->node_id(emit_names->ctx, k->to_kind, k->to));

            x->critical_ns = sm_count_add(x->critical_ns, e->edges[i].ns);
            free(from);
        }
        for (i = 0; i < e->nstacks; i++) {
            uint32_t s = e->stacks[i].id;

            sm_buf_reset(&id);
            for (size_t f = 0; f < c->stack_len[s]; f++) {
                struct sm_buf one_id;

                sm_buf_init(&one_id);
                if (f)
                    sm_buf_adds(&id, SM_WHY_STACK_SEPARATOR);
                sm_buf_adds(&id, key_text(c, c->stack_pool[c->stack_at[s] + f], &one_id));
                sm_buf_release(&one_id);
            }
            {
                struct sm_why_stack *st = sm_why_stack(&add, id.data);

                st->critical_ns = sm_count_add(st->critical_ns, e->stacks[i].ns);
            }
        }
        sm_why_entry_complete(&add);
        sm_why_entry_merge(w, &add);
        add.entry = NULL;
        add.operation = NULL;
        add.latency = NULL;
        sm_why_entry_release(&add);
    }
    sm_buf_release(&b);
    sm_buf_release(&id);
}

void sm_crit_emit(struct sm_crit *c, struct sm_map *map, double slowest_pct,
                  const struct sm_crit_names *names)
{
    emit_names = names;
    c->key_texts = sm_xcalloc(c->nkeys ? c->nkeys : 1, sizeof(char *));
    for (size_t i = 0; i < c->nentries; i++) {
        const struct entry *e = &c->entries[i];

        if (c->keep) {
            struct entry sel;

            memset(&sel, 0, sizeof(sel));
            sel.service = e->service;
            sel.op = e->op;
            sm_sketch_init(&sel.latency);
            entry_from_kept(c, e, slowest_pct, &sel);
            emit_entry(c, &sel, map);
            sel.traces_kept = NULL;
            entry_release(&sel);
        } else {
            emit_entry(c, e, map);
        }
    }
    for (size_t i = 0; i < c->nkeys; i++)
        free(c->key_texts[i]);
    free(c->key_texts);
    c->key_texts = NULL;
    emit_names = NULL;
}
