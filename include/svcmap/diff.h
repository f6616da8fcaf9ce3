/* diff.h: what changed between two maps, gates that fail a build, and reports of both.
 *
 * sm_diff_maps compares a base map (the last release) with a head map (this change):
 * nodes and edges added and removed, and for every edge on both sides the change in
 * call volume, in error rate (percentage points) and in latency per quantile. Edges with
 * fewer calls than a floor are left out on both counts, so rare calls make no noise.
 * The changes come most severe first. The result holds the union of both maps, so the
 * change can be drawn on a map (sm_diff_decorate) by the ordinary emitters.
 *
 * Gates (sm_gate_parse) are the --fail-on rules: added-edge, removed-edge, added-node,
 * removed-node, pNN>+X% or pNN>+Xms (NN one of 50, 90, 95, 99), errors>+Xpp,
 * calls<-X%, calls>+X% and critical>+Xpp (a contributor's share of an entry's time on
 * its critical path rising by more than X percentage points). sm_diff_check_gates returns the gates
 * that tripped as data (struct sm_gate_hit: which rule, on which node or edge); the words come at
 * the edge.
 *
 * The model (sm_diff_maps, the gates) is src/report/diff.c; each report writer has a
 * file of its own: diff_text.c, diff_markdown.c, diff_json.c and diff_draw.c (the change
 * drawn on the map). Writers escape every name for where it lands (svcmap/escape.h).
 */
#ifndef SVCMAP_DIFF_H
#define SVCMAP_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "svcmap/emit.h"
#include "svcmap/error.h"
#include "svcmap/map.h"
#include "svcmap/util.h"
#include "svcmap/why.h"

/* "No node" / "no edge" in the index fields below. */
#define SM_DIFF_NONE ((size_t)-1)

/* The quantiles compared, in this order: p50, p90, p95, p99. */
#define SM_DIFF_NQUANTILES 4
extern const double sm_diff_quantiles[SM_DIFF_NQUANTILES];
extern const char *const sm_diff_quantile_names[SM_DIFF_NQUANTILES];

struct sm_diff_options {
    uint64_t min_calls;       /* floor: edges with fewer calls are ignored (default 10) */
    enum sm_side side;        /* latency side compared first (default client); falls back
                                 to the other side when one map lacks it */
    double calls_threshold;   /* report call volume moving by this fraction (0.25) */
    double errors_threshold;  /* report error rate moving by this much (0.005 = 0.5 pp) */
    double latency_threshold; /* report a quantile moving by this fraction (0.2) */
    double latency_min_ms;    /* ... and by at least this many milliseconds (1) */
    double share_threshold;   /* report a critical-path share moving by this much (0.01 =
                                 1 pp); the JSON report lists every share */
    /* borrowed, may be NULL: what to call the sides in reports ("v1.2", "HEAD") */
    const char *base_name, *head_name;
};
void sm_diff_options_init(struct sm_diff_options *o);

enum sm_change_kind {
    SM_CHANGE_REMOVED_NODE = 0,
    SM_CHANGE_REMOVED_EDGE,
    SM_CHANGE_ADDED_NODE,
    SM_CHANGE_ADDED_EDGE,
    SM_CHANGE_ERRORS,  /* error rate, in percentage points */
    SM_CHANGE_LATENCY, /* one or more quantiles */
    SM_CHANGE_CALLS,   /* call volume */
};
/* "removed-node", "removed-edge", "added-node", "added-edge", "errors", "latency",
 * "calls". */
const char *sm_change_kind_name(enum sm_change_kind kind);

/* One side of an edge in the comparison. */
struct sm_edge_figures {
    bool present;
    uint64_t calls, errors;
    double error_rate;
    bool has_latency; /* latency figures of the compared side */
    struct sm_latency_summary latency;
};

/* An edge of the union map, indexed like diff->map.edges. */
struct sm_edge_diff {
    struct sm_edge_figures base, head;
    enum sm_side side; /* the latency side compared */
    bool below_floor;  /* fewer than min_calls calls on a side where it is present */
    bool comparable;   /* on both sides, above the floor */
};

