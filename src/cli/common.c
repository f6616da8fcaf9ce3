/* common.c: what every subcommand shares: messages, atomic output, input options,
 * and loading a map from trace files or map documents.
 *
 * Output files are written to a temporary file in the same folder, flushed to disk and
 * renamed over the target, so a failed run never leaves a partial file. Progress is
 * shown on stderr only when it is a terminal and the work takes more than a second.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "svcmap/escape.h"
#include "svcmap/format.h"
#include "svcmap/link.h"
#include "svcmap/load.h"
#include "svcmap/output.h"
#include "svcmap/timeparse.h"

void cli_say(const char *text)
{
    struct sm_buf line;

    sm_buf_init(&line);
    sm_buf_adds(&line, "svcmap: ");
    sm_escape_terminal(&line, text, strlen(text), false);
    sm_buf_addc(&line, '\n');
    fwrite(line.data, 1, line.len, stderr);
    sm_buf_release(&line);
}

/* Formats fmt and says it. */
static void say_v(const char *fmt, va_list ap)
{
    char small[1024], *text = small;
    va_list again;
    int n;

    va_copy(again, ap);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n >= (int)sizeof(small)) {
        text = sm_xmalloc((size_t)n + 1);
        vsnprintf(text, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    cli_say(n < 0 ? "" : text);
    if (text != small)
        free(text);
}

int cli_report(const struct sm_error *err)
{
    char buf[1024];

    sm_error_format(err, buf, sizeof(buf));
    cli_say(buf);
    return sm_status_exit_code(err->status ? err->status : SM_ESYSTEM);
}

void cli_message(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say_v(fmt, ap);
    va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say_v(fmt, ap);
    va_end(ap);
    fprintf(stderr, "see 'svcmap %s --help'\n", cmd);
    return 2;
}

static void remove_pending(int sig)
{
    sm_output_remove_pending();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Removes the pending output file on sig, unless the command handles sig itself: collect
 * stops on SIGINT and SIGTERM and then writes its final map, which a handler that
 * re-raised the signal would lose after the first --every write. */
static void install_remove_pending(int sig)
{
    struct sigaction cur;

    if (sigaction(sig, NULL, &cur) == 0 && cur.sa_handler == SIG_DFL)
        signal(sig, remove_pending);
}

/* True when path names the file standard output already writes to (/dev/stdout,
 * /dev/fd/1, /proc/self/fd/1, or the redirect target itself). */
static bool is_stdout(const char *path)
{
    struct stat a, b;

    return fstat(STDOUT_FILENO, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino && !S_ISDIR(b.st_mode);
}

int cli_write_output(const char *path, const void *data, size_t len, struct sm_error *err)
{
    static bool handlers;

    if (!path || !strcmp(path, "-") || is_stdout(path)) {
        if (len && fwrite(data, 1, len, stdout) != len)
            return sm_error_set(err, SM_ESYSTEM, "cannot write to standard output: %s",
                                strerror(errno));
        return 0;
    }
    if (!handlers) {
        install_remove_pending(SIGINT);
        install_remove_pending(SIGTERM);
        install_remove_pending(SIGHUP);
        handlers = true;
    }
    return sm_output_write(path, data, len, err);
}

int cli_close_stdout(int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "svcmap: cannot write to standard output: %s\n", strerror(errno));
        return status ? status : 4;
    }
    if (fclose(stdout) != 0) {
        fprintf(stderr, "svcmap: cannot write to standard output: %s\n", strerror(errno));
        return status ? status : 4;
    }
    return status;
}

void cli_input_options_init(struct cli_input_options *o)
{
    memset(o, 0, sizeof(*o));
    sm_ingest_options_init(&o->ingest);
    o->show_progress = isatty(STDERR_FILENO) && !getenv("CI");
    o->threads = 0;
    /* -j default: one parsing thread per core (ingest runs serially for 1) */
    o->ingest.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
    /* the rows point into o: a table taken before this call stays valid */
    cli_input_option_table(o);
}

/* ---- progress and skipped records ---- */

struct load_state {
    struct cli_input_options *opt;
    unsigned long skipped_shown;
    unsigned long span_skips; /* skip lines for bad spans (a resource's is one) */
    uint64_t skipped_spans;
    struct timespec started;
    bool progress_shown;
};

#define MAX_SKIP_LINES 20

static void on_skip(void *ctx, const struct sm_error *err)
{
    struct load_state *st = ctx;
    char buf[1024];

    st->skipped_shown++;
    if (st->opt->quiet)
        return;
    if (st->progress_shown)
        fputs("\r\033[K", stderr);
    if (st->skipped_shown <= MAX_SKIP_LINES) {
        sm_error_format(err, buf, sizeof(buf));
        cli_message("%s (record skipped)", buf);
    } else if (st->skipped_shown == MAX_SKIP_LINES + 1) {
        fprintf(stderr, "svcmap: further skipped records are not shown\n");
    }
}

static void on_skip_span(void *ctx, const struct sm_error *err, uint64_t spans)
{
    struct load_state *st = ctx;
    char buf[1024];

    st->span_skips++;
    st->skipped_spans += spans;
    if (st->opt->quiet)
        return;
    if (st->progress_shown)
        fputs("\r\033[K", stderr);
    if (st->span_skips <= MAX_SKIP_LINES) {
        sm_error_format(err, buf, sizeof(buf));
        cli_skipped_span_line(buf, spans);
    } else if (st->span_skips == MAX_SKIP_LINES + 1) {
        fprintf(stderr, "svcmap: further skipped spans are not shown\n");
    }
}

void cli_skipped_span_line(const char *where_what, uint64_t spans)
{
    if (spans == 1)
        cli_message("%s (span skipped)", where_what);
    else
        cli_message("%s (%llu spans skipped)", where_what, (unsigned long long)spans);
}

void cli_skipped_summary(unsigned long records, uint64_t spans)
{
    if (records > 0)
        cli_message("skipped %lu bad record%s", records, records == 1 ? "" : "s");
    if (spans > 0)
        cli_message("skipped %llu bad span%s", (unsigned long long)spans, spans == 1 ? "" : "s");
}

static void on_ignored(void *ctx, const char *file, uint64_t count, const char *what)
{
    struct load_state *st = ctx;

    if (st->opt->quiet)
        return;
    if (st->progress_shown)
        fputs("\r\033[K", stderr);
    cli_message("%s: %llu record%s of other signals ignored (%s)", file, (unsigned long long)count,
                count == 1 ? "" : "s", what);
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void on_progress(void *ctx, const char *file, long long done, long long total)
{
    struct load_state *st = ctx;
    double secs = seconds_since(&st->started);

    if (!st->opt->show_progress || secs < 1.0)
        return;
    st->progress_shown = true;
    if (total > 0)
        fprintf(stderr, "\r\033[Ksvcmap: reading %s: %3d%% (%.0f MB, %.0f MB/s)", file,
                (int)(100.0 * (double)done / (double)total), (double)done / 1e6,
                (double)done / 1e6 / secs);
    else
        fprintf(stderr, "\r\033[Ksvcmap: reading %s: %.0f MB (%.0f MB/s)", file, (double)done / 1e6,
                (double)done / 1e6 / secs);
}

/* Waiting on a terminal in silence looks like a hang: when standard input (no FILE, or
 * "-") is a terminal, say once what is read and how to stop. A prompt rather than the
 * usage text, because `svcmap map` on a terminal can be a real use (pasting spans). */
static void tell_reading_terminal(char **files, int nfiles, const struct cli_input_options *o)
{
    bool reads_stdin = nfiles <= 0;
    int i;

    for (i = 0; i < nfiles && !reads_stdin; i++)
        reads_stdin = !strcmp(files[i], "-");
    if (reads_stdin && !o->quiet && isatty(STDIN_FILENO))
        cli_message("reading spans from standard input (a terminal): paste or type them, then "
                    "press Ctrl-D to finish, or Ctrl-C to stop");
}

int cli_load_map(char **files, int nfiles, const char *db, struct cli_input_options *o,
                 struct sm_map *map, struct sm_error *err)
{
    struct sm_load_options lopt;
    struct load_state st;
    int rc;

    memset(&st, 0, sizeof(st));
    st.opt = o;
    clock_gettime(CLOCK_MONOTONIC, &st.started);
    sm_load_options_init(&lopt);
    lopt.read = o->ingest;
    lopt.read.on_skip = on_skip;
    lopt.read.on_skip_span = on_skip_span;
    lopt.read.on_ignored = on_ignored;
    lopt.read.on_progress = on_progress;
    lopt.read.ctx = &st;
    lopt.db = db;
    lopt.by_operation = o->by_operation;
    lopt.max_trace_spans = o->max_trace_spans;
    lopt.slowest_pct = o->slowest_pct;
    tell_reading_terminal(files, nfiles, o);
    rc = sm_load_map((const char *const *)files, nfiles > 0 ? (size_t)nfiles : 0, &lopt, map, err);
    if (st.progress_shown)
        fputs("\r\033[K", stderr);
    if (!o->quiet)
        cli_skipped_summary(st.skipped_shown, st.skipped_spans);
    if (rc == 0)
        cli_tell_estimated(map, o->quiet);
    if (rc == 0 && map->source.late_spans > 0 && !o->quiet)
        cli_message("%llu span%s arrived after %s trace had been linked (parts of one trace "
                    "further apart than the window of %zu waiting spans): not linked, counted "
                    "in source.late_spans",
                    (unsigned long long)map->source.late_spans,
                    map->source.late_spans == 1 ? "" : "s",
                    map->source.late_spans == 1 ? "its" : "their", SM_DEFAULT_WINDOW_SPANS);
    return rc;
}

void cli_tell_estimated(struct sm_map *map, bool quiet)
{
    unsigned long long n = (unsigned long long)map->source.estimated_merges;

    if (n > 0 && !quiet)
        cli_message("latency of %llu edge side%s merged from an input without a sketch (an older "
                    "map document or pre-aggregated data): marked latency_estimated",
                    n, n == 1 ? " was" : "s were");
    map->source.estimated_merges = 0;
}

int cli_parse_time(const char *text, int64_t *ns)
{
    return sm_time_parse(text, ns);
}
