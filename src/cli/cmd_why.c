/* cmd_why.c: `svcmap why`: where each entry point's time goes.
 *
 * Loads the inputs into one map (cli_load_map: trace files, map documents, or with --db
 * snapshot labels), whose why entries the linker filled from the critical path of every
 * entry span (docs/critical-path.md), picks the entries asked for (--entry) and writes
 * them as a table, Markdown, JSON (svcmap.why/v1) or folded stacks. --slowest P keeps,
 * per entry, only its slowest P % of traces, which needs the traces themselves: the
 * linker keeps each trace's figures until the end (sm_link_options.slowest_pct).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "svcmap/why_report.h"

static const char usage[] =
    "usage: svcmap why [options] [FILE...]\n"
    "       svcmap why [options] --db DB LABEL...\n"
    "\n"
    "Where each entry point's time goes. For every request from outside (a SERVER\n"
    "or CONSUMER span with no parent) svcmap walks the trace's critical path and\n"
    "gives each piece of it to a service, to a peer that sends no spans\n"
    "(database:inventory), or to the wire of a call (network and queueing). Per\n"
    "entry it lists the contributors by their share of the entry's time, with the\n"
    "median and p99 of their share per trace. Reads trace files, map documents\n"
    "and snapshots (docs/critical-path.md).\n";

enum why_format { WHY_TABLE, WHY_JSON, WHY_MARKDOWN, WHY_FOLDED };

static const struct cli_choice format_words[] = {
    {"table", WHY_TABLE},   {"json", WHY_JSON}, {"markdown", WHY_MARKDOWN},
    {"folded", WHY_FOLDED}, {NULL, 0},
};

static int set_slowest(void *value, const char *arg)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(arg, &end);
    if (end == arg || errno || !(v > 0.0 && v <= 100.0) || (*end && strcmp(end, "%")))
        return -1;
    *(double *)value = v;
    return 0;
}

/* --entry matches an entry's node id ("service:frontend") or its service's name. */
static bool entry_matches(const struct sm_why_entry *e, const char *want)
{
    const char *colon = strchr(e->entry, ':');

    return !strcmp(e->entry, want) || (colon && !strcmp(colon + 1, want));
}

/* The format from -f, else from -o's extension, else the table. */
static int pick_format(int chosen, const char *output)
{
    const char *dot = output ? strrchr(output, '.') : NULL;

    if (chosen >= 0)
        return chosen;
    if (dot && !strcmp(dot, ".json"))
        return WHY_JSON;
    if (dot && !strcmp(dot, ".md"))
        return WHY_MARKDOWN;
    if (dot && (!strcmp(dot, ".folded") || !strcmp(dot, ".txt")))
        return dot[1] == 'f' ? WHY_FOLDED : WHY_TABLE;
    return WHY_TABLE;
}

int cmd_why(int argc, char **argv)
{
    struct cli_input_options in = {0}; /* the option table below reads it */
    const char *entry = NULL, *output = NULL, *db = NULL;
    int format = -1;
    struct sm_why_report report;
    const struct sm_why_entry **picked = NULL;
    struct sm_error err;
    struct sm_map map;
    struct sm_buf out;
    char **files = sm_xcalloc((size_t)argc + 1, sizeof(char *));
    int nfiles = 0, status;
    struct cli_option options[] = {
        OPT_STRING(0, "entry", &entry, "NAME",
                   "only this entry point: a service name (frontend) or\n"
                   "node id (service:frontend)"),
        OPT_CALLBACK(0, "slowest", &in.slowest_pct, set_slowest, "P",
                     "a percentage above 0 and at most 100, such as 5 or 5%",
                     "only each entry's slowest P % of traces: what makes the\n"
                     "slow ones slow (trace files only: map documents and\n"
                     "snapshots keep no per-trace figures)"),
        OPT_CHOICE('f', "format", &format, "FMT", format_words,
                   "table (default), json (svcmap.why/v1), markdown, or\n"
                   "folded (flame-graph stacks, values in microseconds)"),
        OPT_STRING('o', "output", &output, "FILE",
                   "write atomically to FILE; the format follows its\n"
                   "extension (.json .md .folded .txt)"),
        OPT_STRING(0, "db", &db, "FILE",
                   "a FILE argument may be a snapshot label in this\n"
                   "store database (see 'svcmap store')"),
        OPT_INCLUDE(cli_input_option_table(&in)),
        OPT_GROUP("Exit status: 0 done, 2 usage error, 3 bad input, 4 system failure."),
        OPT_END(),
    };

    cli_input_options_init(&in);
    sm_map_init(&map);
    sm_buf_init(&out);
    sm_error_init(&err);
    if ((status = cli_options_parse("why", options, argc, argv, usage, files, &nfiles)) >= 0)
        goto out;
    status = 0;
    if (cli_load_map(files, nfiles, db, &in, &map, &err)) {
        status = cli_report(&err);
        goto out;
    }
    sm_map_sort(&map);
    picked = sm_xcalloc(map.nwhy + 1, sizeof(*picked));
    memset(&report, 0, sizeof(report));
    report.map = &map;
    report.entries = picked;
    report.slowest_pct = in.slowest_pct < 100.0 ? in.slowest_pct : 0.0;
    for (size_t i = 0; i < map.nwhy; i++) {
        if (!entry || entry_matches(&map.why[i], entry))
            picked[report.nentries++] = &map.why[i];
    }
    if (entry && !report.nentries) {
        struct sm_buf names;

        sm_buf_init(&names);
        for (size_t i = 0; i < map.nwhy; i++) {
            if (i && strcmp(map.why[i].entry, map.why[i - 1].entry)) {
                sm_buf_adds(&names, ", ");
            } else if (i) {
                continue;
            }
            sm_why_display_name(&names, map.why[i].entry);
        }
        status = cli_usage_error("why", "--entry '%s' names no entry point of the inputs (%s%s)",
                                 entry, map.nwhy ? "entry points: " : "none: no traces",
                                 names.data ? names.data : "");
        sm_buf_release(&names);
        goto out;
    }
    switch (pick_format(format, output)) {
    case WHY_JSON:
        sm_why_write_json(&report, &out);
        break;
    case WHY_MARKDOWN:
        sm_why_write_markdown(&report, &out);
        break;
    case WHY_FOLDED:
        sm_why_write_folded(&report, &out);
        break;
    default:
        sm_why_write_table(&report, &out);
    }
    if (cli_write_output(output, out.data ? out.data : "", out.len, &err))
        status = cli_report(&err);
out:
    free(picked);
    sm_buf_release(&out);
    sm_map_release(&map);
    free(files);
    return status;
}
