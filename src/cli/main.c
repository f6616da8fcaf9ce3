/* main.c: the svcmap command: finds the subcommand in the table and runs it.
 *
 * Each subcommand lives in its own cmd_*.c file, parses its own options and returns
 * its exit status; adding a command is one file and one row below.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_command commands[] = {
    {"map", cmd_map, "traces (or a map document) -> a map in json, dot, svg, png, mermaid, ..."},
    {"record", cmd_record, "run a command, receive its spans over OTLP/HTTP, write its map"},
    {"collect", cmd_collect, "receive spans over OTLP/HTTP until stopped, writing the map"},
    {"spans", cmd_spans, "print the normalized spans of trace files as JSON lines"},
    {"diff", cmd_diff, "two maps -> what changed, with --fail-on gates for CI"},
    {"store", cmd_store, "map snapshots by label in SQLite: ingest, list, show, rm"},
    {"why", cmd_why, "traces -> where each entry point's time goes: critical-path shares"},
    {"check", cmd_check, "hold a map against architecture rules, with --fail-on gates"},
};

static void usage(FILE *out)
{
    size_t i;

    fprintf(out, "usage: svcmap COMMAND [options] [FILE...]\n\n"
                 "Service dependency maps from OpenTelemetry, Jaeger and Zipkin trace exports.\n\n"
                 "commands:\n");
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-7s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nRun 'svcmap COMMAND --help' for a command's options; 'man svcmap' for all.\n"
                 "Exit status: 0 done, 1 a --fail-on gate tripped, 2 usage error, 3 bad input,\n"
                 "4 system failure.\n");
}

int main(int argc, char **argv)
{
    size_t i;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return cli_close_stdout(0);
    }
    if (!strcmp(argv[1], "--version")) {
        printf("svcmap %s\n", SVCMAP_VERSION);
        return cli_close_stdout(0);
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (!strcmp(argv[1], commands[i].name))
            return cli_close_stdout(commands[i].run(argc - 1, argv + 1));
    }
    cli_message("'%s' is not a command; see 'svcmap --help'", argv[1]);
    return 2;
}
