/* receive.c: what `svcmap record` and `svcmap collect` share: receiver options, the
 * span log of --save-spans, and writing the map (any -o format, --inject, --db).
 *
 * The receiver itself is the core's (include/svcmap/recv.h). Here its options are read
 * from argv, its accepted spans are appended to the --save-spans file as OTLP JSON lines
 * (flushed per batch, so that a crash keeps every whole line), and a map of the run is
 * written: into the --db label (the label's earlier contents, loaded at the start, merged
 * with this run, replacing the label in one transaction each time, so that writing every
 * interval never counts a span twice) and through the rendering options.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "svcmap/store.h"

int cli_parse_duration_ms(const char *text, int64_t *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(text, &end);
    if (errno || end == text || !isfinite(v) || v < 0)
        return -1;
    if (!strcmp(end, "ms"))
        ;
    else if (!*end || !strcmp(end, "s"))
        v *= 1000;
    else if (!strcmp(end, "m") || !strcmp(end, "min"))
        v *= 60000;
    else if (!strcmp(end, "h"))
        v *= 3600000;
    else
        return -1;
    if (v > 1e12)
        return -1;
    *out = (int64_t)llround(v);
    return 0;
}

static int parse_count(const char *text, unsigned long long max, unsigned long long *out)
{
    char *end;
    unsigned long long v;

    if (!*text || *text == '-')
        return -1;
    errno = 0;
    v = strtoull(text, &end, 10);
    if (errno || end == text)
        return -1;
    if (*end == 'k' || *end == 'K')
        v *= 1000ull, end++;
    else if (*end == 'M')
        v <<= 20, end++;
    else if (*end == 'G')
        v <<= 30, end++;
    if (*end || v == 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* A count such as 64k (k = 1000, M = 2^20, G = 2^30) from 1 to 2^40, into a size_t. */
static int set_size(void *value, const char *arg)
{
    unsigned long long n;

    if (parse_count(arg, 1ull << 40, &n))
        return -1;
    *(size_t *)value = (size_t)n;
    return 0;
}

static int set_connections(void *value, const char *arg)
{
    unsigned long long n;

    if (parse_count(arg, 100000ull, &n))
        return -1;
    *(unsigned *)value = (unsigned)n;
    return 0;
}

static int set_nonempty(void *value, const char *arg)
{
    if (!*arg)
        return -1;
    *(const char **)value = arg;
    return 0;
}

int cli_set_recv_duration(void *value, const char *arg)
{
    int64_t ms;

    if (cli_parse_duration_ms(arg, &ms) || ms == 0)
        return -1;
    *(int64_t *)value = ms;
    return 0;
}

int cli_set_recv_grace(void *value, const char *arg)
{
    int64_t ms;

    if (cli_parse_duration_ms(arg, &ms) || ms > 3600000)
        return -1;
    *(int64_t *)value = ms;
    return 0;
}

/* --request-timeout: the receiver counts whole seconds, rounded up. */
static int set_timeout(void *value, const char *arg)
{
    int64_t ms;

    if (cli_parse_duration_ms(arg, &ms) || ms == 0)
        return -1;
    *(unsigned *)value = (unsigned)((ms + 999) / 1000);
    return 0;
}

static int set_by(void *value, const char *arg)
{
    if (strcmp(arg, "service") && strcmp(arg, "operation"))
        return -1;
    *(bool *)value = !strcmp(arg, "operation");
    return 0;
}

#define RECV_COUNT    "a positive number such as 64k"
#define RECV_DURATION "a duration such as 500ms, 2s or 1m"

