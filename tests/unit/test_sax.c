/* test_sax.c: unit tests of the streaming readers (sax.h): which elements they read
 * themselves and which they hand back to the jansson readers.
 *
 * The differential target (tests/fuzz/fuzz_sax_diff.c) proves that the two kinds of
 * readers agree, but a streaming reader that handed every element back would pass it
 * too. These tests pin down that plainly good elements are read by the streaming
 * reader (status 0, the same spans as the jansson reader, field by field through
 * sm_span_to_json), and that the elements the jansson reader would complain about or
 * skip are handed back (SM_SAX_FALLBACK).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "svcmap/reader.h"
#include "svcmap/sax.h"
#include "svcmap/span.h"
#include "svcmap/util.h"

/* The spans of b, one sm_span_to_json line each. */
static void spans_text(const struct sm_batch *b, struct sm_buf *out)
{
    size_t i;

    sm_buf_reset(out);
    sm_buf_adds(out, "");
    for (i = 0; i < b->len; i++) {
        sm_span_to_json(&b->spans[i], out);
        sm_buf_addc(out, '\n');
    }
}

static void element(struct sm_element *el, const char *text)
{
    memset(el, 0, sizeof(*el));
    el->ctx = SM_ELEM_ARRAY_ITEM;
    el->data = text;
    el->len = strlen(text);
}

/* text is read by the streaming reader of format, to the jansson reader's spans;
 * returns how many. */
static size_t assert_streamed(enum sm_input_format format, const char *text)
{
    const struct sm_reader *r = sm_reader_for(format);
    struct sm_element el;
    struct sm_batch ref, got;
    struct sm_buf a, b;
    struct sm_error err;
    json_error_t jerr;
    json_t *v;
    size_t n;
    int rc;

    element(&el, text);
    sm_batch_init(&ref);
    sm_batch_init(&got);
    sm_buf_init(&a);
    sm_buf_init(&b);
    sm_error_init(&err);
    v = json_loads(text, JSON_DECODE_ANY, &jerr);
    if (!v)
        fail_msg("test input does not parse: %s", jerr.text);
    assert_int_equal(r->parse(&el, v, &ref, &err), 0);
    assert_int_equal(ref.nskips, 0);
    json_decref(v);
    rc = sm_sax_parse(format, &el, &got, &err);
    if (rc != 0)
        fail_msg("the streaming reader handed back: %s", text);
    spans_text(&ref, &a);
    spans_text(&got, &b);
    assert_string_equal(b.data, a.data);
    assert_int_equal(got.whole_traces, ref.whole_traces);
    n = got.len;
    sm_buf_release(&a);
    sm_buf_release(&b);
    sm_batch_release(&ref);
    sm_batch_release(&got);
    return n;
}

static void assert_handed_back(enum sm_input_format format, const char *text)
{
    struct sm_element el;
    struct sm_batch got;
    struct sm_error err;
    int rc;

    element(&el, text);
    sm_batch_init(&got);
    sm_error_init(&err);
    rc = sm_sax_parse(format, &el, &got, &err);
    if (rc != SM_SAX_FALLBACK)
        fail_msg("the streaming reader did not hand back (status %d): %s", rc, text);
    sm_batch_release(&got);
}

#define T "\"traceId\":\"5af7183fb1d4cf5f\""

static void test_supports(void **state)
{
    (void)state;
    assert_true(sm_sax_supports(SM_FORMAT_OTLP));
    assert_true(sm_sax_supports(SM_FORMAT_JAEGER));
    assert_true(sm_sax_supports(SM_FORMAT_ZIPKIN));
    assert_true(sm_sax_supports(SM_FORMAT_ZIPKIN1));
    assert_false(sm_sax_supports(SM_FORMAT_OTLP_PROTO));
}

