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
        signal(SIGINT, remove_pending);
        signal(SIGTERM, remove_pending);
        signal(SIGHUP, remove_pending);
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

int cli_parse_args(const char *cmd, int argc, char **argv, cli_option_fn option, void *ctx,
                   void (*help)(FILE *out), char **args, int *nargs)
{
    bool only_args = false;
    int i, r;

    *nargs = 0;
    for (i = 1; i < argc; i++) {
        if (only_args || argv[i][0] != '-' || !strcmp(argv[i], "-")) {
            args[(*nargs)++] = argv[i];
            continue;
        }
        if (!strcmp(argv[i], "--")) {
            only_args = true;
            continue;
        }
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        }
        r = option(ctx, argc, argv, &i);
        if (r < 0)
            return 2;
        if (r == 0)
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
    }
    return -1;
}

void cli_input_options_init(struct cli_input_options *o)
{
    memset(o, 0, sizeof(*o));
    sm_ingest_options_init(&o->ingest);
    o->show_progress = isatty(STDERR_FILENO) && !getenv("CI");
    o->threads = 0;
    /* -j default: one parsing thread per core (ingest runs serially for 1) */
    o->ingest.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
}

static int parse_size(const char *text, size_t *out)
{
    char *end;
    unsigned long long v;

    if (*text == '-') /* strtoull would wrap it around to a huge size */
        return -1;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno || end == text)
        return -1;
    if (*end == 'k' || *end == 'K')
        v <<= 10, end++;
    else if (*end == 'M' || *end == 'm')
        v <<= 20, end++;
    else if (*end == 'G' || *end == 'g')
        v <<= 30, end++;
    if (*end || v == 0)
        return -1;
    *out = (size_t)v;
    return 0;
}

/* The value of option argv[*i]: "--opt=value" or "--opt value". */
static const char *option_value(const char *cmd, const char *name, int argc, char **argv, int *i)
{
    size_t n = strlen(name);

    if (!strncmp(argv[*i], name, n) && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "option '%s' needs a value", name);
        return NULL;
    }
    return argv[++*i];
}

static bool is_option(const char *arg, const char *name)
{
    size_t n = strlen(name);

    return !strncmp(arg, name, n) && (arg[n] == '\0' || arg[n] == '=');
}

int cli_parse_input_option(const char *cmd, int argc, char **argv, int *i,
                           struct cli_input_options *o)
{
    const char *arg = argv[*i], *v;
    const struct sm_format *f;

