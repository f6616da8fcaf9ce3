/* fuzz_sax_diff.c: differential target: the streaming readers against the jansson ones.
 *
 * The same bytes are ingested twice per configuration, once with the jansson readers
 * (the reference) and once with the streaming readers (sax.h), and everything a caller
 * can see is written down and compared: every span as `svcmap spans` prints it with its
 * batch's format and whole-trace flag, every skipped record and every bad span left out
 * of a kept record with its place and message,
 * the ignored records, the statistics, the status and the final error. Any difference
 * aborts with both transcripts' first differing lines. Configurations: the format
 * detected and forced to each JSON span format, one thread and two, the default limits
 * and small ones, --strict; SVCMAP_SAX_DIFF_CONFIG=N (an index into configs) runs only
 * one, for a fuzzing run that should spend its time there.
 *
 * Built like every fuzz target (libFuzzer under SVCMAP_FUZZ, and always the replay
 * driver); the test sax_diff.inputs replays it over every fixture and every fuzz corpus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "svcmap/ingest.h"
#include "svcmap/span.h"
#include "svcmap/util.h"

struct config {
    enum sm_input_format format;
    int threads;
    bool small_limits;
    bool strict;
};

static const struct config configs[] = {
    {SM_FORMAT_UNKNOWN, 1, false, false}, {SM_FORMAT_UNKNOWN, 2, false, false},
    {SM_FORMAT_UNKNOWN, 1, true, false},  {SM_FORMAT_UNKNOWN, 1, false, true},
    {SM_FORMAT_OTLP, 1, false, false},    {SM_FORMAT_OTLP, 2, false, false},
    {SM_FORMAT_JAEGER, 1, false, false},  {SM_FORMAT_ZIPKIN, 1, false, false},
    {SM_FORMAT_ZIPKIN1, 1, false, false}, {SM_FORMAT_ZIPKIN1, 2, false, false},
    {SM_FORMAT_ZIPKIN1, 1, true, false},  {SM_FORMAT_ZIPKIN1, 1, false, true},
};

static void add_error(struct sm_buf *out, const char *what, const struct sm_error *err)
{
    char msg[1024];

    sm_error_format(err, msg, sizeof(msg));
    sm_buf_printf(out, "%s status=%d %s\n", what, err->status, msg);
}

static void on_skip(void *ctx, const struct sm_error *err)
{
    add_error(ctx, "skip", err);
}

static void on_skip_span(void *ctx, const struct sm_error *err, uint64_t spans)
{
    sm_buf_printf(ctx, "skipped %llu span(s): ", (unsigned long long)spans);
    add_error(ctx, "skip-span", err);
}

static void on_ignored(void *ctx, const char *file, uint64_t count, const char *what)
{
    (void)file;
    sm_buf_printf(ctx, "ignored %llu %s\n", (unsigned long long)count, what);
}

static int on_batch(void *ctx, struct sm_batch *batch, struct sm_error *err)
{
    struct sm_buf *out = ctx;
    size_t i;

    (void)err;
    sm_buf_printf(out, "batch format=%d whole=%d len=%zu\n", (int)batch->format,
                  (int)batch->whole_traces, batch->len);
    for (i = 0; i < batch->len; i++) {
        sm_span_to_json(&batch->spans[i], out);
        sm_buf_addc(out, '\n');
    }
    return 0;
}

static void transcript(const char *path, const struct config *cfg, bool jansson, struct sm_buf *out)
{
    struct sm_ingest_options opt;
    struct sm_ingest_stats stats;
    struct sm_error err;
    int rc;

    sm_ingest_options_init(&opt);
    opt.format = cfg->format;
    opt.threads = cfg->threads;
    opt.strict = cfg->strict;
    opt.jansson_readers = jansson;
    if (cfg->small_limits) {
        opt.limits.max_element_bytes = 4 << 10;
        opt.limits.max_depth = 16;
        opt.limits.max_string_bytes = 256;
    }
    opt.on_skip = on_skip;
    opt.on_skip_span = on_skip_span;
    opt.on_ignored = on_ignored;
    opt.ctx = out;
    memset(&stats, 0, sizeof(stats));
    sm_error_init(&err);
    sm_buf_reset(out);
    sm_buf_adds(out, "");
    rc = sm_ingest_file(path, &opt, on_batch, out, &stats, &err);
    sm_buf_printf(out,
                  "rc=%d spans=%llu elements=%llu skipped=%llu skipped_spans=%llu ignored=%llu "
                  "formats=%u\n",
                  rc, (unsigned long long)stats.spans, (unsigned long long)stats.elements,
                  (unsigned long long)stats.skipped_records,
                  (unsigned long long)stats.skipped_spans,
                  (unsigned long long)stats.ignored_records, stats.formats);
    if (rc != 0)
        add_error(out, "error", &err);
}

/* Prints where a and b part and aborts. */
static void report(const struct config *cfg, const char *a, const char *b)
{
    size_t line = 1, i = 0;
    const char *la = a, *lb = b;

    while (a[i] && a[i] == b[i]) {
        if (a[i] == '\n') {
            line++;
            la = a + i + 1;
            lb = b + i + 1;
        }
        i++;
    }
    fprintf(stderr,
            "fuzz_sax_diff: the streaming reader differs from the jansson reader "
            "(format %s, -j %d%s%s) at line %zu:\n  jansson: %.*s\n  sax:     %.*s\n",
            sm_format_name(cfg->format), cfg->threads, cfg->small_limits ? ", small limits" : "",
            cfg->strict ? ", strict" : "", line, (int)strcspn(la, "\n"), la, (int)strcspn(lb, "\n"),
            lb);
    abort();
}

/* The configuration SVCMAP_SAX_DIFF_CONFIG names (its index in configs), so that a
 * fuzzing run can spend its time on one; -1 (unset or out of range): all of them. */
static int only_config(void)
{
    const char *v = getenv("SVCMAP_SAX_DIFF_CONFIG");
    char *end;
    long n;

    if (!v || !*v)
        return -1;
    n = strtol(v, &end, 10);
    if (*end || n < 0 || n >= (long)(sizeof(configs) / sizeof(configs[0])))
        return -1;
    return (int)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int only = -2;
    const char *path = fuzz_scratch_file(data, size);
    struct sm_buf ref, got;
    size_t i;

    if (only == -2)
        only = only_config();
    sm_buf_init(&ref);
    sm_buf_init(&got);
    for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
        if (only >= 0 && (size_t)only != i)
            continue;
        transcript(path, &configs[i], true, &ref);
        transcript(path, &configs[i], false, &got);
        if (ref.len != got.len || memcmp(ref.data, got.data, ref.len) != 0)
            report(&configs[i], ref.data, got.data);
    }
    sm_buf_release(&ref);
    sm_buf_release(&got);
    return 0;
}
