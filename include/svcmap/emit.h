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
    /* SVG and PNG: the most seconds Graphviz may spend on a layout before a simple
     * layered one is drawn instead (sm_emit_graphviz_render); 0: no limit. */
    double layout_seconds;
};

/* Defaults: LR, default label, client latency, warn p99 500 ms / crit 2000 ms,
 * warn errors 5 % / crit 10 %, no groups, legend on. */
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
 * {p99} {max}) for edge e into out. Latency fields use style->latency, falling back to
 * the other side when that side has no spans; "-" when neither has. */
void sm_edge_label(const struct sm_map *map, const struct sm_edge *e, const struct sm_style *style,
                   struct sm_buf *out);

/* 0 normal, 1 warn, 2 crit, by p99 and error rate. */
int sm_edge_severity(const struct sm_edge *e, const struct sm_style *style);

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
