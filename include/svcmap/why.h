/* why.h: where an entry point's time goes: critical-path time per contributor.
 *
 * For every entry span of a trace (a SERVER or CONSUMER span with no parent in its
 * trace) the linker walks the critical path (docs/critical-path.md) and adds each of its
 * sections to one contributor: a node of the map (a service, or a peer that sends no
 * spans: "database:inventory") or the wire of a call between two nodes ("FROM->TO", the
 * part of a call its callee's span does not cover). The map keeps, per entry, the sums
 * over its traces and sketches of the per-trace figures; sums are integers in
 * nanoseconds and sketches merge exactly, so entries of two maps merge like the rest of
 * the map (sm_map_merge) and map documents, merged documents and snapshots carry them.
 *
 * Share sketches hold one value per trace of the entry: the contributor's share of that
 * trace's entry duration as a fraction from 0 to 1, fed to the sketch as its
 * "milliseconds" (so a share of 46.5 % is the value 0.465, and a share below 1e-6 counts
 * as 0). sm_why_share_quantile reads them back. A trace the contributor is absent from
 * adds a 0, so that every share sketch of an entry holds `traces` values.
 */
#ifndef SVCMAP_WHY_H
#define SVCMAP_WHY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/error.h"
#include "svcmap/map.h"
#include "svcmap/sketch.h"

/* Separates the two node ids of a wire contributor's id: "service:a->service:b". */
#define SM_WHY_WIRE_SEPARATOR "->"
/* Separates the frames of a stack's path in memory (the map document writes an array). */
#define SM_WHY_STACK_SEPARATOR "\x1f"

enum sm_why_kind { SM_WHY_NODE = 0, SM_WHY_WIRE };
/* "node", "wire". */
const char *sm_why_kind_name(enum sm_why_kind kind);
/* 0 and the kind in *kind, or -1 for an unknown word. */
int sm_why_kind_parse(const char *word, enum sm_why_kind *kind);

/* One contributor of one entry. */
struct sm_why_part {
    char *id; /* owned: a node id ("database:inventory", "service:api") or, for wire time,
                 "FROM->TO" of the two map node ids */
    enum sm_why_kind kind;
    uint64_t critical_ns;    /* critical-path time summed over the entry's traces
                                (saturating at SM_COUNT_MAX) */
    struct sm_sketch *share; /* owned, never NULL: per-trace share of the entry's
                                duration, one value per trace of the entry (0 where
                                absent), as fractions (see the top of this file) */
};

/* Inclusive critical time of the calls over one map edge: the call's wire time plus all
 * critical time below it. */
struct sm_why_edge {
    char *from, *to; /* owned: map node ids */
    uint64_t critical_ns;
};

/* Critical time under one stack of frames, for flame graphs: the path is the node ids
 * of the spans the critical path went through from the entry down to the section's
 * owner (a service, a peer node, or last a wire id), repeats in a row shown once. */
struct sm_why_stack {
    char *path; /* owned: frames joined by SM_WHY_STACK_SEPARATOR */
    uint64_t critical_ns;
};

struct sm_why_index;

struct sm_why_entry {
    char *entry;               /* owned: node id of the entry's service, "service:frontend" */
    char *operation;           /* owned or NULL: set when nodes are per operation (--by
                                  operation); the entry's node is then ENTRY::OPERATION */
    uint64_t traces;           /* entry spans walked (one per trace and entry span) */
    uint64_t total_ns;         /* sum of the entry spans' durations */
    struct sm_sketch *latency; /* owned, never NULL: the entry spans' durations (ms) */
    struct sm_why_part *parts; /* owned; sorted by critical_ns desc, then id (sm_why_sort) */
    size_t nparts, parts_cap;
    struct sm_why_edge *edges; /* owned; sorted by from, to (sm_why_sort) */
    size_t nedges, edges_cap;
    struct sm_why_stack *stacks; /* owned; sorted by path (sm_why_sort) */
    size_t nstacks, stacks_cap;
    struct sm_why_index *index; /* owned or NULL: finds parts, edges and stacks by key for
                                   sm_why_part, sm_why_edge and sm_why_stack; built on
                                   first use, dropped by sm_why_sort (positions move) */
};

/* critical_ns / total_ns; 0 when total_ns is 0. */
double sm_why_share(uint64_t critical_ns, uint64_t total_ns);
/* The q-quantile (0..1) of a part's per-trace share, as a fraction from 0 to 1. */
double sm_why_share_quantile(const struct sm_why_part *part, double q);
/* The entry's latency figures (milliseconds) from its sketch; false when it has none. */
bool sm_why_latency(const struct sm_why_entry *e, struct sm_latency_summary *out);

/* Finds or adds the entry (entry, operation) of m (operation may be NULL). Borrowed until
 * the next entry is added to m or m is sorted, merged into or released. */
struct sm_why_entry *sm_why_entry(struct sm_map *m, const char *entry, const char *operation);
/* The entry (entry, operation) of m, or NULL. */
const struct sm_why_entry *sm_why_find(const struct sm_map *m, const char *entry,
                                       const char *operation);
/* Finds or adds a contributor of e; a new one has an empty share sketch (call
 * sm_why_entry_complete once its traces are counted). Borrowed until the next part is
 * added to e. */
struct sm_why_part *sm_why_part(struct sm_why_entry *e, const char *id, enum sm_why_kind kind);
/* Finds or adds the edge (from, to) of e; borrowed until the next edge is added to e. */
struct sm_why_edge *sm_why_edge(struct sm_why_entry *e, const char *from, const char *to);
/* Finds or adds the stack of e with this path; borrowed until the next stack is added. */
struct sm_why_stack *sm_why_stack(struct sm_why_entry *e, const char *path);
/* Adds a 0 to every share sketch of e that holds fewer than e->traces values, for the
 * traces the contributor was absent from. */
void sm_why_entry_complete(struct sm_why_entry *e);

/* dst += src for one entry: counts and sums add (saturating), sketches merge exactly, a
 * contributor present on one side only takes a 0 share for every trace of the other. */
void sm_why_entry_merge(struct sm_why_entry *dst, const struct sm_why_entry *src);
/* The why entries of src merged into dst's, matched by (entry, operation). */
void sm_why_merge(struct sm_map *dst, const struct sm_map *src);
/* Canonical order: entries by (entry, operation NULL first), parts by critical_ns desc
 * then id, edges by (from, to), stacks by path. */
void sm_why_sort(struct sm_map *m);

/* Frees the contents of one entry (releasing twice is safe). */
void sm_why_entry_release(struct sm_why_entry *e);
/* Frees every entry of m and empties m->why. */
void sm_why_release(struct sm_map *m);

#endif
