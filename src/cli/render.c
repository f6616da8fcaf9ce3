/* render.c: the rendering options every map-drawing command shares, and the output step.
 *
 * cli_render_option_table declares shaping (--focus, --depth, --include, --exclude,
 * --min-calls, --clients, --collapse), style (--group-by, --direction, --edge-label, --latency,
 * --warn/--crit, --no-legend, --title) and output (-o, -f, --inject, --name) options.
 * cli_render_map then shapes the map (sm_shape_apply), picks the emitter (-f, else the
 * extension of -o, else Mermaid for --inject, else the command's default), emits into
 * memory and writes the result atomically: to -o, into the block of the --inject file,
 * or to stdout. Nothing is written unless the whole document was produced.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "svcmap/escape.h"
#include "svcmap/emit.h"
#include "svcmap/inject.h"
#include "svcmap/output.h"
#include "svcmap/shape.h"

struct cli_render_options {
    struct sm_shape shape;
    struct sm_style style;
    struct cli_list include, exclude; /* --include, --exclude: borrowed from argv */
    const char *output;               /* -o, borrowed from argv */
    const char *format;               /* -f */
    const char *inject;               /* --inject FILE.md */
    const char *name;                 /* --name: the block in the --inject file */
    const char *entry;                /* --entry: whose critical path, NULL: all entries */
    struct cli_option *table;         /* owned: the rows below, pointing into this struct */
};

/* How long Graphviz may lay out a picture: SVCMAP_LAYOUT_SECONDS, else 20 s, so that no
 * map hangs a CI job (a simple layered layout is drawn instead, with a note). */
static double layout_seconds(void)
{
    const char *v = getenv("SVCMAP_LAYOUT_SECONDS");
    char *end;
    double s;

    if (!v || !*v)
        return 20;
    s = strtod(v, &end);
    if (*end || !isfinite(s) || s < 0) {
        cli_message("warning: SVCMAP_LAYOUT_SECONDS='%s' is not a number of seconds; using 20", v);
        return 20;
    }
    return s;
}

