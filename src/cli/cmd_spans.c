/* cmd_spans.c: `svcmap spans`: trace files in, the normalized spans out as JSON lines.
 *
 * The tool to reach for when a map looks wrong: it shows exactly what the readers made
 * of an export, one span a line, fields in the fixed order of sm_span_to_json, in file
 * order. Files are read one after another through sm_ingest_file; a file that cannot be
 * read is reported and the others are still printed (exit 3 at the end), a bad record
 * is skipped with one line on stderr, or ends the run with --strict.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_SKIP_LINES 20

struct spans_state {
    struct sm_buf line;
    bool quiet;
    unsigned long skipped;
    unsigned long span_skips; /* skip lines for bad spans (a resource's is one) */
    uint64_t skipped_spans;
};

static const char usage[] =
    "usage: svcmap spans [options] [FILE...]\n"
    "\n"
    "Prints the spans of OpenTelemetry (OTLP JSON), Jaeger JSON or Zipkin v2 JSON trace\n"
    "exports as svcmap reads them: one JSON object a line, in file order, with the\n"
    "fields trace_id, span_id, parent_id, refs, service, name, kind, start_ns,\n"
    "duration_ns, error, shared, remote_service, peer_service, db_system, db_namespace,\n"
    "db_name, messaging_system, messaging_destination, server_address, server_port,\n"
    "net_peer_name, http_host, http_status, service_namespace, service_version and\n"
    "format, in that order; absent fields are left out. Ids are lowercase hex padded\n"
    "to 16 or 32 digits (OTLP base64 ids decoded), or kept as they are when not hex.\n"
    "No FILE or '-' reads standard input. Files may be gzip- or zstd-compressed.\n";

static void on_skip(void *ctx, const struct sm_error *err)
{
    struct spans_state *st = ctx;
    char buf[1024];

    if (!st->quiet && st->skipped < MAX_SKIP_LINES) {
        sm_error_format(err, buf, sizeof(buf));
        cli_message("%s (record skipped)", buf);
    } else if (!st->quiet && st->skipped == MAX_SKIP_LINES) {
        fprintf(stderr, "svcmap: further skipped records are not shown\n");
    }
    st->skipped++;
}

static void on_skip_span(void *ctx, const struct sm_error *err, uint64_t spans)
{
    struct spans_state *st = ctx;
    char buf[1024];

    if (!st->quiet && st->span_skips < MAX_SKIP_LINES) {
        sm_error_format(err, buf, sizeof(buf));
        cli_skipped_span_line(buf, spans);
    } else if (!st->quiet && st->span_skips == MAX_SKIP_LINES) {
        fprintf(stderr, "svcmap: further skipped spans are not shown\n");
    }
    st->span_skips++;
    st->skipped_spans += spans;
}

static void on_ignored(void *ctx, const char *file, uint64_t count, const char *what)
{
    struct spans_state *st = ctx;

    if (!st->quiet)
        cli_message("%s: %llu record%s of other signals ignored (%s)", file,
                    (unsigned long long)count, count == 1 ? "" : "s", what);
}

static int print_batch(void *ctx, struct sm_batch *batch, struct sm_error *err)
{
    struct spans_state *st = ctx;
    size_t i;

    sm_buf_reset(&st->line);
    for (i = 0; i < batch->len; i++) {
        sm_span_to_json(&batch->spans[i], &st->line);
        sm_buf_addc(&st->line, '\n');
    }
    if (st->line.len > 0 && fwrite(st->line.data, 1, st->line.len, stdout) != st->line.len)
        return sm_error_set(err, SM_ESYSTEM, "cannot write to standard output: %s",
                            strerror(errno));
    return 0;
}

int cmd_spans(int argc, char **argv)
{
    static char *stdin_only[] = {(char *)"-"};
    struct cli_input_options in = {0}; /* the option table below reads it */
    struct spans_state st;
    struct sm_ingest_stats stats;
    struct sm_ingest_options opt;
    struct sm_error err;
    char **files = sm_xcalloc((size_t)argc + 1, sizeof(char *));
    int nfiles = 0, i, status = 0;
    struct cli_option options[] = {
        OPT_INCLUDE(cli_input_option_table(&in)),
        OPT_GROUP("Exit status: 0 done, 2 usage error, 3 a file could not be read (or with "
                  "--strict,\na bad record), 4 output could not be written."),
        OPT_END(),
    };

    cli_input_options_init(&in);
    in.spans_only = true;
    cli_input_option_table(&in); /* the rows again, with the span formats only */
    memset(&st, 0, sizeof(st));
    sm_buf_init(&st.line);
    memset(&stats, 0, sizeof(stats));
    if ((status = cli_options_parse("spans", options, argc, argv, usage, files, &nfiles)) >= 0)
        goto out;
    status = 0;
    if (nfiles == 0) {
        free(files);
        files = stdin_only;
        nfiles = 1;
    }

    st.quiet = in.quiet;
    opt = in.ingest;
    opt.on_skip = on_skip;
    opt.on_skip_span = on_skip_span;
    opt.on_ignored = on_ignored;
    opt.on_progress = NULL; /* progress lines would interleave with a terminal's output */
    opt.ctx = &st;
    for (i = 0; i < nfiles; i++) {
        int rc;

        sm_error_init(&err);
        rc = sm_ingest_file(files[i], &opt, print_batch, &st, &stats, &err);
        if (rc == 0)
            continue;
        status = cli_report(&err);
        /* --strict, a write failure, or a usage problem ends the run; an unreadable
         * file does not keep the others from being shown. */
        if (opt.strict || rc != SM_EINPUT)
            break;
    }
    if (!st.quiet)
        cli_skipped_summary(st.skipped, st.skipped_spans);

out:
    if (files != stdin_only)
        free(files);
    sm_buf_release(&st.line);
    return status;
}
