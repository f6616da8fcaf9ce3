/* test_conformance_spans.c: every conformance input loads with the right span count.
 *
 * Each file of fixtures/conformance/{otlp,jaeger,zipkin,zipkin/linker} is cut into
 * elements the way the scanner cuts it (items of a top-level array, items of a
 * "data"/"resourceSpans"/"resource_spans"/"batches" member, "result" entered, anything
 * else whole; JSON lines one value at a time). The reader is detected from the first
 * element and must be the file's format; every element must parse. The expected counts
 * were taken independently of svcmap (python3's json module, counting spans per format)
 * and are written here by hand.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "svcmap/reader.h"
#include "svcmap/span.h"

struct expectation {
    const char *path; /* under fixtures/conformance */
    enum sm_input_format format;
    size_t spans;
};

static const struct expectation cases[] = {
    {"otlp/agent-servicegraph-trace-sample.json", SM_FORMAT_OTLP, 17},
    {"otlp/agent-servicegraph-unpaired-trace-sample.json", SM_FORMAT_OTLP, 17},
    {"otlp/jaeger-ui-otlp2jaeger-multi-in.jsonl", SM_FORMAT_OTLP, 4},
    {"otlp/kiali-tempo-bookinfo-trace.json", SM_FORMAT_OTLP, 8},
    {"otlp/otel-proto-example-trace.json", SM_FORMAT_OTLP, 1},
    {"jaeger/jaeger-ui-genai-trace.json", SM_FORMAT_JAEGER, 57},
    {"jaeger/jaeger-ui-otlp2jaeger-multi-out.json", SM_FORMAT_JAEGER, 4},
    {"jaeger/jaeger-ui-petclinic-trace.json", SM_FORMAT_JAEGER, 17},
    {"jaeger/jaeger-ui-tracegraph-testtrace.json", SM_FORMAT_JAEGER, 11},
    {"jaeger/jaeger-uimodel-ui_01.json", SM_FORMAT_JAEGER, 5},
    {"zipkin/zipkin-it-mixed-traceid.json", SM_FORMAT_ZIPKIN, 3},
    {"zipkin/zipkin-lens-messaging-kafka.json", SM_FORMAT_ZIPKIN, 28},
    {"zipkin/zipkin-lens-messaging.json", SM_FORMAT_ZIPKIN, 4},
    {"zipkin/zipkin-lens-messaging2.json", SM_FORMAT_ZIPKIN, 11},
    {"zipkin/zipkin-lens-simple-db-p6.json", SM_FORMAT_ZIPKIN, 5},
    {"zipkin/zipkin-lens-skew.json", SM_FORMAT_ZIPKIN, 4},
    {"zipkin/zipkin-lens-smartthings-mobile-web-install.json", SM_FORMAT_ZIPKIN, 1041},
    {"zipkin/zipkin-lens-smartthings-oauth-authorization.json", SM_FORMAT_ZIPKIN, 175},
    {"zipkin/zipkin-lens-yelp.json", SM_FORMAT_ZIPKIN, 16},
    {"zipkin/zipkin-testobjects-trace.json", SM_FORMAT_ZIPKIN, 4},
    {"zipkin/linker/058-should-return-empty-by-default.json", SM_FORMAT_UNKNOWN, 0},
    {"zipkin/linker/062-should-link-a-trace.json", SM_FORMAT_ZIPKIN, 4},
    {"zipkin/linker/076-sum-calls-for-each-call-to-puttrace.json", SM_FORMAT_ZIPKIN, 8},
    {"zipkin/linker/103-should-link-spans-when-server-is-missing-its-parentid.json",
     SM_FORMAT_ZIPKIN, 4},
    {"zipkin/linker/121-should-link-spans-when-client-it-never-sent.json", SM_FORMAT_ZIPKIN, 3},
    {"zipkin/linker/135-should-link-messaging-spans-by-broker.json", SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/160-should-not-conflate-messaging-when-they-have-different-broke.json",
     SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/185-should-not-link-messaging-spans-missing-broker.json", SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/206-should-not-link-producer-spans-when-missing-broker.json", SM_FORMAT_ZIPKIN,
     2},
    {"zipkin/linker/229-should-not-link-consumer-spans-when-missing-broker.json", SM_FORMAT_ZIPKIN,
     2},
    {"zipkin/linker/253-should-interpret-producer-server-as-rpc.json", SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/279-should-interpret-producer-server-as-rpc-even-sharing-id.json",
     SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/305-should-not-interpret-client-as-producer.json", SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/329-should-link-spans-directed-by-kind.json", SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/353-link-calls-to-uninstrumented-servers.json", SM_FORMAT_ZIPKIN, 3},
    {"zipkin/linker/384-link-calls-to-uninstrumented-servers-including-errors.json",
     SM_FORMAT_ZIPKIN, 3},
    {"zipkin/linker/421-link-incoming-calls-using-last-rpc-parent-as-service-name.json",
     SM_FORMAT_ZIPKIN, 3},
    {"zipkin/linker/460-should-link-single-host-spans-as-one-call.json", SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/482-should-link-single-host-spans-as-one-error.json", SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/511-should-link-shared-rpc-span-as-one-error.json", SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/540-should-prefer-server-name-in-rpc-link.json", SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/571-tolerates-missing-localendpoint-between-server-and-client.json",
     SM_FORMAT_ZIPKIN, 4},
    {"zipkin/linker/607-should-not-link-leaf-nodes-when-remote-service-name-is-unkno.json",
     SM_FORMAT_ZIPKIN, 3},
    {"zipkin/linker/635-should-create-links-when-missing-intermediate-endpoint-data.json",
     SM_FORMAT_ZIPKIN, 4},
    {"zipkin/linker/669-should-not-attribute-errors-from-uninstrumented-links.json",
     SM_FORMAT_ZIPKIN, 3},
    {"zipkin/linker/703-should-not-count-annotation-error-as-errorcount.json", SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/731-should-link-loopback.json", SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/753-should-treat-remote-service-names-missing-kind-as-rpc.json",
     SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/784-should-not-link-root-rpc-spans-missing-both-service-names.json",
     SM_FORMAT_ZIPKIN, 6},
    {"zipkin/linker/826-should-not-link-peer-spans-on-different-hosts-missing-parent.json",
     SM_FORMAT_ZIPKIN, 2},
    {"zipkin/linker/848-should-tolerate-missing-root-span.json", SM_FORMAT_ZIPKIN, 2},
};

/* What one file gave. */
struct tally {
    const struct sm_reader *reader;
    size_t spans;
    size_t elements;
    struct sm_batch batch;
};

static void element(struct tally *t, enum sm_element_ctx ctx, const char *key, const json_t *value)
{
    struct sm_element el;
    struct sm_error err;
    int rc;

    memset(&el, 0, sizeof(el));
    el.ctx = ctx;
    if (key)
        snprintf(el.key, sizeof(el.key), "%s", key);
    el.index = t->elements++;
    if (!t->reader) {
        t->reader = sm_reader_detect(&el, value);
        if (!t->reader)
            fail_msg("no reader claims element %zu", el.index);
    }
    sm_error_init(&err);
    sm_batch_reset(&t->batch);
    rc = t->reader->parse(&el, value, &t->batch, &err);
    if (rc != 0)
        fail_msg("element %zu: %s", el.index, err.text);
    t->spans += t->batch.len;
}

/* Cuts one top-level value as the scanner does. */
static void top_level(struct tally *t, const json_t *v)
{
    static const char *const members[] = {"data", "resourceSpans", "resource_spans", "batches"};
    const json_t *item, *arr, *result;
    size_t i, k;

    if (json_is_array(v)) {
        json_array_foreach(v, i, item)
        {
            element(t, SM_ELEM_ARRAY_ITEM, NULL, item);
        }
        return;
    }
    for (k = 0; k < sizeof(members) / sizeof(members[0]); k++) {
        arr = json_object_get(v, members[k]);
        if (json_is_array(arr)) {
            json_array_foreach(arr, i, item)
            {
                element(t, SM_ELEM_MEMBER_ITEM, members[k], item);
            }
            return;
        }
    }
    result = json_object_get(v, "result");
    arr = json_object_get(result, "resourceSpans");
    if (json_is_object(result) && json_is_array(arr)) {
        json_array_foreach(arr, i, item)
        {
            element(t, SM_ELEM_MEMBER_ITEM, "result.resourceSpans", item);
        }
        return;
    }
    element(t, SM_ELEM_DOCUMENT, NULL, v);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    long n = 0;

    if (!f)
        fail_msg("cannot open %s", path);
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
        fail_msg("cannot size %s", path);
    data = malloc((size_t)n + 1);
    assert_non_null(data);
    if (fread(data, 1, (size_t)n, f) != (size_t)n)
        fail_msg("cannot read %s", path);
    fclose(f);
    *len = (size_t)n;
    return data;
}

static void count_file(const char *rel, struct tally *t)
{
    char path[1024];
    size_t len, pos = 0;
    char *data;

    snprintf(path, sizeof(path), "%s/fixtures/conformance/%s", SVCMAP_SOURCE_DIR, rel);
    data = slurp(path, &len);
    for (;;) {
        json_error_t jerr;
        json_t *v;

        while (pos < len && strchr(" \t\r\n", data[pos]))
            pos++;
        if (pos == len)
            break;
        v = json_loadb(data + pos, len - pos, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &jerr);
        if (!v)
            fail_msg("%s: %s", rel, jerr.text);
        top_level(t, v);
        json_decref(v);
        pos += (size_t)jerr.position;
    }
    free(data);
}

static void test_counts(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct tally t;

        memset(&t, 0, sizeof(t));
        sm_batch_init(&t.batch);
        count_file(cases[i].path, &t);
        if (t.spans != cases[i].spans)
            fail_msg("%s: %zu spans, expected %zu", cases[i].path, t.spans, cases[i].spans);
        if ((t.reader ? t.reader->format : SM_FORMAT_UNKNOWN) != cases[i].format)
            fail_msg("%s: read as %s, expected %s", cases[i].path,
                     t.reader ? t.reader->name : "nothing", sm_format_name(cases[i].format));
        sm_batch_release(&t.batch);
    }
}

