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
#include "svcmap/recv.h"
#include "svcmap/util.h"

#include "options.h"

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
int cmd_record(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_why(int argc, char **argv);

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

/* Options every command that reads traces takes. */
struct cli_input_options {
    struct sm_ingest_options ingest;
    bool quiet;
    bool show_progress; /* stderr is a terminal and not --quiet */
    int threads;
    bool by_operation;           /* --by operation */
    size_t max_trace_spans;      /* --max-trace-spans; 0: the default */
    double slowest_pct;          /* why --slowest; 0: every trace */
    bool spans_only;             /* the help lists only the formats that yield spans */
    struct cli_option table[16]; /* filled by cli_input_option_table */
    char formats_help[2048];     /* the format table's lines for the help */
};
/* Defaults; also fills o->table, so a table taken before the call stays valid. */
void cli_input_options_init(struct cli_input_options *o);
/* The option table of --input-format, --strict, --since, --until, --quiet,
 * --max-element-bytes, --max-depth, --max-string-bytes, --max-trace-spans, -j, --by,
 * storing into o (the rows live in o->table: valid while o is). The formats come from
 * the core's format table (the help lists, with o->spans_only, only those that yield
 * spans). In input_options.c. */
const struct cli_option *cli_input_option_table(struct cli_input_options *o);

/* Builds a map from inputs (sm_load_map: files of any format in the format table,
 * "-", or with db store labels), printing skipped records, ignored records and
 * progress on stderr unless --quiet. No files means stdin. Returns 0 or a negative
 * status with err filled. */
int cli_load_map(char **files, int nfiles, const char *db, struct cli_input_options *o,
                 struct sm_map *map, struct sm_error *err);

/* Says once on stderr (unless quiet) that latency was merged from a side without a
 * sketch (map->source.estimated_merges), then clears the count so that it is not said
 * again when this map is merged on. cli_load_map calls it; commands that merge stored
 * snapshots after loading call it before they render. */
void cli_tell_estimated(struct sm_map *map, bool quiet);
/* One stderr line for bad spans left out of a kept record: "PLACE: span 3: ... (span
 * skipped)", or "(N spans skipped)" for a resource's. */
void cli_skipped_span_line(const char *where_what, uint64_t spans);
/* The closing "skipped N bad records" / "skipped N bad spans ..." lines, each only when
 * there were any. */
void cli_skipped_summary(unsigned long records, uint64_t spans);

/* Rendering: shaping (--focus, --depth, --include, --exclude, --min-calls, --clients,
 * --group-by), style (--direction, --edge-label, --latency, --warn-*, --crit-*,
 * --no-legend, --title), output (-o, -f, --inject FILE.md --name NAME).
 * Implemented in src/cli/render.c. */
struct cli_render_options;
/* Allocates options with defaults; free with cli_render_options_free. */
struct cli_render_options *cli_render_options_new(void);
void cli_render_options_free(struct cli_render_options *o);
/* The option table of the rendering options, storing into o (valid while o is). */
const struct cli_option *cli_render_option_table(struct cli_render_options *o);
/* Shapes the map, picks the emitter (-f, else -o's extension, else the default format
 * default_format), emits and writes the result (atomically to -o, into the --inject
 * file's block, or to stdout). Returns the exit status (messages already printed). */
int cli_render_map(struct sm_map *map, struct cli_render_options *o, const char *default_format);
/* True when -o or --inject names where the map goes (false: stdout). */
bool cli_render_has_output(const struct cli_render_options *o);

/* Parses a time for --since/--until with sm_time_parse (timeparse.h): RFC 3339 or Unix
 * seconds, 1970 to 2262. 0 on success. */
int cli_parse_time(const char *text, int64_t *ns);

/* The OTLP/HTTP receiver of record and collect (src/cli/receive.c). */
struct cli_recv_options {
    struct sm_recv_options recv;
    struct cli_render_options *render;            /* owned */
    const char *db, *label, *save_spans, *listen; /* borrowed from argv */
    bool quiet;
    int64_t grace_ms;            /* record: wait after CMD for its last batches */
    int64_t every_ms;            /* collect: write the map this often; 0: only at the end */
    struct cli_option table[20]; /* filled by cli_recv_options_init */
};
/* Sets the defaults and fills o->table; o must not move afterwards (the table points
 * into it). */
void cli_recv_options_init(struct cli_recv_options *o);
void cli_recv_options_release(struct cli_recv_options *o);
/* The option table of the receiver, --db/--label, -q and the rendering options, storing
 * into o (valid while o is). --listen, --grace and --every are the commands' own. */
const struct cli_option *cli_recv_option_table(struct cli_recv_options *o);
/* Callbacks for the commands' own rows: a duration stored as int64_t milliseconds,
 * above zero (set_recv_duration) or from 0 to an hour (set_recv_grace). */
int cli_set_recv_duration(void *value, const char *arg);
int cli_set_recv_grace(void *value, const char *arg);
/* "500ms", "2s", "1.5m", "1h"; a bare number is seconds. */
int cli_parse_duration_ms(const char *text, int64_t *out);

struct cli_receiver {
    struct sm_recv *recv;
    FILE *save;      /* --save-spans */
    int save_failed; /* errno of the first failed write */
    struct sm_buf line;
    struct sm_map base; /* what the --label held before the run */
    char address[256];
};
/* Checks the options, opens --save-spans, loads the --label's earlier snapshot and
 * starts the receiver. 0, or the exit status after a message. */
int cli_recv_begin(const char *cmd, struct cli_recv_options *o, struct cli_receiver *rc);
/* Writes a map of the run: into --db (replacing the label with its earlier contents
 * plus map) and through the rendering options. Returns the exit status. */
int cli_recv_write(const char *cmd, struct cli_recv_options *o, struct cli_receiver *rc,
                   struct sm_map *map);
/* Stops the receiver, prints its counts, closes --save-spans and (when write) writes the
 * final map. Returns the exit status. */
int cli_recv_end(const char *cmd, struct cli_recv_options *o, struct cli_receiver *rc, bool write);
void cli_recv_release(struct cli_receiver *rc);

#endif
