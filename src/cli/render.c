/* render.c: the rendering options every map-drawing command shares, and the output step.
 *
 * cli_parse_render_option reads shaping (--focus, --depth, --include, --exclude,
 * --min-calls, --clients), style (--group-by, --direction, --edge-label, --latency,
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
    const char **include; /* borrowed from argv; the array is owned */
    size_t ninclude;
    const char **exclude;
    size_t nexclude;
    const char *output; /* -o, borrowed from argv */
    const char *format; /* -f */
    const char *inject; /* --inject FILE.md */
    const char *name;   /* --name: the block in the --inject file */
};

struct cli_render_options *cli_render_options_new(void)
{
    struct cli_render_options *o = sm_xcalloc(1, sizeof(*o));

    sm_shape_init(&o->shape);
    sm_style_init(&o->style);
    o->name = "map";
    return o;
}

void cli_render_options_free(struct cli_render_options *o)
{
    if (!o)
        return;
    free(o->include);
    free(o->exclude);
    free(o);
}

/* True if arg is the option name alone or "name=value". */
static bool is_option(const char *arg, const char *name)
{
    size_t n = strlen(name);

    return !strncmp(arg, name, n) && (arg[n] == '\0' || arg[n] == '=');
}

/* The value of option argv[*i]: "--opt=value" or "--opt value"; NULL after a usage
 * error. */
static const char *value_of(const char *cmd, const char *name, int argc, char **argv, int *i)
{
    size_t n = strlen(name);

    if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option '%s' needs a value", name);
        return NULL;
    }
    return argv[++*i];
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

/* --warn / --crit SPEC: "p99=500ms", "errors=1%", or both joined by a comma. */
static int parse_thresholds(const char *cmd, const char *opt, const char *spec, double *p99_ms,
                            double *error_rate)
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
        } else {
            rc = -1;
        }
    }
    if (rc)
        cli_usage_error(cmd,
                        "%s takes p99=DURATION and/or errors=PERCENT (e.g. p99=2s,errors=5%%), "
                        "got '%s'",
                        opt, spec);
    free(copy);
    return rc;
}

static const char *const group_words[] = {"service.namespace", "service.version", "kind", "system",
                                          NULL};

int cli_parse_render_option(const char *cmd, int argc, char **argv, int *i,
                            struct cli_render_options *o)
{
    const char *arg = argv[*i], *v;
    size_t k;

