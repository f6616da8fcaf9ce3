/* test_scan.c: the element scanner and its input layer, against known answers.
 *
 * Each case writes an input to a temporary file, scans it and renders everything the
 * scanner said as a log, one line per element ("ctx key line:col@offset <bytes>") or
 * error ("! line:col@offset resumable: text"), compared with the expected log. Every
 * case runs with the normal 1 MiB reads and with reads of 1, 2, 3 and 7 bytes, so that
 * elements, strings, escapes and keys are split across buffer refills; the log must
 * not change.
 *
 * The inside of elements is scanned 64 bytes a step where SSE2 is there; the byte walk
 * it stands in for is the reference: the block cases below (brackets, quotes, escapes,
 * limits and line ends at every offset of a block, and random near-JSON) must give the
 * walk's log byte for byte, elements shown whole.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "svcmap/input.h"
#include "svcmap/reader.h"
#include "svcmap/sax.h"
#include "svcmap/scan.h"
#include "svcmap/span.h"
#include "svcmap/util.h"

static char tmpdir[256];
static bool walk_only; /* scan_log: the byte walk only, no block scan */
static bool log_whole; /* scan_log: every element's bytes, however long */

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/svcmap-test-scan-XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    return 0;
}

static int teardown(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const void *data, size_t len)
{
    static char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    /* a new file each time: ext4 flushes a file truncated and written again on close,
     * which made thousands of small cases wait on the disk */
    (void)unlink(path);
    f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    return path;
}

static const char *ctx_name(enum sm_element_ctx ctx)
{
    switch (ctx) {
    case SM_ELEM_DOCUMENT:
        return "doc";
    case SM_ELEM_ARRAY_ITEM:
        return "item";
    case SM_ELEM_MEMBER_ITEM:
        return "member";
    }
    return "?";
}

/* Scans path and returns the log; caller frees. Long elements are shown by length. */
static char *scan_log(const char *path, size_t read_size, const struct sm_scan_limits *limits)
{
    struct sm_input *in = NULL;
    struct sm_scanner *s;
    struct sm_element el;
    struct sm_error err;
    struct sm_buf log;
    int rc, guard = 0;
    size_t nel = 0;

    sm_buf_init(&log);
    sm_buf_adds(&log, "");
    sm_error_init(&err);
    rc = sm_input_open(&in, path, &err);
    if (rc < 0) {
        sm_buf_printf(&log, "open: %s\n", err.text);
        return log.data;
    }
    s = sm_scanner_new(in, limits);
    if (walk_only)
        sm_scanner_set_block_scan(s, false);
    if (read_size)
        sm_scanner_set_read_size(s, read_size);
    while ((rc = sm_scanner_next(s, &el, &err)) != 0) {
        assert_true(++guard < 100000);
        if (rc < 0) {
            assert_string_equal(err.file, path);
            sm_buf_printf(&log, "! %ld:%ld@%lld %s: %s\n", err.line, err.column, err.offset,
                          sm_scanner_can_resume(s) ? "resume" : "stop", err.text);
            if (!sm_scanner_can_resume(s))
                break;
            continue;
        }
        assert_int_equal(el.index, nel);
        nel++;
        sm_buf_printf(&log, "%s%s%s %ld:%ld@%lld ", ctx_name(el.ctx), el.key[0] ? " " : "", el.key,
                      el.line, el.column, el.offset);
        if (el.len <= 60 || log_whole)
            sm_buf_printf(&log, "%.*s\n", (int)el.len, el.data);
        else
            sm_buf_printf(&log, "<%zu bytes>\n", el.len);
    }
    sm_scanner_free(s);
    return log.data;
}

/* The log must be the same whatever the read size. */
static void check_scan(const void *data, size_t len, const struct sm_scan_limits *limits,
                       const char *expected)
{
    static const size_t sizes[] = {0, 1, 2, 3, 7};
    const char *path = write_file("input.json", data, len);
    size_t i;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char *log = scan_log(path, sizes[i], limits);
        bool same = strcmp(log, expected) == 0;

        if (!same)
            print_error("read size %zu:\n--- got\n%s--- expected\n%s", sizes[i], log, expected);
        free(log);
        if (!same)
            fail();
    }
}

static void check_str(const char *text, const char *expected)
{
    check_scan(text, strlen(text), NULL, expected);
}

static void test_array_of_objects(void **state)
{
    (void)state;
    check_str("[{\"a\":1}, {\"b\":[2,3]} ,\n  {\"c\":{}}]\n", "item 1:2@1 {\"a\":1}\n"
                                                              "item 1:11@10 {\"b\":[2,3]}\n"
                                                              "item 2:3@26 {\"c\":{}}\n");
    check_str("[]", "");
    check_str("  [ ]  \n", "");
}