static int parse_count(const char *text, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (!*text || *text == '-')
        return -1;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* A duration in milliseconds: "500", "500ms", "2s", "1.5s", "250us", "1m". */
static int parse_ms(const char *text, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(text, &end);
    if (errno || end == text || !isfinite(v) || v < 0)
        return -1;
    if (!*end || !strcmp(end, "ms"))
        *out = v;
    else if (!strcmp(end, "s"))
        *out = v * 1000;
    else if (!strcmp(end, "us"))
        *out = v / 1000;
    else if (!strcmp(end, "m") || !strcmp(end, "min"))
        *out = v * 60000;
    else
        return -1;
    return 0;
}

/* An error rate as a percentage ("1", "1%", "0.5 %") into a fraction. */
static int parse_percent(const char *text, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(text, &end);
    if (errno || end == text || !isfinite(v) || v < 0 || v > 100)
        return -1;
    while (*end == ' ')
        end++;
    if (*end == '%')
        end++;
    if (*end)
        return -1;
    *out = v / 100;
    return 0;
}

/* --warn / --crit SPEC: "p99=500ms", "errors=1%", "critical=25%", joined by commas. */
static int parse_thresholds(const char *spec, double *p99_ms, double *error_rate, double *critical)
{
    char *copy = sm_xstrdup(spec), *part, *save = NULL;
    int rc = 0;

    for (part = strtok_r(copy, ",", &save); part && rc == 0; part = strtok_r(NULL, ",", &save)) {
        if (!strncmp(part, "p99=", 4)) {
            if (parse_ms(part + 4, p99_ms))
                rc = -1;
        } else if (!strncmp(part, "errors=", 7)) {
            if (parse_percent(part + 7, error_rate))
                rc = -1;
        } else if (!strncmp(part, "critical=", 9)) {
            if (parse_percent(part + 9, critical))
                rc = -1;
        } else {
            rc = -1;
        }
    }
    free(copy);
    return rc;
}

static int set_warn(void *value, const char *arg)
{
    struct sm_style *st = value;

    return parse_thresholds(arg, &st->warn_p99_ms, &st->warn_error_rate, &st->warn_critical);
}

static int set_crit(void *value, const char *arg)
{
    struct sm_style *st = value;

    return parse_thresholds(arg, &st->crit_p99_ms, &st->crit_error_rate, &st->crit_critical);
}

static int set_ms(void *value, const char *arg)
{
    return parse_ms(arg, value);
}

static int set_percent(void *value, const char *arg)
{
    return parse_percent(arg, value);
}

static int set_format(void *value, const char *arg)
{
    if (!sm_emitter_find(arg))
        return -1;
    *(const char **)value = arg;
    return 0;
}

static int set_depth(void *value, const char *arg)
{
    uint64_t n;

    if (parse_count(arg, &n) || n > 1000)
        return -1;
    *(unsigned *)value = (unsigned)n;
    return 0;
}

/* --group-by, --collapse: an attribute name sm_shape knows. */
static int set_attr(void *value, const char *arg)
{
    if (!sm_shape_attr_known(arg))
        return -1;
    *(const char **)value = arg;
    return 0;
}

static int set_direction(void *value, const char *arg)
{
    if (!sm_strcasecmp(arg, "LR"))
        *(enum sm_direction *)value = SM_DIR_LR;
    else if (!sm_strcasecmp(arg, "TB"))
        *(enum sm_direction *)value = SM_DIR_TB;
    else
        return -1;
    return 0;
}

static int set_latency(void *value, const char *arg)
{
    if (!strcmp(arg, "client"))
        *(enum sm_latency_side *)value = SM_LATENCY_CLIENT;
    else if (!strcmp(arg, "server"))
        *(enum sm_latency_side *)value = SM_LATENCY_SERVER;
    else
        return -1;
    return 0;
}

static int set_weight(void *value, const char *arg)
{
    if (!strcmp(arg, "calls"))
        *(enum sm_weight *)value = SM_WEIGHT_CALLS;
    else if (!strcmp(arg, "critical"))
        *(enum sm_weight *)value = SM_WEIGHT_CRITICAL;
    else
        return -1;
    return 0;
}

static int set_name(void *value, const char *arg)
{
    if (!sm_inject_name_ok(arg))
        return -1;
    *(const char **)value = arg;
    return 0;
}

struct cli_render_options *cli_render_options_new(void)
{
    struct cli_render_options *o = sm_xcalloc(1, sizeof(*o));
    const struct cli_option rows[] = {
        OPT_GROUP("shaping:"),
        OPT_STRING(0, "focus", &o->shape.focus, "NODE",
                   "only NODE (a name, or an id like database:orders) and\n"
                   "what lies within --depth calls of it, both directions"),
        OPT_CALLBACK(0, "depth", &o->shape.depth, set_depth, "N", "a number of hops from 0 to 1000",
                     "hops from the focus (default 1)"),
        OPT_LIST(0, "include", &o->include, "GLOB",
                 "keep only nodes whose name matches (repeatable; * and ?)"),
        OPT_LIST(0, "exclude", &o->exclude, "GLOB", "drop nodes whose name matches (repeatable)"),
        OPT_COUNT(0, "min-calls", &o->shape.min_calls, "N", 0, "a number of calls",
                  "drop edges with fewer than N calls"),
        OPT_BOOL(0, "clients", &o->shape.clients, "draw the 'client' node: requests from outside"),
        OPT_CALLBACK(0, "collapse", &o->shape.collapse, set_attr, "ATTR",
                     "service.namespace, service.version, kind or system",
                     "one node per service.namespace, service.version, kind\n"
                     "or system: calls and errors summed, latency merged\n"
                     "(nodes without ATTR stay themselves)"),
        OPT_GROUP("style:"),
        OPT_CALLBACK(0, "group-by", &o->style.group_by, set_attr, "ATTR",
                     "service.namespace, service.version, kind or system",
                     "clusters by service.namespace, service.version, kind or\nsystem"),
        OPT_CALLBACK(0, "direction", &o->style.direction, set_direction, "LR|TB", "LR or TB",
                     "left to right (default) or top to bottom"),
        OPT_STRING(0, "edge-label", &o->style.edge_label, "TEMPLATE",
                   "e.g. '{calls} calls, p50 {p50}'; fields {calls} {errors}\n"
                   "{error_rate} {p50} {p90} {p95} {p99} {max} {min} {mean}\n"
                   "{kind} {critical} (default: calls, p99, and error rate if\n"
                   "any)"),
        OPT_CALLBACK(0, "weight", &o->style.weight, set_weight, "calls|critical",
                     "calls or critical",
                     "what edge width and colour show: call volume with p99\n"
                     "and errors (default), or critical: the edge's share of\n"
                     "the --entry's time on its critical path (inclusive\n"
                     "critical time of the calls / the entry's total time;\n"
                     "with no --entry, summed over all entries)"),
        OPT_STRING(0, "entry", &o->entry, "NAME",
                   "the entry service (or id such as service:frontend)\n"
                   "whose critical path --weight critical and {critical}\n"
                   "show (default: all entries together)"),
        OPT_CALLBACK(0, "latency", &o->style.latency, set_latency, "client|server",
                     "client or server",
                     "whose span durations label and colour edges (default\n"
                     "client: what the caller waited)"),
        OPT_CALLBACK(0, "warn", &o->style, set_warn, "SPEC",
                     "p99=DURATION, errors=PERCENT and/or critical=PERCENT (e.g. p99=2s,errors=5%)",
                     "amber thresholds: p99=DURATION,errors=PERCENT and, for\n"
                     "--weight critical, critical=PERCENT (default p99=500ms,\n"
                     "errors=5%,critical=25%)"),
        OPT_CALLBACK(0, "crit", &o->style, set_crit, "SPEC",
                     "p99=DURATION, errors=PERCENT and/or critical=PERCENT (e.g. p99=2s,errors=5%)",
                     "red thresholds, the same way (default p99=2s,errors=10%,\n"
                     "critical=50%)"),
        OPT_CALLBACK(0, "warn-p99", &o->style.warn_p99_ms, set_ms, "D",
                     "a duration such as 500ms or 2s (0: off)",
                     "the amber p99 alone; 0 turns it off"),
        OPT_CALLBACK(0, "crit-p99", &o->style.crit_p99_ms, set_ms, "D",
                     "a duration such as 500ms or 2s (0: off)",
                     "the red p99 alone; 0 turns it off"),
        OPT_CALLBACK(0, "warn-errors", &o->style.warn_error_rate, set_percent, "P",
                     "a percentage such as 1% (0: off)",
                     "the amber error rate alone; 0 turns it off"),
        OPT_CALLBACK(0, "crit-errors", &o->style.crit_error_rate, set_percent, "P",
                     "a percentage such as 1% (0: off)",
                     "the red error rate alone; 0 turns it off"),
        OPT_BOOL_OFF(0, "no-legend", &o->style.legend,
                     "no legend, even when colour carries meaning"),
        OPT_STRING(0, "title", &o->style.title, "TEXT", "a title above the map"),
        OPT_GROUP("output:"),
        OPT_STRING('o', "output", &o->output, "FILE",
                   "write FILE atomically; the format follows the extension:\n"
                   ".json .csv .dot .gv .svg .png .html .mmd .md (Mermaid)"),
        OPT_CALLBACK('f', "format", &o->format, set_format, "FORMAT",
                     "json, table, csv, dot, svg, png, html or mermaid",
                     "json, table, csv, dot, svg, png, html (one interactive\n"
                     "page: hover, search, focus, filters) or mermaid"),
        OPT_STRING(0, "inject", &o->inject, "FILE.md",
                   "rewrite the block between '<!-- svcmap:begin NAME -->'\n"
                   "and '<!-- svcmap:end NAME -->' in FILE.md (Mermaid\n"
                   "unless -f says otherwise); nothing else changes"),
        OPT_CALLBACK(0, "name", &o->name, set_name, "NAME", "1-64 letters, digits, '.', '_' or '-'",
                     "the block for --inject (default: map)"),
        OPT_END(),
    };

    sm_shape_init(&o->shape);
    sm_style_init(&o->style);
    o->style.layout_seconds = layout_seconds();
    o->name = "map";
    o->table = sm_xmalloc(sizeof(rows));
    memcpy(o->table, rows, sizeof(rows));
    return o;
}

void cli_render_options_free(struct cli_render_options *o)
{
    if (!o)
        return;
    cli_list_release(&o->include);
    cli_list_release(&o->exclude);
    free(o->table);
    free(o);
}

bool cli_render_has_output(const struct cli_render_options *o)
{
    return o->output || o->inject;
}

const struct cli_option *cli_render_option_table(struct cli_render_options *o)
{
    return o->table;
}

/* The Markdown fence language for a text format. */
static const char *fence_language(const struct sm_emitter *em)
{
    if (em == &sm_emit_mermaid)
        return "mermaid";
    if (em == &sm_emit_dot)
        return "dot";
    if (em == &sm_emit_json)
        return "json";
    if (em == &sm_emit_csv)
        return "csv";
    return "";
}

/* A fence no line of the text can close (a name with a line break and backticks in
 * CSV, JSON or DOT would otherwise end the block and write Markdown of its own). */
static void add_fenced(struct sm_buf *out, const struct sm_emitter *em, const struct sm_buf *text)
{
    sm_escape_fenced(out, fence_language(em), text->data ? text->data : "", text->len);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && !sm_strcasecmp(s + n - m, suffix);
}

/* The largest Markdown file --inject edits: far above any real document, and low
 * enough that --inject /dev/zero stops at once. */
#define INJECT_MAX_BYTES (64u << 20)

struct inject_ctx {
    const char *path, *name;
    const struct sm_buf *block;
};

static int inject_edit(void *ctx, const char *doc, size_t len, struct sm_buf *out,
                       struct sm_error *err)
{
    const struct inject_ctx *c = ctx;

    snprintf(err->file, sizeof(err->file), "%s", c->path);
    return sm_inject(doc, len, c->name, c->block->data, c->block->len, out, err);
}

static int inject_into(const char *path, const char *name, const struct sm_emitter *em,
                       const struct sm_buf *text, struct sm_error *err)
{
    struct sm_buf block;
    struct inject_ctx ctx = {path, name, &block};
    int rc;

    sm_buf_init(&block);
    add_fenced(&block, em, text);
    rc = sm_output_edit(path, INJECT_MAX_BYTES, inject_edit, &ctx, err);
    sm_buf_release(&block);
    return rc;
}

/* -f, else -o's extension, else Mermaid for --inject, else the default. */
static const struct sm_emitter *choose_emitter(struct cli_render_options *o,
                                               const char *default_format)
{
    const struct sm_emitter *em;

    if (o->format)
        return sm_emitter_find(o->format);
    if (o->output && strcmp(o->output, "-")) {
        em = sm_emitter_for_path(o->output);
        if (!em)
            cli_usage_error("map",
                            "cannot tell the format from '%s'; name it .json .csv .dot .gv .svg "
                            ".png .html .mmd or .md, or give -f",
                            o->output);
        return em;
    }
    if (o->inject)
        return &sm_emit_mermaid;
    em = sm_emitter_find(default_format);
    if (!em)
        cli_message("internal error: no '%s' emitter", default_format);
    return em;
}

/* Whether the style reads critical shares: --weight critical or {critical} in the label. */
static bool wants_critical(const struct cli_render_options *o)
{
    return o->style.weight == SM_WEIGHT_CRITICAL ||
           (o->style.edge_label && strstr(o->style.edge_label, "{critical}"));
}

int cli_render_map(struct sm_map *map, struct cli_render_options *o, const char *default_format)
{
    const struct sm_emitter *em;
    struct sm_error err;
    struct sm_buf text, wrapped;
    double *critical = NULL;
    int status = 0;

    sm_error_init(&err);
    sm_buf_init(&text);
    sm_buf_init(&wrapped);
    o->shape.include = o->include.items;
    o->shape.ninclude = o->include.n;
    o->shape.exclude = o->exclude.items;
    o->shape.nexclude = o->exclude.n;

    em = choose_emitter(o, default_format);
    if (!em) {
        status = 2;
        goto out;
    }
    if (o->inject && em->binary) {
        status = cli_usage_error("map", "--inject needs a text format, not %s", em->name);
        goto out;
    }
    if (em->binary && !o->output && !o->inject && isatty(STDOUT_FILENO)) {
        status = cli_usage_error("map", "%s output is binary; give -o FILE or redirect stdout",
                                 em->name);
        goto out;
    }
    if (o->entry && !wants_critical(o)) {
        status = cli_usage_error("map", "--entry chooses whose critical path --weight critical "
                                        "or {critical} shows; give one of them");
        goto out;
    }
    /* The why section names the nodes as the linker made them; collapsed nodes are new. */
    if (wants_critical(o) && o->shape.collapse) {
        status = cli_usage_error("map", "--weight critical and {critical} cannot be combined "
                                        "with --collapse: critical time is known per node");
        goto out;
    }
    if (sm_shape_apply(map, &o->shape, &err) < 0) {
        status = cli_report(&err);
        goto out;
    }
    /* Shares of the shaped map's edges. A map without a why section is not bad input,
     * it cannot answer the question: a usage error (2), unless only a label asked. */
    o->style.critical = NULL;
    if (wants_critical(o) && (map->nwhy > 0 || o->style.weight == SM_WEIGHT_CRITICAL || o->entry)) {
        critical = sm_xcalloc(map->nedges ? map->nedges : 1, sizeof(*critical));
        if (sm_emit_critical_shares(map, o->entry, critical, &err) < 0) {
            cli_message("--%s: %s",
                        o->style.weight == SM_WEIGHT_CRITICAL ? "weight critical" : "entry",
                        err.text);
            status = 2;
            goto out;
        }
        o->style.critical = critical;
    }
    if (em->emit(map, &o->style, &text, &err) < 0) {
        status = cli_report(&err);
        goto out;
    }
    /* an emitter may leave a note on success (a cheaper layout was drawn) */
    if (err.text[0])
        cli_message("%s", err.text);
    /* Mermaid refuses diagrams over its default maxTextSize (50,000 characters) and
     * maxEdges (500), and GitHub keeps the defaults: say so rather than publish a
     * block that shows an error. */
    if (em == &sm_emit_mermaid && (text.len > 50000 || map->nedges > 500))
        cli_message("warning: the Mermaid text has %zu characters and %zu edges; Mermaid's "
                    "default limits (GitHub's) are 50000 and 500: shape the map with --focus, "
                    "--min-calls or --exclude",
                    text.len, map->nedges);
    if (o->inject && inject_into(o->inject, o->name, em, &text, &err) < 0) {
        status = cli_report(&err);
        goto out;
    }
    if (o->inject && !o->output)
        goto out;
    /* A Mermaid diagram in a .md file is only drawn inside a fence. */
    if (em == &sm_emit_mermaid && o->output && ends_with(o->output, ".md")) {
        add_fenced(&wrapped, em, &text);
        status = cli_write_output(o->output, wrapped.data, wrapped.len, &err);
    } else {
        status = cli_write_output(o->output, text.data ? text.data : "", text.len, &err);
    }
    if (status < 0)
        status = cli_report(&err);
out:
    o->style.critical = NULL;
    free(critical);
    sm_buf_release(&text);
    sm_buf_release(&wrapped);
    return status;
}
