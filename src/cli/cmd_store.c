/* cmd_store.c: `svcmap store ingest|list|show|rm`: map snapshots by label in SQLite.
 *
 * Each action parses its own options. ingest builds the map with cli_load_map (trace
 * files or map documents) and hands it to sm_store_ingest, which merges into an
 * existing label in one transaction; show loads a snapshot and renders it through
 * cli_render_map, so every map format and rendering option works on snapshots too.
 * Database failures are exit 4; a missing database or label is exit 3.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "svcmap/escape.h"
#include "svcmap/sha256.h"
#include "svcmap/store.h"

static const char usage[] =
    "usage: svcmap store ingest --db FILE --label LABEL [options] [TRACES...]\n"
    "       svcmap store list --db FILE [-f text|json]\n"
    "       svcmap store show --db FILE [options] [--] LABEL\n"
    "       svcmap store rm --db FILE [--] LABEL\n"
    "\n"
    "Keeps maps as snapshots by label in a SQLite database (created by ingest):\n"
    "nodes, edges, counts, latency sketches, and the source files and window.\n"
    "Ingesting into a label that exists merges the new traces into it exactly.\n"
    "A label that starts with '-' follows '--'.\n";

static int set_list_format(void *value, const char *arg)
{
    if (strcmp(arg, "text") && strcmp(arg, "json"))
        return -1;
    *(const char **)value = arg;
    return 0;
}

/* What the actions' options fill. */
struct store_args {
    const char *db, *label, *format;
    bool allow_duplicate;
    struct cli_input_options in;
    struct cli_render_options *render;
};

/* The option table of one action ("ingest", "list", "show", "rm"), or of all of them
 * under a heading each (NULL: for the help of 'svcmap store'). rows has room for 16. */
static void action_table(struct store_args *a, const char *action, struct cli_option *rows)
{
    size_t n = 0;
    bool all = !action;

    if (all || !strcmp(action, "ingest")) {
        if (all)
            rows[n++] = (struct cli_option)OPT_GROUP("ingest:");
        rows[n++] = (struct cli_option)OPT_STRING(0, "db", &a->db, "FILE", "the database");
        rows[n++] = (struct cli_option)OPT_STRING(0, "label", &a->label, "LABEL",
                                                  "the snapshot to create or merge into");
        rows[n++] = (struct cli_option)OPT_BOOL(
            0, "allow-duplicate", &a->allow_duplicate,
            "take a file whose content the label already has (its counts double)");
        rows[n++] = (struct cli_option)OPT_INCLUDE(cli_input_option_table(&a->in));
    }
    if (all || !strcmp(action, "list")) {
        if (all)
            rows[n++] = (struct cli_option)OPT_GROUP("list:");
        rows[n++] = (struct cli_option)OPT_STRING(0, "db", &a->db, "FILE", "the database");
        rows[n++] =
            (struct cli_option)OPT_CALLBACK('f', "format", &a->format, set_list_format, "text|json",
                                            "text or json", "a table (default) or a JSON array");
    }
    if (all || !strcmp(action, "show")) {
        if (all)
            rows[n++] = (struct cli_option)OPT_GROUP("show (default format json):");
        rows[n++] = (struct cli_option)OPT_STRING(0, "db", &a->db, "FILE", "the database");
        rows[n++] = (struct cli_option)OPT_INCLUDE(cli_render_option_table(a->render));
    }
    if (all || !strcmp(action, "rm")) {
        if (all)
            rows[n++] = (struct cli_option)OPT_GROUP("rm:");
        rows[n++] = (struct cli_option)OPT_STRING(0, "db", &a->db, "FILE", "the database");
    }
    rows[n] = (struct cli_option)OPT_END();
}

static int open_store(const char *db, enum sm_store_mode mode, struct sm_store **st)
{
    struct sm_error err;

    sm_error_init(&err);
    if (sm_store_open(st, db, mode, &err))
        return cli_report(&err);
    return 0;
}

/* The SHA-256 of a regular file's bytes as they are on disk, into hex: 1 when hashed,
 * 0 for what cannot be read twice (standard input, pipes), or a negative status. */