    if (!strcmp(arg, "--strict")) {
        o->ingest.strict = true;
        return 1;
    }
    if (!strcmp(arg, "--quiet") || !strcmp(arg, "-q")) {
        o->quiet = true;
        o->show_progress = false;
        return 1;
    }
    if (is_option(arg, "--input-format")) {
        if (!(v = option_value(cmd, "--input-format", argc, argv, i)))
            return -1;
        f = sm_format_find(v);
        if (!f) {
            cli_usage_error(cmd, "unknown input format '%s' (expected %s)", v, sm_format_names());
            return -1;
        }
        o->ingest.format = f->id;
        return 1;
    }
    if (is_option(arg, "--by")) {
        if (!(v = option_value(cmd, "--by", argc, argv, i)))
            return -1;
        if (strcmp(v, "operation") && strcmp(v, "service")) {
            cli_usage_error(cmd, "--by takes 'service' or 'operation', got '%s'", v);
            return -1;
        }
        o->by_operation = !strcmp(v, "operation");
        return 1;
    }
    if (is_option(arg, "--since") || is_option(arg, "--until")) {
        bool since = is_option(arg, "--since");
        int64_t ns;

        if (!(v = option_value(cmd, since ? "--since" : "--until", argc, argv, i)))
            return -1;
        if (cli_parse_time(v, &ns)) {
            cli_usage_error(cmd,
                            "cannot read time '%s' (expected RFC 3339 or Unix seconds "
                            "between 1970 and 2262-04-11, e.g. 2026-11-26T13:15:00Z)",
                            v);
            return -1;
        }
        if (since)
            o->ingest.since_ns = ns;
        else
            o->ingest.until_ns = ns;
        return 1;
    }
    if (is_option(arg, "--max-trace-spans")) {
        size_t n;

        if (!(v = option_value(cmd, "--max-trace-spans", argc, argv, i)))
            return -1;
        if (parse_size(v, &n)) {
            cli_usage_error(cmd, "--max-trace-spans takes a positive number such as 50k, got '%s'",
                            v);
            return -1;
        }
        o->max_trace_spans = n;
        return 1;
    }
    if (is_option(arg, "--max-element-bytes") || is_option(arg, "--max-depth") ||
        is_option(arg, "--max-string-bytes")) {
        const char *name = is_option(arg, "--max-element-bytes") ? "--max-element-bytes"
                           : is_option(arg, "--max-depth")       ? "--max-depth"
                                                                 : "--max-string-bytes";
        size_t n;

        if (!(v = option_value(cmd, name, argc, argv, i)))
            return -1;
        if (parse_size(v, &n)) {
            cli_usage_error(cmd, "%s takes a positive size such as 64M, got '%s'", name, v);
            return -1;
        }
        if (!strcmp(name, "--max-element-bytes"))
            o->ingest.limits.max_element_bytes = n;
        else if (!strcmp(name, "--max-depth"))
            o->ingest.limits.max_depth = n;
        else
            o->ingest.limits.max_string_bytes = n;
        return 1;
    }
    if (!strcmp(arg, "-j") || !strncmp(arg, "-j", 2) || is_option(arg, "--jobs")) {
        char *end;
        long n;

        if (!strcmp(arg, "-j") || !strcmp(arg, "--jobs")) {
            if (*i + 1 >= argc) {
                cli_usage_error(cmd, "option '%s' needs a value", arg);
                return -1;
            }
            v = argv[++*i];
        } else {
            v = arg[1] == 'j' ? arg + 2 : strchr(arg, '=') + 1;
        }
        n = strtol(v, &end, 10);
        if (*end || n < 1 || n > 256) {
            cli_usage_error(cmd, "-j takes a number of threads from 1 to 256, got '%s'", v);
            return -1;
        }
        o->threads = (int)n;
        o->ingest.threads = (int)n;
        return 1;
    }
    return 0;
}

/* ---- progress and skipped records ---- */

struct load_state {
    struct cli_input_options *opt;
    unsigned long skipped_shown;
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
        fprintf(stderr, "svcmap: %s (record skipped)\n", buf);
    } else if (st->skipped_shown == MAX_SKIP_LINES + 1) {
        fprintf(stderr, "svcmap: further skipped records are not shown\n");
    }
}

static void on_ignored(void *ctx, const char *file, uint64_t count, const char *what)
{
    struct load_state *st = ctx;

    if (st->opt->quiet)
        return;
    if (st->progress_shown)
        fputs("\r\033[K", stderr);
    fprintf(stderr, "svcmap: %s: %llu record%s of other signals ignored (%s)\n", file,
            (unsigned long long)count, count == 1 ? "" : "s", what);
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
    lopt.read.on_ignored = on_ignored;
    lopt.read.on_progress = on_progress;
    lopt.read.ctx = &st;
    lopt.db = db;
    lopt.by_operation = o->by_operation;
    lopt.max_trace_spans = o->max_trace_spans;
    tell_reading_terminal(files, nfiles, o);
    rc = sm_load_map((const char *const *)files, nfiles > 0 ? (size_t)nfiles : 0, &lopt, map, err);
    if (st.progress_shown)
        fputs("\r\033[K", stderr);
    if (st.skipped_shown > 0 && !o->quiet)
        cli_message("skipped %lu bad record%s", st.skipped_shown, st.skipped_shown == 1 ? "" : "s");
    if (rc == 0)
        cli_tell_estimated(map, o->quiet);
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

void cli_input_formats_help(FILE *out, bool spans_only)
{
    size_t i;

    fprintf(out, "  --input-format FMT      read every FILE as FMT (default: detected from\n"
                 "                          content, file by file); FMT is one of:\n");
    for (i = 0; sm_formats[i]; i++) {
        if (spans_only && !sm_formats[i]->spans)
            continue;
        fprintf(out, "      %-13s %s\n", sm_formats[i]->name, sm_formats[i]->summary);
    }
}