struct sm_change {
    enum sm_change_kind kind;
    size_t node;     /* node changes: index into diff->map.nodes, else SM_DIFF_NONE */
    size_t edge;     /* edge changes: index into diff->map.edges, else SM_DIFF_NONE */
    bool regression; /* worse: more errors, slower, fewer calls, anything removed */
    /* calls: base and head call counts, delta relative (0.5 = +50 %);
     * errors: base and head rates (fractions), delta in percentage points;
     * latency: p99 if it moved, else the quantile that moved most, delta relative;
     * added/removed edges: calls on the side where the edge is. */
    double base, head, delta;
    int quantile; /* latency: index into sm_diff_quantiles */
    double severity;
};

/* Whether a contributor, or its whole entry point, is on both sides of the diff. */
enum sm_share_presence {
    SM_SHARE_BOTH = 0,
    SM_SHARE_NEW,        /* the contributor is not in base's entry: base is 0 */
    SM_SHARE_GONE,       /* the contributor is not in head's entry: head is 0 */
    SM_SHARE_ENTRY_NEW,  /* the entry is in head only: one row for it, id is the entry */
    SM_SHARE_ENTRY_GONE, /* the entry is in base only: one row for it, id is the entry */
};

/* One contributor of one entry point on both sides (the maps' why sections): entries
 * matched by node id and operation, contributors by id. An entry on one side only is one
 * row of its own (presence SM_SHARE_ENTRY_NEW or _GONE, shares and delta 0): its
 * contributors have nothing to move against. */
struct sm_share_diff {
    char *entry;     /* owned: the entry's node id, "service:frontend" */
    char *operation; /* owned or NULL */
    char *id;        /* owned: the contributor, a node id or "FROM->TO" for wire time */
    enum sm_why_kind kind;
    double base, head; /* its share of the entry's time in [0, 1]; 0 where it is absent */
    double delta;      /* head - base: 0.23 is +23 percentage points */
    enum sm_share_presence presence;
    uint64_t traces; /* entry rows: the entry's traces on the side it is on */
};

struct sm_diff {
    struct sm_map map;          /* owned: union of base and head, figures from head where present */
    struct sm_edge_diff *edges; /* owned, indexed like map.edges */
    bool *node_in_base, *node_in_head; /* owned, indexed like map.nodes */
    struct sm_change *changes;         /* owned, most severe first */
    size_t nchanges;
    size_t ignored_edges; /* edges below the floor */
    /* owned: every contributor of every entry on both sides, by entry, operation, then
     * the largest move first, then id; nshares 0 when either map has no why section */
    struct sm_share_diff *shares;
    size_t nshares;
    bool has_why; /* both maps have a why section: shares were compared */
    struct sm_diff_options options;
};

void sm_diff_init(struct sm_diff *d);
void sm_diff_release(struct sm_diff *d);

/* Compares base with head into an initialised d (its old contents released). Neither
 * map is changed. Cannot fail. */
void sm_diff_maps(struct sm_diff *d, const struct sm_map *base, const struct sm_map *head,
                  const struct sm_diff_options *o);

/* A --fail-on rule. */
enum sm_gate_kind {
    SM_GATE_ADDED_EDGE = 0,
    SM_GATE_REMOVED_EDGE,
    SM_GATE_ADDED_NODE,
    SM_GATE_REMOVED_NODE,
    SM_GATE_LATENCY,  /* quantile rises by more than threshold (relative or ms) */
    SM_GATE_ERRORS,   /* error rate rises by more than threshold percentage points */
    SM_GATE_CALLS,    /* call volume moves by more than threshold (relative), in direction */
    SM_GATE_CRITICAL, /* a critical-path share rises by more than threshold (0.10 = 10 pp) */
};

struct sm_gate {
    enum sm_gate_kind kind;
    char text[64];    /* the rule as written */
    int quantile;     /* SM_GATE_LATENCY: index into sm_diff_quantiles */
    bool absolute_ms; /* SM_GATE_LATENCY: threshold in milliseconds, not a fraction */
    bool rise;        /* SM_GATE_CALLS: true for calls>+X%, false for calls<-X% */
    double threshold; /* fraction (0.25), milliseconds, or a rate (0.01 = 1 pp) */
};

