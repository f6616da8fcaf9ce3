/* shape.c: cutting a map down to what a picture should show (see shape.h for the order).
 *
 * Every step marks nodes and edges to keep and calls sm_map_retain once, so indexes stay
 * consistent and the map keeps its canonical order. The focus walk is a breadth-first
 * search in each direction separately: "depth 2" means two calls downstream and two
 * calls upstream, not the callers of the callees.
 */
#include "svcmap/shape.h"

#include <stdlib.h>
#include <string.h>

void sm_shape_init(struct sm_shape *shape)
{
    memset(shape, 0, sizeof(*shape));
    shape->depth = 1;
}

static bool matches_any(const char *const *globs, size_t n, const char *name)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (sm_glob_match(globs[i], name))
            return true;
    }
    return false;
}

static void filter_names(struct sm_map *map, const struct sm_shape *shape)
{
    bool *keep = sm_xmalloc((map->nnodes ? map->nnodes : 1) * sizeof(*keep));
    size_t i;

    for (i = 0; i < map->nnodes; i++) {
        const struct sm_node *n = &map->nodes[i];

        keep[i] = true;
        if (n->kind == SM_NODE_CLIENT && !shape->clients)
            keep[i] = false;
        /* The client node stands for the outside world, not a name to filter. */
        if (n->kind != SM_NODE_CLIENT) {
            if (shape->ninclude && !matches_any(shape->include, shape->ninclude, n->name))
                keep[i] = false;
            if (matches_any(shape->exclude, shape->nexclude, n->name))
                keep[i] = false;
        }
    }
    /* The client node only means something through its edges: drop it when the
     * services it called were all filtered out. */
    for (i = 0; i < map->nnodes; i++) {
        size_t j;
        bool linked = false;

        if (map->nodes[i].kind != SM_NODE_CLIENT || !keep[i])
            continue;
        for (j = 0; j < map->nedges && !linked; j++) {
            const struct sm_edge *e = &map->edges[j];

            linked = (e->from == i && keep[e->to]) || (e->to == i && keep[e->from]);
        }
        keep[i] = linked;
    }
    sm_map_retain(map, keep, NULL);
    free(keep);
}

static void filter_min_calls(struct sm_map *map, uint64_t min_calls)
{
    bool *keep_edge = sm_xmalloc((map->nedges ? map->nedges : 1) * sizeof(*keep_edge));
    bool *had_edge = sm_xcalloc(map->nnodes ? map->nnodes : 1, sizeof(*had_edge));
    bool *keep_node = sm_xcalloc(map->nnodes ? map->nnodes : 1, sizeof(*keep_node));
    size_t i, j;

    for (j = 0; j < map->nedges; j++) {
        const struct sm_edge *e = &map->edges[j];

        keep_edge[j] = e->calls >= min_calls;
        had_edge[e->from] = had_edge[e->to] = true;
        if (keep_edge[j])
            keep_node[e->from] = keep_node[e->to] = true;
    }
    /* A node that never had an edge is kept; one whose edges all fell is not. */
    for (i = 0; i < map->nnodes; i++) {
        if (!had_edge[i])
            keep_node[i] = true;
    }
    sm_map_retain(map, keep_node, keep_edge);
    free(keep_edge);
    free(had_edge);
    free(keep_node);
}

static int find_focus(const struct sm_map *map, const char *focus, size_t *out,
                      struct sm_error *err)
{
    size_t i, found = (size_t)-1;
    int nfound = 0;

    i = sm_map_find_node_id(map, focus);
    if (i != (size_t)-1) {
        *out = i;
        return 0;
    }
    /* By name: a service wins over a database or queue of the same name. */
    i = sm_map_find_node(map, SM_NODE_SERVICE, focus);
    if (i != (size_t)-1) {
        *out = i;
        return 0;
    }
    for (i = 0; i < map->nnodes; i++) {
        if (!strcmp(map->nodes[i].name, focus)) {
            found = i;
            nfound++;
        }
    }
    if (nfound == 0)
        return sm_error_set(err, SM_EUSAGE, "--focus '%s' names no node of the map", focus);
    if (nfound > 1)
        return sm_error_set(err, SM_EUSAGE,
                            "--focus '%s' names several nodes; give the id, e.g. 'database:%s'",
                            focus, focus);
    *out = found;
    return 0;
}