static void test_zipkin1_streamed(void **state)
{
    (void)state;
    /* a shared RPC logged by two hosts: a client part and a server part */
    assert_int_equal(
        assert_streamed(
            SM_FORMAT_ZIPKIN1,
            "{" T ",\"id\":\"a\",\"name\":\"get\",\"timestamp\":10,\"duration\":90,"
            "\"annotations\":["
            "{\"timestamp\":100,\"value\":\"cr\",\"endpoint\":{\"serviceName\":\"web\"}},"
            "{\"timestamp\":10,\"value\":\"cs\",\"endpoint\":{\"serviceName\":\"web\"}},"
            "{\"timestamp\":20,\"value\":\"sr\",\"endpoint\":{\"serviceName\":\"api\","
            "\"ipv4\":\"10.0.0.2\",\"port\":8080}},"
            "{\"timestamp\":80,\"value\":\"ss\",\"endpoint\":{\"serviceName\":\"api\"}}],"
            "\"binaryAnnotations\":["
            "{\"key\":\"http.status_code\",\"value\":\"503\",\"endpoint\":{\"serviceName\":\"api\"}"
            "},"
            "{\"key\":\"sa\",\"value\":true,\"endpoint\":{\"serviceName\":\"api\"}},"
            "{\"key\":\"ignored\",\"value\":{\"deep\":[[[1]]]}},"
            "{\"key\":\"error\",\"value\":\"\",\"endpoint\":{\"serviceName\":\"api\"}}],"
            "\"debug\":false}"),
        2);
    /* a client with only a remote address, ids kept opaque, times in strings */
    assert_int_equal(assert_streamed(SM_FORMAT_ZIPKIN1,
                                     "{\"traceId\":\"not-hex\",\"id\":\"B\",\"parentId\":\"a\","
                                     "\"timestamp\":\"5\",\"duration\":1e3,\"annotations\":["
                                     "{\"timestamp\":5,\"value\":\"cs\",\"endpoint\":"
                                     "{\"serviceName\":\"web\"}}],\"binaryAnnotations\":["
                                     "{\"key\":\"sa\",\"value\":true,\"endpoint\":"
                                     "{\"ipv4\":\"10.1.1.1\",\"port\":5432}}]}"),
                     1);
    /* a trace, and a list of traces */
    assert_int_equal(assert_streamed(SM_FORMAT_ZIPKIN1,
                                     "[{" T ",\"id\":\"1\",\"binaryAnnotations\":[]},"
                                     "{" T ",\"id\":\"2\",\"parentId\":\"1\",\"annotations\":"
                                     "[{\"timestamp\":1,\"value\":\"lc\",\"endpoint\":null}]}]"),
                     2);
    assert_int_equal(assert_streamed(SM_FORMAT_ZIPKIN1,
                                     "[[{" T ",\"id\":\"1\",\"binaryAnnotations\":[]}],[],"
                                     "[{" T ",\"id\":\"2\",\"name\":null}]]"),
                     2);
}