void cli_recv_options_init(struct cli_recv_options *o)
{
    memset(o, 0, sizeof(*o));
    sm_recv_options_init(&o->recv);
    o->render = cli_render_options_new();
    o->grace_ms = 1000;

    const struct cli_option rows[] = {
        OPT_GROUP("receiver options:"),
        OPT_CALLBACK(0, "token", &o->recv.token, set_nonempty, "TOKEN", "a non-empty token",
                     "require 'Authorization: Bearer TOKEN' (default: the\n"
                     "SVCMAP_TOKEN environment variable; none when unset)"),
        OPT_CALLBACK(0, "max-body", &o->recv.max_body_bytes, set_size, "SIZE", RECV_COUNT,
                     "largest request body after gzip (default 20M)"),
        OPT_CALLBACK(0, "max-pending-spans", &o->recv.max_pending_spans, set_size, "N", RECV_COUNT,
                     "spans waiting for their trace before requests get\n"
                     "429 (default 500k, about 32 MB)"),
        OPT_CALLBACK(0, "max-connections", &o->recv.max_connections, set_connections, "N",
                     "a number of connections from 1 to 100000",
                     "connections at once (default 64)"),
        OPT_CALLBACK(0, "request-timeout", &o->recv.request_timeout_s, set_timeout, "DUR",
                     RECV_DURATION, "time a connection has for one request (default 10s)"),
        OPT_CALLBACK(0, "trace-idle", &o->recv.trace_idle_ms, cli_set_recv_duration, "DUR",
                     RECV_DURATION,
                     "a trace with no new span for this long is linked\n"
                     "(default 5s)"),
        OPT_STRING(0, "save-spans", &o->save_spans, "FILE",
                   "also append what arrives to FILE as OTLP JSON lines\n"
                   "('svcmap map FILE' gives the same map)"),
        OPT_CALLBACK(0, "max-trace-spans", &o->recv.link.max_trace_spans, set_size, "N", RECV_COUNT,
                     "traces with more spans are not linked (default 200k)"),
        OPT_CALLBACK(0, "by", &o->recv.link.by_operation, set_by, "service|operation",
                     "service or operation", "one node per service (default) or per operation"),
        OPT_STRING(0, "db", &o->db, "FILE",
                   "with --label: also store the map as snapshot LABEL\n"
                   "(merged with what LABEL held before the run)"),
        OPT_CALLBACK(0, "label", &o->label, set_nonempty, "LABEL", "a non-empty label",
                     "the snapshot in --db"),
        OPT_BOOL('q', "quiet", &o->quiet, "no messages on stderr but errors"),
        OPT_INCLUDE(cli_render_option_table(o->render)),
        OPT_END(),
    };
    _Static_assert(sizeof(rows) <= sizeof(o->table), "cli_recv_options.table is too small");
    memcpy(o->table, rows, sizeof(rows));
}

void cli_recv_options_release(struct cli_recv_options *o)
{
    cli_render_options_free(o->render);
    o->render = NULL;
}

const struct cli_option *cli_recv_option_table(struct cli_recv_options *o)
{
    return o->table;
}

/* "ADDR:PORT", "[V6]:PORT" or ":PORT" (loopback). */
static int split_listen(const char *cmd, const char *text, char *addr, size_t size, unsigned *port)
{
    const char *colon = strrchr(text, ':');
    unsigned long long p;
    size_t n;

    if (colon && !strcmp(colon + 1, "0"))
        p = 0; /* any free port: the command says which */
    else if (!colon || parse_count(colon + 1, 65535, &p))
        return cli_usage_error(cmd, "--listen takes ADDR:PORT such as 127.0.0.1:4318, got '%s'",
                               text);
    n = (size_t)(colon - text);
    if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
        text++;
        n -= 2;
    }
    if (n == 0) {
        text = "127.0.0.1";
        n = strlen(text);
    }
    if (n >= size)
        return cli_usage_error(cmd, "--listen address too long");
    memcpy(addr, text, n);
    addr[n] = '\0';
    *port = (unsigned)p;
    return 0;
}

static bool is_loopback(const char *addr)
{
    return !strncmp(addr, "127.", 4) || !strcmp(addr, "::1") || !strcmp(addr, "localhost");
}

static void on_spans(void *ctx, const struct sm_batch *batch)
{
    struct cli_receiver *rc = ctx;

    if (!rc->save || rc->save_failed)
        return;
    sm_buf_reset(&rc->line);
    sm_recv_batch_to_otlp_json(batch, &rc->line);
    sm_buf_addc(&rc->line, '\n');
    if (fwrite(rc->line.data, 1, rc->line.len, rc->save) != rc->line.len || fflush(rc->save))
        rc->save_failed = errno ? errno : EIO;
}