/* Breadth-first over edges in one direction, marking nodes within depth hops. */
static void walk(const struct sm_map *map, size_t start, unsigned depth, bool downstream,
                 bool *keep)
{
    size_t *dist = sm_xmalloc((map->nnodes ? map->nnodes : 1) * sizeof(*dist));
    size_t *queue = sm_xmalloc((map->nnodes ? map->nnodes : 1) * sizeof(*queue));
    size_t head = 0, tail = 0, i, j;

    for (i = 0; i < map->nnodes; i++)
        dist[i] = (size_t)-1;
    dist[start] = 0;
    queue[tail++] = start;
    keep[start] = true;
    while (head < tail) {
        size_t at = queue[head++];

        if (dist[at] >= depth)
            continue;
        /* Edges are few enough (thousands) that a scan per node is cheaper to read
         * than an adjacency index. */
        for (j = 0; j < map->nedges; j++) {
            const struct sm_edge *e = &map->edges[j];
            size_t from = downstream ? e->from : e->to, to = downstream ? e->to : e->from;

            if (from != at || dist[to] != (size_t)-1)
                continue;
            dist[to] = dist[at] + 1;
            keep[to] = true;
            queue[tail++] = to;
        }
    }
    free(dist);
    free(queue);
}

static int focus_on(struct sm_map *map, const struct sm_shape *shape, struct sm_error *err)
{
    bool *keep = NULL;
    size_t start = 0;
    int rc;

    rc = find_focus(map, shape->focus, &start, err);
    if (rc < 0)
        return rc;
    keep = sm_xcalloc(map->nnodes ? map->nnodes : 1, sizeof(*keep));
    walk(map, start, shape->depth, true, keep);
    walk(map, start, shape->depth, false, keep);
    sm_map_retain(map, keep, NULL);
    free(keep);
    return 0;
}

const char *sm_shape_group_of(const struct sm_node *n, const char *attr)
{
    if (!attr)
        return NULL;
    if (!strcmp(attr, "service.namespace") || !strcmp(attr, "namespace"))
        return n->namespace_;
    if (!strcmp(attr, "service.version") || !strcmp(attr, "version"))
        return n->version;
    if (!strcmp(attr, "kind"))
        return sm_node_kind_name(n->kind);
    if (!strcmp(attr, "system") || !strcmp(attr, "db.system") || !strcmp(attr, "messaging.system"))
        return n->system;
    return NULL;
}

bool sm_shape_attr_known(const char *attr)
{
    static const char *const known[] = {
        "service.namespace", "namespace",       "service.version", "version", "kind", "system",
        "db.system",         "messaging.system"};
    size_t k;

    for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
        if (!strcmp(known[k], attr))
            return true;
    }
    return false;
}

/* The kind of a group's node: its members' kind when they all share one, else service. */
static enum sm_node_kind group_kind(const struct sm_map *map, const char *attr, const char *value)
{
    enum sm_node_kind kind = SM_NODE_SERVICE;
    bool first = true;
    size_t i;

    for (i = 0; i < map->nnodes; i++) {
        const char *v = sm_shape_group_of(&map->nodes[i], attr);

        if (!v || strcmp(v, value))
            continue;
        if (first)
            kind = map->nodes[i].kind;
        else if (kind != map->nodes[i].kind)
            return SM_NODE_SERVICE;
        first = false;
    }
    return kind;
}

/* Rebuilds map with one node per group. Nodes without the attribute go in first, as
 * themselves; a group whose name is taken by one of them is named "VALUE (group)", so
 * that no group silently absorbs a node that is not in it. */