static void test_array_of_arrays(void **state)
{
    (void)state;
    check_str("[[{\"id\":\"1\"},{\"id\":\"2\"}],[{\"id\":\"3\"}],[]]",
              "item 1:2@1 [{\"id\":\"1\"},{\"id\":\"2\"}]\n"
              "item 1:26@25 [{\"id\":\"3\"}]\n"
              "item 1:39@38 []\n");
}

static void test_scalar_items(void **state)
{
    (void)state;
    /* scalars are handed out as they are; jansson rejects them later */
    check_str("[1, \"two\" ,null,-4.5e3 ]", "item 1:2@1 1\n"
                                            "item 1:5@4 \"two\"\n"
                                            "item 1:12@11 null\n"
                                            "item 1:17@16 -4.5e3\n");
}

static void test_json_lines(void **state)
{
    (void)state;
    check_str("{\"resourceSpans\":[{\"r\":1},{\"r\":2}]}\n"
              "{\"resourceSpans\":[{\"r\":3}]}\r\n"
              "\n"
              "{\"resource_spans\":[{\"r\":4}]}\n"
              "{\"other\":1}\n",
              "member resourceSpans 1:19@18 {\"r\":1}\n"
              "member resourceSpans 1:27@26 {\"r\":2}\n"
              "member resourceSpans 2:19@54 {\"r\":3}\n"
              "member resource_spans 4:20@85 {\"r\":4}\n"
              "doc 5:1@95 {\"other\":1}\n");
}

static void test_json_lines_bad_lines(void **state)
{
    (void)state;
    /* a truncated line, a line of text, a line cut inside a string, a stray bracket:
     * each is one bad record and the next line is read */
    check_str("{\"resourceSpans\":[{\"r\":1}]}\n"
              "{\"resourceSpans\":[{\"r\":2\n"
              "{\"resourceSpans\":[{\"r\":3}]}\n"
              "not json\n"
              "{\"resourceSpans\":[{\"r\":\"4\n"
              "{\"a\":1}]\n"
              "{\"a\":]\n"
              "{\"b\":2}\n",
              "member resourceSpans 1:19@18 {\"r\":1}\n"
              "! 2:25@52 resume: line ends inside a JSON value (truncated record?)\n"
              "member resourceSpans 3:19@71 {\"r\":3}\n"
              "! 4:1@81 resume: expected '{' or '[' to start a JSON value, found 'n'\n"
              "! 5:26@115 resume: line ends inside a string (truncated record?)\n"
              "doc 6:1@116 {\"a\":1}\n"
              "! 6:8@123 resume: expected '{' or '[' to start a JSON value, found ']'\n"
              "! 7:6@130 resume: expected '}' to close the object, found ']'\n"
              "doc 8:1@132 {\"b\":2}\n");
}

static void test_wrappers(void **state)
{
    (void)state;
    check_str("{\"data\":[{\"traceID\":\"t1\"},{\"traceID\":\"t2\"}],\"total\":2,\"errors\":null}",
              "member data 1:10@9 {\"traceID\":\"t1\"}\n"
              "member data 1:27@26 {\"traceID\":\"t2\"}\n");
    check_str("{\"batches\":[{\"resource\":{},\"scopeSpans\":[]}]}",
              "member batches 1:13@12 {\"resource\":{},\"scopeSpans\":[]}\n");
    /* the wrapper key may come after other members, which are dropped */
    check_str("{\"meta\":{\"data\":[1]},\"data\":[{\"x\":\"data\"}]}",
              "member data 1:30@29 {\"x\":\"data\"}\n");
    /* "data" that is not an array keeps the object whole */
    check_str("{\"data\":{\"x\":[1]},\"y\":\"data\"}",
              "doc 1:1@0 {\"data\":{\"x\":[1]},\"y\":\"data\"}\n");
    check_str("{\"data\": \"resourceSpans\", \"n\": [1]}",
              "doc 1:1@0 {\"data\": \"resourceSpans\", \"n\": [1]}\n");
}

static void test_otlp_document(void **state)
{
    (void)state;
    check_str("{\n"
              "  \"resourceSpans\": [\n"
              "    {\n"
              "      \"resource\": {}\n"
              "    },\n"
              "    {\"scopeSpans\": []}\n"
              "  ]\n"
              "}\n",
              "member resourceSpans 3:5@27 {\n      \"resource\": {}\n    }\n"
              "member resourceSpans 6:5@61 {\"scopeSpans\": []}\n");
}

static void test_result_wrapper(void **state)
{
    (void)state;
    check_str("{\"result\":{\"resourceSpans\":[{\"a\":1},{\"b\":2}]}}",
              "member result.resourceSpans 1:29@28 {\"a\":1}\n"
              "member result.resourceSpans 1:37@36 {\"b\":2}\n");
    check_str("{\"result\":{\"resource_spans\":[{\"a\":1}]},\"x\":[]}",
              "member result.resource_spans 1:30@29 {\"a\":1}\n");
    /* only "result" is entered, and only at the top */
    check_str("{\"x\":{\"resourceSpans\":[1]}}", "doc 1:1@0 {\"x\":{\"resourceSpans\":[1]}}\n");
}

