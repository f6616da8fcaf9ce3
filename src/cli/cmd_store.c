/* cmd_store.c: `svcmap store ingest|list|show|rm`: map snapshots by label in SQLite.
 *
 * Each action parses its own options. ingest builds the map with cli_load_map (trace
 * files or map documents) and hands it to sm_store_ingest, which merges into an
 * existing label in one transaction; show loads a snapshot and renders it through
 * cli_render_map, so every map format and rendering option works on snapshots too.
 * Database failures are exit 4; a missing database or label is exit 3.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "svcmap/store.h"

static void help(FILE *out)
{
    fprintf(out, "usage: svcmap store ingest --db FILE --label LABEL [options] [TRACES...]\n"
                 "       svcmap store list --db FILE [-f text|json]\n"
                 "       svcmap store show --db FILE [options] LABEL\n"
                 "       svcmap store rm --db FILE LABEL\n"
                 "\n"
                 "Keeps maps as snapshots by label in a SQLite database (created by ingest):\n"
                 "nodes, edges, counts, latency sketches, and the source files and window.\n"
                 "Ingesting into a label that exists merges the new traces into it exactly.\n"
                 "\n"
                 "  --db FILE        the database\n"
                 "  --label LABEL    ingest: the snapshot to create or merge into\n"
                 "  -f text|json     list: a table (default) or a JSON array\n"
                 "\n"
                 "ingest takes the input options of 'svcmap map' (--input-format, --strict,\n"
                 "--since, --until, -j, --quiet, ...); show takes its rendering options\n"
                 "(default format json):\n");
    cli_render_help(out);
}

static bool is_help(const char *arg)
{
    return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

/* Takes --db FILE / --db=FILE at argv[*i]: 1 taken, 0 not this option, -1 usage error. */
static int parse_value(const char *name, int argc, char **argv, int *i, const char **value)
{
    size_t len = strlen(name);

    if (!strncmp(argv[*i], name, len) && argv[*i][len] == '=') {
        *value = argv[*i] + len + 1;
        return 1;
    }
    if (strcmp(argv[*i], name))
        return 0;
    if (*i + 1 >= argc) {
        cli_usage_error("store", "option '%s' needs a value", name);
        return -1;
    }
    *value = argv[++*i];
    return 1;
}

static int open_store(const char *db, enum sm_store_mode mode, struct sm_store **st)
{
    struct sm_error err;

    sm_error_init(&err);
    if (sm_store_open(st, db, mode, &err))
        return cli_report(&err);
    return 0;
}

struct ingest_options {
    struct cli_input_options *in;
    const char *db, *label;
};

static int ingest_option(void *ctx, int argc, char **argv, int *i)
{
    struct ingest_options *o = ctx;
    int r = parse_value("--db", argc, argv, i, &o->db);

    if (r == 0)
        r = parse_value("--label", argc, argv, i, &o->label);
    if (r == 0)
        r = cli_parse_input_option("store", argc, argv, i, o->in);
    return r;
}

static int store_ingest(int argc, char **argv)
{
    struct cli_input_options in;
    struct sm_store *st = NULL;
    struct sm_error err;
    struct sm_map map;
    char **files = sm_xcalloc((size_t)argc + 1, sizeof(char *));
    const char *db, *label;
    struct ingest_options o = {NULL, NULL, NULL};
    int nfiles = 0, status = 0;
    bool merged = false;

    cli_input_options_init(&in);
    sm_map_init(&map);
    sm_error_init(&err);
    o.in = &in;
    if ((status = cli_parse_args("store", argc, argv, ingest_option, &o, help, files, &nfiles)) >=
        0)
        goto out;
    status = 0;
    db = o.db;
    label = o.label;
    if (!db || !label) {
        status = cli_usage_error("store", "ingest needs --db FILE and --label LABEL");
        goto out;
    }
    if (!*label) {
        status = cli_usage_error("store", "the label must not be empty");
        goto out;
    }
    /* read the traces first: a bad input leaves the database untouched */
    if (cli_load_map(files, nfiles, NULL, &in, &map, &err)) {
        status = cli_report(&err);
        goto out;
    }
    if ((status = open_store(db, SM_STORE_CREATE, &st)))
        goto out;
    if (sm_store_ingest(st, label, &map, &merged, &err)) {
        status = cli_report(&err);
        goto out;
    }
    if (!in.quiet)
        cli_message("%s '%s' in %s: %zu nodes, %zu edges", merged ? "merged into" : "stored as",
                    label, db, map.nnodes, map.nedges);
out:
    sm_store_close(st);
    sm_map_release(&map);
    free(files);
    return status;
}

