/* map.h: the service map: typed nodes, directed edges, and what they were made from.
 *
 * The linker (or a pre-aggregated reader, or the JSON map reader, or the store) fills a
 * map; emitters, diff and check read it. sm_map_sort puts it in the canonical order of
 * the svcmap.map/v1 document (nodes by id, edges by from, to, kind) so that output is
 * the same bytes on every run.
 */
#ifndef SVCMAP_MAP_H
#define SVCMAP_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/error.h"
#include "svcmap/sketch.h"
#include "svcmap/util.h"

enum sm_node_kind {
    SM_NODE_SERVICE = 0,
    SM_NODE_DATABASE,
    SM_NODE_QUEUE,
    SM_NODE_EXTERNAL,
    SM_NODE_CLIENT,
};
/* "service", "database", "queue", "external", "client". */
const char *sm_node_kind_name(enum sm_node_kind kind);
/* 0 and the kind in *kind, or -1 for an unknown word. */
int sm_node_kind_parse(const char *word, enum sm_node_kind *kind);

enum sm_edge_kind {
    SM_EDGE_RPC = 0,
    SM_EDGE_MESSAGING,
    SM_EDGE_DATABASE,
    SM_EDGE_EXTERNAL,
};
/* "rpc", "messaging", "database", "external". */
const char *sm_edge_kind_name(enum sm_edge_kind kind);
int sm_edge_kind_parse(const char *word, enum sm_edge_kind *kind);

struct sm_node {
    char *id;   /* owned: "kind:name" */
    char *name; /* owned */
    enum sm_node_kind kind;
    char *namespace_;     /* owned or NULL: service.namespace */
    char *version;        /* owned or NULL: service.version */
    char *system;         /* owned or NULL: db.system / messaging.system */
    uint64_t entry_calls; /* SERVER spans with no parent: requests from outside */
};

/* Latency figures of one side of an edge, in milliseconds. */
struct sm_latency_summary {
    uint64_t count; /* 0: no figures */
    double min, max, mean, p50, p90, p95, p99;
    /* Estimated figures (histogram buckets of a pre-aggregated input): how coarse they
     * are, as the bucket bounds each of p50, p90, p95, p99 lies between; hi is INFINITY
     * for the +Inf bucket. */
    bool bounded;
    double lo[4], hi[4];
};

enum sm_side { SM_SIDE_CLIENT = 0, SM_SIDE_SERVER };

struct sm_edge {
    size_t from; /* index into nodes */
    size_t to;
    enum sm_edge_kind kind;
    uint64_t calls;
    uint64_t errors;
    /* Latency seen by the caller (client) and the callee (server). A side with no spans
     * has count 0 and is left out of every output. */
    struct sm_sketch client;
    struct sm_sketch server;
    /* Figures without a sketch: maps read from a svcmap.map/v1 document, or
     * pre-aggregated inputs. Used only while the side's sketch is empty. */
    struct sm_latency_summary client_summary;
    struct sm_latency_summary server_summary;
    /* Pre-aggregated inputs: latency interpolated from histogram buckets. */
    bool latency_estimated;
};

struct sm_source {
    char **files; /* owned */
    size_t nfiles;
    unsigned formats; /* bit (1 << enum sm_input_format) */
    uint64_t spans;
    uint64_t traces;
    uint64_t skipped_records;
    uint64_t skipped_spans;   /* bad spans left out of records whose other spans were kept */
    uint64_t ignored_records; /* records of other signals (OTLP logs, metrics) left out */
    uint64_t unresolved_calls;
    /* Spans that arrived after their trace had been linked (a trace split over parts
     * further apart than the linker's window, link.h): counted, not linked. */
    uint64_t late_spans;
    int64_t start_ns; /* 0: unknown */
    int64_t end_ns;
    /* Edge sides merged without a sketch on one side (a map document without sketches,
     * a pre-aggregated input, a snapshot of either): their latency is estimated. Not part
     * of the map document: a fact of this run, for the command line to tell once. */
    uint64_t estimated_merges;
};

struct sm_why_entry; /* why.h */

struct sm_map {
    struct sm_node *nodes; /* owned */
    size_t nnodes, nodes_cap;
    struct sm_edge *edges; /* owned */
    size_t nedges, edges_cap;
    struct sm_source source;
    /* Critical-path time per entry point (why.h), sorted by (entry, operation); empty
     * for maps of inputs without traces (pre-aggregated). Owned. */
    struct sm_why_entry *why;
    size_t nwhy, why_cap;
    /* private indexes, rebuilt on demand */
    size_t *node_index;
    size_t node_index_cap;
    size_t *edge_index;
    size_t edge_index_cap;
};

void sm_map_init(struct sm_map *m);
void sm_map_release(struct sm_map *m);

/* Finds or adds the node (kind, name); returns its index. Indexes stay valid until
 * sm_map_sort or a removal. */
size_t sm_map_node(struct sm_map *m, enum sm_node_kind kind, const char *name);
/* Index of node (kind, name), or (size_t)-1. */
size_t sm_map_find_node(const struct sm_map *m, enum sm_node_kind kind, const char *name);
/* Index of the node with this id ("kind:name"), or (size_t)-1. */
size_t sm_map_find_node_id(const struct sm_map *m, const char *id);
/* Sets an owned string attribute of a node if it is not set yet. */
void sm_node_set_attr(char **field, const char *value);

/* Finds or adds the edge (from, to, kind); borrowed until the next edge is added. */
struct sm_edge *sm_map_edge(struct sm_map *m, size_t from, size_t to, enum sm_edge_kind kind);
/* Index of the edge, or (size_t)-1. */
size_t sm_map_find_edge(const struct sm_map *m, size_t from, size_t to, enum sm_edge_kind kind);

/* Records a source file name (kept once). */
void sm_map_add_file(struct sm_map *m, const char *path);

/* dst += src: nodes and edges matched by identity, counts added (saturating at
 * SM_COUNT_MAX), source window widened, why entries merged (sm_why_merge). Latency sides with
 * sketches on both sides merge exactly, whatever the order of merges; a side merged into an empty
 * one is copied. A side where either has only a summary (no sketch) is merged approximately: the
 * edge is marked latency_estimated and source.estimated_merges counts it. */
void sm_map_merge(struct sm_map *dst, const struct sm_map *src);

/* The edge part of sm_map_merge: counts, latency sides and latency_estimated of src
 * added into dst (same identity; from, to and kind are not looked at). Returns how many
 * sides (0..2) were merged approximately, for source.estimated_merges. */
unsigned sm_edge_merge(struct sm_edge *dst, const struct sm_edge *src);

/* Canonical order: nodes by id, edges by (from id, to id, kind name), why entries as
 * sm_why_sort. */
void sm_map_sort(struct sm_map *m);

/* Keeps only the nodes for which keep[i] is true and the edges between kept nodes
 * for which keep_edge is NULL or keep_edge[j] is true. Re-indexes. */
void sm_map_retain(struct sm_map *m, const bool *keep_node, const bool *keep_edge);

/* The latency figures of one side of an edge: from its sketch when it has values, else
 * from its summary. Returns false (and zeroes *out) when that side has no figures. */
bool sm_edge_latency(const struct sm_edge *e, enum sm_side side, struct sm_latency_summary *out);

/* Error rate of an edge in [0, 1]. */
double sm_edge_error_rate(const struct sm_edge *e);

#endif
