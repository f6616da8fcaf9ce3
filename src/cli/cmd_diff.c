/* cmd_diff.c: `svcmap diff BASE HEAD`: what changed between two maps, and build gates.
 *
 * Each side is a map document or a trace file, or with --db a snapshot label (a side
 * that names no label but an existing file is read as a file), loaded with cli_load_map.
 * sm_diff_maps compares them; the report is text (coloured on a terminal unless NO_COLOR
 * is set), Markdown, JSON, or the union map drawn by the ordinary emitters with the
 * changes as decorations. --fail-on rules are parsed before anything is read (a bad
 * one is exit 2); every tripped rule is listed on stderr and in the report, and the
 * exit status is 1.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "svcmap/diff.h"
#include "svcmap/emit.h"
#include "svcmap/escape.h"
#include "svcmap/shape.h"

static const char usage[] =
    "usage: svcmap diff [options] BASE HEAD\n"
    "\n"
    "Compares two maps: BASE (e.g. the last release) and HEAD (this change). Each\n"
    "is a svcmap map document, a trace file, or with --db a snapshot label.\n"
    "Reports added and removed nodes and edges, and for edges on both sides the\n"
    "change in calls, error rate (percentage points) and latency per quantile,\n"
    "most severe first.\n";

enum format { FMT_TEXT, FMT_MARKDOWN, FMT_JSON, FMT_HTML, FMT_MAP };

struct diff_args {
    const char *db, *output, *format, *sides[2], *title;
    struct sm_gate *gates;
    size_t ngates;
    struct sm_diff_options opt;
    struct cli_input_options in;
    enum sm_direction direction;
    int color;             /* -1: decide by the terminal */
    bool with_map;         /* markdown: append the changed part of the map as Mermaid */
    bool changed_only;     /* map formats: draw only what changed */
    struct sm_shape shape; /* --clients, --include, --exclude; applied to both sides */
    struct cli_list include, exclude;
};

/* A non-negative number with an optional unit suffix ("25", "25%", "0.5pp"). */
static int parse_amount(const char *text, const char *unit, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(text, &end);
    if (end == text || errno || v < 0 || v != v || isinf(v) || (*end && strcmp(end, unit)))
        return -1;
    *out = v;
    return 0;
}

static int set_percent(void *value, const char *arg)
{
    double x;

    if (parse_amount(arg, "%", &x))
        return -1;
    *(double *)value = x / 100.0;
    return 0;
}

static int set_points(void *value, const char *arg)
{
    double x;

    if (parse_amount(arg, "pp", &x))
        return -1;
    *(double *)value = x / 100.0;
    return 0;
}

static int set_ms(void *value, const char *arg)
{
    return parse_amount(arg, "ms", value);
}

static int set_side(void *value, const char *arg)
{
    if (strcmp(arg, "client") && strcmp(arg, "server"))
        return -1;
    *(enum sm_side *)value = arg[0] == 'c' ? SM_SIDE_CLIENT : SM_SIDE_SERVER;
    return 0;
}

static int set_direction(void *value, const char *arg)
{
    if (strcmp(arg, "LR") && strcmp(arg, "TB"))
        return -1;
    *(enum sm_direction *)value = arg[0] == 'L' ? SM_DIR_LR : SM_DIR_TB;
    return 0;
}

static int set_attr(void *value, const char *arg)
{
    if (!sm_shape_attr_known(arg))
        return -1;
    *(const char **)value = arg;
    return 0;
}

static int set_format(void *value, const char *arg)
{
    static const char *const words[] = {"text",    "markdown", "md",  "json", "html",
                                        "mermaid", "dot",      "svg", "png"};
    size_t i;

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (!strcmp(words[i], arg)) {
            *(const char **)value = arg;
            return 0;
        }
    }
    return -1;
}

/* --fail-on LIST: every rule parsed now, so that a bad one is a usage error before
 * anything is read. */
static int add_gates(void *value, const char *list)
{
    struct diff_args *a = value;
    char *copy = sm_xstrdup(list), *save = NULL, *tok;
    int status = 0;

    for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        if (!*tok)
            continue;
        a->gates = sm_xrealloc(a->gates, (a->ngates + 1) * sizeof(*a->gates));
        if (sm_gate_parse(tok, &a->gates[a->ngates], NULL)) {
            status = -1;
            break;
        }
        a->ngates++;
    }
    free(copy);
    return status;
}