static int hash_file(const char *path, char hex[65], struct sm_error *err)
{
    struct sm_sha256 h;
    struct stat sb;
    char chunk[65536];
    size_t n;
    FILE *f;

    if (!strcmp(path, "-") || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
        return 0;
    f = fopen(path, "rb");
    if (!f)
        return sm_error_at(err, SM_EINPUT, path, 0, 0, -1, "cannot open: %s", strerror(errno));
    sm_sha256_init(&h);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        sm_sha256_update(&h, chunk, n);
    if (ferror(f)) {
        fclose(f);
        return sm_error_at(err, SM_EINPUT, path, 0, 0, -1, "cannot read: %s", strerror(errno));
    }
    fclose(f);
    sm_sha256_final_hex(&h, hex);
    return 1;
}

static int store_ingest(struct store_args *a, char **files, int nfiles)
{
    struct sm_store *st = NULL;
    struct sm_error err;
    struct sm_map map;
    struct sm_store_source *sources = NULL;
    char(*hashes)[65] = NULL;
    size_t nsources = 0;
    int status = 0;
    bool merged = false;

    sm_map_init(&map);
    sm_error_init(&err);
    if (!a->db || !a->label) {
        status = cli_usage_error("store", "ingest needs --db FILE and --label LABEL");
        goto out;
    }
    if (!*a->label) {
        status = cli_usage_error("store", "the label must not be empty");
        goto out;
    }
    /* read the traces first: a bad input leaves the database untouched */
    if (cli_load_map(files, nfiles, NULL, &a->in, &map, &err)) {
        status = cli_report(&err);
        goto out;
    }
    sources = sm_xcalloc((size_t)nfiles + 1, sizeof(*sources));
    hashes = sm_xcalloc((size_t)nfiles + 1, sizeof(*hashes));
    for (int k = 0; k < nfiles; k++) {
        int r = hash_file(files[k], hashes[nsources], &err);

        if (r < 0) {
            status = cli_report(&err);
            goto out;
        }
        if (r > 0) {
            sources[nsources].path = files[k];
            sources[nsources].sha256 = hashes[nsources];
            nsources++;
        }
    }
    if ((status = open_store(a->db, SM_STORE_CREATE, &st)))
        goto out;
    if (sm_store_ingest_sources(st, a->label, &map, sources, nsources, a->allow_duplicate, &merged,
                                &err)) {
        status = cli_report(&err);
        goto out;
    }
    if (!a->in.quiet)
        cli_message("%s '%s' in %s: %zu nodes, %zu edges", merged ? "merged into" : "stored as",
                    a->label, a->db, map.nnodes, map.nedges);
out:
    sm_store_close(st);
    sm_map_release(&map);
    free(sources);
    free(hashes);
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

static int store_list(struct store_args *a, char **args, int nargs)
{
    struct sm_snapshot_info *infos = NULL;
    struct sm_store *st = NULL;
    struct sm_error err;
    const char *db = a->db, *format = a->format ? a->format : "text";
    struct sm_buf *labels = NULL;
    size_t n = 0, i, width = 5;
    int status = 0;

    sm_error_init(&err);
    if (nargs > 0)
        return cli_usage_error("store", "unexpected argument '%s'", args[0]);
    if (!db)
        return cli_usage_error("store", "list needs --db FILE");
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
    /* labels are shown escaped for the terminal, and measured so */
    labels = sm_xcalloc(n ? n : 1, sizeof(*labels));
    for (i = 0; i < n; i++) {
        sm_buf_init(&labels[i]);
        sm_escape_terminal(&labels[i], infos[i].label, strlen(infos[i].label), false);
        if (labels[i].len > width)
            width = labels[i].len;
    }
    printf("%-*s  %-24s  %-24s  %7s  %5s  %5s  %10s  %8s  %-20s  %s\n", (int)width, "LABEL",
           "CREATED", "UPDATED", "INGESTS", "NODES", "EDGES", "CALLS", "ERRORS", "FROM", "TO");
    for (i = 0; i < n; i++) {
        const struct sm_snapshot_info *s = &infos[i];

        printf("%-*s  %-24s  %-24s  %7" PRIu64 "  %5" PRIu64 "  %5" PRIu64 "  %10" PRIu64
               "  %8" PRIu64 "  ",
               (int)width, labels[i].data ? labels[i].data : "", s->created_at, s->updated_at,
               s->ingests, s->nodes, s->edges, s->calls, s->errors);
        print_time_ns(s->start_ns);
        fputs(s->start_ns ? "  " : "                     ", stdout);
        print_time_ns(s->end_ns);
        fputs("\n", stdout);
    }
out:
    for (i = 0; labels && i < n; i++)
        sm_buf_release(&labels[i]);
    free(labels);
    sm_snapshot_info_free(infos, n);
    sm_store_close(st);
    return status;
}

static int store_show(struct store_args *a, char **args, int nargs)
{
    struct sm_store *st = NULL;
    struct sm_error err;
    struct sm_map map;
    const char *db = a->db, *label = nargs > 0 ? args[0] : NULL;
    int status = 0;

    sm_map_init(&map);
    sm_error_init(&err);
    if (nargs > 1) {
        status = cli_usage_error("store", "show takes one label, not '%s' too", args[1]);
        goto out;
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
    status = cli_render_map(&map, a->render, "json");
out:
    sm_store_close(st);
    sm_map_release(&map);
    return status;
}

static int store_rm(struct store_args *a, char **args, int nargs)
{
    struct sm_store *st = NULL;
    struct sm_error err;
    const char *db = a->db, *label = nargs > 0 ? args[0] : NULL;
    int status = 0;

    sm_error_init(&err);
    if (nargs > 1)
        return cli_usage_error("store", "rm takes one label, not '%s' too", args[1]);
    if (!db || !label)
        return cli_usage_error("store", "rm needs --db FILE and a LABEL");
    if ((status = open_store(db, SM_STORE_WRITE, &st)))
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
        int (*run)(struct store_args *a, char **args, int nargs);
    } actions[] = {
        {"ingest", store_ingest},
        {"list", store_list},
        {"show", store_show},
        {"rm", store_rm},
    };
    struct store_args a;
    struct cli_option rows[16];
    char **args = NULL;
    size_t i;
    int nargs = 0, status;

    memset(&a, 0, sizeof(a));
    cli_input_options_init(&a.in);
    a.render = cli_render_options_new();
    if (argc < 2) {
        status = cli_usage_error("store", "which action: ingest, list, show or rm?");
        goto out;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        action_table(&a, NULL, rows);
        cli_options_help(stdout, usage, rows);
        status = 0;
        goto out;
    }
    for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
        if (!strcmp(argv[1], actions[i].name))
            break;
    }
    if (i == sizeof(actions) / sizeof(actions[0])) {
        status = cli_usage_error("store", "'%s' is not a store action (ingest, list, show, rm)",
                                 argv[1]);
        goto out;
    }
    action_table(&a, actions[i].name, rows);
    args = sm_xcalloc((size_t)argc, sizeof(*args));
    status = cli_options_parse("store", rows, argc - 1, argv + 1, usage, args, &nargs);
    if (status >= 0)
        goto out;
    status = actions[i].run(&a, args, nargs);
out:
    free(args);
    cli_render_options_free(a.render);
    return status;
}
