/* test_ingest.c: files in, batches of spans out, bad records skipped or fatal.
 *
 * Small Zipkin and OTLP inputs are written to a temporary folder and read through
 * sm_ingest_file with a callback that counts spans; the statistics, the skipped records
 * (with the place of each in the file) and the final status are checked against what
 * the input holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "svcmap/ingest.h"
#include "svcmap/util.h"

static char tmpdir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/svcmap-test-ingest-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
    assert_int_equal(fclose(f), 0);
    return path;
}

/* A Zipkin span: trace 1, span id n, starting n seconds after 2023-11-14T22:13:20Z. */
#define SPAN(n)                                                                                    \
    "{\"traceId\":\"0000000000000001\",\"id\":\"000000000000000" #n "\",\"name\":\"op\","          \
    "\"timestamp\":170000000" #n "000000,\"duration\":1000,"                                       \
    "\"localEndpoint\":{\"serviceName\":\"svc\"}}"

struct run {
    struct sm_ingest_options opt;
    struct sm_ingest_stats stats;
    struct sm_error err;
    size_t batches;
    size_t spans_seen;
    int fail_with;       /* the callback's return */
    size_t fail_after;   /* ... once this many batches went well */
    struct sm_buf skips; /* "LINE:COL@OFFSET text\n" per skipped record, the same with
                            "span N: " in front per skipped span (N spans) */
    size_t progress_calls;
    struct sm_buf order; /* span ids in the order the batches came */
};

static void on_skip(void *ctx, const struct sm_error *err)
{
    struct run *r = ctx;

    assert_true(strstr(err->file, tmpdir) == err->file);
    sm_buf_printf(&r->skips, "%ld:%ld@%lld %s\n", err->line, err->column, err->offset, err->text);
}

static void on_skip_span(void *ctx, const struct sm_error *err, uint64_t spans)
{
    struct run *r = ctx;

    assert_true(strstr(err->file, tmpdir) == err->file);
    sm_buf_printf(&r->skips, "span %llu: %ld:%ld@%lld %s\n", (unsigned long long)spans, err->line,
                  err->column, err->offset, err->text);
}

static void on_progress(void *ctx, const char *file, long long done, long long total)
{
    struct run *r = ctx;

    (void)file;
    (void)total;
    assert_true(done >= 0);
    r->progress_calls++;
}

static int on_batch(void *ctx, struct sm_batch *batch, struct sm_error *err)
{
    struct run *r = ctx;

    size_t i;

    r->batches++;
    r->spans_seen += batch->len;
    for (i = 0; i < batch->len; i++)
        sm_buf_printf(&r->order, "%s\n", batch->spans[i].span_id);
    if (r->fail_with && r->batches > r->fail_after)
        return sm_error_set(err, r->fail_with, "callback says no");
    return 0;
}

static void run_init(struct run *r)
{
    memset(r, 0, sizeof(*r));
    sm_ingest_options_init(&r->opt);
    r->opt.on_skip = on_skip;
    r->opt.on_skip_span = on_skip_span;
    r->opt.on_progress = on_progress;
    r->opt.ctx = r;
    sm_error_init(&r->err);
    sm_buf_init(&r->skips);
    sm_buf_adds(&r->skips, "");
    sm_buf_init(&r->order);
    sm_buf_adds(&r->order, "");
}

static void run_release(struct run *r)
{
    sm_buf_release(&r->skips);
    sm_buf_release(&r->order);
}

static int run_file(struct run *r, const char *path)
{
    return sm_ingest_file(path, &r->opt, on_batch, r, &r->stats, &r->err);
}

static void test_defaults(void **state)
{
    struct sm_ingest_options opt;

    (void)state;
    memset(&opt, 0xff, sizeof(opt));
    sm_ingest_options_init(&opt);
    assert_int_equal(opt.format, SM_FORMAT_UNKNOWN);
    assert_false(opt.strict);
    assert_int_equal(opt.limits.max_element_bytes, 0);
    assert_int_equal(opt.since_ns, 0);
    assert_null(opt.on_skip);
    assert_null(opt.ctx);
}

static void test_good_file(void **state)
{
    struct run r;
    const char *path = write_file("good.json", "[" SPAN(1) ",\n" SPAN(2) ",\n" SPAN(3) "]\n");

    (void)state;
    run_init(&r);
    assert_int_equal(run_file(&r, path), 0);
    assert_int_equal(r.stats.spans, 3);
    assert_int_equal(r.stats.elements, 3);
    assert_int_equal(r.stats.skipped_records, 0);
    assert_int_equal(r.stats.formats, 1u << SM_FORMAT_ZIPKIN);
    assert_int_equal(r.stats.start_ns, 1700000001000000000LL);
    assert_int_equal(r.stats.end_ns, 1700000003001000000LL);
    assert_int_equal(r.spans_seen, 3);
    assert_string_equal(r.skips.data, "");
    /* statistics add up over files */
    assert_int_equal(run_file(&r, path), 0);
    assert_int_equal(r.stats.spans, 6);
    run_release(&r);
}