static void test_zipkin1_handed_back(void **state)
{
    static const char *const bad[] = {
        /* what read_zipkin1.c complains about */
        "{\"id\":\"1\"}",
        "{" T ",\"id\":\"0\"}",
        "{" T ",\"id\":7}",
        "{" T ",\"id\":\"1\",\"parentId\":7}",
        "{" T ",\"id\":\"1\",\"timestamp\":-1}",
        "{" T ",\"id\":\"1\",\"name\":5}",
        "{" T ",\"id\":\"1\",\"annotations\":{}}",
        "{" T ",\"id\":\"1\",\"annotations\":[{\"value\":\"cs\"}]}",
        "{" T ",\"id\":\"1\",\"annotations\":[{\"timestamp\":1,\"value\":5}]}",
        "{" T ",\"id\":\"1\",\"annotations\":[{\"timestamp\":1,\"value\":\"cs\","
        "\"endpoint\":\"web\"}]}",
        "{" T ",\"id\":\"1\",\"binaryAnnotations\":[{\"key\":\"k\",\"value\":\"v\","
        "\"endpoint\":{\"serviceName\":1}}]}",
        "{" T ",\"id\":\"1\",\"binaryAnnotations\":[{\"value\":\"v\"}]}",
        "[{" T ",\"id\":\"1\"},5]",
        "[[],{}]",
        "5",
        /* what jansson reads otherwise than yajl, or keeps the last of */
        "{" T ",\"id\":\"1\",\"id\":\"2\"}",
        "{" T ",\"id\":\"1\",\"annotations\":[{\"timestamp\":1,\"value\":\"cs\","
        "\"endpoint\":{\"serviceName\":\"a\",\"serviceName\":\"b\"}}]}",
        "{" T ",\"id\":\"1\",\"timestamp\":123456789012345678901234567890}",
        "{" T ",\"id\":\"1\",\"x\":[123456789012345678901234567890]}",
        "{" T ",\"id\":\"1\",\"name\":\"\\ud800\"}",
        "{" T ",\"id\":\"1\",\"name\":\"\xc0\xaf\"}",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_handed_back(SM_FORMAT_ZIPKIN1, bad[i]);
}

/* The other readers still read their plain records themselves through the shared walk. */
static void test_others_streamed(void **state)
{
    (void)state;
    assert_int_equal(assert_streamed(SM_FORMAT_ZIPKIN,
                                     "{" T ",\"id\":\"1\",\"kind\":\"CLIENT\","
                                     "\"localEndpoint\":{\"serviceName\":\"web\"},"
                                     "\"tags\":{\"peer.service\":\"db\",\"x\":[{}]}}"),
                     1);
    assert_int_equal(
        assert_streamed(SM_FORMAT_JAEGER,
                        "{\"traceID\":\"1\",\"spans\":[{\"spanID\":\"2\",\"operationName\":\"x\","
                        "\"processID\":\"p1\",\"tags\":[{\"key\":\"span.kind\",\"value\":"
                        "\"server\"}]}],\"processes\":{\"p1\":{\"serviceName\":\"api\"}}}"),
        1);
    assert_int_equal(
        assert_streamed(SM_FORMAT_OTLP,
                        "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":"
                        "\"service.name\",\"value\":{\"stringValue\":\"web\"}}]},\"scopeSpans\":"
                        "[{\"spans\":[{\"traceId\":\"5af7183fb1d4cf5f5af7183fb1d4cf5f\","
                        "\"spanId\":\"5af7183fb1d4cf5f\",\"name\":\"x\",\"kind\":2}]}]}]}"),
        1);
}

/* One parser serves a thread's elements one after the other (sax.c): what one element
 * leaves behind, however it ends, must not change how the next is read. Each bad
 * element below is followed by a good one that must still be streamed. */
static void test_parser_reused(void **state)
{
    static const char *const good = "{" T ",\"id\":\"1\",\"name\":\"get\","
                                    "\"timestamp\":10,\"duration\":7}";
    static const char *const bad[] = {
        "{" T ",\"id\":\"1\"} {" T ",\"id\":\"2\"}", /* two values in one element */
        "{" T ",\"id\":\"1\"} 5",                    /* a number after the value */
        "{" T ",\"id\":\"1\"} ]",                    /* a stray token after it */
        "{" T ",\"id\":\"1\"} \"open",               /* a string left open after it */
        "{" T ",\"id\":\"1\"} \"open}{",             /* ... holding what ends a value */
        "{" T ",\"id\":\"1\",\"name\":\"cut",        /* the element ends in a string */
        "{" T ",\"id\":\"1\",\"timestamp\":12",      /* ... in a number */
        "{" T ",\"id\":\"1\",\"name\":tru",          /* ... in a literal */
        "{" T ",\"id\":\"1\",\"shared\":1}",         /* the reader falls back midway */
        "{" T ",\"id\":\"1\",}",                     /* a syntax error */
        "",                                          /* no value */
        "   ",
        "\"",
    };
    size_t i;

    (void)state;
    assert_int_equal(assert_streamed(SM_FORMAT_ZIPKIN, good), 1);
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_handed_back(SM_FORMAT_ZIPKIN, bad[i]);
        assert_int_equal(assert_streamed(SM_FORMAT_ZIPKIN, good), 1);
    }
    /* blanks after the value are fine, and leave nothing behind */
    assert_int_equal(assert_streamed(SM_FORMAT_ZIPKIN, "{" T ",\"id\":\"1\"} \r\n\t "), 1);
    assert_int_equal(assert_streamed(SM_FORMAT_ZIPKIN, good), 1);
    /* a large element gets a parser of its own, and the next one a fresh parser */
    {
        struct sm_buf big;

        sm_buf_init(&big);
        sm_buf_adds(&big, "{" T ",\"id\":\"1\",\"name\":\"");
        for (i = 0; i < (1u << 20); i += 16)
            sm_buf_adds(&big, "0123456789abcdef");
        sm_buf_adds(&big, "\"}");
        assert_int_equal(assert_streamed(SM_FORMAT_ZIPKIN, big.data), 1);
        sm_buf_release(&big);
    }
    assert_int_equal(assert_streamed(SM_FORMAT_ZIPKIN, good), 1);
    sm_sax_release_thread();
    sm_sax_release_thread(); /* twice is fine */
    assert_int_equal(assert_streamed(SM_FORMAT_ZIPKIN, good), 1);
    sm_sax_release_thread();
}