static void test_bare_object(void **state)
{
    (void)state;
    check_str(
        "\n\n  {\"traceID\":\"abc\",\"spans\":[{\"spanID\":\"1\"}],\n\"processes\":{}}\n",
        "doc 3:3@4 {\"traceID\":\"abc\",\"spans\":[{\"spanID\":\"1\"}],\n\"processes\":{}}\n");
}

static void test_strings(void **state)
{
    (void)state;
    check_str("[{\"a\":\"]}[{,:\"},{\"b\":\"q\\\"}]\"},{\"c\":\"\\\\\"},{\"d\":\"\\\\\\\"\\\\\"},"
              "{\"e\\\"\":\"\\u005d\"}]",
              "item 1:2@1 {\"a\":\"]}[{,:\"}\n"
              "item 1:17@16 {\"b\":\"q\\\"}]\"}\n"
              "item 1:31@30 {\"c\":\"\\\\\"}\n"
              "item 1:42@41 {\"d\":\"\\\\\\\"\\\\\"}\n"
              "item 1:57@56 {\"e\\\"\":\"\\u005d\"}\n");
    /* a long string with escapes spread through it */
    {
        struct sm_buf b;
        char expect[128];
        int i;

        sm_buf_init(&b);
        sm_buf_adds(&b, "[{\"s\":\"");
        for (i = 0; i < 300; i++)
            sm_buf_adds(&b, "ab\\\"cd\\\\]x");
        sm_buf_adds(&b, "\"},{\"t\":1}]");
        snprintf(expect, sizeof(expect), "item 1:2@1 <%zu bytes>\nitem 1:%zu@%zu {\"t\":1}\n",
                 b.len - 10, b.len - 7, b.len - 8);
        check_scan(b.data, b.len, NULL, expect);
        sm_buf_release(&b);
    }
}

/* Strings of every length around the fast path's word size and window, with an escaped
 * quote, a backslash or a raw byte >= 0x80 at every position. */
static void test_string_lengths(void **state)
{
    static const char *const inserts[] = {"\\\"", "\\\\", "\xc3\xa9", ""};
    struct sm_buf in, expect;
    size_t n, k;

    (void)state;
    sm_buf_init(&in);
    sm_buf_init(&expect);
    sm_buf_adds(&expect, "");
    sm_buf_addc(&in, '[');
    for (n = 0; n < 80; n++) {
        for (k = 0; k < sizeof(inserts) / sizeof(inserts[0]); k++) {
            size_t start, i;

            if (in.len > 1)
                sm_buf_addc(&in, ',');
            start = in.len;
            sm_buf_adds(&in, "[\"");
            for (i = 0; i < n; i++)
                sm_buf_addc(&in, (char)('a' + i % 26));
            sm_buf_adds(&in, inserts[k]);
            for (i = 0; i < n % 11; i++)
                sm_buf_addc(&in, 'z');
            sm_buf_adds(&in, "\",\"]\"]");
            if (in.len - start <= 60)
                sm_buf_printf(&expect, "item 1:%zu@%zu %.*s\n", start + 1, start,
                              (int)(in.len - start), in.data + start);
            else
                sm_buf_printf(&expect, "item 1:%zu@%zu <%zu bytes>\n", start + 1, start,
                              in.len - start);
        }
    }
    sm_buf_addc(&in, ']');
    check_scan(in.data, in.len, NULL, expect.data);
    sm_buf_release(&in);
    sm_buf_release(&expect);
}

static void test_deep_nesting(void **state)
{
    struct sm_buf b;
    struct sm_scan_limits lim = {0};
    int i;

    (void)state;
    sm_buf_init(&b);
    sm_buf_addc(&b, '[');
    for (i = 0; i < 10000; i++)
        sm_buf_addc(&b, '[');
    for (i = 0; i < 10000; i++)
        sm_buf_addc(&b, ']');
    sm_buf_adds(&b, ",{\"ok\":1}]");
    check_scan(b.data, b.len, NULL,
               "! 1:2@1 resume: nested deeper than 512 levels (--max-depth)\n"
               "item 1:20003@20002 {\"ok\":1}\n");
    /* a document that is too deep, with a custom limit */
    lim.max_depth = 3;
    check_scan("{\"a\":[[{}]]}\n{\"b\":[[1]]}\n", 24, &lim,
               "! 1:1@0 resume: nested deeper than 3 levels (--max-depth)\n"
               "doc 2:1@13 {\"b\":[[1]]}\n");
    /* 10,000 open brackets and nothing else: an error, not a crash */
    sm_buf_reset(&b);
    for (i = 0; i < 10000; i++)
        sm_buf_addc(&b, '[');
    check_scan(b.data, b.len, NULL,
               "! 1:2@1 resume: nested deeper than 512 levels (--max-depth)\n"
               "! 1:10001@10000 stop: unexpected end of input: the JSON value that starts at "
               "1:1 is not closed (truncated file?)\n");
    sm_buf_release(&b);
}