static void print_time_ns(int64_t ns)
{
    time_t s = (time_t)(ns / 1000000000);
    struct tm tm;
    char buf[32];

    if (!ns || !gmtime_r(&s, &tm)) {
        fputs("-", stdout);
        return;
    }
    strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    fputs(buf, stdout);
}

static void print_list_json(const struct sm_snapshot_info *infos, size_t n)
{
    struct sm_buf b;
    size_t i;

    sm_buf_init(&b);
    sm_buf_adds(&b, "[");
    for (i = 0; i < n; i++) {
        const struct sm_snapshot_info *s = &infos[i];

        sm_buf_adds(&b, i ? ",\n {\"label\":" : "\n {\"label\":");
        sm_buf_add_json_string(&b, s->label);
        sm_buf_adds(&b, ",\"created_at\":");
        sm_buf_add_json_string(&b, s->created_at);
        sm_buf_adds(&b, ",\"updated_at\":");
        sm_buf_add_json_string(&b, s->updated_at);
        sm_buf_printf(&b,
                      ",\"ingests\":%" PRIu64 ",\"nodes\":%" PRIu64 ",\"edges\":%" PRIu64
                      ",\"calls\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"spans\":%" PRIu64
                      ",\"traces\":%" PRIu64 "}",
                      s->ingests, s->nodes, s->edges, s->calls, s->errors, s->spans, s->traces);
    }
    sm_buf_adds(&b, n ? "\n]\n" : "]\n");
    fwrite(b.data, 1, b.len, stdout);
    sm_buf_release(&b);
}

static int store_list(int argc, char **argv)
{
    struct sm_snapshot_info *infos = NULL;
    struct sm_store *st = NULL;
    struct sm_error err;
    const char *db = NULL, *format = "text";
    size_t n = 0, i, width = 5;
    int a, status = 0;

    sm_error_init(&err);
    for (a = 1; a < argc; a++) {
        int r;

        if (is_help(argv[a])) {
            help(stdout);
            return 0;
        }
        r = parse_value("--db", argc, argv, &a, &db);
        if (r == 0)
            r = parse_value("-f", argc, argv, &a, &format);
        if (r == 0)
            r = parse_value("--format", argc, argv, &a, &format);
        if (r < 0)
            return 2;
        if (r == 0)
            return cli_usage_error("store", "unexpected argument '%s'", argv[a]);
    }
    if (!db)
        return cli_usage_error("store", "list needs --db FILE");
    if (strcmp(format, "text") && strcmp(format, "json"))
        return cli_usage_error("store", "list writes text or json, not '%s'", format);
    if ((status = open_store(db, SM_STORE_READ, &st)))
        return status;
    if (sm_store_list(st, &infos, &n, &err)) {
        status = cli_report(&err);
        goto out;
    }
    if (!strcmp(format, "json")) {
        print_list_json(infos, n);
        goto out;
    }
    for (i = 0; i < n; i++) {
        if (strlen(infos[i].label) > width)
            width = strlen(infos[i].label);
    }
    printf("%-*s  %-24s  %-24s  %7s  %5s  %5s  %10s  %8s  %-20s  %s\n", (int)width, "LABEL",
           "CREATED", "UPDATED", "INGESTS", "NODES", "EDGES", "CALLS", "ERRORS", "FROM", "TO");
    for (i = 0; i < n; i++) {
        const struct sm_snapshot_info *s = &infos[i];

        printf("%-*s  %-24s  %-24s  %7" PRIu64 "  %5" PRIu64 "  %5" PRIu64 "  %10" PRIu64
               "  %8" PRIu64 "  ",
               (int)width, s->label, s->created_at, s->updated_at, s->ingests, s->nodes, s->edges,
               s->calls, s->errors);
        print_time_ns(s->start_ns);
        fputs(s->start_ns ? "  " : "                     ", stdout);
        print_time_ns(s->end_ns);
        fputs("\n", stdout);
    }
out:
    sm_snapshot_info_free(infos, n);
    sm_store_close(st);
    return status;
}