/* OTLP attributes no rule reads are passed over unparsed (sax.c), to the same spans;
 * everything unsure is parsed as before. */
#define OTLP_HEAD                                                                                  \
    "{\"resourceSpans\":[{\"resource\":{\"attributes\":[" RES_ATTRS "]},\"scopeSpans\":[{"         \
    "\"scope\":{\"name\":\"s\",\"attributes\":[" SKIPPED "]},\"spans\":[{\"traceId\":"             \
    "\"5af7183fb1d4cf5f5af7183fb1d4cf5f\",\"spanId\":\"5af7183fb1d4cf5f\",\"name\":\"x\","         \
    "\"kind\":3,\"startTimeUnixNano\":\"1000\",\"endTimeUnixNano\":\"3000\",\"attributes\":["
#define OTLP_TAIL "]}]}]}]}"
#define RES_ATTRS                                                                                  \
    "{\"key\":\"service.instance.id\",\"value\":{\"stringValue\":\"i-1\"}},"                       \
    "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"web\"}},"                              \
    "{\"key\":\"telemetry.sdk.language\",\"value\":{\"stringValue\":\"go\"}}"
/* inside the scope, which the reader skips as a whole: never passed over */
#define SKIPPED "{\"key\":\"a\",\"value\":{\"stringValue\":\"b\"}}"
#define URL     "{\"key\":\"url.full\",\"value\":{\"stringValue\":\"http://db:80/x\"}}"
#define METHOD  "{\"key\":\"http.request.method\",\"value\":{\"stringValue\":\"GET\"}}"
#define PEER    "{\"key\":\"server.address\",\"value\":{\"stringValue\":\"db\"}}"
#define STATUS  "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"503\"}}"

/* How many array elements or object members the streaming reader of format passed
 * over in the one-span element head middle tail, which it reads to the jansson reader's
 * span. */
static size_t passed_in_span(enum sm_input_format format, const char *head, const char *middle,
                             const char *tail)
{
    struct sm_buf text;
    size_t before = sm_sax_thread_passed();

    sm_buf_init(&text);
    sm_buf_adds(&text, head);
    sm_buf_adds(&text, middle);
    sm_buf_adds(&text, tail);
    assert_int_equal(assert_streamed(format, text.data), 1);
    sm_buf_release(&text);
    return sm_sax_thread_passed() - before;
}

#define passed_in(span_attrs) passed_in_span(SM_FORMAT_OTLP, OTLP_HEAD, span_attrs, OTLP_TAIL)

static void test_otlp_passed_over(void **state)
{
    (void)state;
    /* the resource's first and last attributes, then the span's unread ones */
    assert_int_equal(passed_in(""), 2);
    assert_int_equal(passed_in(URL), 3);
    assert_int_equal(passed_in(URL "," METHOD), 4);
    assert_int_equal(passed_in(URL "," PEER "," METHOD "," STATUS), 4);
    assert_int_equal(passed_in(PEER "," URL "," STATUS "," METHOD), 4);
    assert_int_equal(passed_in(" " URL " , " METHOD " ,\n" PEER "\t"), 4);
    assert_int_equal(passed_in(STATUS "," PEER), 2);
    /* values other than a plain string, true, false and null are parsed */
    assert_int_equal(passed_in("{\"key\":\"u\",\"value\":{\"boolValue\":true}},"
                               "{\"key\":\"u\",\"value\":{\"boolValue\":false}},"
                               "{\"key\":\"u\",\"value\":{\"stringValue\":null}},"
                               "{\"key\":\"u\",\"value\":{\"stringValue\":\"\"}},"
                               "{\"key\":\"\",\"value\":{\"\":\"x\"}}"),
                     2 + 5);
    assert_int_equal(
        passed_in("{\"key\":\"u\",\"value\":{\"intValue\":5}},"
                  "{\"key\":\"u\",\"value\":{\"doubleValue\":1.5}},"
                  "{\"key\":\"u\",\"value\":{\"stringValue\":\"a\\\"b\"}},"
                  "{\"key\":\"u\\u0041\",\"value\":{\"stringValue\":\"x\"}},"
                  "{\"key\":\"u\",\"value\":{\"stringValue\":\"x\",\"intValue\":\"1\"}},"
                  "{\"key\":\"u\",\"value\":{\"arrayValue\":{\"values\":[]}}},"
                  "{\"key\": \"u\",\"value\":{\"stringValue\":\"x\"}},"
                  "{\"value\":{\"stringValue\":\"x\"},\"key\":\"u\"},"
                  "{\"key\":\"u\",\"value\":{\"stringValue\":\"x\"} }"),
        2);
}