static void test_element_too_large(void **state)
{
    struct sm_scan_limits lim = {0};
    struct sm_buf b;
    int i;

    (void)state;
    lim.max_element_bytes = 100;
    sm_buf_init(&b);
    sm_buf_adds(&b, "[{\"small\":1},{\"big\":[");
    for (i = 0; i < 100; i++)
        sm_buf_adds(&b, "\"xxxxxxxxxx\",");
    sm_buf_adds(&b, "0]},\n{\"next\":2}]");
    check_scan(b.data, b.len, &lim,
               "item 1:2@1 {\"small\":1}\n"
               "! 1:14@13 resume: element is larger than 100 bytes (--max-element-bytes)\n"
               "item 2:1@1326 {\"next\":2}\n");
    /* exactly at the limit is fine */
    lim.max_element_bytes = 11;
    check_scan("[{\"small\":1},{\"small\":22}]", 26, &lim,
               "item 1:2@1 {\"small\":1}\n"
               "! 1:14@13 resume: element is larger than 11 bytes (--max-element-bytes)\n");
    sm_buf_release(&b);
}

static void test_string_too_long(void **state)
{
    struct sm_scan_limits lim = {0};
    struct sm_buf b;
    int i;

    (void)state;
    lim.max_string_bytes = 50;
    sm_buf_init(&b);
    sm_buf_adds(&b, "[{\"s\":\"");
    for (i = 0; i < 20; i++)
        sm_buf_adds(&b, "0123456789");
    sm_buf_adds(&b, "\"},{\"s\":\"");
    for (i = 0; i < 5; i++)
        sm_buf_adds(&b, "0123456789");
    sm_buf_adds(&b, "\"}]");
    check_scan(b.data, b.len, &lim,
               "! 1:2@1 resume: string longer than 50 bytes (--max-string-bytes)\n"
               "item 1:211@210 {\"s\":\"01234567890123456789012345678901234567890123456789\"}\n");
    sm_buf_release(&b);
}

static void test_truncated(void **state)
{
    (void)state;
    check_str("[{\"a\":1},\n{\"b\":[1,2", "item 1:2@1 {\"a\":1}\n"
                                          "! 2:10@19 stop: unexpected end of input: the JSON "
                                          "value that starts at 1:1 is not closed (truncated "
                                          "file?)\n");
    check_str("[{\"a\":\"abc", "! 1:11@10 stop: unexpected end of input: the JSON value that "
                               "starts at 1:1 is not closed (truncated file?)\n");
    check_str("[{\"a\":1},", "item 1:2@1 {\"a\":1}\n"
                             "! 1:10@9 stop: unexpected end of input: the JSON value that "
                             "starts at 1:1 is not closed (truncated file?)\n");
}

static void test_garbage(void **state)
{
    (void)state;
    check_str("hello world\n[1]", "! 1:1@0 stop: expected '{' or '[' to start a JSON value, "
                                  "found 'h'\n");
    check_str("[{\"a\":1}]\n]", "item 1:2@1 {\"a\":1}\n"
                                "! 2:1@10 resume: expected '{' or '[' to start a JSON value, "
                                "found ']'\n");
    /* a pretty-printed document followed by garbage: not JSON lines, so it stops */
    check_str("[\n{\"a\":1}\n]\nxyz\n{\"b\":1}",
              "item 2:1@2 {\"a\":1}\n"
              "! 4:1@12 stop: expected '{' or '[' to start a JSON value, found 'x'\n");
    check_str("[{\"a\":1}}, {\"b\":2}]",
              "item 1:2@1 {\"a\":1}\n"
              "! 1:9@8 stop: expected ']' to close the array, found '}'\n");
}

