/* shape.h: cutting a map down to what a picture should show.
 *
 * Shaping runs after the map is built and before it is emitted. In order: the client
 * node (requests from outside) is dropped unless asked for; nodes are kept or dropped by
 * --include / --exclude globs on their names; --collapse makes one node of each group of
 * nodes that share an attribute; edges under --min-calls are dropped (and
 * nodes left without edges by that with them); finally --focus keeps the focus node and
 * everything within --depth hops of it, upstream and downstream.
 */
#ifndef SVCMAP_SHAPE_H
#define SVCMAP_SHAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/error.h"
#include "svcmap/map.h"

struct sm_shape {
    const char *focus;    /* borrowed; a node name or id ("kind:name"); NULL: no focus */
    unsigned depth;       /* hops from the focus, both directions; default 1 */
    const char **include; /* borrowed globs on node names; a node is kept if any matches */
    size_t ninclude;
    const char **exclude; /* borrowed globs; a node matching any is dropped */
    size_t nexclude;
    uint64_t min_calls; /* edges with fewer calls are dropped; 0: keep all */
    bool clients;       /* keep the "client" node and its entry edges */
    /* borrowed; NULL: none. One node per value of this attribute (see sm_shape_group_of):
     * the group's node is named by the value, and edges between groups sum calls and
     * errors and merge latency sketches. Nodes without the attribute stay themselves. */
    const char *collapse;
};

/* The value of a node attribute by --group-by / --collapse name ("service.namespace" or
 * "namespace", "service.version" or "version", "kind", "system"), borrowed from the
 * node; NULL when the node has none or the name is unknown. */
const char *sm_shape_group_of(const struct sm_node *n, const char *attr);

/* True when attr is one of the names sm_shape_group_of knows. */
bool sm_shape_attr_known(const char *attr);

/* No shaping: depth 1, no focus, no globs, min_calls 0, no client node. */
void sm_shape_init(struct sm_shape *shape);

/* Applies shape to map in place (it stays sorted). A focus that names no node, or a
 * name shared by several nodes of different kinds, is SM_EUSAGE. */
int sm_shape_apply(struct sm_map *map, const struct sm_shape *shape, struct sm_error *err);

#endif