static void test_bad_records_skipped(void **state)
{
    struct run r;
    /* line 2: invalid JSON at column 17; line 3: a span without an id; line 5: a bad
     * UTF-8 byte; line 6: an id that is not a string */
    const char *path =
        write_file("mixed.json", "[" SPAN(1) ",\n"
                                             "  {\"traceId\": ,\"id\":\"1\"},\n"
                                             "  {\"traceId\":\"0000000000000001\"},\n" SPAN(
                                                 2) ",\n"
                                                    "  {\"traceId\":\"1\",\"id\":\"2\","
                                                    "\"name\":\"\xff\"},\n"
                                                    "  {\"traceId\":12,\"id\":\"2\"}]\n");
    char *line;

    (void)state;
    run_init(&r);
    assert_int_equal(run_file(&r, path), 0);
    assert_int_equal(r.stats.spans, 2);
    assert_int_equal(r.stats.elements, 2);
    assert_int_equal(r.stats.skipped_records, 4);
    /* one line per bad record, each placed on its own line of the file */
    line = r.skips.data;
    assert_true(strncmp(line, "2:15@", 5) == 0);
    assert_non_null(strstr(line, "invalid JSON"));
    line = strchr(line, '\n') + 1;
    assert_true(strncmp(line, "3:3@", 4) == 0);
    line = strchr(line, '\n') + 1;
    assert_true(strncmp(line, "5:", 2) == 0);
    assert_non_null(strstr(line, "invalid JSON"));
    line = strchr(line, '\n') + 1;
    assert_true(strncmp(line, "6:3@", 4) == 0);
    line = strchr(line, '\n') + 1;
    assert_string_equal(line, "");
    run_release(&r);
}

/* A bad span inside a trace costs only itself: the trace's other spans are handed on,
 * the skip is told with the record's place and counted apart from records; --strict
 * stops there. */
static void test_bad_span_skipped(void **state)
{
    struct run r;
    const char *path =
        write_file("trace.json", "[\n [" SPAN(1) ",{\"traceId\":\"1\",\"id\":7}," SPAN(2) "]]\n");

    (void)state;
    run_init(&r);
    assert_int_equal(run_file(&r, path), 0);
    assert_int_equal(r.stats.spans, 2);
    assert_int_equal(r.stats.elements, 1);
    assert_int_equal(r.stats.skipped_records, 0);
    assert_int_equal(r.stats.skipped_spans, 1);
    assert_string_equal(r.skips.data,
                        "span 1: 2:2@3 span 2: \"id\" must be a string, got a number\n");
    run_release(&r);

    run_init(&r);
    r.opt.strict = true;
    assert_int_equal(run_file(&r, path), SM_EINPUT);
    assert_int_equal(r.err.line, 2);
    assert_int_equal(r.err.column, 2);
    assert_string_equal(r.err.text, "span 2: \"id\" must be a string, got a number");
    assert_int_equal(r.spans_seen, 0);
    run_release(&r);
}

static void test_strict(void **state)
{
    struct run r;
    const char *path =
        write_file("strict.json", "[" SPAN(1) ",\n  {\"traceId\":\"1\"},\n" SPAN(2) "]");

    (void)state;
    run_init(&r);
    r.opt.strict = true;
    assert_int_equal(run_file(&r, path), SM_EINPUT);
    assert_int_equal(r.err.line, 2);
    assert_int_equal(r.err.column, 3);
    assert_string_equal(r.err.file, path);
    assert_int_equal(r.spans_seen, 1);
    assert_string_equal(r.skips.data, "");
    run_release(&r);
}