static void test_empty_and_binary(void **state)
{
    static const unsigned char bin[] = {0x89, 'P', 'N', 'G', 0, 1, 2, '[', ']', 0xff};
    struct sm_input *in = NULL;
    struct sm_scanner *s;
    struct sm_error err;
    struct sm_element el;
    const char *path;

    (void)state;
    check_str("", "");
    check_str(" \n\t\r\n", "");
    check_scan(bin, sizeof(bin), NULL,
               "! 1:1@0 stop: expected '{' or '[' to start a JSON value, found byte 0x89\n");
    /* NUL bytes inside an element reach jansson, which rejects them; no crash here */
    check_scan("[{\"a\":\0}]", 9, NULL, "item 1:2@1 {\"a\":\n");

    /* blank input: no element; a BOM is skipped, one byte read at a time */
    sm_error_init(&err);
    path = write_file("blank.json", " \n ", 3);
    assert_int_equal(sm_input_open(&in, path, &err), 0);
    s = sm_scanner_new(in, NULL);
    assert_int_equal(sm_scanner_next(s, &el, &err), 0);
    sm_scanner_free(s);

    path = write_file("bom.json", "\xef\xbb\xbf [{\"a\":1}]", 13);
    assert_int_equal(sm_input_open(&in, path, &err), 0);
    s = sm_scanner_new(in, NULL);
    sm_scanner_set_read_size(s, 1);
    assert_int_equal(sm_scanner_next(s, &el, &err), 1);
    assert_int_equal(el.offset, 5);
    assert_int_equal(el.len, 7);
    assert_int_equal(sm_scanner_next(s, &el, &err), 0);
    sm_scanner_free(s);
}

static void test_open_errors(void **state)
{
    struct sm_input *in = NULL;
    struct sm_error err;
    char path[512];

    (void)state;
    sm_error_init(&err);
    assert_int_equal(sm_input_open(&in, tmpdir, &err), SM_EINPUT);
    assert_null(in);
    assert_string_equal(err.file, tmpdir);
    assert_string_equal(err.text, "is a directory, not a file");

    snprintf(path, sizeof(path), "%s/missing.json", tmpdir);
    assert_int_equal(sm_input_open(&in, path, &err), SM_EINPUT);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(err.text, "cannot open"));

    if (geteuid() != 0) {
        const char *p = write_file("secret.json", "[]", 2);

        assert_int_equal(chmod(p, 0), 0);
        assert_int_equal(sm_input_open(&in, p, &err), SM_EINPUT);
        assert_non_null(strstr(err.text, "cannot open"));
    }
}

static void test_gzip(void **state)
{
    char path[512];
    struct sm_input *in = NULL;
    struct sm_error err;
    gzFile gz;
    char buf[64];
    const char *plain;
    char *log;
    FILE *f;
    long size;

    (void)state;
    sm_error_init(&err);
    snprintf(path, sizeof(path), "%s/traces.json.gz", tmpdir);
    gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_true(gzputs(gz, "[{\"a\":1},\n{\"b\":2}]\n") > 0);
    assert_int_equal(gzclose(gz), Z_OK);

    log = scan_log(path, 3, NULL);
    assert_string_equal(log, "item 1:2@1 {\"a\":1}\nitem 2:1@10 {\"b\":2}\n");
    free(log);

    assert_int_equal(sm_input_open(&in, path, &err), 0);
    assert_true(sm_input_is_gzip(in));
    assert_true(sm_input_size(in) > 0);
    assert_int_equal(sm_input_read(in, buf, sizeof(buf), &err), 19);
    assert_int_equal(sm_input_read(in, buf, sizeof(buf), &err), 0);
    assert_int_equal(sm_input_position(in), sm_input_size(in));
    sm_input_free(in);

    plain = write_file("plain.json", "[1]", 3);
    assert_int_equal(sm_input_open(&in, plain, &err), 0);
    assert_false(sm_input_is_gzip(in));
    assert_int_equal(sm_input_size(in), 3);
    assert_string_equal(sm_input_name(in), plain);
    sm_input_free(in);

    /* corrupt: the magic bytes and then noise */
    plain = write_file("bad.gz", "\x1f\x8b\x08\x00garbage-garbage-garbage", 27);
    log = scan_log(plain, 0, NULL);
    assert_non_null(strstr(log, "stop: corrupt gzip data"));
    free(log);

    /* truncated: what was decoded is handed out, then the error */
    f = fopen(path, "rb");
    assert_non_null(f);
    size = (long)fread(buf, 1, sizeof(buf), f);
    fclose(f);
    plain = write_file("cut.gz", buf, (size_t)size - 10);
    log = scan_log(plain, 0, NULL);
    assert_non_null(strstr(log, "stop: truncated gzip data: the stream ends inside a member"));
    free(log);
}

static void test_element_place(void **state)
{
    struct sm_element el;
    long line, column;
    long long offset;
    const char *data = "{\"a\":1,\n  \"b\": x}";

    (void)state;
    memset(&el, 0, sizeof(el));
    el.data = data;
    el.len = strlen(data);
    el.line = 10;
    el.column = 5;
    el.offset = 1000;
    /* jansson reports the 'x' as line 2, column 8, position 16 (bytes read) */
    sm_element_place(&el, 2, 8, 16, &line, &column, &offset);
    assert_int_equal(line, 11);
    assert_int_equal(column, 8);
    assert_int_equal(offset, 1015);
    /* on the element's first line columns add up */
    sm_element_place(&el, 1, 6, 6, &line, &column, &offset);
    assert_int_equal(line, 10);
    assert_int_equal(column, 10);
    assert_int_equal(offset, 1005);
    /* without the bytes, line and column arithmetic */
    el.data = NULL;
    sm_element_place(&el, 3, 4, 40, &line, &column, &offset);
    assert_int_equal(line, 12);
    assert_int_equal(column, 4);
    assert_int_equal(offset, 1039);
}