/* Parses one rule; a malformed one is SM_EUSAGE with a message. */
int sm_gate_parse(const char *text, struct sm_gate *gate, struct sm_error *err);

/* A gate that tripped on one node or edge of the union map. */
struct sm_gate_hit {
    const struct sm_gate *gate; /* borrowed: the rule, from the array given to
                                   sm_diff_check_gates (valid while that array is) */
    size_t node;  /* added-node, removed-node: index into d->map.nodes, else SM_DIFF_NONE */
    size_t edge;  /* the edge gates: index into d->map.edges, else SM_DIFF_NONE */
    size_t share; /* critical>+Xpp: index into d->shares, else SM_DIFF_NONE */
};

struct sm_gate_hits {
    struct sm_gate_hit *hits; /* owned: gate by gate in the order given; a structural
                                 gate's hits in change order, the others' in edge order */
    size_t nhits, cap;
};
void sm_gate_hits_init(struct sm_gate_hits *h);
void sm_gate_hits_release(struct sm_gate_hits *h);

/* Whether a gate needs the critical-path figures of both maps (d->has_why). */
bool sm_gate_needs_why(const struct sm_gate *gate);

/* Holds the diff against each gate and appends every (gate, node, edge or share) that
 * trips to hits. Returns how many were appended. Cannot fail. */
size_t sm_diff_check_gates(const struct sm_diff *d, const struct sm_gate *gates, size_t ngates,
                           struct sm_gate_hits *hits);

/* Why hit tripped, one line of plain text (unescaped, no line end) appended to out:
 * "p99>+25%: payments -> external:card-api p99 120 -> 480 ms (+300%) [client]". */
void sm_gate_hit_describe(const struct sm_diff *d, const struct sm_gate_hit *hit,
                          struct sm_buf *out);

/* Reports, appended to out. Each lists the gates that tripped (hits may be NULL: none).
 * Text is for a terminal (ANSI colours when color is true); Markdown is a pull-request
 * comment (a summary line and tables); JSON is the svcmap.diff/v1 document,
 * deterministic like the map document. */
void sm_diff_write_text(const struct sm_diff *d, const struct sm_gate_hits *hits, bool color,
                        struct sm_buf *out);
void sm_diff_write_markdown(const struct sm_diff *d, const struct sm_gate_hits *hits,
                            struct sm_buf *out);
void sm_diff_write_json(const struct sm_diff *d, const struct sm_gate_hits *hits,
                        struct sm_buf *out);

/* The interactive HTML page of the diff (diff_html.c): the union map drawn once with
 * the change marked, every node's and edge's figures in base and head (the maps d was
 * made from, for the tooltips' before and after), and the gate result at the top:
 * the rules (gates, ngates of them, may be 0) and what tripped (hits, may be NULL).
 * style as for the map emitters; its decor is replaced. Fails only when Graphviz does. */
int sm_diff_write_html(const struct sm_diff *d, const struct sm_map *base,
                       const struct sm_map *head, const struct sm_gate *gates, size_t ngates,
                       const struct sm_gate_hits *hits, const struct sm_style *style,
                       struct sm_buf *out, struct sm_error *err);

/* Drawing the change on the union map: fills node_decor (d->map.nnodes entries) and
 * edge_decor (d->map.nedges entries) for struct sm_style: added green, removed red and
 * dashed, regressed orange with a note such as "p99 120 -> 480 ms". The notes live in
 * notes, which must outlive the decor arrays (sm_buf_release frees them). */
/* What the colours of sm_diff_decorate mean, as legend lines for struct sm_style:
 * static, *n set to their count. */
const struct sm_legend_item *sm_diff_legend(size_t *n);

void sm_diff_decorate(const struct sm_diff *d, struct sm_decor *node_decor,
                      struct sm_decor *edge_decor, struct sm_buf *notes);

#endif