static const char *ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && !strcmp(s + n - m, suffix) ? s + n - m : NULL;
}

/* The report format: -f, else -o's extension, else text. *emitter for map formats. */
static int pick_format(const struct diff_args *a, enum format *fmt,
                       const struct sm_emitter **emitter)
{
    static const struct {
        const char *ext, *name;
    } exts[] = {{".txt", "text"},  {".md", "markdown"}, {".markdown", "markdown"},
                {".json", "json"}, {".mmd", "mermaid"}, {".mermaid", "mermaid"},
                {".dot", "dot"},   {".gv", "dot"},      {".svg", "svg"},
                {".png", "png"},   {".html", "html"},   {".htm", "html"}};
    const char *name = a->format;
    size_t i;

    if (!name && a->output && strcmp(a->output, "-")) {
        for (i = 0; i < sizeof(exts) / sizeof(exts[0]) && !name; i++) {
            if (ends_with(a->output, exts[i].ext))
                name = exts[i].name;
        }
    }
    if (!name || !strcmp(name, "text")) {
        *fmt = FMT_TEXT;
        return 0;
    }
    if (!strcmp(name, "markdown") || !strcmp(name, "md")) {
        *fmt = FMT_MARKDOWN;
        return 0;
    }
    if (!strcmp(name, "json")) {
        *fmt = FMT_JSON;
        return 0;
    }
    if (!strcmp(name, "html")) {
        *fmt = FMT_HTML;
        return 0;
    }
    if (!strcmp(name, "mermaid") || !strcmp(name, "dot") || !strcmp(name, "svg") ||
        !strcmp(name, "png")) {
        *emitter = sm_emitter_find(name);
        if (*emitter) {
            *fmt = FMT_MAP;
            return 0;
        }
    }
    return cli_usage_error(
        "diff", "unknown format '%s' (text, markdown, json, html, mermaid, dot, svg, png)", name);
}

/* Loads one side: a label of the store (with --db), or a map document / trace file. */
static int load_side(struct diff_args *a, int which, struct sm_map *map)
{
    char *path = (char *)a->sides[which];
    struct sm_error err;

    sm_error_init(&err);
    if (cli_load_map(&path, 1, a->db, &a->in, map, &err))
        return cli_report(&err);
    return 0;
}

/* Both sides shaped alike, so that the client node or an excluded service does not show
 * up as a change. */
static int shape_side(struct diff_args *a, struct sm_map *map)
{
    struct sm_error err;

    sm_error_init(&err);
    a->shape.include = a->include.items;
    a->shape.ninclude = a->include.n;
    a->shape.exclude = a->exclude.items;
    a->shape.nexclude = a->exclude.n;
    if (sm_shape_apply(map, &a->shape, &err))
        return cli_report(&err);
    return 0;
}

static bool want_color(const struct diff_args *a)
{
    const char *no = getenv("NO_COLOR");

    if (a->color >= 0)
        return a->color == 1;
    if (a->output && strcmp(a->output, "-"))
        return false;
    return isatty(STDOUT_FILENO) && !(no && *no);
}

/* Cuts map (a copy of the union, in the same order) down to what changed: changed
 * edges with their two nodes, and added or removed nodes. The decor arrays are
 * compacted the way sm_map_retain compacts the map, so that they stay aligned. */
static void keep_changes(const struct sm_diff *d, struct sm_map *map, struct sm_decor *nd,
                         struct sm_decor *ed)
{
    bool *kn = sm_xcalloc(map->nnodes ? map->nnodes : 1, sizeof(bool));
    bool *ke = sm_xcalloc(map->nedges ? map->nedges : 1, sizeof(bool));
    size_t i, n = 0;

    for (i = 0; i < d->nchanges; i++) {
        const struct sm_change *c = &d->changes[i];

        if (c->kind == SM_CHANGE_ADDED_NODE || c->kind == SM_CHANGE_REMOVED_NODE) {
            kn[c->node] = true;
            continue;
        }
        ke[c->edge] = true;
        kn[map->edges[c->edge].from] = true;
        kn[map->edges[c->edge].to] = true;
    }
    for (i = 0; i < map->nnodes; i++) {
        if (kn[i])
            nd[n++] = nd[i];
    }
    for (i = 0, n = 0; i < map->nedges; i++) {
        if (ke[i])
            ed[n++] = ed[i];
    }
    sm_map_retain(map, kn, ke);
    free(kn);
    free(ke);
}

