/* emit_mermaid.c: the map as Mermaid `flowchart` text, which GitHub renders in Markdown.
 *
 * Node ids are generated (n0, n1, ... in map order; g0, g1, ... for clusters), so no
 * service name can clash with a Mermaid keyword (end, graph, style, click, subgraph)
 * or with another name that differs only in case. Names appear only inside quoted
 * labels, where every character that Mermaid, HTML or Markdown could read as syntax is
 * written as a Mermaid entity code (#34; for a quote, #60; for '<', ...), which Mermaid
 * turns back into the character as text. Newlines become <br>, Mermaid's line break.
 * Kinds are shapes, colours are linkStyle lines indexed by edge order: output is the
 * same bytes on every run.
 */
#include "svcmap/emit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit_priv.h"

/* Characters passed through as they are inside a quoted label; every other ASCII byte
 * becomes #NN; and bytes >= 0x80 (UTF-8, already validated) pass through. */
static bool plain_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
           c == '-' || c == '_' || c == '.' || c == ',' || c == '/' || c == '+' || c == '=' ||
           c == ':' || c == '!' || c == '?' || c == '@' || c == '~' || c == '^' || c == '$' ||
           c >= 0x80;
}

/* Appends text as the inside of a quoted Mermaid label. */
static void add_label(struct sm_buf *out, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;

    for (; *s; s++) {
        if (plain_char(*s))
            sm_buf_addc(out, (char)*s);
        else if (*s == '\n')
            sm_buf_adds(out, "<br>");
        else
            sm_buf_printf(out, "#%u;", (unsigned)*s);
    }
}

/* Opening and closing brackets of each node kind's shape. */
static void shape_of(enum sm_node_kind kind, const char **open, const char **close)
{
    switch (kind) {
    case SM_NODE_DATABASE:
        *open = "[(\"", *close = "\")]";
        break;
    case SM_NODE_QUEUE:
        *open = ">\"", *close = "\"]";
        break;
    case SM_NODE_EXTERNAL:
        *open = "{{\"", *close = "\"}}";
        break;
    case SM_NODE_CLIENT:
        *open = "([\"", *close = "\"])";
        break;
    case SM_NODE_SERVICE:
    default:
        *open = "(\"", *close = "\")";
        break;
    }
}

static const char *const class_defs[] = {
    [SM_NODE_SERVICE] = "fill:#eef7ee,stroke:#333333,color:#000000",
    [SM_NODE_DATABASE] = "fill:#e8f0fe,stroke:#333333,color:#000000",
    [SM_NODE_QUEUE] = "fill:#fef3e0,stroke:#333333,color:#000000",
    [SM_NODE_EXTERNAL] = "fill:#f5f5f5,stroke:#333333,color:#000000,stroke-dasharray:4 3",
    [SM_NODE_CLIENT] = "fill:#ffffff,stroke:#333333,color:#000000",
};

static void add_node(struct sm_buf *out, const struct sm_map *map, size_t i,
                     const struct sm_style *style, const char *indent)
{
    const char *open, *close;
    struct sm_buf text;

    sm_buf_init(&text);
    sm_emit_node_text(map, i, style, &text);
    shape_of(map->nodes[i].kind, &open, &close);
    sm_buf_printf(out, "%sn%zu%s", indent, i, open);
    add_label(out, text.data ? text.data : "");
    sm_buf_printf(out, "%s\n", close);
    sm_buf_release(&text);
}

/* Nodes, inside one subgraph per --group-by value (in order of first appearance). */
static void add_nodes(struct sm_buf *out, const struct sm_map *map, const struct sm_style *style)
{
    bool *done = sm_xcalloc(map->nnodes ? map->nnodes : 1, 1);
    size_t i, k, ngroups = 0;

    for (i = 0; i < map->nnodes; i++) {
        const char *v = sm_emit_group_of(&map->nodes[i], style->group_by);
        struct sm_buf text;

        if (done[i] || !v)
            continue;
        sm_buf_init(&text);
        sm_emit_clean_text(&text, v);
        sm_buf_printf(out, "    subgraph g%zu[\"", ngroups++);
        add_label(out, text.data ? text.data : "");
        sm_buf_adds(out, "\"]\n");
        for (k = i; k < map->nnodes; k++) {
            const char *w = sm_emit_group_of(&map->nodes[k], style->group_by);

            if (!done[k] && w && !strcmp(v, w)) {
                add_node(out, map, k, style, "        ");
                done[k] = true;
            }
        }
        sm_buf_adds(out, "    end\n");
        sm_buf_release(&text);
    }
    for (i = 0; i < map->nnodes; i++) {
        if (!done[i])
            add_node(out, map, i, style, "    ");
    }
    free(done);
}

static void add_edges(struct sm_buf *out, const struct sm_map *map, const struct sm_style *style)
{
    size_t j;

    for (j = 0; j < map->nedges; j++) {
        const struct sm_edge *e = &map->edges[j];
        struct sm_buf text;

        sm_buf_init(&text);
        sm_emit_edge_text(map, j, style, &text);
        sm_buf_printf(out, "    n%zu %s|\"", e->from,
                      e->kind == SM_EDGE_MESSAGING ? "-.->" : "-->");
        add_label(out, text.data ? text.data : "");
        sm_buf_printf(out, "\"| n%zu\n", e->to);
        sm_buf_release(&text);
    }
}

