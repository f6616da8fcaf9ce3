/* report_priv.h: the phrasing the diff and check report writers share, inside the core.
 *
 * Not a public header. The model (diff.c, check.c) computes; these helpers turn its
 * figures into the plain words every writer uses ("p99 120 -> 480 ms (+300%)", "2 edges
 * changed"), so that text, Markdown and gate reasons say the same thing. Their output is
 * plain text: names go through the escape function a writer passes (svcmap/escape.h). They live in
 * phrase.c.
 */
#ifndef SVCMAP_REPORT_PRIV_H
#define SVCMAP_REPORT_PRIV_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "svcmap/check.h"
#include "svcmap/diff.h"
#include "svcmap/util.h"

/* Quantile q (index into sm_diff_quantiles) of a summary. */
static inline double sm_report_quantile(const struct sm_latency_summary *s, int q)
{
    switch (q) {
    case 0:
        return s->p50;
    case 1:
        return s->p90;
    case 2:
        return s->p95;
    default:
        return s->p99;
    }
}

/* Rounds for stable, readable output and turns -0 into 0. */
static inline double sm_report_tidy(double v)
{
    if (isnan(v) || isinf(v))
        return v;
    return round(v * 10000.0) / 10000.0 + 0.0;
}

/* (head - base) / base; NAN when base is 0 (no finite relative change). */
static inline double sm_report_relative(double base, double head)
{
    if (base == 0.0)
        return head == 0.0 ? 0.0 : NAN;
    return (head - base) / base;
}

/* How a writer escapes a name for its destination (sm_escape_markdown, a terminal
 * wrapper); NULL appends names as they are (JSON strings are escaped whole later). */
typedef void (*sm_report_escape_fn)(struct sm_buf *out, const char *s, size_t len);

/* "name" for a service, "kind:name" for anything else, escaped with esc. */
void sm_report_node_label(struct sm_buf *b, const struct sm_node *n, sm_report_escape_fn esc);
/* "FROM -> TO" in node labels, the names escaped with esc. */
void sm_report_edge_label(struct sm_buf *b, const struct sm_map *m, const struct sm_edge *e,
                          sm_report_escape_fn esc);
/* sm_gate_hit_describe with the names escaped with esc. */
void sm_report_hit(struct sm_buf *b, const struct sm_diff *d, const struct sm_gate_hit *hit,
                   sm_report_escape_fn esc);
/* Milliseconds with as many digits as they deserve. */
void sm_report_ms(struct sm_buf *b, double ms);
/* An error rate as a percentage with one decimal: "10.0%". */
void sm_report_rate(struct sm_buf *b, double rate);
/* "p99 120 -> 480 ms (+300%)" */
void sm_report_quantile_move(struct sm_buf *b, const struct sm_edge_diff *ed, int q);
/* "error rate 0.0% -> 10.0% (+10.0 pp)" */
void sm_report_errors_move(struct sm_buf *b, const struct sm_edge_diff *ed);
/* "calls 400 -> 150 (-62%)" */
void sm_report_calls_move(struct sm_buf *b, const struct sm_edge_diff *ed);

/* A node id as reports name nodes: "frontend" for "service:frontend", else the id. */
void sm_report_id_label(struct sm_buf *b, const char *id, sm_report_escape_fn esc);
/* A critical-path share: "47 %", "3.5 %", "0 %". */
void sm_report_share(struct sm_buf *b, double share);
/* A contributor: "database:inventory", or "api -> inventory (wire)" for wire time. */
void sm_report_share_subject(struct sm_buf *b, const struct sm_share_diff *s,
                             sm_report_escape_fn esc);
/* The entry: "frontend", "frontend GET /checkout" with entries per operation. */
void sm_report_share_entry(struct sm_buf *b, const struct sm_share_diff *s,
                           sm_report_escape_fn esc);
/* "database:inventory 24 % -> 47 % of frontend (+23 pp)" */
void sm_report_share_move(struct sm_buf *b, const struct sm_share_diff *s, sm_report_escape_fn esc);
/* One side of a share row for a table cell: the share, "new"/"gone" where the contributor
 * or entry is not on that side, "N traces" on the side an entry row's entry is on. */
void sm_report_share_side(struct sm_buf *b, const struct sm_share_diff *s, bool head);
/* "share up", "share down", "new entry", "entry gone". */
const char *sm_report_share_title(const struct sm_share_diff *s);
/* "!" a share rose, "~" fell, "+" a new entry, "-" an entry gone. */
const char *sm_report_share_mark(const struct sm_share_diff *s);
/* The row's presence as the JSON report names it: "both", "new", "gone", "entry_new",
 * "entry_gone". */
const char *sm_report_share_presence(const struct sm_share_diff *s);
/* How many shares moved by at least the reporting threshold. */
size_t sm_diff_shares_moved(const struct sm_diff *d);
/* Whether share i moved by at least the reporting threshold. */
bool sm_diff_share_moved(const struct sm_diff *d, size_t i);

/* What a diff changed, counted by kind; an edge with several changes counts once. */
struct sm_diff_tally {
    size_t nodes_added, nodes_removed, edges_added, edges_removed, edges_changed;
};
void sm_diff_tally(const struct sm_diff *d, struct sm_diff_tally *t);
/* "1 node added, 2 edges changed (1 edge under 10 calls ignored)" or "no changes". */
void sm_diff_add_summary(struct sm_buf *b, const struct sm_diff *d);
/* What moved on change c: "rpc, 80 calls", "p99 120 -> 480 ms (+300%) [client]". */
void sm_diff_add_change_detail(struct sm_buf *b, const struct sm_diff *d,
                               const struct sm_change *c);
/* The node or edge change c is about, in labels escaped with esc. */
void sm_diff_add_change_subject(struct sm_buf *b, const struct sm_diff *d,
                                const struct sm_change *c, sm_report_escape_fn esc);
/* "removed node", "slower", "more calls", ... */
const char *sm_diff_change_title(const struct sm_change *c);
/* "+" added, "-" removed, "!" a regression, "~" any other change. */
const char *sm_diff_change_mark(const struct sm_change *c);

/* "3 violations (forbid 1, layer 2)" or "no violations". */
void sm_check_add_tally(struct sm_buf *out, const struct sm_check *c);
/* "4 rules, 12 edges checked (2 under --min-calls ignored); 3 fail the gate" */
void sm_check_add_scope(struct sm_buf *out, const struct sm_check *c, unsigned mask);

#endif
