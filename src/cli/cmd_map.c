/* cmd_map.c: `svcmap map`: trace files (or map documents) in, a map out.
 *
 * Reads every input into one map (cli_load_map: files, '-' or store labels), then hands it to the
 * rendering code (src/cli/render.c) for shaping, the emitter and the atomic write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "usage: svcmap map [options] [FILE...]\n"
    "\n"
    "Reads OpenTelemetry (OTLP JSON), Jaeger JSON or Zipkin v2 JSON trace exports,\n"
    "dependencies a backend already aggregated (Zipkin or Jaeger dependency JSON,\n"
    "service-graph Prometheus metrics) or svcmap map documents, and writes the\n"
    "service dependency map. No FILE or '-' reads standard input. Files may be\n"
    "gzip- or zstd-compressed.\n";

int cmd_map(int argc, char **argv)
{
    struct cli_input_options in = {0}; /* the option table below reads it */
    struct cli_render_options *render = cli_render_options_new();
    struct sm_error err;
    struct sm_map map;
    char **files = sm_xcalloc((size_t)argc + 1, sizeof(char *));
    int nfiles = 0, status;
    const char *db = NULL;
    struct cli_option options[] = {
        OPT_INCLUDE(cli_input_option_table(&in)),
        OPT_STRING(0, "db", &db, "FILE",
                   "a FILE argument may be a snapshot label in this\n"
                   "store database (see 'svcmap store')"),
        OPT_INCLUDE(cli_render_option_table(render)),
        OPT_END(),
    };

    cli_input_options_init(&in);
    sm_map_init(&map);
    sm_error_init(&err);
    if ((status = cli_options_parse("map", options, argc, argv, usage, files, &nfiles)) >= 0)
        goto out;
    if (cli_load_map(files, nfiles, db, &in, &map, &err)) {
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