static void test_big_element_bounded(void **state)
{
    /* a 3 MB element among small ones: read whole with the default limits, with the
     * buffer growing to hold it */
    struct sm_buf b;
    char expect[256];
    size_t big_len;
    int i;

    (void)state;
    sm_buf_init(&b);
    sm_buf_adds(&b, "[{\"a\":1},{\"spans\":[");
    for (i = 0; i < 100000; i++)
        sm_buf_adds(&b, i ? ",{\"id\":\"0123456789abcdef\"}" : "{\"id\":\"0123456789abcdef\"}");
    sm_buf_adds(&b, "]},{\"z\":2}]");
    big_len = b.len - 18;
    snprintf(expect, sizeof(expect),
             "item 1:2@1 {\"a\":1}\nitem 1:10@9 <%zu bytes>\n"
             "item 1:%zu@%zu {\"z\":2}\n",
             big_len, b.len - 7, b.len - 8);
    {
        const char *path = write_file("big.json", b.data, b.len);
        char *log = scan_log(path, 0, NULL);

        assert_string_equal(log, expect);
        free(log);
        log = scan_log(path, 4096, NULL);
        assert_string_equal(log, expect);
        free(log);
    }
    sm_buf_release(&b);
}

/* A small file gets small buffers; one that grows after it was opened (a file still
 * being written) is still read to its end, past what it held at the open. */
static void test_file_grows_after_open(void **state)
{
    const char *path = write_file("grows.json", "[{\"a\":0}", 9);
    struct sm_input *in = NULL;
    struct sm_scanner *s;
    struct sm_element el;
    struct sm_error err;
    struct sm_buf b;
    FILE *f;
    int rc, i, n = 0;

    (void)state;
    sm_error_init(&err);
    assert_int_equal(sm_input_open(&in, path, &err), 0);
    s = sm_scanner_new(in, NULL);
    sm_buf_init(&b);
    for (i = 1; i < 200000; i++)
        sm_buf_printf(&b, ",{\"a\":%d}", i);
    sm_buf_adds(&b, "]");
    f = fopen(path, "ab");
    assert_non_null(f);
    assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
    assert_int_equal(fclose(f), 0);
    while ((rc = sm_scanner_next(s, &el, &err)) > 0) {
        char want[32];

        snprintf(want, sizeof(want), "{\"a\":%d}", n++);
        assert_int_equal(el.len, strlen(want));
        assert_memory_equal(el.data, want, el.len);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, 200000);
    sm_scanner_free(s);
    sm_buf_release(&b);
}

/* The block scan gives what the byte walk gives, read for read (the default 1 MiB, and
 * reads around a block). */
static void check_same_as_walk(const void *data, size_t len, const struct sm_scan_limits *limits)
{
    static const size_t sizes[] = {0, 64, 100};
    const char *path = write_file("walk.json", data, len);
    size_t i;

    log_whole = true;
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        char *want, *got;
        bool same;

        walk_only = true;
        want = scan_log(path, sizes[i], limits);
        walk_only = false;
        got = scan_log(path, sizes[i], limits);
        same = strcmp(got, want) == 0;
        if (!same)
            print_error("read size %zu, input:\n%.*s\n--- block scan\n%s--- byte walk\n%s",
                        sizes[i], (int)len, (const char *)data, got, want);
        free(got);
        free(want);
        if (!same)
            fail();
    }
    log_whole = false;
}

/* One case of the block edges, as an array of items and as JSON lines, under limits
 * around what it holds. */
