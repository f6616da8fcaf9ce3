/* emit.h: the registry of map writers (json, table, csv, dot, svg, png, html, mermaid).
 *
 * Each emitter is one file exporting one const struct sm_emitter. An emitter writes the
 * whole document into a memory buffer; the command line then writes it atomically.
 * All emitters share one visual language, described by struct sm_style.
 */
#ifndef SVCMAP_EMIT_H
#define SVCMAP_EMIT_H

#include <stdbool.h>

#include "svcmap/error.h"
#include "svcmap/map.h"
#include "svcmap/util.h"

enum sm_direction { SM_DIR_LR = 0, SM_DIR_TB };
enum sm_latency_side { SM_LATENCY_CLIENT = 0, SM_LATENCY_SERVER };
/* What an edge's width and colour say: its call volume (with p99 and error rate for the
 * colour), or its share of the entries' critical path (--weight critical). */
enum sm_weight { SM_WEIGHT_CALLS = 0, SM_WEIGHT_CRITICAL };

/* Extra drawing for one node or edge (used by diff to draw changes on a map). */
struct sm_decor {
    const char *color; /* borrowed; NULL: the normal colour */
    bool dashed;
    bool bold;
    const char *note; /* borrowed; appended to the label, e.g. "p99 120 -> 480 ms" */
};

/* One line of a legend of the caller's own, drawn in its colour (a diff picture says
 * what each colour of a change means). */
struct sm_legend_item {
    const char *color; /* borrowed */
    const char *text;  /* borrowed */
};

struct sm_style {
    enum sm_direction direction;
    const char *edge_label; /* template; NULL: the default label */
    enum sm_latency_side latency;
    double warn_p99_ms, crit_p99_ms;
    double warn_error_rate, crit_error_rate; /* fractions, 0.01 = 1 % */
    const char *group_by;                    /* "service.namespace", ...; NULL: none */
    bool legend;
    const char *title; /* NULL: none */
    /* Drawn as the legend instead of the threshold lines when nlegend_items > 0,
     * whatever `legend` says; borrowed. */
    const struct sm_legend_item *legend_items;
    size_t nlegend_items;
    /* Optional, indexed like map->nodes / map->edges; NULL entries draw normally. */
    const struct sm_decor *node_decor;
    const struct sm_decor *edge_decor;
    /* Graphviz pictures: give each node and edge an element id made from the node ids
     * ("node:service:cart"), as the HTML page needs. Off: Graphviz's own. */
    bool element_ids;
    /* What width and colour weigh (default SM_WEIGHT_CALLS). SM_WEIGHT_CRITICAL needs
     * critical below. */
    enum sm_weight weight;
    /* Borrowed, indexed like map->edges, or NULL: each edge's critical share in [0, 1]
     * (sm_emit_critical_shares), negative where no critical time crossed the edge. Read
     * by the {critical} label field and by SM_WEIGHT_CRITICAL. */
    const double *critical;
    /* SM_WEIGHT_CRITICAL: amber and red from these shares up (0.25, 0.50; 0: off). */
    double warn_critical, crit_critical;
    /* SVG and PNG: the most seconds Graphviz may spend on a layout before a simple
     * layered one is drawn instead (sm_emit_graphviz_render); 0: no limit. */
    double layout_seconds;
};

/* Defaults: LR, default label, client latency, warn p99 500 ms / crit 2000 ms,
 * warn errors 5 % / crit 10 %, weight by calls (critical share warn 25 % / crit 50 %),
 * no groups, legend on. */
void sm_style_init(struct sm_style *style);

struct sm_emitter {
    const char *name;              /* the -f word */
    const char *const *extensions; /* NULL-terminated, with the dot: ".svg" */
    bool binary;                   /* output is not text (png) */
    /* Appends the document to out. Returns 0, or a negative status with err filled; on
     * success err->text may hold a note for the user (status 0), such as that a
     * cheaper layout was drawn. */
    int (*emit)(const struct sm_map *map, const struct sm_style *style, struct sm_buf *out,
                struct sm_error *err);
};

