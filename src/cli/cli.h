/* cli.h: what the subcommands share: the command table, messages, atomic output,
 * loading maps from trace files, map documents or snapshots.
 *
 * Only src/cli touches argv, stdout, stderr and exit statuses.
 */
#ifndef SVCMAP_CLI_H
#define SVCMAP_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "svcmap/error.h"
#include "svcmap/ingest.h"
#include "svcmap/map.h"
#include "svcmap/util.h"

struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv); /* returns the exit status */
    const char *summary;
};

int cmd_map(int argc, char **argv);
int cmd_spans(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_store(int argc, char **argv);
int cmd_check(int argc, char **argv);

/* Every message on stderr goes through the terminal escape (svcmap/escape.h): names
 * and values quoted from the input cannot move the cursor or reorder the line. */
/* Prints "svcmap: " and text, escaped, and a line end on stderr. */
void cli_say(const char *text);
/* Prints "svcmap: " and the formatted error (with its place) on stderr; returns the
 * exit status for err->status. */
int cli_report(const struct sm_error *err);
/* Prints "svcmap: " and a message on stderr. */
void cli_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A usage error: prints the message and "try 'svcmap CMD --help'"; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Writes data to path atomically (temporary file in the same folder + fsync +
 * rename), or to stdout when path is NULL or "-". A failure leaves no partial file. */
int cli_write_output(const char *path, const void *data, size_t len, struct sm_error *err);

/* Flushes and closes stdout, reporting a failure (full disk) as exit 4. */
int cli_close_stdout(int status);

/* One option at argv[*i]: 1 when it was the command's (its value consumed), 0 when
 * not, -1 after printing a usage error. */
typedef int (*cli_option_fn)(void *ctx, int argc, char **argv, int *i);

/* The argument loop every command shares. Arguments that do not start with '-' (and
 * "-", and everything after "--") are positional and collected into args, which has
 * room for argc entries; -h and --help print help on stdout. Every other option is
 * offered to option; one it does not take is a usage error. Returns -1 when the
 * command should go on, else the exit status to return (0 after --help). */
int cli_parse_args(const char *cmd, int argc, char **argv, cli_option_fn option, void *ctx,
                   void (*help)(FILE *out), char **args, int *nargs);

/* Options every command that reads traces takes. */
struct cli_input_options {
    struct sm_ingest_options ingest;
    bool quiet;
    bool show_progress; /* stderr is a terminal and not --quiet */
    int threads;
    bool by_operation;      /* --by operation */
    size_t max_trace_spans; /* --max-trace-spans; 0: the default */
};
void cli_input_options_init(struct cli_input_options *o);
/* Handles --input-format, --strict, --since, --until, --quiet, --max-element-bytes,
 * --max-depth, --max-string-bytes, -j, --by. Returns 1 if argv[*i] was one of them (consuming
 * its value), 0 if not, or -1 after printing a usage error. */
int cli_parse_input_option(const char *cmd, int argc, char **argv, int *i,
                           struct cli_input_options *o);

/* Builds a map from inputs (sm_load_map: files of any format in the format table,
 * "-", or with db store labels), printing skipped records, ignored records and
 * progress on stderr unless --quiet. No files means stdin. Returns 0 or a negative
 * status with err filled. */
int cli_load_map(char **files, int nfiles, const char *db, struct cli_input_options *o,
                 struct sm_map *map, struct sm_error *err);
/* Prints the input formats of the format table as help lines. */
void cli_input_formats_help(FILE *out, bool spans_only);

/* Says once on stderr (unless quiet) that latency was merged from a side without a
 * sketch (map->source.estimated_merges), then clears the count so that it is not said
 * again when this map is merged on. cli_load_map calls it; commands that merge stored
 * snapshots after loading call it before they render. */
void cli_tell_estimated(struct sm_map *map, bool quiet);

/* Rendering: shaping (--focus, --depth, --include, --exclude, --min-calls, --clients,
 * --group-by), style (--direction, --edge-label, --latency, --warn-*, --crit-*,
 * --no-legend, --title), output (-o, -f, --inject FILE.md --name NAME).
 * Implemented in src/cli/render.c. */
struct cli_render_options;
/* Allocates options with defaults; free with cli_render_options_free. */
struct cli_render_options *cli_render_options_new(void);
void cli_render_options_free(struct cli_render_options *o);
/* 1 if argv[*i] was a rendering option (its value consumed), 0 if not, -1 after a
 * usage error was printed. */
int cli_parse_render_option(const char *cmd, int argc, char **argv, int *i,
                            struct cli_render_options *o);
/* Shapes the map, picks the emitter (-f, else -o's extension, else the default format
 * default_format), emits and writes the result (atomically to -o, into the --inject
 * file's block, or to stdout). Returns the exit status (messages already printed). */
int cli_render_map(struct sm_map *map, struct cli_render_options *o, const char *default_format);
/* Prints the rendering options' help lines. */
void cli_render_help(FILE *out);

/* Parses a time for --since/--until with sm_time_parse (timeparse.h): RFC 3339 or Unix
 * seconds, 1970 to 2262. 0 on success. */
int cli_parse_time(const char *text, int64_t *ns);

#endif