static void test_nothing_readable(void **state)
{
    struct run r;

    (void)state;
    run_init(&r);
    assert_int_equal(run_file(&r, write_file("empty.json", "")), SM_EINPUT);
    assert_string_equal(r.err.text, "empty input");

    run_release(&r);
    run_init(&r);
    assert_int_equal(run_file(&r, write_file("blank.json", "\n  \n")), SM_EINPUT);
    assert_string_equal(r.err.text, "empty input");

    run_release(&r);
    run_init(&r);
    assert_int_equal(run_file(&r, write_file("unknown.json", "[{\"foo\":1},{\"bar\":2}]")),
                     SM_EINPUT);
    assert_non_null(strstr(r.err.text, "unknown format: expected otlp, jaeger, zipkin"));
    assert_int_equal(r.err.line, 1);
    assert_int_equal(r.err.column, 2);

    run_release(&r);
    run_init(&r);
    assert_int_equal(run_file(&r, write_file("text.txt", "hello\n")), SM_EINPUT);
    assert_non_null(strstr(r.err.text, "unknown format"));
    assert_non_null(strstr(r.err.text, "'h'"));

    run_release(&r);
    run_init(&r);
    assert_int_equal(run_file(&r, write_file("bin.dat", "\x89PNG\r\n")), SM_EINPUT);
    assert_non_null(strstr(r.err.text, "binary data"));

    run_release(&r);
    run_init(&r);
    assert_int_equal(run_file(&r, tmpdir), SM_EINPUT);
    assert_string_equal(r.err.file, tmpdir);

    run_release(&r);
    run_init(&r);
    assert_int_equal(
        run_file(&r, write_file("allbad.json", "[{\"a\":},{\"traceId\":\"1\",\"id\":7}]")),
        SM_EINPUT);
    assert_string_equal(r.err.text, "no spans found: all 2 records were bad");
    assert_int_equal(r.stats.skipped_records, 2);

    run_release(&r);
    run_init(&r);
    /* a well-formed export with no records is an empty map, not bad input */
    assert_int_equal(run_file(&r, write_file("nothing.json", "[]")), 0);
    assert_int_equal(r.stats.spans, 0);
    assert_int_equal(r.stats.skipped_records, 0);

    /* broken structure before anything was read: the scanner's error, with its place */
    run_release(&r);
    run_init(&r);
    assert_int_equal(run_file(&r, write_file("cut.json", "[{\"traceId\":\"1\",")), SM_EINPUT);
    assert_non_null(strstr(r.err.text, "unexpected end of input"));
    assert_int_equal(r.err.line, 1);
    assert_int_equal(r.err.column, 17);
    assert_int_equal(r.stats.skipped_records, 0);
    run_release(&r);
}

static void test_truncated_after_good(void **state)
{
    struct run r;

    (void)state;
    run_init(&r);
    assert_int_equal(run_file(&r, write_file("trunc.json", "[" SPAN(1) ",\n" SPAN(2) ",\n{\"tr")),
                     0);
    assert_int_equal(r.stats.spans, 2);
    assert_int_equal(r.stats.skipped_records, 1);
    assert_non_null(strstr(r.skips.data, "unexpected end of input"));
    assert_true(strncmp(r.skips.data, "3:5@", 4) == 0);
    run_release(&r);

    run_init(&r);
    r.opt.strict = true;
    assert_int_equal(run_file(&r, write_file("trunc.json", "[" SPAN(1) ",\n{\"tr")), SM_EINPUT);
    assert_int_equal(r.err.line, 2);
    run_release(&r);
}

static void test_limits(void **state)
{
    struct run r;
    struct sm_buf b;
    char expect[128];
    int i;

    (void)state;
    sm_buf_init(&b);
    sm_buf_adds(&b, "[" SPAN(1) ",\n");
    for (i = 0; i < 600; i++)
        sm_buf_addc(&b, '[');
    for (i = 0; i < 600; i++)
        sm_buf_addc(&b, ']');
    sm_buf_adds(&b, ",\n" SPAN(2) "]");
    run_init(&r);
    assert_int_equal(run_file(&r, write_file("deep.json", b.data)), 0);
    assert_int_equal(r.stats.spans, 2);
    assert_int_equal(r.stats.skipped_records, 1);
    snprintf(expect, sizeof(expect), "2:1@%zu nested deeper than 512 levels (--max-depth)\n",
             strlen(SPAN(1)) + 3);
    assert_string_equal(r.skips.data, expect);
    run_release(&r);

    run_init(&r);
    r.opt.limits.max_element_bytes = 100;
    assert_int_equal(run_file(&r, write_file("small.json", "[" SPAN(1) "]")), SM_EINPUT);
    assert_int_equal(r.stats.skipped_records, 1);
    assert_non_null(strstr(r.skips.data, "larger than 100 bytes"));
    run_release(&r);
    sm_buf_release(&b);
}