static void check_block_case(const char *pad, const char *insert)
{
    struct sm_scan_limits lim;
    struct sm_buf b;
    size_t pad_len = strlen(pad), k;
    int form;

    sm_buf_init(&b);
    for (form = 0; form < 3; form++) {
        sm_buf_reset(&b);
        if (form == 0) /* zipkin-flat: one object per item */
            sm_buf_printf(&b, "[\n{\"pad\":\"%s\",%s},\n{\"next\":[1]}\n]\n", pad, insert);
        else if (form == 1) /* OTLP file exporter: one request per line */
            sm_buf_printf(&b,
                          "{\"resourceSpans\":[{\"pad\":\"%s\",%s},{\"r\":[2]}]}\n"
                          "{\"resourceSpans\":[{\"n\":{\"%s\":[%s]}}]}\n",
                          pad, insert, pad, insert);
        else /* lists of traces, the element's end at every offset too */
            sm_buf_printf(&b, "{\"data\":[[{\"a\":{\"%s\":\"\"}},{%s}],[{\"%s\":[]}]]}", pad,
                          insert, pad);
        memset(&lim, 0, sizeof(lim));
        check_same_as_walk(b.data, b.len, &lim);
        /* the depth limit hit exactly (the deep insert), or just not */
        for (k = 3; k <= 4; k++) {
            memset(&lim, 0, sizeof(lim));
            lim.max_depth = k;
            check_same_as_walk(b.data, b.len, &lim);
        }
        /* the pad one over the string limit, and exactly at it */
        for (k = pad_len > 1 ? pad_len - 1 : 1; k <= pad_len; k++) {
            memset(&lim, 0, sizeof(lim));
            lim.max_string_bytes = k;
            check_same_as_walk(b.data, b.len, &lim);
        }
        /* cut short: the walk's end-of-input errors */
        check_same_as_walk(b.data, b.len - 3, NULL);
    }
    sm_buf_release(&b);
}

/* Brackets, quotes, backslashes and newlines at every offset of a 64-byte block, in
 * and outside strings, with limits hit exactly. */
static void test_block_scan_edges(void **state)
{
    static const char *const inserts[] = {
        "\"e\":\"\\\"\"",                   /* an escaped quote */
        "\"e\":\"\\\\\"",                   /* an escaped backslash before the closing quote */
        "\"e\":\"\\\\\\\"]\"",              /* three backslashes, then a quote */
        "\"e\":\"\\\\\\\\\",\"f\":[]",      /* four, then the end of the string */
        "\"e\":\"[{]}\\\\[\"",              /* brackets inside a string */
        "\"e\":[[{}],{\"f\":[[[]]]}]",      /* nesting */
        "\"e\":[}",                         /* a mismatch */
        "\"e\":{]",                         /* the other mismatch */
        "\"e\":\\\"x\"",                    /* a backslash outside strings */
        "\"e\":\"x\\",                      /* a backslash before the end */
        "\"e\":\"a\nb\"",                   /* a newline in a string */
        "\"e\":1\n,\"f\":\n[2]",            /* newlines between members */
        "\"e\":\"\\u005c\",\"g\":\"\\\\\"", /* an escaped backslash by its code */
        "\"e\":\"a\001\x80\xff\"",          /* control and high bytes */
        "\"e\":]",                          /* a close too many */
        "\"e\":{\"f\":{\"g\":{\"h\":{}}}}", /* deep */
        "\"e\":\"\"",                       /* an empty string */
        "\"e\":\"0123456789012345678901234567890123456789012345678901234567890123456789\"",
    };
    char pad[160];
    size_t n, k;

    (void)state;
    for (n = 0; n < 2 * 64 + 8; n += n < 72 ? 1 : 8) {
        memset(pad, 'x', n);
        pad[n] = '\0';
        for (k = 0; k < sizeof(inserts) / sizeof(inserts[0]); k++)
            check_block_case(pad, inserts[k]);
    }
}

/* Strings that end exactly at the end of a block, of the buffer, of a read. */
static void test_block_scan_boundaries(void **state)
{
    struct sm_buf b;
    size_t n, len;

    (void)state;
    sm_buf_init(&b);
    for (len = 60; len < 200; len++) {
        for (n = 0; n < 3; n++) {
            size_t i;

            sm_buf_reset(&b);
            sm_buf_adds(&b, "[{\"s\":[\"");
            for (i = 0; i < len; i++)
                sm_buf_addc(&b, (char)('a' + i % 26));
            sm_buf_adds(&b, n == 0 ? "\"" : n == 1 ? "\\\\\"" : "\\\"\"");
            sm_buf_adds(&b, "]}]");
            check_same_as_walk(b.data, b.len, NULL);
            /* and without the end: the input stops inside the string or the element */
            check_same_as_walk(b.data, b.len - 3, NULL);
            check_same_as_walk(b.data, b.len - 4 - n, NULL);
        }
    }
    sm_buf_release(&b);
}

/* Random near-JSON: brackets, quotes, backslashes, separators, newlines and runs of
 * letters in any order, inside a well-formed start; every log must be the walk's. */