static int store_show(int argc, char **argv)
{
    struct cli_render_options *render = cli_render_options_new();
    struct sm_store *st = NULL;
    struct sm_error err;
    struct sm_map map;
    const char *db = NULL, *label = NULL;
    int i, status = 0;

    sm_map_init(&map);
    sm_error_init(&err);
    for (i = 1; i < argc; i++) {
        int r;

        if (argv[i][0] != '-') {
            if (label) {
                status = cli_usage_error("store", "show takes one label, not '%s' too", argv[i]);
                goto out;
            }
            label = argv[i];
            continue;
        }
        if (is_help(argv[i])) {
            help(stdout);
            goto out;
        }
        r = parse_value("--db", argc, argv, &i, &db);
        if (r == 0)
            r = cli_parse_render_option("store", argc, argv, &i, render);
        if (r < 0) {
            status = 2;
            goto out;
        }
        if (r == 0) {
            status = cli_usage_error("store", "unknown option '%s'", argv[i]);
            goto out;
        }
    }
    if (!db || !label) {
        status = cli_usage_error("store", "show needs --db FILE and a LABEL");
        goto out;
    }
    if ((status = open_store(db, SM_STORE_READ, &st)))
        goto out;
    if (sm_store_load(st, label, &map, &err)) {
        status = cli_report(&err);
        goto out;
    }
    status = cli_render_map(&map, render, "json");
out:
    sm_store_close(st);
    sm_map_release(&map);
    cli_render_options_free(render);
    return status;
}

static int store_rm(int argc, char **argv)
{
    struct sm_store *st = NULL;
    struct sm_error err;
    const char *db = NULL, *label = NULL;
    int i, status = 0;

    sm_error_init(&err);
    for (i = 1; i < argc; i++) {
        int r;

        if (argv[i][0] != '-') {
            if (label)
                return cli_usage_error("store", "rm takes one label, not '%s' too", argv[i]);
            label = argv[i];
            continue;
        }
        if (is_help(argv[i])) {
            help(stdout);
            return 0;
        }
        r = parse_value("--db", argc, argv, &i, &db);
        if (r < 0)
            return 2;
        if (r == 0)
            return cli_usage_error("store", "unknown option '%s'", argv[i]);
    }
    if (!db || !label)
        return cli_usage_error("store", "rm needs --db FILE and a LABEL");
    if ((status = open_store(db, SM_STORE_READ, &st)))
        return status;
    if (sm_store_remove(st, label, &err))
        status = cli_report(&err);
    sm_store_close(st);
    return status;
}

int cmd_store(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } actions[] = {
        {"ingest", store_ingest},
        {"list", store_list},
        {"show", store_show},
        {"rm", store_rm},
    };
    size_t i;

    if (argc < 2)
        return cli_usage_error("store", "which action: ingest, list, show or rm?");
    if (is_help(argv[1])) {
        help(stdout);
        return 0;
    }
    for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (!strcmp(argv[1], actions[i].name))
            return actions[i].run(argc - 1, argv + 1);
    }
    return cli_usage_error("store", "'%s' is not a store action (ingest, list, show, rm)", argv[1]);
}