/* The union map with the change drawn on it, by emitter, appended to out. */
static int draw(const struct diff_args *a, const struct sm_diff *d,
                const struct sm_emitter *emitter, bool changed_only, struct sm_buf *out)
{
    struct sm_decor *nd, *ed;
    struct sm_style style;
    struct sm_buf notes, title;
    struct sm_error err;
    struct sm_map copy;
    int rc = 0;

    nd = sm_xcalloc(d->map.nnodes ? d->map.nnodes : 1, sizeof(*nd));
    ed = sm_xcalloc(d->map.nedges ? d->map.nedges : 1, sizeof(*ed));
    sm_buf_init(&notes);
    sm_map_init(&copy);
    sm_diff_decorate(d, nd, ed, &notes);
    /* merging into an empty map copies it in the same order */
    sm_map_merge(&copy, &d->map);
    if (changed_only)
        keep_changes(d, &copy, nd, ed);
    sm_style_init(&style);
    style.direction = a->direction;
    style.latency = a->opt.side == SM_SIDE_CLIENT ? SM_LATENCY_CLIENT : SM_LATENCY_SERVER;
    /* a picture of a change names its two sides unless --title says otherwise */
    sm_buf_init(&title);
    if (a->title)
        sm_buf_adds(&title, a->title);
    else
        sm_buf_printf(&title, "changes from %s to %s", a->sides[0], a->sides[1]);
    style.title = title.data;
    /* only the change is coloured: warn/crit colours would read as change colours */
    style.warn_p99_ms = style.crit_p99_ms = HUGE_VAL;
    style.warn_error_rate = style.crit_error_rate = HUGE_VAL;
    style.legend = false;
    style.legend_items = sm_diff_legend(&style.nlegend_items);
    style.node_decor = nd;
    style.edge_decor = ed;
    sm_error_init(&err);
    if (emitter->emit(&copy, &style, out, &err))
        rc = cli_report(&err);
    sm_map_release(&copy);
    free(nd);
    free(ed);
    sm_buf_release(&notes);
    sm_buf_release(&title);
    return rc;
}

/* The interactive page: the whole union, the gate result at the top. */
static int draw_html(const struct diff_args *a, const struct sm_diff *d, const struct sm_map *base,
                     const struct sm_map *head, const struct sm_gate_hits *hits, struct sm_buf *out)
{
    struct sm_style style;
    struct sm_error err;

    sm_style_init(&style);
    style.direction = a->direction;
    style.latency = a->opt.side == SM_SIDE_CLIENT ? SM_LATENCY_CLIENT : SM_LATENCY_SERVER;
    style.title = a->title;
    /* only the change is coloured, as in the other pictures of a diff */
    style.warn_p99_ms = style.crit_p99_ms = HUGE_VAL;
    style.warn_error_rate = style.crit_error_rate = HUGE_VAL;
    sm_error_init(&err);
    if (sm_diff_write_html(d, base, head, a->gates, a->ngates, hits, &style, out, &err))
        return cli_report(&err);
    return 0;
}

static int render(const struct diff_args *a, const struct sm_diff *d, const struct sm_map *base,
                  const struct sm_map *head, const struct sm_gate_hits *hits, enum format fmt,
                  const struct sm_emitter *emitter, struct sm_buf *out)
{
    struct sm_buf diagram;
    int rc;

    switch (fmt) {
    case FMT_TEXT:
        sm_diff_write_text(d, hits, want_color(a), out);
        return 0;
    case FMT_MARKDOWN:
        sm_diff_write_markdown(d, hits, out);
        if (!a->with_map || !d->nchanges)
            return 0;
        /* GitHub draws Mermaid blocks in comments; folded, so the table comes first */
        sm_buf_adds(out, "\n<details><summary>The change on the map</summary>\n\n");
        sm_buf_init(&diagram);
        rc = draw(a, d, &sm_emit_mermaid, true, &diagram);
        if (rc == 0) {
            sm_escape_fenced(out, "mermaid", diagram.data ? diagram.data : "", diagram.len);
            sm_buf_adds(out, "\n</details>\n");
        }
        sm_buf_release(&diagram);
        return rc;
    case FMT_JSON:
        sm_diff_write_json(d, hits, out);
        return 0;
    case FMT_HTML:
        return draw_html(a, d, base, head, hits, out);
    case FMT_MAP:
        break;
    }
    return draw(a, d, emitter, a->changed_only, out);
}