    if (!strcmp(arg, "--clients")) {
        o->shape.clients = true;
        return 1;
    }
    if (!strcmp(arg, "--no-legend")) {
        o->style.legend = false;
        return 1;
    }
    if (!strcmp(arg, "-o") || is_option(arg, "--output")) {
        if (!(v = value_of(cmd, arg[1] == 'o' ? "-o" : "--output", argc, argv, i)))
            return -1;
        o->output = v;
        return 1;
    }
    if (!strcmp(arg, "-f") || is_option(arg, "--format")) {
        if (!(v = value_of(cmd, arg[1] == 'f' ? "-f" : "--format", argc, argv, i)))
            return -1;
        if (!sm_emitter_find(v)) {
            cli_usage_error(cmd,
                            "unknown format '%s' (expected json, table, csv, dot, svg, png, html "
                            "or mermaid)",
                            v);
            return -1;
        }
        o->format = v;
        return 1;
    }
    if (is_option(arg, "--focus")) {
        if (!(v = value_of(cmd, "--focus", argc, argv, i)))
            return -1;
        o->shape.focus = v;
        return 1;
    }
    if (is_option(arg, "--depth")) {
        uint64_t n;

        if (!(v = value_of(cmd, "--depth", argc, argv, i)))
            return -1;
        if (parse_count(v, &n) || n > 1000) {
            cli_usage_error(cmd, "--depth takes a number of hops from 0 to 1000, got '%s'", v);
            return -1;
        }
        o->shape.depth = (unsigned)n;
        return 1;
    }
    if (is_option(arg, "--include") || is_option(arg, "--exclude")) {
        bool inc = is_option(arg, "--include");

        if (!(v = value_of(cmd, inc ? "--include" : "--exclude", argc, argv, i)))
            return -1;
        if (inc) {
            o->include = sm_xrealloc(o->include, (o->ninclude + 1) * sizeof(*o->include));
            o->include[o->ninclude++] = v;
        } else {
            o->exclude = sm_xrealloc(o->exclude, (o->nexclude + 1) * sizeof(*o->exclude));
            o->exclude[o->nexclude++] = v;
        }
        return 1;
    }
    if (is_option(arg, "--min-calls")) {
        if (!(v = value_of(cmd, "--min-calls", argc, argv, i)))
            return -1;
        if (parse_count(v, &o->shape.min_calls)) {
            cli_usage_error(cmd, "--min-calls takes a number of calls, got '%s'", v);
            return -1;
        }
        return 1;
    }
    if (is_option(arg, "--group-by")) {
        if (!(v = value_of(cmd, "--group-by", argc, argv, i)))
            return -1;
        for (k = 0; group_words[k] && strcmp(group_words[k], v); k++)
            ;
        if (!group_words[k]) {
            cli_usage_error(cmd,
                            "--group-by takes service.namespace, service.version, kind or "
                            "system, got '%s'",
                            v);
            return -1;
        }
        o->style.group_by = v;
        return 1;
    }
    if (is_option(arg, "--collapse")) {
        if (!(v = value_of(cmd, "--collapse", argc, argv, i)))
            return -1;
        if (!sm_shape_attr_known(v)) {
            cli_usage_error(cmd,
                            "--collapse takes service.namespace, service.version, kind or "
                            "system, got '%s'",
                            v);
            return -1;
        }
        o->shape.collapse = v;
        return 1;
    }
    if (is_option(arg, "--direction")) {
        if (!(v = value_of(cmd, "--direction", argc, argv, i)))
            return -1;
        if (!sm_strcasecmp(v, "LR")) {
            o->style.direction = SM_DIR_LR;
        } else if (!sm_strcasecmp(v, "TB")) {
            o->style.direction = SM_DIR_TB;
        } else {
            cli_usage_error(cmd, "--direction takes LR or TB, got '%s'", v);
            return -1;
        }
        return 1;
    }
    if (is_option(arg, "--edge-label")) {
        if (!(v = value_of(cmd, "--edge-label", argc, argv, i)))
            return -1;
        o->style.edge_label = v;
        return 1;
    }
    if (is_option(arg, "--latency")) {
        if (!(v = value_of(cmd, "--latency", argc, argv, i)))
            return -1;
        if (!strcmp(v, "client")) {
            o->style.latency = SM_LATENCY_CLIENT;
        } else if (!strcmp(v, "server")) {
            o->style.latency = SM_LATENCY_SERVER;
        } else {
            cli_usage_error(cmd, "--latency takes client or server, got '%s'", v);
            return -1;
        }
        return 1;
    }
    if (is_option(arg, "--warn") || is_option(arg, "--crit")) {
        bool warn = is_option(arg, "--warn");

        if (!(v = value_of(cmd, warn ? "--warn" : "--crit", argc, argv, i)))
            return -1;
        return parse_thresholds(cmd, warn ? "--warn" : "--crit", v,
                                warn ? &o->style.warn_p99_ms : &o->style.crit_p99_ms,
                                warn ? &o->style.warn_error_rate : &o->style.crit_error_rate)
                   ? -1
                   : 1;
    }
    if (is_option(arg, "--warn-p99") || is_option(arg, "--crit-p99")) {
        bool warn = is_option(arg, "--warn-p99");
        const char *name = warn ? "--warn-p99" : "--crit-p99";

        if (!(v = value_of(cmd, name, argc, argv, i)))
            return -1;
        if (parse_ms(v, warn ? &o->style.warn_p99_ms : &o->style.crit_p99_ms)) {
            cli_usage_error(cmd, "%s takes a duration such as 500ms or 2s (0: off), got '%s'", name,
                            v);
            return -1;
        }
        return 1;
    }
    if (is_option(arg, "--warn-errors") || is_option(arg, "--crit-errors")) {
        bool warn = is_option(arg, "--warn-errors");
        const char *name = warn ? "--warn-errors" : "--crit-errors";

        if (!(v = value_of(cmd, name, argc, argv, i)))
            return -1;
        if (parse_percent(v, warn ? &o->style.warn_error_rate : &o->style.crit_error_rate)) {
            cli_usage_error(cmd, "%s takes a percentage such as 1%% (0: off), got '%s'", name, v);
            return -1;
        }
        return 1;
    }
    if (is_option(arg, "--title")) {
        if (!(v = value_of(cmd, "--title", argc, argv, i)))
            return -1;
        o->style.title = v;
        return 1;
    }
    if (is_option(arg, "--inject")) {
        if (!(v = value_of(cmd, "--inject", argc, argv, i)))
            return -1;
        o->inject = v;
        return 1;
    }
    if (is_option(arg, "--name")) {
        if (!(v = value_of(cmd, "--name", argc, argv, i)))
            return -1;
        if (!sm_inject_name_ok(v)) {
            cli_usage_error(cmd, "--name takes 1-64 letters, digits, '.', '_' or '-', got '%s'", v);
            return -1;
        }
        o->name = v;
        return 1;
    }
    return 0;
}

