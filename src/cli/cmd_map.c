/* cmd_map.c: `svcmap map`: trace files (or map documents) in, a map out.
 *
 * Reads every input into one map (cli_load_map: files, '-' or store labels), then hands it to the
 * rendering code (src/cli/render.c) for shaping, the emitter and the atomic write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void help(FILE *out)
{
    fprintf(out, "usage: svcmap map [options] [FILE...]\n"
                 "\n"
                 "Reads OpenTelemetry (OTLP JSON), Jaeger JSON or Zipkin v2 JSON trace exports,\n"
                 "dependencies a backend already aggregated (Zipkin or Jaeger dependency JSON,\n"
                 "service-graph Prometheus metrics) or svcmap map documents, and writes the\n"
                 "service dependency map. No FILE or '-' reads standard input. Files may be\n"
                 "gzip- or zstd-compressed.\n"
                 "\n"
                 "input options:\n");
    cli_input_formats_help(out, false);
    fprintf(out,
            "  --strict                stop at the first bad record (default: skip and count)\n"
            "  --since TIME, --until TIME\n"
            "                          keep spans starting in [since, until) (RFC 3339 or Unix s)\n"
            "  --max-element-bytes N   largest record accepted (default 256M)\n"
            "  --max-depth N           deepest JSON nesting accepted (default 512)\n"
            "  --max-string-bytes N    longest JSON string accepted (default 16M)\n"
            "  --max-trace-spans N     traces with more spans are not linked (default 200k)\n"
            "  -j N                    threads (default: the number of cores)\n"
            "  --by service|operation  one node per service (default), or per (service,\n"
            "                          operation): which endpoint calls which\n"
            "  -q, --quiet             no progress or skip messages on stderr\n"
            "  --db FILE               a FILE argument may be a snapshot label in this\n"
            "                          store database (see 'svcmap store')\n");
    cli_render_help(out);
}

struct map_options {
    struct cli_input_options *in;
    struct cli_render_options *render;
    const char *db;
};

static int map_option(void *ctx, int argc, char **argv, int *i)
{
    struct map_options *o = ctx;
    const char *arg = argv[*i];
    int r;

    if (!strcmp(arg, "--db") || !strncmp(arg, "--db=", 5)) {
        if (arg[4] == '=') {
            o->db = arg + 5;
        } else if (*i + 1 < argc) {
            o->db = argv[++*i];
        } else {
            cli_usage_error("map", "option '--db' needs a value");
            return -1;
        }
        return 1;
    }
    r = cli_parse_input_option("map", argc, argv, i, o->in);
    if (r == 0)
        r = cli_parse_render_option("map", argc, argv, i, o->render);
    return r;
}

int cmd_map(int argc, char **argv)
{
    struct cli_input_options in;
    struct cli_render_options *render = cli_render_options_new();
    struct sm_error err;
    struct sm_map map;
    char **files = sm_xcalloc((size_t)argc + 1, sizeof(char *));
    int nfiles = 0, status;
    struct map_options o;

    cli_input_options_init(&in);
    sm_map_init(&map);
    sm_error_init(&err);
    o.in = &in;
    o.render = render;
    o.db = NULL;
    if ((status = cli_parse_args("map", argc, argv, map_option, &o, help, files, &nfiles)) >= 0)
        goto out;
    if (cli_load_map(files, nfiles, o.db, &in, &map, &err)) {
        status = cli_report(&err);
        goto out;
    }
    cli_tell_estimated(&map, in.quiet);
    sm_map_sort(&map);
    status = cli_render_map(&map, render, "json");
out:
    sm_map_release(&map);
    cli_render_options_free(render);
    free(files);
    return status;
}