int cli_recv_begin(const char *cmd, struct cli_recv_options *o, struct cli_receiver *rc)
{
    struct sm_error err;
    const char *env = getenv("SVCMAP_TOKEN");
    int status;

    memset(rc, 0, sizeof(*rc));
    sm_buf_init(&rc->line);
    sm_map_init(&rc->base);
    sm_error_init(&err);
    if ((o->db != NULL) != (o->label != NULL))
        return cli_usage_error(cmd, "--db and --label go together");
    if (!o->recv.token && env && *env)
        o->recv.token = env;
    if (o->listen) {
        if ((status =
                 split_listen(cmd, o->listen, rc->address, sizeof(rc->address), &o->recv.port)))
            return status;
        o->recv.address = rc->address;
        if (!is_loopback(rc->address) && !o->quiet)
            cli_message(o->recv.token ? "listening on %s beyond this machine: requests need "
                                        "the bearer token, sent in clear text without TLS"
                                      : "warning: listening on %s beyond this machine with no "
                                        "authentication: anyone who can reach it can send "
                                        "spans (use --token)",
                        rc->address);
    }
    if (o->db) {
        struct sm_store *st = NULL;

        /* the label's earlier contents: each write is that plus this run */
        if (sm_store_open(&st, o->db, SM_STORE_CREATE, &err))
            return cli_report(&err);
        if (sm_store_load(st, o->label, &rc->base, &err) && err.status != SM_EINPUT) {
            sm_store_close(st);
            return cli_report(&err);
        }
        sm_store_close(st);
        sm_error_init(&err);
    }
    if (o->save_spans) {
        rc->save = fopen(o->save_spans, "w");
        if (!rc->save) {
            cli_message("%s: cannot write: %s", o->save_spans, strerror(errno));
            return 4;
        }
    }
    o->recv.on_spans = on_spans;
    o->recv.ctx = rc;
    if (sm_recv_start(&rc->recv, &o->recv, &err))
        return cli_report(&err);
    return 0;
}

/* The run's map plus the label's earlier contents into the store, then rendered. */
int cli_recv_write(const char *cmd, struct cli_recv_options *o, struct cli_receiver *rc,
                   struct sm_map *map)
{
    struct sm_error err;
    int status = 0;

    (void)cmd;
    sm_error_init(&err);
    sm_map_sort(map);
    if (o->db) {
        struct sm_store *st = NULL;
        struct sm_map all;

        sm_map_init(&all);
        sm_map_merge(&all, &rc->base);
        sm_map_merge(&all, map);
        sm_map_sort(&all);
        if (sm_store_open(&st, o->db, SM_STORE_CREATE, &err) ||
            sm_store_replace(st, o->label, &all, &err))
            status = cli_report(&err);
        sm_store_close(st);
        sm_map_release(&all);
        if (status)
            return status;
    }
    if (!o->db || cli_render_has_output(o->render))
        status = cli_render_map(map, o->render, "json");
    return status;
}

int cli_recv_end(const char *cmd, struct cli_recv_options *o, struct cli_receiver *rc, bool write)
{
    struct sm_recv_stats s;
    struct sm_error err;
    struct sm_map map;
    int status = 0;

    sm_map_init(&map);
    sm_error_init(&err);
    if (sm_recv_stop(rc->recv, &map, &err)) {
        status = cli_report(&err);
        goto out;
    }
    sm_recv_stats(rc->recv, &s);
    if (!o->quiet) {
        cli_message("received %llu span%s in %llu request%s; %llu rejected, %llu bad "
                    "request%s, %llu refused while full (429/503)",
                    (unsigned long long)s.spans_accepted, s.spans_accepted == 1 ? "" : "s",
                    (unsigned long long)s.requests, s.requests == 1 ? "" : "s",
                    (unsigned long long)s.spans_rejected, (unsigned long long)s.bad_requests,
                    s.bad_requests == 1 ? "" : "s",
                    (unsigned long long)(s.by_status[429] + s.by_status[503]));
        if (s.spans_accepted == 0)
            cli_message("no spans arrived: is the program instrumented with an OTLP/HTTP "
                        "exporter (OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf)?");
    }
    if (rc->save) {
        if (fclose(rc->save) && !rc->save_failed)
            rc->save_failed = errno ? errno : EIO;
        rc->save = NULL;
        if (rc->save_failed) {
            cli_message("%s: cannot write: %s", o->save_spans, strerror(rc->save_failed));
            status = 4;
        }
    }
    if (write && status == 0)
        status = cli_recv_write(cmd, o, rc, &map);
out:
    sm_map_release(&map);
    return status;
}

void cli_recv_release(struct cli_receiver *rc)
{
    if (rc->save)
        fclose(rc->save);
    rc->save = NULL;
    sm_recv_free(rc->recv);
    rc->recv = NULL;
    sm_buf_release(&rc->line);
    sm_map_release(&rc->base);
}