void cli_render_help(FILE *out)
{
    fprintf(out,
            "\n"
            "shaping:\n"
            "  --focus NODE            only NODE (a name, or an id like database:orders) and\n"
            "                          what lies within --depth calls of it, both directions\n"
            "  --depth N               hops from the focus (default 1)\n"
            "  --include GLOB          keep only nodes whose name matches (repeatable; * and ?)\n"
            "  --exclude GLOB          drop nodes whose name matches (repeatable)\n"
            "  --min-calls N           drop edges with fewer than N calls\n"
            "  --clients               draw the 'client' node: requests from outside\n"
            "  --collapse ATTR         one node per service.namespace, service.version, kind\n"
            "                          or system: calls and errors summed, latency merged\n"
            "                          (nodes without ATTR stay themselves)\n"
            "\n"
            "style:\n"
            "  --group-by ATTR         clusters by service.namespace, service.version, kind or\n"
            "                          system\n"
            "  --direction LR|TB       left to right (default) or top to bottom\n"
            "  --edge-label TEMPLATE   e.g. '{calls} calls, p50 {p50}'; fields {calls} {errors}\n"
            "                          {error_rate} {p50} {p90} {p95} {p99} {max} {min} {mean}\n"
            "                          {kind} (default: calls, p99, and error rate if any)\n"
            "  --latency client|server whose span durations label and colour edges (default\n"
            "                          client: what the caller waited)\n"
            "  --warn SPEC, --crit SPEC\n"
            "                          amber / red thresholds: p99=DURATION,errors=PERCENT\n"
            "                          (default --warn p99=500ms,errors=5%% --crit "
            "p99=2s,errors=10%%)\n"
            "  --warn-p99 D, --crit-p99 D, --warn-errors P, --crit-errors P\n"
            "                          the same one at a time; 0 turns a threshold off\n"
            "  --no-legend             no legend, even when colour carries meaning\n"
            "  --title TEXT            a title above the map\n"
            "\n"
            "output:\n"
            "  -o FILE                 write FILE atomically; the format follows the extension:\n"
            "                          .json .csv .dot .gv .svg .png .html .mmd .md (Mermaid)\n"
            "  -f FORMAT               json, table, csv, dot, svg, png, html (one interactive\n"
            "                          page: hover, search, focus, filters) or mermaid\n"
            "  --inject FILE.md        rewrite the block between '<!-- svcmap:begin NAME -->'\n"
            "                          and '<!-- svcmap:end NAME -->' in FILE.md (Mermaid\n"
            "                          unless -f says otherwise); nothing else changes\n"
            "  --name NAME             the block for --inject (default: map)\n");
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

int cli_render_map(struct sm_map *map, struct cli_render_options *o, const char *default_format)
{
    const struct sm_emitter *em;
    struct sm_error err;
    struct sm_buf text, wrapped;
    int status = 0;

    sm_error_init(&err);
    sm_buf_init(&text);
    sm_buf_init(&wrapped);
    o->shape.include = o->include;
    o->shape.ninclude = o->ninclude;
    o->shape.exclude = o->exclude;
    o->shape.nexclude = o->nexclude;

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
    if (sm_shape_apply(map, &o->shape, &err) < 0 || em->emit(map, &o->style, &text, &err) < 0) {
        status = cli_report(&err);
        goto out;
    }
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
    sm_buf_release(&text);
    sm_buf_release(&wrapped);
    return status;
}