static void test_time_filter(void **state)
{
    struct run r;
    const char *path = write_file("times.json", "[" SPAN(1) "," SPAN(2) "," SPAN(3) "]");

    (void)state;
    run_init(&r);
    r.opt.since_ns = 1700000002000000000LL;
    r.opt.until_ns = 1700000003000000000LL;
    assert_int_equal(run_file(&r, path), 0);
    assert_int_equal(r.stats.spans, 1);
    assert_int_equal(r.spans_seen, 1);
    assert_int_equal(r.stats.start_ns, 1700000002000000000LL);
    run_release(&r);
}

static void test_forced_format(void **state)
{
    struct run r;
    const char *path = write_file("z.json", "[" SPAN(1) "]");

    (void)state;
    run_init(&r);
    r.opt.format = SM_FORMAT_ZIPKIN;
    assert_int_equal(run_file(&r, path), 0);
    assert_int_equal(r.stats.spans, 1);
    run_release(&r);

    /* read as OTLP, the Zipkin span yields nothing */
    run_init(&r);
    r.opt.format = SM_FORMAT_OTLP;
    assert_int_equal(run_file(&r, path), SM_EINPUT);
    assert_int_equal(r.stats.spans, 0);
    assert_non_null(strstr(r.err.text, "no spans found"));
    run_release(&r);
}

static void test_callback_error(void **state)
{
    struct run r;

    (void)state;
    run_init(&r);
    r.fail_with = SM_ESYSTEM;
    assert_int_equal(run_file(&r, write_file("cb.json", "[" SPAN(1) "," SPAN(2) "]")), SM_ESYSTEM);
    assert_string_equal(r.err.text, "callback says no");
    assert_int_equal(r.batches, 1);
    run_release(&r);
}

static void test_gzip_and_jsonl(void **state)
{
    char path[512];
    struct run r;
    gzFile gz;

    (void)state;
    snprintf(path, sizeof(path), "%s/spans.json.gz", tmpdir);
    gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_true(gzputs(gz, "[" SPAN(1) "," SPAN(2) "]") > 0);
    assert_int_equal(gzclose(gz), Z_OK);
    run_init(&r);
    assert_int_equal(run_file(&r, path), 0);
    assert_int_equal(r.stats.spans, 2);
    run_release(&r);

    /* OTLP file exporter output: one resourceSpans document per line */
    run_init(&r);
    assert_int_equal(run_file(&r, SVCMAP_SOURCE_DIR
                              "/fixtures/conformance/otlp/jaeger-ui-otlp2jaeger-multi-in.jsonl"),
                     0);
    assert_int_equal(r.stats.spans, 4);
    assert_int_equal(r.stats.formats, 1u << SM_FORMAT_OTLP);
    assert_int_equal(r.stats.skipped_records, 0);
    run_release(&r);
}

static void test_jsonl_bad_line(void **state)
{
    struct run r;
    const char *path =
        write_file("lines.jsonl", SPAN(1) "\n" SPAN(2) "\n"
                                                       "{\"traceId\":\"00\n" SPAN(3) "\n");

    (void)state;
    run_init(&r);
    assert_int_equal(run_file(&r, path), 0);
    assert_int_equal(r.stats.spans, 3);
    assert_int_equal(r.stats.skipped_records, 1);
    assert_non_null(strstr(r.skips.data, "3:15@"));
    run_release(&r);
}

/* Worker threads change nothing but speed: the same batches in the same order, the same
 * skipped records, the same statistics, the same strict failure. */