static void test_block_scan_random(void **state)
{
    static const char *const tokens[] = {"{",  "}", "[",      "]",         "\"",   "\\",   ",", ":",
                                         "\n", " ", "\"k\":", "{\"a\":\"", "\\\"", "\\\\", "\0"};
    struct sm_buf b;
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
    int iter;

    (void)state;
    sm_buf_init(&b);
    for (iter = 0; iter < 3000; iter++) {
        size_t ntok, t;

        sm_buf_reset(&b);
        sm_buf_adds(&b, iter % 3 == 0   ? "{\"resourceSpans\":[{\"a\":["
                        : iter % 3 == 1 ? "[[{"
                                        : "[{\"b\":{");
        ntok = 20 + (size_t)(seed % 300);
        for (t = 0; t < ntok; t++) {
            unsigned r;

            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            r = (unsigned)(seed >> 32);
            if (r % 4 == 0) {
                size_t run = (r >> 8) % 80;

                while (run--)
                    sm_buf_addc(&b, 'x');
            } else {
                const char *tok = tokens[(r >> 8) % (sizeof(tokens) / sizeof(tokens[0]))];

                if (*tok)
                    sm_buf_adds(&b, tok);
                else
                    sm_buf_addc(&b, '\0');
            }
        }
        check_same_as_walk(b.data, b.len, NULL);
    }
    sm_buf_release(&b);
}

/* The bytes the scanner calls plain (sm_element's plain_from, plain_to) hold no byte
 * below 0x20 or above 0x7F and no backslash; an element without such bytes is plain but
 * for its ends; and the streaming readers' check, which looks only around the plain
 * bytes, still finds every byte jansson refuses, wherever in the element it is. */
static void test_plain_bytes(void **state)
{
    /* inserted into a span's name: nothing, bytes both parsers take, bytes jansson
     * refuses and yajl (not checking strings) would take, and a tab, which both refuse
     * inside a string */
    static const char *const good[] = {"", "\xc3\xa9", "\\n", "\\u00e9", "\\ud83d\\ude00"};
    static const char *const bad[] = {"\\u0000",          "\xc0\x80", "\xed\xa0\x80",
                                      "\xf4\x90\x80\x80", "\\udc00",  "\t"};
    char pad[201];
    size_t at, k;

    (void)state;
    memset(pad, 'a', sizeof(pad) - 1);
    pad[sizeof(pad) - 1] = '\0';
    for (at = 0; at < sizeof(pad); at += 3) {
        for (k = 0; k < sizeof(good) / sizeof(good[0]) + sizeof(bad) / sizeof(bad[0]); k++) {
            bool is_good = k < sizeof(good) / sizeof(good[0]);
            const char *insert = is_good ? good[k] : bad[k - sizeof(good) / sizeof(good[0])];
            struct sm_input *in = NULL;
            struct sm_scanner *sc;
            struct sm_element el;
            struct sm_error err;
            struct sm_batch b;
            struct sm_buf text;
            const char *path;
            size_t i;

            sm_buf_init(&text);
            sm_buf_printf(&text,
                          "[\n{\"traceId\":\"5af7183fb1d4cf5f\",\"id\":\"6b221d5bc9e6496c\","
                          "\"name\":\"%.*s%s%s\"},\n{}\n]\n",
                          (int)at, pad, insert, pad + at);
            path = write_file("plain.json", text.data, text.len);
            sm_error_init(&err);
            assert_int_equal(sm_input_open(&in, path, &err), 0);
            sc = sm_scanner_new(in, NULL);
            assert_int_equal(sm_scanner_next(sc, &el, &err), 1);
            assert_true(el.plain_from <= el.plain_to && el.plain_to <= el.len);
            for (i = el.plain_from; i < el.plain_to; i++) {
                unsigned char c = (unsigned char)el.data[i];

                assert_true(c >= 0x20 && c < 0x80 && c != '\\');
            }
            if (!*insert)
                assert_true(el.plain_to - el.plain_from >= 192);
            sm_batch_init(&b);
            if (sm_sax_parse(SM_FORMAT_ZIPKIN, &el, &b, &err) != (is_good ? 0 : SM_SAX_FALLBACK))
                fail_msg("%s at %zu: %s", is_good ? "handed back" : "not handed back", at,
                         text.data);
            sm_batch_release(&b);
            sm_scanner_free(sc);
            sm_buf_release(&text);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_of_objects),
        cmocka_unit_test(test_array_of_arrays),
        cmocka_unit_test(test_scalar_items),
        cmocka_unit_test(test_json_lines),
        cmocka_unit_test(test_json_lines_bad_lines),
        cmocka_unit_test(test_wrappers),
        cmocka_unit_test(test_otlp_document),
        cmocka_unit_test(test_result_wrapper),
        cmocka_unit_test(test_bare_object),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_string_lengths),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_element_too_large),
        cmocka_unit_test(test_string_too_long),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_empty_and_binary),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_element_place),
        cmocka_unit_test(test_big_element_bounded),
        cmocka_unit_test(test_file_grows_after_open),
        cmocka_unit_test(test_block_scan_edges),
        cmocka_unit_test(test_block_scan_boundaries),
        cmocka_unit_test(test_block_scan_random),
        cmocka_unit_test(test_plain_bytes),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