/* Parses every top-level value of a file whole with reader r, into one batch. */
static void read_whole(const char *rel, const struct sm_reader *r, struct sm_batch *b)
{
    char path[1024];
    size_t len, pos = 0;
    char *data;

    snprintf(path, sizeof(path), "%s/fixtures/conformance/%s", SVCMAP_SOURCE_DIR, rel);
    data = slurp(path, &len);
    for (;;) {
        struct sm_error err;
        json_error_t jerr;
        json_t *v;

        while (pos < len && strchr(" \t\r\n", data[pos]))
            pos++;
        if (pos == len)
            break;
        v = json_loadb(data + pos, len - pos, JSON_DISABLE_EOF_CHECK, &jerr);
        if (!v)
            fail_msg("%s: %s", rel, jerr.text);
        sm_error_init(&err);
        if (r->parse(NULL, v, b, &err) != 0)
            fail_msg("%s: %s", rel, err.text);
        json_decref(v);
        pos += (size_t)jerr.position;
    }
    free(data);
}

/* The same trace exported by the OpenTelemetry SDK and converted by Jaeger gives the same
 * spans, apart from what only one format carries (Jaeger's references, the format) and
 * the nanoseconds Jaeger's microseconds cannot hold. */
static void test_otlp_jaeger_same_spans(void **state)
{
    struct sm_batch a, b;
    size_t i;

    (void)state;
    sm_batch_init(&a);
    sm_batch_init(&b);
    read_whole("otlp/jaeger-ui-otlp2jaeger-multi-in.jsonl", &sm_reader_otlp, &a);
    read_whole("jaeger/jaeger-ui-otlp2jaeger-multi-out.json", &sm_reader_jaeger, &b);
    assert_int_equal(a.len, 4);
    assert_int_equal(b.len, 4);
    for (i = 0; i < 4; i++) {
        const struct sm_span *x = &a.spans[i], *y = &b.spans[i];

        assert_string_equal(x->trace_id, y->trace_id);
        assert_string_equal(x->span_id, y->span_id);
        if (x->parent_id || y->parent_id) {
            assert_non_null(x->parent_id);
            assert_non_null(y->parent_id);
            assert_string_equal(x->parent_id, y->parent_id);
        }
        assert_string_equal(x->service, y->service);
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->kind, y->kind);
        assert_true(x->start_ns == y->start_ns);
        assert_true(x->duration_ns / 1000 == y->duration_ns / 1000);
        assert_int_equal(x->error, y->error);
        assert_int_equal(x->http_status, y->http_status);
    }
    /* the spans are not all alike: the comparison above compared something */
    assert_string_not_equal(a.spans[0].span_id, a.spans[1].span_id);
    assert_null(a.spans[3].parent_id);
    sm_batch_release(&a);
    sm_batch_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_otlp_jaeger_same_spans),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
