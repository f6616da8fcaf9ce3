/* critical.h: the critical path of each entry span, private to the linker.
 *
 * The linker names things (which node or wire a span's time belongs to, which edge a
 * call runs over) and hands each linked trace to sm_crit_trace as an array of
 * sm_crit_span; this module walks the critical path of every entry span in it
 * (docs/critical-path.md) and adds the sections up per entry. Names are the linker's
 * interned ids, kinds its node kinds or -1 ("service or external, decided at the end"),
 * so that sm_crit_emit, called from the linker's finish, can give contributors the ids
 * of the map's own nodes.
 */
#ifndef SVCMAP_LINK_CRITICAL_H
#define SVCMAP_LINK_CRITICAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/map.h"

#define SM_CRIT_NONE    UINT32_MAX
#define SM_CRIT_NO_SPAN ((size_t)-1)

/* One span of a trace as the walk needs it. */
struct sm_crit_span {
    int64_t start_ns, end_ns; /* used only when timed; start_ns <= end_ns */
    size_t parent;            /* the span's parent in the trace, or SM_CRIT_NO_SPAN */
    uint32_t owner;           /* contributor the span's own sections go to (sm_crit_node
                                 or sm_crit_wire), SM_CRIT_NONE: the parent's */
    uint32_t frame;           /* contributor the span stands for in the stacks of the
                                 sections below it, or SM_CRIT_NONE */
    uint32_t call;            /* the edge (an sm_crit_wire key) whose critical time includes
                                 all of this span's, or SM_CRIT_NONE */
    uint32_t entry_service;   /* non-zero: an entry span of this service */
    uint32_t entry_op;        /* its operation (with by_operation), or 0 */
    bool timed;               /* start and end known */
};

struct sm_crit;

/* keep_traces: keep each walked trace's figures (for slowest_pct in sm_crit_emit). */
struct sm_crit *sm_crit_new(bool keep_traces);
/* group_of(ctx, kind, name): the group (a name) of a node that may turn out at the end
 * to be the same map node as others of its group, or SM_CRIT_NONE; called as contributors
 * are first seen, so set it before the first. Without it, contributors that become one
 * node keep the first one's share sketch. */
void sm_crit_set_group(struct sm_crit *c, uint32_t (*group_of)(void *ctx, int kind, uint32_t name),
                       void *ctx);
void sm_crit_free(struct sm_crit *c);

/* The contributor id of a node (kind, name) or of the wire (and edge) from -> to. */
uint32_t sm_crit_node(struct sm_crit *c, int kind, uint32_t name);
uint32_t sm_crit_wire(struct sm_crit *c, int from_kind, uint32_t from, int to_kind, uint32_t to);

/* Walks every entry span of one trace (spans of a parent cycle are never reached). */
void sm_crit_trace(struct sm_crit *c, const struct sm_crit_span *spans, size_t n);

/* How the linker names things at the end: the map id of node (kind, name), borrowed
 * until the next call; the text of an interned name. */
struct sm_crit_names {
    const char *(*node_id)(void *ctx, int kind, uint32_t name);
    const char *(*text)(void *ctx, uint32_t name);
    void *ctx;
};

/* Adds the entries walked so far into map->why (without changing c). slowest_pct in
 * (0, 100): each entry keeps only its slowest slowest_pct % of traces (rounded up to
 * whole traces), which needs keep_traces; otherwise every trace counts. */
void sm_crit_emit(struct sm_crit *c, struct sm_map *map, double slowest_pct,
                  const struct sm_crit_names *names);

/* Bytes held for kept traces (keep_traces), for the memory note. */
size_t sm_crit_kept_bytes(const struct sm_crit *c);

#endif
