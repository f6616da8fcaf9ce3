/* cmd_check.c: `svcmap check --rules FILE MAP...`: hold a map against architecture rules.
 *
 * The rules file is read first (a bad one is exit 3 with FILE:LINE:COL, before any
 * trace is read). The maps (trace files, map documents, pre-aggregated files, or with
 * --db snapshot labels) are loaded into one map, sorted, and checked; the report goes
 * to stdout or atomically to -o as text, Markdown or JSON. --fail-on picks the
 * violation kinds that fail (default: any); when one is found the status is 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "svcmap/check.h"

static const char usage[] =
    "usage: svcmap check [options] --rules FILE [MAP...]\n"
    "\n"
    "Holds a map against architecture rules (docs/rules.md): allowed and forbidden\n"
    "edges, layers, no cycles, a maximum fan-out, no external calls. Each MAP is a\n"
    "trace file, a svcmap map document, a pre-aggregated dependencies file, or with\n"
    "--db a snapshot label; several are merged into one map. No MAP reads stdin.\n";

enum format { FMT_TEXT, FMT_MARKDOWN, FMT_JSON };

struct check_args {
    const char *rules, *db, *output, *format;
    char **maps;
    int nmaps;
    unsigned mask;
    bool mask_set;
    struct sm_check_options opt;
    struct cli_input_options in;
};

/* --fail-on LIST: the first one replaces the default (any), later ones add. */
static int set_fail_on(void *value, const char *list)
{
    struct check_args *a = value;

    if (!a->mask_set)
        a->mask = 0;
    a->mask_set = true;
    return sm_check_gate_parse(list, &a->mask, NULL) ? -1 : 0;
}

static int set_format(void *value, const char *arg)
{
    if (strcmp(arg, "text") && strcmp(arg, "markdown") && strcmp(arg, "md") && strcmp(arg, "json"))
        return -1;
    *(const char **)value = arg;
    return 0;
}

static const char *ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && !strcmp(s + n - m, suffix) ? s + n - m : NULL;
}

static int pick_format(const struct check_args *a, enum format *fmt)
{
    const char *name = a->format;

    if (!name && a->output && strcmp(a->output, "-")) {
        if (ends_with(a->output, ".md") || ends_with(a->output, ".markdown"))
            name = "markdown";
        else if (ends_with(a->output, ".json"))
            name = "json";
    }
    if (!name || !strcmp(name, "text"))
        *fmt = FMT_TEXT;
    else if (!strcmp(name, "markdown") || !strcmp(name, "md"))
        *fmt = FMT_MARKDOWN;
    else if (!strcmp(name, "json"))
        *fmt = FMT_JSON;
    else
        return cli_usage_error("check", "unknown format '%s' (text, markdown, json)", name);
    return 0;
}

/* The map to check: every MAP (with --db, labels too) loaded in one go, so that
 * traces split across files link. */
static int load(struct check_args *a, struct sm_map *map)
{
    struct sm_error err;

    sm_error_init(&err);
    if (cli_load_map(a->maps, a->nmaps, a->db, &a->in, map, &err))
        return cli_report(&err);
    return 0;
}

int cmd_check(int argc, char **argv)
{
    struct check_args a = {0}; /* the option table below reads a.in */
    struct sm_rules rules;
    struct sm_map map;
    struct sm_check c;
    struct sm_buf out;
    struct sm_error err;
    enum format fmt = FMT_TEXT;
    size_t tripped;
    int status = 0;
    struct cli_option options[] = {
        OPT_STRING(0, "rules", &a.rules, "FILE", "the rules file (required)"),
        OPT_CALLBACK(0, "fail-on", &a, set_fail_on, "LIST",
                     "any, none, forbid, layer, cycle, fan-out, external or unlisted, "
                     "comma-separated",
                     "exit 1 when a violation of these kinds is found\n"
                     "(comma-separated, repeatable): any (default), none,\n"
                     "forbid, layer, cycle, fan-out, external, unlisted"),
        OPT_CALLBACK('f', "format", &a.format, set_format, "FMT", "text, markdown or json",
                     "text (default), markdown, json"),
        OPT_STRING('o', "output", &a.output, "FILE",
                   "write atomically to FILE; the format follows its\n"
                   "extension (.txt .md .json)"),
        OPT_COUNT(0, "min-calls", &a.opt.min_calls, "N", 0, "a number of calls",
                  "ignore edges with fewer than N calls"),
        OPT_STRING(0, "db", &a.db, "FILE", "MAP may be a snapshot label in FILE"),
        OPT_INCLUDE(cli_input_option_table(&a.in)),
        OPT_GROUP("Exit status: 0 no violation the gate fails on, 1 one or more, 2 usage error,\n"
                  "3 bad input (a bad rules file: FILE:LINE:COL), 4 system failure."),
        OPT_END(),
    };

    memset(&a, 0, sizeof(a));
    a.mask = (1u << SM_VIOLATION_NKINDS) - 1;
    a.maps = sm_xcalloc((size_t)argc, sizeof(*a.maps));
    sm_check_options_init(&a.opt);
    cli_input_options_init(&a.in);
    sm_rules_init(&rules);
    sm_map_init(&map);
    sm_check_init(&c);
    sm_buf_init(&out);
    sm_error_init(&err);
    if ((status = cli_options_parse("check", options, argc, argv, usage, a.maps, &a.nmaps)) >= 0)
        goto out;
    status = 0;
    if (!a.rules) {
        status = cli_usage_error("check", "check needs a rules file: --rules FILE");
        goto out;
    }
    if ((status = pick_format(&a, &fmt)))
        goto out;
    if (sm_rules_read(a.rules, &rules, &err)) {
        status = cli_report(&err);
        goto out;
    }
    if ((status = load(&a, &map)))
        goto out;
    sm_check_run(&c, &rules, &map, &a.opt);
    switch (fmt) {
    case FMT_TEXT:
        sm_check_write_text(&c, a.mask, &out);
        break;
    case FMT_MARKDOWN:
        sm_check_write_markdown(&c, a.mask, &out);
        break;
    case FMT_JSON:
        sm_check_write_json(&c, a.mask, &out);
        break;
    }
    if (cli_write_output(a.output, out.data ? out.data : "", out.len, &err)) {
        status = cli_report(&err);
        goto out;
    }
    tripped = sm_check_tripped(&c, a.mask);
    if (tripped) {
        cli_message("%zu violation%s of %s fail%s the check", tripped, tripped == 1 ? "" : "s",
                    a.rules, tripped == 1 ? "s" : "");
        status = 1;
    }
out:
    sm_check_release(&c);
    sm_rules_release(&rules);
    sm_map_release(&map);
    sm_buf_release(&out);
    free(a.maps);
    return status;
}