static void add_classes(struct sm_buf *out, const struct sm_map *map, const struct sm_style *style)
{
    int kind;
    size_t i;

    for (kind = SM_NODE_SERVICE; kind <= SM_NODE_CLIENT; kind++) {
        bool any = false;

        for (i = 0; i < map->nnodes; i++) {
            if ((int)map->nodes[i].kind != kind)
                continue;
            if (!any)
                sm_buf_printf(out, "    classDef %s %s\n    class ",
                              sm_node_kind_name((enum sm_node_kind)kind), class_defs[kind]);
            sm_buf_printf(out, "%sn%zu", any ? "," : "", i);
            any = true;
        }
        if (any)
            sm_buf_printf(out, " %s\n", sm_node_kind_name((enum sm_node_kind)kind));
    }
    for (i = 0; i < map->nnodes; i++) {
        const struct sm_decor *d = sm_emit_node_decor(style, i);

        if (!d || (!d->color && !d->dashed && !d->bold))
            continue;
        sm_buf_printf(out, "    style n%zu ", i);
        if (d->color)
            sm_buf_printf(out, "stroke:%s,color:%s,", d->color, d->color);
        if (d->dashed)
            sm_buf_adds(out, "stroke-dasharray:5 4,");
        sm_buf_adds(out, d->bold ? "stroke-width:3px\n" : "stroke-width:2px\n");
    }
}

static void add_link_styles(struct sm_buf *out, const struct sm_map *map,
                            const struct sm_style *style)
{
    size_t j;

    for (j = 0; j < map->nedges; j++) {
        const struct sm_decor *d = sm_emit_edge_decor(style, j);
        int level = sm_emit_edge_level(map, j, style);
        const char *color = d && d->color ? d->color : sm_emit_severity_color(level);
        double w = sm_emit_edge_width(map, j, style) + (d && d->bold ? 1.5 : 0);
        bool dashed = d && d->dashed;

        if (!strcmp(color, SM_COLOR_NORMAL) && w == 1 && !dashed)
            continue;
        sm_buf_printf(out, "    linkStyle %zu stroke:%s,color:%s,stroke-width:%gpx%s\n", j, color,
                      color, w, dashed ? ",stroke-dasharray:5 4" : "");
    }
}

static void add_legend(struct sm_buf *out, const struct sm_style *style)
{
    int level;

    sm_buf_adds(out, "    subgraph legend[\"legend\"]\n");
    if (style->nlegend_items > 0) {
        size_t i;

        for (i = 0; i < style->nlegend_items; i++) {
            sm_buf_printf(out, "        legend_%zu[\"", i);
            add_label(out, style->legend_items[i].text);
            sm_buf_adds(out, "\"]\n");
        }
        sm_buf_adds(out, "    end\n");
        for (i = 0; i < style->nlegend_items; i++) {
            const char *c = style->legend_items[i].color;

            sm_buf_printf(out, "    style legend_%zu fill:#ffffff,stroke:%s,color:%s\n", i, c, c);
        }
        return;
    }
    for (level = 1; level <= 2; level++) {
        struct sm_buf text;

        sm_buf_init(&text);
        sm_emit_legend_text(style, level, &text);
        sm_buf_printf(out, "        legend_%s[\"", level == 1 ? "warn" : "crit");
        add_label(out, text.data);
        sm_buf_adds(out, "\"]\n");
        sm_buf_release(&text);
    }
    sm_buf_adds(out, "    end\n");
    for (level = 1; level <= 2; level++) {
        const char *c = sm_emit_severity_color(level);

        sm_buf_printf(out, "    style legend_%s fill:#ffffff,stroke:%s,color:%s\n",
                      level == 1 ? "warn" : "crit", c, c);
    }
}

/* The title goes into Mermaid's front matter as a YAML double-quoted string. */
static void add_title(struct sm_buf *out, const char *title)
{
    struct sm_buf text;
    const unsigned char *s;

    sm_buf_init(&text);
    sm_emit_clean_text(&text, title);
    sm_buf_adds(out, "---\ntitle: \"");
    for (s = (const unsigned char *)(text.data ? text.data : ""); *s; s++) {
        if (*s == '"' || *s == '\\')
            sm_buf_printf(out, "\\%c", *s);
        else if (*s == '\n')
            sm_buf_adds(out, "\\n");
        else if (*s == '<' || *s == '>' || *s == '&')
            sm_buf_printf(out, "\\x%02x", *s);
        else
            sm_buf_addc(out, (char)*s);
    }
    sm_buf_adds(out, "\"\n---\n");
    sm_buf_release(&text);
}

static int emit_mermaid(const struct sm_map *map, const struct sm_style *style, struct sm_buf *out,
                        struct sm_error *err)
{
    (void)err;
    if (style->title && *style->title)
        add_title(out, style->title);
    sm_buf_printf(out, "flowchart %s\n", style->direction == SM_DIR_TB ? "TB" : "LR");
    add_nodes(out, map, style);
    add_edges(out, map, style);
    add_classes(out, map, style);
    add_link_styles(out, map, style);
    if (map->nedges == 0) {
        /* GitHub draws a flowchart with nothing in it as a blank box: say why */
        sm_buf_adds(out, "    empty[\"");
        add_label(out, SM_EMIT_EMPTY_NOTE);
        sm_buf_adds(out, "\"]\n    style empty fill:#ffffff,stroke:#999999,color:#555555,"
                         "stroke-dasharray:4 3\n");
    }
    if (sm_emit_wants_legend(map, style))
        add_legend(out, style);
    return 0;
}

static const char *const mermaid_extensions[] = {".mmd", ".mermaid", ".md", NULL};

const struct sm_emitter sm_emit_mermaid = {
    .name = "mermaid",
    .extensions = mermaid_extensions,
    .binary = false,
    .emit = emit_mermaid,
};