static void test_threads(void **state)
{
    struct sm_buf b;
    struct run serial, par;
    const char *path;
    int i, threads;

    (void)state;
    sm_buf_init(&b);
    sm_buf_addc(&b, '[');
    for (i = 0; i < 3000; i++) {
        if (i)
            sm_buf_adds(&b, ",\n");
        if (i % 97 == 5)
            sm_buf_adds(&b, "{\"traceId\": oops}");
        else if (i % 89 == 7)
            sm_buf_printf(&b, "[%d]", i); /* an array where a span belongs */
        else
            sm_buf_printf(&b,
                          "{\"traceId\":\"%016x\",\"id\":\"%016x\",\"name\":\"op\","
                          "\"timestamp\":%lld,\"duration\":%d,"
                          "\"localEndpoint\":{\"serviceName\":\"s%d\"}}",
                          i / 10 + 1, i + 1, 1700000000000000LL + i, i, i % 7);
    }
    sm_buf_adds(&b, "\n,{\"traceId\":\"1\"");
    path = write_file("threads.json", b.data);

    run_init(&serial);
    assert_int_equal(run_file(&serial, path), 0);
    assert_true(serial.stats.spans > 2900);
    /* the oopses are bad records, the numbers inside arrays bad spans of their trace */
    assert_true(serial.stats.skipped_records > 25);
    assert_true(serial.stats.skipped_spans > 25);
    for (threads = 2; threads <= 5; threads += 3) {
        run_init(&par);
        par.opt.threads = threads;
        assert_int_equal(run_file(&par, path), 0);
        assert_string_equal(par.order.data, serial.order.data);
        assert_string_equal(par.skips.data, serial.skips.data);
        assert_int_equal(par.stats.spans, serial.stats.spans);
        assert_int_equal(par.stats.elements, serial.stats.elements);
        assert_int_equal(par.stats.skipped_records, serial.stats.skipped_records);
        assert_int_equal(par.stats.skipped_spans, serial.stats.skipped_spans);
        assert_int_equal(par.stats.start_ns, serial.stats.start_ns);
        assert_int_equal(par.stats.end_ns, serial.stats.end_ns);
        run_release(&par);

        run_init(&par);
        par.opt.threads = threads;
        par.opt.strict = true;
        assert_int_equal(run_file(&par, path), SM_EINPUT);
        assert_int_equal(par.err.line, 6);
        assert_int_equal(par.spans_seen, 5);
        run_release(&par);

        run_init(&par);
        par.opt.threads = threads;
        par.fail_with = SM_ESYSTEM;
        assert_int_equal(run_file(&par, path), SM_ESYSTEM);
        assert_int_equal(par.batches, 1);
        run_release(&par);

        /* a failing callback deep in the file stops the run there */
        run_init(&par);
        par.opt.threads = threads;
        par.fail_with = SM_ESYSTEM;
        par.fail_after = 2000;
        assert_int_equal(run_file(&par, path), SM_ESYSTEM);
        assert_int_equal(par.batches, 2001);
        run_release(&par);
    }
    run_release(&serial);

    /* strict, with the first bad record far into the file */
    sm_buf_reset(&b);
    sm_buf_addc(&b, '[');
    for (i = 0; i < 3000; i++)
        sm_buf_printf(&b,
                      "%s{\"traceId\":\"%016x\",\"id\":%s,\"name\":\"op\","
                      "\"localEndpoint\":{\"serviceName\":\"s\"}}\n",
                      i ? "," : "", i + 1, i == 2345 ? "7" : "\"00000000000000aa\"");
    sm_buf_addc(&b, ']');
    path = write_file("late.json", b.data);
    for (threads = 1; threads <= 3; threads++) {
        run_init(&par);
        par.opt.threads = threads;
        par.opt.strict = true;
        assert_int_equal(run_file(&par, path), SM_EINPUT);
        assert_int_equal(par.err.line, 2346);
        assert_int_equal(par.spans_seen, 2345);
        run_release(&par);
    }
    /* the same with the bad one a span inside a trace: strict stops at it, with threads */
    sm_buf_reset(&b);
    sm_buf_addc(&b, '[');
    for (i = 0; i < 3000; i++)
        sm_buf_printf(
            &b, "%s[{\"traceId\":\"%016x\",\"id\":\"0a\"},{\"traceId\":\"%016x\",\"id\":%s}]\n",
            i ? "," : "", i + 1, i + 1, i == 2345 ? "7" : "\"0b\"");
    sm_buf_addc(&b, ']');
    path = write_file("late_span.json", b.data);
    for (threads = 1; threads <= 3; threads++) {
        run_init(&par);
        par.opt.threads = threads;
        par.opt.strict = true;
        assert_int_equal(run_file(&par, path), SM_EINPUT);
        assert_int_equal(par.err.line, 2346);
        assert_string_equal(par.err.text, "span 2: \"id\" must be a string, got a number");
        assert_int_equal(par.spans_seen, 2 * 2345);
        run_release(&par);
        run_init(&par);
        par.opt.threads = threads;
        assert_int_equal(run_file(&par, path), 0);
        assert_int_equal(par.stats.spans, 2 * 3000 - 1);
        assert_int_equal(par.stats.skipped_spans, 1);
        run_release(&par);
    }
    sm_buf_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_good_file),
        cmocka_unit_test(test_bad_records_skipped),
        cmocka_unit_test(test_bad_span_skipped),
        cmocka_unit_test(test_strict),
        cmocka_unit_test(test_nothing_readable),
        cmocka_unit_test(test_truncated_after_good),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_time_filter),
        cmocka_unit_test(test_forced_format),
        cmocka_unit_test(test_callback_error),
        cmocka_unit_test(test_gzip_and_jsonl),
        cmocka_unit_test(test_jsonl_bad_line),
        cmocka_unit_test(test_threads),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