extern const struct sm_emitter sm_emit_json;
extern const struct sm_emitter sm_emit_table;
extern const struct sm_emitter sm_emit_csv;
extern const struct sm_emitter sm_emit_dot;
extern const struct sm_emitter sm_emit_svg;
extern const struct sm_emitter sm_emit_png;
extern const struct sm_emitter sm_emit_mermaid;
extern const struct sm_emitter sm_emit_html;

/* NULL-terminated table of every emitter. */
extern const struct sm_emitter *const sm_emitters[];
const struct sm_emitter *sm_emitter_find(const char *name);
/* By the extension of path (".md" means mermaid), or NULL. */
const struct sm_emitter *sm_emitter_for_path(const char *path);

/* Expands an --edge-label template ({calls} {errors} {error_rate} {p50} {p90} {p95}
 * {p99} {max} {min} {mean} {kind} {critical}) for edge e, an element of map->edges, into
 * out. Latency fields use style->latency, falling back to the other side when that side
 * has no spans; "-" when neither has. {critical} is the edge's critical share from
 * style->critical ("47 %"), "-" where there is none. */
void sm_edge_label(const struct sm_map *map, const struct sm_edge *e, const struct sm_style *style,
                   struct sm_buf *out);

/* 0 normal, 1 warn, 2 crit, by p99 and error rate. */
int sm_edge_severity(const struct sm_edge *e, const struct sm_style *style);

/* The critical share of every edge of map into shares (map->nedges entries): the
 * critical time of the calls over that edge (the why section's inclusive edge figures,
 * matched by the ids of its two nodes) summed over the chosen entries, divided by the
 * sum of those entries' total time; -1 where no critical time crossed the edge.
 * entry: NULL for every entry, else an entry's node id ("service:frontend") or its
 * service's name ("frontend"; with entries per operation, all of that service's).
 * SM_EUSAGE when the map has no why section (pre-aggregated inputs carry no spans) or
 * no entry is called entry; err says which entries there are. */
int sm_emit_critical_shares(const struct sm_map *map, const char *entry, double *shares,
                            struct sm_error *err);

/* The level (0 normal, 1 warn, 2 crit) and the line width of edge j of map as the style
 * weighs them: severity and call volume, or the critical share. */
int sm_emit_edge_level(const struct sm_map *map, size_t j, const struct sm_style *style);
double sm_emit_edge_width(const struct sm_map *map, size_t j, const struct sm_style *style);

/* The interactive HTML page (emit_html.c) around a map, with what a caller such as the
 * diff adds. Every string is borrowed. The JSON members ("\"key\":value,...") go into
 * the page's data block: strings in them must be written with sm_html_add_json_string,
 * which keeps them from closing the block. */
struct sm_html_extra {
    const char *page;         /* "map" (default) or "diff": which legend and table */
    const char *top;          /* NULL or members of the data block's top level */
    const char *const *nodes; /* NULL or map->nnodes entries, each NULL or members */
    const char *const *edges; /* NULL or map->nedges entries, likewise */
    const char *banner;       /* NULL or a line of text above the map (the gate result) */
    bool banner_failed;       /* draw the banner as a failure */
};
/* Appends the whole page to out. extra may be NULL (the -f html emitter). */
int sm_emit_html_page(const struct sm_map *map, const struct sm_style *style,
                      const struct sm_html_extra *extra, struct sm_buf *out, struct sm_error *err);
/* A JSON string of text that is safe inside the page's data block: invalid UTF-8 and
 * control characters become U+FFFD, and '<', '>', '&' are written as \u00XX. */
void sm_html_add_json_string(struct sm_buf *out, const char *text);
/* text escaped for HTML element content and attribute values (cleaned the same way). */
void sm_html_add_text(struct sm_buf *out, const char *text);
/* One side's latency of e as a JSON object {count, p50, p90, p95, p99, max} in
 * milliseconds rounded as in the map document, or null when that side has none. */
void sm_html_add_latency(struct sm_buf *out, const struct sm_edge *e, enum sm_side side);

#endif
