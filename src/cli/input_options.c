/* input_options.c: the option table every command that reads traces includes.
 *
 * --input-format, --strict, the time window, the parser limits, threads, --by and
 * --quiet, declared once (struct cli_option rows pointing into a struct
 * cli_input_options) so that map, spans, diff, check and store ingest read them alike.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "svcmap/format.h"

static int set_format(void *value, const char *arg)
{
    struct cli_input_options *o = value;
    const struct sm_format *f = sm_format_find(arg);

    if (!f)
        return -1;
    o->ingest.format = f->id;
    return 0;
}

/* The format table as help lines, into o->formats_help. */
static void formats_help(struct cli_input_options *o)
{
    size_t i, used = 0;

    o->formats_help[0] = '\0';
    for (i = 0; sm_formats[i]; i++) {
        int n;

        if (o->spans_only && !sm_formats[i]->spans)
            continue;
        n = snprintf(o->formats_help + used, sizeof(o->formats_help) - used, "      %-13s %s\n",
                     sm_formats[i]->name, sm_formats[i]->summary);
        if (n < 0 || (size_t)n >= sizeof(o->formats_help) - used)
            break;
        used += (size_t)n;
    }
}

static int set_quiet(void *value, const char *arg)
{
    struct cli_input_options *o = value;

    (void)arg;
    o->quiet = true;
    o->show_progress = false;
    return 0;
}

static int set_by(void *value, const char *arg)
{
    if (strcmp(arg, "operation") && strcmp(arg, "service"))
        return -1;
    *(bool *)value = !strcmp(arg, "operation");
    return 0;
}

static int set_time(void *value, const char *arg)
{
    return cli_parse_time(arg, value) ? -1 : 0;
}

static int set_jobs(void *value, const char *arg)
{
    struct cli_input_options *o = value;
    char *end;
    long n = strtol(arg, &end, 10);

    if (!*arg || *end || n < 1 || n > 256)
        return -1;
    o->threads = (int)n;
    o->ingest.threads = (int)n;
    return 0;
}

const struct cli_option *cli_input_option_table(struct cli_input_options *o)
{
    const struct cli_option rows[] = {
        OPT_GROUP("input options:"),
        OPT_CALLBACK(0, "input-format", o, set_format, "FMT", sm_format_names(),
                     "read every FILE as FMT (default: detected from\n"
                     "content, file by file); FMT is one of:"),
        OPT_TEXT(o->formats_help),
        OPT_BOOL(0, "strict", &o->ingest.strict,
                 "stop at the first bad record or span (default: skip and count)"),
        OPT_CALLBACK(0, "since", &o->ingest.since_ns, set_time, "TIME",
                     "an RFC 3339 time or Unix seconds between 1970 and 2262-04-11 "
                     "(e.g. 2026-11-26T13:15:00Z)",
                     "keep spans starting at or after TIME (RFC 3339 or Unix s)"),
        OPT_CALLBACK(0, "until", &o->ingest.until_ns, set_time, "TIME",
                     "an RFC 3339 time or Unix seconds between 1970 and 2262-04-11 "
                     "(e.g. 2026-11-26T13:15:00Z)",
                     "... and before TIME"),
        OPT_SIZE(0, "max-element-bytes", &o->ingest.limits.max_element_bytes, "N", NULL,
                 "largest record accepted (default 256M)"),
        OPT_SIZE(0, "max-depth", &o->ingest.limits.max_depth, "N", NULL,
                 "deepest JSON nesting accepted (default 512)"),
        OPT_SIZE(0, "max-string-bytes", &o->ingest.limits.max_string_bytes, "N", NULL,
                 "longest JSON string accepted (default 16M)"),
        OPT_SIZE(0, "max-trace-spans", &o->max_trace_spans, "N", "a positive number such as 50k",
                 "traces with more spans are not linked (default 200k)"),
        OPT_CALLBACK('j', "jobs", o, set_jobs, "N", "a number of threads from 1 to 256",
                     "threads (default: the number of cores)"),
        OPT_CALLBACK(0, "by", &o->by_operation, set_by, "service|operation", "service or operation",
                     "one node per service (default), or per (service,\n"
                     "operation): which endpoint calls which"),
        OPT_CALLBACK_FLAG('q', "quiet", o, set_quiet, "no progress or skip messages on stderr"),
        OPT_END(),
    };

    _Static_assert(sizeof(rows) <= sizeof(o->table), "cli_input_options.table is too small");
    formats_help(o);
    memcpy(o->table, rows, sizeof(rows));
    return o->table;
}