int cmd_diff(int argc, char **argv)
{
    struct diff_args a = {0}; /* the option table below reads a.in */
    struct sm_map base, head;
    struct sm_diff d;
    struct sm_gate_hits hits;
    struct sm_buf out, line;
    struct sm_error err;
    const struct sm_emitter *emitter = NULL;
    enum format fmt = FMT_TEXT;
    size_t i;
    char **sides = sm_xcalloc((size_t)argc + 1, sizeof(char *));
    int nsides = 0, status = 0;
    struct cli_option options[] = {
        OPT_STRING(0, "db", &a.db, "FILE", "BASE and HEAD may be snapshot labels in FILE"),
        OPT_CALLBACK('f', "format", &a.format, set_format, "FMT",
                     "text, markdown, json, html, mermaid, dot, svg or png",
                     "text (default), markdown, json, html (the interactive\n"
                     "page: union map, before/after on hover, gate result),\n"
                     "or the map with the changes drawn on it: mermaid, dot,\n"
                     "svg, png"),
        OPT_STRING('o', "output", &a.output, "FILE",
                   "write atomically to FILE; the format follows its\n"
                   "extension (.txt .md .json .html .mmd .dot .gv .svg .png)"),
        OPT_CALLBACK(0, "fail-on", &a, add_gates, "LIST",
                     "added-edge, removed-edge, added-node, removed-node, pNN>+X% or pNN>+Xms "
                     "(NN 50, 90, 95, 99), errors>+Xpp, calls<-X%, calls>+X% or "
                     "critical>+Xpp, comma-separated",
                     "exit 1 when a rule trips (comma-separated, repeatable):\n"
                     "added-edge, removed-edge, added-node, removed-node,\n"
                     "pNN>+X% or pNN>+Xms (NN: 50 90 95 99), errors>+Xpp,\n"
                     "calls<-X%, calls>+X%, critical>+Xpp (a contributor's\n"
                     "share of an entry's critical path rises by more than\n"
                     "X points; needs traces or map documents with it)"),
        OPT_COUNT(0, "min-calls", &a.opt.min_calls, "N", 0, "a number of calls",
                  "ignore edges with fewer calls (default 10)"),
        OPT_CALLBACK(0, "latency", &a.opt.side, set_side, "client|server", "client or server",
                     "side compared first (default client; falls back to\n"
                     "the other side when a map lacks it)"),
        OPT_CALLBACK(0, "latency-threshold", &a.opt.latency_threshold, set_percent, "P",
                     "a number of percent such as 20 or 20%",
                     "report a quantile moving by P % (default 20)"),
        OPT_CALLBACK(0, "latency-min-ms", &a.opt.latency_min_ms, set_ms, "MS",
                     "a number of milliseconds such as 1 or 1ms",
                     "... and by at least MS ms (default 1)"),
        OPT_CALLBACK(0, "calls-threshold", &a.opt.calls_threshold, set_percent, "P",
                     "a number of percent such as 25 or 25%",
                     "report call volume moving by P % (default 25)"),
        OPT_CALLBACK(0, "errors-threshold", &a.opt.errors_threshold, set_points, "PP",
                     "a number of percentage points such as 0.5 or 0.5pp",
                     "report error rate moving by PP points (default 0.5)"),
        OPT_CALLBACK(0, "share-threshold", &a.opt.share_threshold, set_points, "PP",
                     "a number of percentage points such as 1 or 1pp",
                     "report a contributor's share of an entry's critical\n"
                     "path moving by PP points (default 1)"),
        OPT_BOOL(0, "changed-only", &a.changed_only,
                 "mermaid, dot, svg, png: draw only the nodes and edges\nthat changed"),
        OPT_BOOL(0, "with-map", &a.with_map, "markdown: append those as a folded Mermaid diagram"),
        OPT_BOOL(0, "clients", &a.shape.clients, "keep the client node (requests from outside)"),
        OPT_CALLBACK(0, "collapse", &a.shape.collapse, set_attr, "ATTR",
                     "service.namespace, service.version, kind or system",
                     "one node per service.namespace, service.version, kind\n"
                     "or system, on both sides"),
        OPT_LIST(0, "include", &a.include, "GLOB", "compare only the nodes whose names match"),
        OPT_LIST(0, "exclude", &a.exclude, "GLOB", "leave out the nodes whose names match"),
        OPT_CALLBACK(0, "direction", &a.direction, set_direction, "LR|TB", "LR or TB",
                     "layout of the drawn map"),
        OPT_STRING(0, "title", &a.title, "TEXT", "a title above the drawn map"),
        OPT_SET_INT(0, "color", &a.color, 1,
                    "text colours (default: when stdout is a terminal and\n"
                    "NO_COLOR is unset)"),
        OPT_SET_INT(0, "no-color", &a.color, 0, "no text colours"),
        OPT_INCLUDE(cli_input_option_table(&a.in)),
        OPT_GROUP("Exit status: 0 no rule tripped, 1 a --fail-on rule tripped, 2 usage error,\n"
                  "3 bad input, 4 system failure."),
        OPT_END(),
    };

    memset(&a, 0, sizeof(a));
    a.color = -1;
    sm_shape_init(&a.shape);
    sm_diff_options_init(&a.opt);
    cli_input_options_init(&a.in);
    sm_map_init(&base);
    sm_map_init(&head);
    sm_diff_init(&d);
    sm_gate_hits_init(&hits);
    sm_buf_init(&line);
    sm_buf_init(&out);
    sm_error_init(&err);
    if ((status = cli_options_parse("diff", options, argc, argv, usage, sides, &nsides)) >= 0)
        goto out;
    status = 0;
    if (nsides > 2) {
        status = cli_usage_error("diff", "diff takes two maps, not '%s' too", sides[2]);
        goto out;
    }
    if (nsides == 2) {
        a.sides[0] = sides[0];
        a.sides[1] = sides[1];
    }
    if (nsides != 2) {
        status = cli_usage_error("diff", "diff needs two maps: BASE HEAD");
        goto out;
    }
    if (!strcmp(a.sides[0], "-") && !strcmp(a.sides[1], "-")) {
        status = cli_usage_error("diff", "only one side can be standard input");
        goto out;
    }
    if ((status = pick_format(&a, &fmt, &emitter)))
        goto out;
    if ((status = load_side(&a, 0, &base)) || (status = load_side(&a, 1, &head)) ||
        (status = shape_side(&a, &base)) || (status = shape_side(&a, &head)))
        goto out;
    a.opt.base_name = a.sides[0];
    a.opt.head_name = a.sides[1];
    sm_diff_maps(&d, &base, &head, &a.opt);
    /* A share gate held against maps without shares would pass whatever happened. */
    for (i = 0; i < a.ngates; i++) {
        if (sm_gate_needs_why(&a.gates[i]) && !d.has_why) {
            cli_message("--fail-on %s: %s has no critical-path figures (they come from the "
                        "spans of entry requests; pre-aggregated dependencies carry none)",
                        a.gates[i].text, base.nwhy == 0 ? a.sides[0] : a.sides[1]);
            status = 2;
            goto out;
        }
    }
    sm_diff_check_gates(&d, a.gates, a.ngates, &hits);
    if ((status = render(&a, &d, &base, &head, &hits, fmt, emitter, &out)))
        goto out;
    if (cli_write_output(a.output, out.data ? out.data : "", out.len, &err)) {
        status = cli_report(&err);
        goto out;
    }
    for (i = 0; i < hits.nhits; i++) {
        sm_buf_reset(&line);
        sm_gate_hit_describe(&d, &hits.hits[i], &line);
        cli_message("gate tripped: %s", line.data);
    }
    if (hits.nhits)
        status = 1;
out:
    sm_map_release(&base);
    sm_map_release(&head);
    sm_diff_release(&d);
    sm_gate_hits_release(&hits);
    sm_buf_release(&line);
    sm_buf_release(&out);
    free(a.gates);
    cli_list_release(&a.include);
    cli_list_release(&a.exclude);
    free(sides);
    return status;
}
