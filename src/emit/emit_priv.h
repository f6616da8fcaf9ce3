/* emit_priv.h: what the picture emitters (dot, svg, png, mermaid) share, inside the core.
 *
 * Not a public header: these helpers keep the formats speaking one visual language
 * (colours, line widths, clusters, the legend, safe label text) and live in emit.c.
 */
#ifndef SVCMAP_EMIT_PRIV_H
#define SVCMAP_EMIT_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "svcmap/emit.h"

/* Edge colours by severity, and the colour of a normal edge. */
#define SM_COLOR_NORMAL "#4d4d4d"
#define SM_COLOR_WARN   "#d08c00"
#define SM_COLOR_CRIT   "#d62728"
const char *sm_emit_severity_color(int level);

/* The cluster value of a node under --group-by ("service.namespace", "service.version",
 * "kind", "system"), borrowed from the node, or NULL when it has none. */
const char *sm_emit_group_of(const struct sm_node *n, const char *group_by);

/* Line width for an edge of calls calls: 1 to 5, logarithmic in the call count. */
double sm_emit_width(uint64_t calls);

/* True when the picture should carry a legend: style->legend is on and some edge is
 * coloured by a threshold. */
bool sm_emit_wants_legend(const struct sm_map *map, const struct sm_style *style);

/* The legend's lines for warn and crit ("p99 >= 500 ms or errors >= 1.0 %"). */
void sm_emit_legend_text(const struct sm_style *style, int level, struct sm_buf *out);

/* The note a picture of a map with no edges carries instead of a blank canvas, so that
 * a CI artifact says "nothing was called" rather than looking broken. */
#define SM_EMIT_EMPTY_NOTE "empty map: no calls to draw"

/* Appends text with every byte that is not valid UTF-8, and every control character
 * except newline, replaced by U+FFFD, so that any output format can carry it. */
void sm_emit_clean_text(struct sm_buf *out, const char *text);

/* The node's label text: its name plus the decor note on a new line, cleaned. */
void sm_emit_node_text(const struct sm_map *map, size_t i, const struct sm_style *style,
                       struct sm_buf *out);
/* The edge's label text: sm_edge_label plus the decor note on a new line, cleaned. */
void sm_emit_edge_text(const struct sm_map *map, size_t j, const struct sm_style *style,
                       struct sm_buf *out);

/* The decor of node i / edge j, or NULL. */
const struct sm_decor *sm_emit_node_decor(const struct sm_style *style, size_t i);
const struct sm_decor *sm_emit_edge_decor(const struct sm_style *style, size_t j);

/* Lays the map out and renders it in process through Graphviz's gvc (format "svg",
 * "png", ...), appending the bytes to out. In emit_dot.c, the one file that talks to
 * Graphviz. */
int sm_emit_graphviz_render(const struct sm_map *map, const struct sm_style *style,
                            const char *format, struct sm_buf *out, struct sm_error *err);

/* Element ids of the HTML page, from node ids: "node:" + the node id, and
 * "edge:" + from id + "__" + to id + "__" + edge kind; bytes outside [A-Za-z0-9.:-]
 * written as _XX. In emit_html.c. */
void sm_emit_node_elid(const struct sm_map *map, size_t i, struct sm_buf *out);
void sm_emit_edge_elid(const struct sm_map *map, size_t j, struct sm_buf *out);

/* The page's script and stylesheet: src/emit/html/svcmap.js and svcmap.css, made into
 * C strings at build time (cmake/embed.cmake). */
extern const char sm_html_script[];
extern const char sm_html_style[];

/* Connected components of the map (edges taken as undirected) and the size of the
 * largest, in time linear in nodes and edges. In layout.c. */
void sm_layout_components(const struct sm_map *map, size_t *ncomponents, size_t *largest);

/* Places every node (x[i], y[i] in points, y growing upwards as in Graphviz) without
 * Graphviz: columns by call depth inside each component, components packed in rows.
 * Linear in nodes and edges; for pictures Graphviz would take too long to lay out.
 * x and y have room for map->nnodes entries. In layout.c. */
void sm_layout_grid(const struct sm_map *map, bool top_to_bottom, double *x, double *y);

#endif