static void collapse(struct sm_map *map, const char *attr)
{
    struct sm_map out;
    size_t *to = sm_xcalloc(map->nnodes ? map->nnodes : 1, sizeof(*to));
    size_t i, plain;
    struct sm_buf name;

    sm_map_init(&out);
    sm_buf_init(&name);
    for (i = 0; i < map->nnodes; i++) {
        const struct sm_node *n = &map->nodes[i];
        struct sm_node *d;

        if (sm_shape_group_of(n, attr))
            continue;
        to[i] = sm_map_node(&out, n->kind, n->name);
        d = &out.nodes[to[i]];
        sm_node_set_attr(&d->namespace_, n->namespace_);
        sm_node_set_attr(&d->version, n->version);
        sm_node_set_attr(&d->system, n->system);
        d->entry_calls += n->entry_calls;
    }
    plain = out.nnodes;
    for (i = 0; i < map->nnodes; i++) {
        const struct sm_node *n = &map->nodes[i];
        const char *v = sm_shape_group_of(n, attr);
        enum sm_node_kind kind;
        struct sm_node *d;
        size_t at;

        if (!v)
            continue;
        kind = group_kind(map, attr, v);
        sm_buf_reset(&name);
        sm_buf_adds(&name, v);
        while ((at = sm_map_find_node(&out, kind, name.data)) != (size_t)-1 && at < plain)
            sm_buf_adds(&name, " (group)");
        to[i] = sm_map_node(&out, kind, name.data);
        d = &out.nodes[to[i]];
        if (!strcmp(attr, "service.namespace") || !strcmp(attr, "namespace"))
            sm_node_set_attr(&d->namespace_, v);
        else if (!strcmp(attr, "service.version") || !strcmp(attr, "version"))
            sm_node_set_attr(&d->version, v);
        else if (strcmp(attr, "kind"))
            sm_node_set_attr(&d->system, v);
        d->entry_calls += n->entry_calls;
    }
    for (i = 0; i < map->nedges; i++) {
        const struct sm_edge *s = &map->edges[i];
        struct sm_edge *d = sm_map_edge(&out, to[s->from], to[s->to], s->kind);
        bool had_client = d->client_summary.count > 0, had_server = d->server_summary.count > 0;

        d->calls += s->calls;
        d->errors += s->errors;
        sm_sketch_merge(&d->client, &s->client);
        sm_sketch_merge(&d->server, &s->server);
        d->latency_estimated = d->latency_estimated || s->latency_estimated;
        /* Figures without a sketch cannot be merged: keep the side with more calls and
         * say the result is approximate. */
        if ((had_client && s->client_summary.count > 0) ||
            (had_server && s->server_summary.count > 0))
            d->latency_estimated = true;
        if (s->client_summary.count > d->client_summary.count)
            d->client_summary = s->client_summary;
        if (s->server_summary.count > d->server_summary.count)
            d->server_summary = s->server_summary;
    }
    /* the source block moves over whole, and so do the why entries: their ids keep
     * naming the nodes before collapsing (a group has no critical path of its own) */
    out.source = map->source;
    memset(&map->source, 0, sizeof(map->source));
    out.why = map->why;
    out.nwhy = map->nwhy;
    out.why_cap = map->why_cap;
    map->why = NULL;
    map->nwhy = map->why_cap = 0;
    sm_map_release(map);
    *map = out;
    sm_map_sort(map);
    sm_buf_release(&name);
    free(to);
}

int sm_shape_apply(struct sm_map *map, const struct sm_shape *shape, struct sm_error *err)
{
    filter_names(map, shape);
    if (shape->collapse)
        collapse(map, shape->collapse);
    if (shape->min_calls > 0)
        filter_min_calls(map, shape->min_calls);
    if (shape->focus)
        return focus_on(map, shape, err);
    return 0;
}