/* Bytes that only look like attributes are not passed over: the element goes to yajl,
 * which finds it bad, and to jansson. */
static void test_otlp_pass_over_hostile(void **state)
{
    static const char *const bad[] = {
        /* the marker inside a string that does not end where it seems to */
        OTLP_HEAD METHOD ",{\"key\":\"a\",\"value\":{\"stringValue\":\"x," URL "\"}}" OTLP_TAIL,
        OTLP_HEAD "\"x," URL "\"" OTLP_TAIL,
        OTLP_HEAD "\"x\"," URL OTLP_TAIL,
        OTLP_HEAD METHOD ",\"x\"," URL OTLP_TAIL,
        /* a passable attribute where no value may stand */
        OTLP_HEAD METHOD "," OTLP_TAIL,
        OTLP_HEAD METHOD " " URL OTLP_TAIL,
        OTLP_HEAD METHOD ",," URL OTLP_TAIL,
        OTLP_HEAD "," URL OTLP_TAIL,
        OTLP_HEAD URL "}" OTLP_TAIL,
        OTLP_HEAD URL ":" METHOD OTLP_TAIL,
        "{\"resourceSpans\":[{\"resource\":{\"attributes\":" URL "}}]}",
        "{\"resourceSpans\":[{\"resource\":{\"attributes\":[" URL "," URL,
        /* something after the element's value, which yajl reads in pieces */
        OTLP_HEAD URL OTLP_TAIL " x",
        OTLP_HEAD URL OTLP_TAIL " " URL,
        OTLP_HEAD URL OTLP_TAIL "[" URL "]",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_handed_back(SM_FORMAT_OTLP, bad[i]);
}

/* Zipkin tags no rule reads are passed over unparsed (sax.c), to the same spans; the
 * first tag and everything unsure are parsed as before. */
#define ZIPKIN_HEAD                                                                                \
    "{\"traceId\":\"5af7183fb1d4cf5f\",\"id\":\"6b221d5bc9e6496c\",\"kind\":\"CLIENT\","           \
    "\"name\":\"get\",\"localEndpoint\":{\"serviceName\":\"web\"},"                                \
    "\"remoteEndpoint\":{\"ipv4\":\"10.0.0.1\",\"port\":80},\"tags\":{"
#define ZIPKIN_TAIL "},\"duration\":5}"
#define Z_URL       "\"url.full\":\"http://db:80/x\""
#define Z_METHOD    "\"http.method\":\"GET\""
#define Z_PEER      "\"server.address\":\"db\""
#define Z_STATUS    "\"http.status_code\":\"503\""

#define zipkin_passed_in(tags) passed_in_span(SM_FORMAT_ZIPKIN, ZIPKIN_HEAD, tags, ZIPKIN_TAIL)

static void test_zipkin_passed_over(void **state)
{
    (void)state;
    assert_int_equal(zipkin_passed_in(""), 0);
    assert_int_equal(zipkin_passed_in(Z_URL), 1);
    assert_int_equal(zipkin_passed_in(Z_URL "," Z_METHOD), 2);
    assert_int_equal(zipkin_passed_in(Z_URL "," Z_PEER "," Z_METHOD "," Z_STATUS), 2);
    assert_int_equal(zipkin_passed_in(Z_PEER "," Z_URL "," Z_STATUS "," Z_METHOD), 2);
    assert_int_equal(zipkin_passed_in(Z_STATUS "," Z_PEER), 0);
    /* the tags are only looked at up to the first blank */
    assert_int_equal(zipkin_passed_in(Z_PEER ", " Z_URL), 0);
    assert_int_equal(zipkin_passed_in(" " Z_URL "," Z_METHOD), 0);
    assert_int_equal(zipkin_passed_in(Z_PEER " ," Z_URL), 0);
    assert_int_equal(zipkin_passed_in(Z_URL "," Z_METHOD " ," Z_URL), 2);
    /* values other than a plain string, true, false and null are parsed; after a
     * number, yajl has not ended it where the next tag would be cut off */
    assert_int_equal(zipkin_passed_in("\"a\":true,\"b\":false,\"c\":null,\"d\":\"\",\"\":\"x\""),
                     5);
    assert_int_equal(zipkin_passed_in("\"a\":5,\"b\":-1.5e3," Z_URL), 0);
    assert_int_equal(zipkin_passed_in("\"a\":5," Z_PEER "," Z_URL), 1);
    assert_int_equal(zipkin_passed_in("\"a\":\"x\\\"y\"," Z_URL), 0);
    assert_int_equal(zipkin_passed_in("\"a\\u0041\":\"x\"," Z_URL), 0);
    assert_int_equal(zipkin_passed_in("\"a\":{\"b\":\"c\"}," Z_URL), 0);
    assert_int_equal(zipkin_passed_in("\"a\":[\"b\"]," Z_URL), 0);
    /* an unread tag twice (jansson keeps the last, which nobody reads) */
    assert_int_equal(zipkin_passed_in(Z_URL "," Z_URL), 2);
    /* the error tag is read, whatever its value */
    assert_int_equal(zipkin_passed_in(Z_URL ",\"error\":\"\"," Z_METHOD), 2);
    /* a tag named "tags" whose value is an object the reader skips: its members are
     * not the span's tags */
    assert_int_equal(zipkin_passed_in("\"tags\":{" Z_URL "}," Z_URL), 0);
    assert_int_equal(zipkin_passed_in(Z_URL ",\"tags\":{" Z_URL "," Z_METHOD "}"), 1);
}

/* Bytes that only look like tags are not passed over: the element goes to yajl, which
 * finds it bad, or to jansson, which reads it. */
static void test_zipkin_pass_over_hostile(void **state)
{
    static const char *const bad[] = {
        /* a passable tag where no member may stand */
        ZIPKIN_HEAD Z_METHOD "," ZIPKIN_TAIL,
        ZIPKIN_HEAD Z_METHOD "," Z_URL "," ZIPKIN_TAIL,
        ZIPKIN_HEAD "," Z_URL ZIPKIN_TAIL,
        ZIPKIN_HEAD Z_URL ",," Z_METHOD ZIPKIN_TAIL,
        ZIPKIN_HEAD Z_METHOD ",," Z_URL ZIPKIN_TAIL,
        ZIPKIN_HEAD Z_METHOD " " Z_URL ZIPKIN_TAIL,
        ZIPKIN_HEAD Z_URL Z_METHOD ZIPKIN_TAIL,
        ZIPKIN_HEAD Z_URL ":" Z_METHOD ZIPKIN_TAIL,
        ZIPKIN_HEAD "\"a\"," Z_URL ZIPKIN_TAIL,
        ZIPKIN_HEAD "\"a\":," Z_URL ZIPKIN_TAIL,
        ZIPKIN_HEAD Z_URL "]" ZIPKIN_TAIL,
        /* the marker inside a string that does not end where it seems to */
        ZIPKIN_HEAD "\"a\":\"x,\"tags\":{" Z_URL "," Z_METHOD ZIPKIN_TAIL,
        /* cut short */
        ZIPKIN_HEAD Z_URL "," Z_METHOD,
        ZIPKIN_HEAD Z_URL ",",
        /* something after the element's value */
        ZIPKIN_HEAD Z_URL ZIPKIN_TAIL " x",
        ZIPKIN_HEAD Z_URL ZIPKIN_TAIL "," Z_URL,
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_handed_back(SM_FORMAT_ZIPKIN, bad[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_supports),
        cmocka_unit_test(test_zipkin1_streamed),
        cmocka_unit_test(test_zipkin1_handed_back),
        cmocka_unit_test(test_others_streamed),
        cmocka_unit_test(test_parser_reused),
        cmocka_unit_test(test_otlp_passed_over),
        cmocka_unit_test(test_otlp_pass_over_hostile),
        cmocka_unit_test(test_zipkin_passed_over),
        cmocka_unit_test(test_zipkin_pass_over_hostile),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
