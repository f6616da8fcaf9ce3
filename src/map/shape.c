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

int sm_shape_apply(struct sm_map *map, const struct sm_shape *shape, struct sm_error *err)
{
    filter_names(map, shape);
    if (shape->min_calls > 0)
        filter_min_calls(map, shape->min_calls);
    if (shape->focus)
        return focus_on(map, shape, err);
    return 0;
}
