/* test_readers.c: unit tests of the span record and the OTLP, Jaeger and Zipkin readers.
 *
 * Each test parses a JSON literal with jansson, hands it to a reader's parse function
 * as the scanner would (the element's context and key set by hand) and checks the
 * normalized spans field by field against values worked out by hand from the input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "svcmap/hexid.h"
#include "svcmap/reader.h"
#include "svcmap/span.h"

static struct sm_batch batch;
static struct sm_error err;

static int setup(void **state)
{
    (void)state;
    sm_batch_init(&batch);
    sm_error_init(&err);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sm_batch_release(&batch);
    return 0;
}

static json_t *load(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY, &jerr);

    if (!v)
        fail_msg("test input does not parse: %s at %d", jerr.text, jerr.position);
    return v;
}

/* Parses text with reader r as an element of context ctx (key for member items). */
static int parse_as(const struct sm_reader *r, enum sm_element_ctx ctx, const char *key,
                    const char *text)
{
    struct sm_element el;
    json_t *v = load(text);
    int rc;

    memset(&el, 0, sizeof(el));
    el.ctx = ctx;
    if (key)
        snprintf(el.key, sizeof(el.key), "%s", key);
    sm_batch_reset(&batch);
    sm_error_init(&err);
    rc = r->parse(&el, v, &batch, &err);
    json_decref(v);
    return rc;
}

static const struct sm_reader *detect(enum sm_element_ctx ctx, const char *key, const char *text)
{
    struct sm_element el;
    json_t *v = load(text);
    const struct sm_reader *r;

    memset(&el, 0, sizeof(el));
    el.ctx = ctx;
    if (key)
        snprintf(el.key, sizeof(el.key), "%s", key);
    r = sm_reader_detect(&el, v);
    json_decref(v);
    return r;
}

static void assert_str(const char *got, const char *want)
{
    if (!want) {
        if (got)
            fail_msg("expected NULL, got \"%s\"", got);
        return;
    }
    if (!got)
        fail_msg("expected \"%s\", got NULL", want);
    assert_string_equal(got, want);
}

static void assert_fails_with(int rc, const char *text)
{
    if (rc != SM_EINPUT)
        fail_msg("expected an error containing \"%s\", got status %d", text, rc);
    assert_int_equal(err.status, SM_EINPUT);
    if (!strstr(err.text, text))
        fail_msg("error \"%s\" does not contain \"%s\"", err.text, text);
}

/* The element read (rc 0) with exactly one bad span left out, whose message holds text;
 * the element's other spans are kept (kept of them). */
static void assert_skips_one(int rc, size_t kept, const char *text)
{
    if (rc != 0)
        fail_msg("expected span skipped with \"%s\", got status %d (%s)", text, rc, err.text);
    if (batch.nskips != 1)
        fail_msg("expected one skipped span, got %zu", batch.nskips);
    assert_int_equal(batch.skips[0].spans, 1);
    if (!strstr(batch.skips[0].text, text))
        fail_msg("skip \"%s\" does not contain \"%s\"", batch.skips[0].text, text);
    assert_int_equal(batch.len, kept);
}

/* ---- span.c ---- */

static void test_hex_ids(void **state)
{
    (void)state;
    assert_str(sm_batch_hex_id(&batch, "ABC"), "0000000000000abc");
    assert_str(sm_batch_hex_id(&batch, "463aC35c9F6413aD"), "463ac35c9f6413ad");
    /* 17..32 digits pad to 32 */
    assert_str(sm_batch_hex_id(&batch, "df84e36b9e2ee3815d07f0867a5be1f"),
               "0df84e36b9e2ee3815d07f0867a5be1f");
    assert_str(sm_batch_hex_id(&batch, "10000000000000000"), "00000000000000010000000000000000");
    /* all zeros and empty are absent */
    assert_null(sm_batch_hex_id(&batch, "0000000000000000"));
    assert_null(sm_batch_hex_id(&batch, "0"));
    assert_null(sm_batch_hex_id(&batch, ""));
    assert_null(sm_batch_hex_id(&batch, NULL));
    /* non-hex and over-long ids are opaque, kept byte for byte */
    assert_str(sm_batch_hex_id(&batch, "Span-1"), "Span-1");
    assert_str(sm_batch_hex_id(&batch, "000000000000000000000000000000001"),
               "000000000000000000000000000000001");
    {
        bool ok = false;

        assert_str(sm_batch_strict_hex_id(&batch, "ABC", &ok), "0000000000000abc");
        assert_true(ok);
        assert_null(sm_batch_strict_hex_id(&batch, "000", &ok));
        assert_true(ok);
        assert_null(sm_batch_strict_hex_id(&batch, "span-1", &ok));
        assert_false(ok);
        ok = true;
        assert_null(sm_batch_strict_hex_id(&batch, "000000000000000000000000000000001", &ok));
        assert_false(ok);
        ok = true;
        assert_null(sm_batch_strict_hex_id(&batch, "", &ok));
        assert_false(ok);
    }
}

/* The word-at-a-time path of 16- and 32-digit ids (hexid.h) against the plain rule: every
 * byte value at every place of an id, alone and as a neighbour of letters of both cases. */
static void test_hex_id_words(void **state)
{
    static const char lower[] = "0123456789abcdef";
    char id[33], want[33];

    (void)state;
    for (size_t len = 16; len <= 32; len += 16) {
        for (size_t at = 0; at < len; at++) {
            for (int c = 1; c < 256; c++) {
                bool ok = false, hex = true, zero = true;
                uint64_t value[2] = {0, 0};
                const char *got;

                for (size_t k = 0; k < len; k++)
                    id[k] = "0aF9fA"[(k * 7 + at) % 6];
                id[at] = (char)c;
                id[len] = '\0';
                for (size_t k = 0; k < len; k++) {
                    int d = -1;
                    unsigned char b = (unsigned char)id[k];

                    if (b >= '0' && b <= '9')
                        d = b - '0';
                    else if ((b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F'))
                        d = (b | 0x20) - 'a' + 10;
                    if (d < 0) {
                        hex = false;
                        d = 0;
                    }
                    want[k] = lower[d];
                    zero = zero && d == 0;
                    value[k / 16] = (value[k / 16] << 4) | (uint64_t)d;
                }
                want[len] = '\0';
                got = sm_batch_strict_hex_id(&batch, id, &ok);
                assert_int_equal(ok, hex);
                if (hex && !zero)
                    assert_str(got, want);
                else
                    assert_null(got);
                for (size_t w = 0; w < len; w += 8) {
                    uint64_t l = 0;
                    bool word_hex = true;

                    for (size_t k = w; k < w + 8; k++) {
                        unsigned char b = (unsigned char)id[k];

                        word_hex = word_hex && ((b >= '0' && b <= '9') || (b >= 'a' && b <= 'f') ||
                                                (b >= 'A' && b <= 'F'));
                    }
                    assert_int_equal(sm_hex_lower8(sm_hex_load8(id + w), &l), word_hex);
                    if (word_hex)
                        assert_int_equal(sm_hex_value8(l),
                                         (uint32_t)(value[w / 16] >> (w % 16 == 0 ? 32 : 0)));
                }
                /* the linker's 16 digits at a time */
                for (size_t h = 0; h < len; h += 16) {
                    uint64_t v = 0;
                    unsigned char b = (unsigned char)id[at];
                    bool half_hex = at < h || at >= h + 16 || (b >= '0' && b <= '9') ||
                                    (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F');

                    assert_int_equal(sm_hex_value16(id + h, &v), half_hex);
                    if (half_hex)
                        assert_true(v == value[h / 16]);
                }
            }
        }
    }
}

static void test_otlp_ids(void **state)
{
    (void)state;
    assert_str(sm_batch_otlp_id(&batch, "O6VWCcPN5JZJzXfR+dzZNg=="),
               "3ba55609c3cde49649cd77d1f9dcd936");
    assert_str(sm_batch_otlp_id(&batch, "Sc130fnc2TY="), "49cd77d1f9dcd936");
    /* URL-safe alphabet and no padding */
    assert_str(sm_batch_otlp_id(&batch, "Sc130fnc2TY"), "49cd77d1f9dcd936");
    assert_str(sm_batch_otlp_id(&batch, "5B8EFFF798038103D269B633813FC60C"),
               "5b8efff798038103d269b633813fc60c");
    assert_null(sm_batch_otlp_id(&batch, "AAAAAAAAAAA="));
    assert_int_equal(sm_otlp_id_size("O6VWCcPN5JZJzXfR+dzZNg=="), 16);
    assert_int_equal(sm_otlp_id_size("Sc130fnc2TY="), 8);
    assert_int_equal(sm_otlp_id_size("eee19b7ec3c1b174"), 8);
    assert_int_equal(sm_otlp_id_size("eee19b7ec3c1b17"), 0);
    assert_int_equal(sm_otlp_id_size("xyz"), 0);
    /* base64 of 9 bytes, and leftover bits that are not zero */
    assert_int_equal(sm_otlp_id_size("Sc130fnc2TYA"), 0);
    assert_int_equal(sm_otlp_id_size("Sc130fnc2TZ="), 0);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(sm_span_kind_name(SM_KIND_UNSET), "unset");
    assert_string_equal(sm_span_kind_name(SM_KIND_CONSUMER), "consumer");
    assert_string_equal(sm_format_name(SM_FORMAT_OTLP), "otlp");
    assert_string_equal(sm_format_name(SM_FORMAT_ZIPKIN_DEPS), "zipkin-deps");
    assert_int_equal(sm_format_from_name("jaeger"), SM_FORMAT_JAEGER);
    assert_int_equal(sm_format_from_name("Zipkin"), SM_FORMAT_ZIPKIN);
    assert_int_equal(sm_format_from_name("protobuf"), SM_FORMAT_UNKNOWN);
    assert_ptr_equal(sm_reader_for(SM_FORMAT_ZIPKIN), &sm_reader_zipkin);
    assert_null(sm_reader_for(SM_FORMAT_PROMETHEUS));
    assert_string_equal(sm_format_name(SM_FORMAT_ZIPKIN1), "zipkin1");
    assert_ptr_equal(sm_reader_for(sm_format_from_name("zipkin1")), &sm_reader_zipkin1);
}

static void test_span_to_json(void **state)
{
    struct sm_span *s;
    struct sm_buf buf;
    struct sm_span_ref refs[2] = {
        {SM_REF_CHILD_OF, "00000000000000000000000000000001", "0000000000000002"},
        {SM_REF_FOLLOWS_FROM, "00000000000000000000000000000003", "0000000000000004"},
    };

    (void)state;
    sm_buf_init(&buf);
    s = sm_batch_add(&batch);
    assert_int_equal(s->duration_ns, -1);
    s->trace_id = "00000000000000000000000000000001";
    s->span_id = "0000000000000005";
    s->format = SM_FORMAT_JAEGER;
    sm_span_to_json(s, &buf);
    assert_string_equal(buf.data, "{\"trace_id\":\"00000000000000000000000000000001\","
                                  "\"span_id\":\"0000000000000005\",\"format\":\"jaeger\"}");

    sm_buf_reset(&buf);
    s->parent_id = "0000000000000002";
    s->refs = refs;
    s->nrefs = 2;
    s->service = "api \"gw\"";
    s->name = "GET /";
    s->kind = SM_KIND_SERVER;
    s->start_ns = INT64_C(1711138246978000123);
    s->duration_ns = 0;
    s->has_duration = true;
    s->error = true;
    s->shared = true;
    s->remote_service = "web";
    s->peer_service = "p";
    s->db_system = "postgresql";
    s->db_namespace = "shop";
    s->db_name = "shopdb";
    s->messaging_system = "kafka";
    s->messaging_destination = "orders";
    s->server_address = "db.local";
    s->server_port = "5432";
    s->net_peer_name = "peer";
    s->http_host = "host:80";
    s->http_status = 503;
    s->service_namespace = "ns";
    s->service_version = "1.2";
    sm_span_to_json(s, &buf);
    assert_string_equal(
        buf.data,
        "{\"trace_id\":\"00000000000000000000000000000001\",\"span_id\":\"0000000000000005\","
        "\"parent_id\":\"0000000000000002\",\"refs\":[{\"type\":\"child_of\",\"trace_id\":"
        "\"00000000000000000000000000000001\",\"span_id\":\"0000000000000002\"},{\"type\":"
        "\"follows_from\",\"trace_id\":\"00000000000000000000000000000003\",\"span_id\":"
        "\"0000000000000004\"}],\"service\":\"api \\\"gw\\\"\",\"name\":\"GET /\",\"kind\":"
        "\"server\",\"start_ns\":1711138246978000123,\"duration_ns\":0,\"error\":true,"
        "\"shared\":true,\"remote_service\":\"web\",\"peer_service\":\"p\",\"db_system\":"
        "\"postgresql\",\"db_namespace\":\"shop\",\"db_name\":\"shopdb\",\"messaging_system\":"
        "\"kafka\",\"messaging_destination\":\"orders\",\"server_address\":\"db.local\","
        "\"server_port\":\"5432\",\"net_peer_name\":\"peer\",\"http_host\":\"host:80\","
        "\"http_status\":503,\"service_namespace\":\"ns\",\"service_version\":\"1.2\","
        "\"format\":\"jaeger\"}");
    sm_buf_release(&buf);
}

/* ---- OTLP ---- */

static void test_otlp_camel(void **state)
{
    const struct sm_span *s;

    (void)state;
    assert_int_equal(
        parse_as(&sm_reader_otlp, SM_ELEM_MEMBER_ITEM, "resourceSpans",
                 "{\"resource\":{\"attributes\":["
                 "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"checkout\"}},"
                 "{\"key\":\"service.namespace\",\"value\":{\"stringValue\":\"shop\"}},"
                 "{\"key\":\"service.version\",\"value\":{\"stringValue\":\"2.1.0\"}}]},"
                 "\"scopeSpans\":[{\"scope\":{\"name\":\"x\"},\"spans\":[{"
                 "\"traceId\":\"5B8EFFF798038103D269B633813FC60C\",\"spanId\":\"EEE19B7EC3C1B174\","
                 "\"parentSpanId\":\"EEE19B7EC3C1B173\",\"name\":\"SELECT\",\"kind\":3,"
                 "\"startTimeUnixNano\":\"1711138246978000000\","
                 "\"endTimeUnixNano\":\"1711138247024460625\",\"status\":{\"code\":2},"
                 "\"attributes\":["
                 "{\"key\":\"db.system.name\",\"value\":{\"stringValue\":\"postgresql\"}},"
                 "{\"key\":\"db.system\",\"value\":{\"stringValue\":\"old\"}},"
                 "{\"key\":\"db.namespace\",\"value\":{\"stringValue\":\"inventory\"}},"
                 "{\"key\":\"db.name\",\"value\":{\"stringValue\":\"invdb\"}},"
                 "{\"key\":\"peer.service\",\"value\":{\"stringValue\":\"pg\"}},"
                 "{\"key\":\"server.address\",\"value\":{\"stringValue\":\"db.local\"}},"
                 "{\"key\":\"server.port\",\"value\":{\"intValue\":5432}},"
                 "{\"key\":\"net.peer.name\",\"value\":{\"stringValue\":\"db\"}},"
                 "{\"key\":\"http.host\",\"value\":{\"stringValue\":\"h:1\"}},"
                 "{\"key\":\"http.status_code\",\"value\":{\"intValue\":\"404\"}},"
                 "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"503\"}},"
                 "{\"key\":\"flag\",\"value\":{\"boolValue\":true}},"
                 "{\"key\":\"list\",\"value\":{\"arrayValue\":{\"values\":[]}}},"
                 "{\"key\":\"ratio\",\"value\":{\"doubleValue\":0.5}}]}]}]}"),
        0);
    assert_int_equal(batch.len, 1);
    assert_int_equal(batch.format, SM_FORMAT_OTLP);
    s = &batch.spans[0];
    assert_str(s->trace_id, "5b8efff798038103d269b633813fc60c");
    assert_str(s->span_id, "eee19b7ec3c1b174");
    assert_str(s->parent_id, "eee19b7ec3c1b173");
    assert_str(s->service, "checkout");
    assert_str(s->service_namespace, "shop");
    assert_str(s->service_version, "2.1.0");
    assert_str(s->name, "SELECT");
    assert_int_equal(s->kind, SM_KIND_CLIENT);
    assert_true(s->start_ns == INT64_C(1711138246978000000));
    assert_true(s->duration_ns == INT64_C(46460625));
    assert_true(s->has_duration);
    assert_true(s->error);
    assert_str(s->db_system, "postgresql"); /* the newer name wins in either order */
    assert_str(s->db_namespace, "inventory");
    assert_str(s->db_name, "invdb");
    assert_str(s->peer_service, "pg");
    assert_str(s->server_address, "db.local");
    assert_str(s->server_port, "5432");
    assert_str(s->net_peer_name, "db");
    assert_str(s->http_host, "h:1");
    assert_int_equal(s->http_status, 503);
    assert_int_equal(s->format, SM_FORMAT_OTLP);
    assert_false(batch.whole_traces);
}

/* startTimeUnixNano as a decimal in a string, read eight digits at a time where it can
 * be (sm_read_decimal_n): the largest int64, leading zeros, exactly eight and sixteen
 * digits, and a non-digit in each of the first blocks. */
static int otlp_start(const char *start, int64_t *start_ns)
{
    char text[512];
    int rc;

    snprintf(text, sizeof(text),
             "{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\","
             "\"spanId\":\"eee19b7ec3c1b174\",\"startTimeUnixNano\":\"%s\"}]}]}",
             start);
    rc = parse_as(&sm_reader_otlp, SM_ELEM_MEMBER_ITEM, "resourceSpans", text);
    if (rc == 0 && batch.len == 1)
        *start_ns = batch.spans[0].start_ns;
    return rc == 0 && batch.len == 1 ? 0 : -1;
}

static void test_otlp_decimal_times(void **state)
{
    static const struct {
        const char *text;
        int64_t ns; /* -1: the span is refused */
    } cases[] = {
        {"9223372036854775807", INT64_MAX},
        {"9223372036854775808", -1},
        {"99999999999999999999", -1},
        {"1795698900001781000", INT64_C(1795698900001781000)},
        {"00000000000000000000001000", 1000},
        {"12345678", 12345678},
        {"1234567890123456", INT64_C(1234567890123456)},
        {"123456789", 123456789},
        {"1234567:90123456789", -1},
        {"123456789012345/789", -1},
        {"/234567890123456789", -1},
        {"12345678901234567 9", -1},
        {"0", 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t ns = -2;
        int rc = otlp_start(cases[i].text, &ns);

        if (cases[i].ns < 0) {
            if (rc == 0)
                fail_msg("start \"%s\" read as %lld", cases[i].text, (long long)ns);
        } else if (rc != 0 || ns != cases[i].ns) {
            fail_msg("start \"%s\": status %d, %lld", cases[i].text, rc, (long long)ns);
        }
    }
}

static void test_otlp_snake_enums(void **state)
{
    const struct sm_span *s;

    (void)state;
    assert_int_equal(
        parse_as(&sm_reader_otlp, SM_ELEM_MEMBER_ITEM, "resource_spans",
                 "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":"
                 "{\"string_value\":\"lb\"}}]},\"scope_spans\":[{\"spans\":["
                 "{\"trace_id\":\"0123456789abcdef0123456789abcdef\",\"span_id\":"
                 "\"0123456789abcdef\",\"parent_span_id\":\"0000000000000000\",\"kind\":"
                 "\"SPAN_KIND_SERVER\",\"start_time_unix_nano\":1000,\"end_time_unix_nano\":3500,"
                 "\"status\":{\"code\":\"STATUS_CODE_ERROR\"},\"attributes\":[{\"key\":"
                 "\"messaging.system\",\"value\":{\"string_value\":\"kafka\"}},{\"key\":"
                 "\"messaging.destination\",\"value\":{\"string_value\":\"old\"}},{\"key\":"
                 "\"messaging.destination.name\",\"value\":{\"string_value\":\"orders\"}},"
                 "{\"key\":\"http.status_code\",\"value\":{\"int_value\":200}}]},"
                 "{\"trace_id\":\"0123456789abcdef0123456789abcdef\",\"span_id\":"
                 "\"0123456789abcde0\",\"parent_span_id\":\"\",\"kind\":\"SPAN_KIND_CONSUMER\","
                 "\"status\":{\"code\":\"STATUS_CODE_OK\"}},"
                 "{\"trace_id\":\"0123456789abcdef0123456789abcdef\",\"span_id\":"
                 "\"0123456789abcde1\",\"kind\":0,\"start_time_unix_nano\":\"5\","
                 "\"end_time_unix_nano\":\"4\"}]}]}"),
        0);
    assert_int_equal(batch.len, 3);
    s = &batch.spans[0];
    assert_str(s->service, "lb");
    assert_null(s->parent_id); /* all zeros */
    assert_int_equal(s->kind, SM_KIND_SERVER);
    assert_true(s->start_ns == 1000);
    assert_true(s->duration_ns == 2500);
    assert_true(s->error);
    assert_str(s->messaging_system, "kafka");
    assert_str(s->messaging_destination, "orders");
    assert_int_equal(s->http_status, 200);
    s = &batch.spans[1];
    assert_null(s->parent_id); /* empty */
    assert_int_equal(s->kind, SM_KIND_CONSUMER);
    assert_false(s->error);
    assert_int_equal(s->start_ns, 0);
    assert_true(s->duration_ns == -1);
    s = &batch.spans[2];
    assert_int_equal(s->kind, SM_KIND_UNSET);
    assert_true(s->duration_ns == -1); /* ends before it starts: no duration */
    assert_false(s->has_duration);
}

static void test_otlp_base64_batches(void **state)
{
    const struct sm_span *s;

    (void)state;
    assert_int_equal(parse_as(&sm_reader_otlp, SM_ELEM_MEMBER_ITEM, "batches",
                              "{\"resource\":{},\"instrumentationLibrarySpans\":[{\"spans\":[{"
                              "\"traceId\":\"O6VWCcPN5JZJzXfR+dzZNg==\",\"spanId\":"
                              "\"Sc130fnc2TY=\",\"parentSpanId\":\"AAAAAAAAAAA=\",\"kind\":"
                              "\"SPAN_KIND_PRODUCER\"}]}]}"),
                     0);
    assert_int_equal(batch.len, 1);
    s = &batch.spans[0];
    assert_str(s->trace_id, "3ba55609c3cde49649cd77d1f9dcd936");
    assert_str(s->span_id, "49cd77d1f9dcd936");
    assert_null(s->parent_id);
    assert_null(s->service);
    assert_int_equal(s->kind, SM_KIND_PRODUCER);
}

static void test_otlp_document(void **state)
{
    (void)state;
    /* A whole document as one element: every resourceSpans item is read. */
    assert_int_equal(
        parse_as(&sm_reader_otlp, SM_ELEM_DOCUMENT, NULL,
                 "{\"result\":{\"resourceSpans\":["
                 "{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"0123456789abcdef0123456789abcdef\","
                 "\"spanId\":\"0000000000000001\"}]}]},"
                 "{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"0123456789abcdef0123456789abcdef\","
                 "\"spanId\":\"0000000000000002\"},{\"traceId\":"
                 "\"0123456789abcdef0123456789abcdef\",\"spanId\":\"0000000000000003\"}]}]}]}}"),
        0);
    assert_int_equal(batch.len, 3);
    assert_str(batch.spans[2].span_id, "0000000000000003");
    /* Tempo's API v2 answer */
    assert_int_equal(parse_as(&sm_reader_otlp, SM_ELEM_DOCUMENT, NULL,
                              "{\"trace\":{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{"
                              "\"traceId\":\"0123456789abcdef0123456789abcdef\",\"spanId\":"
                              "\"0000000000000001\"}]}]}]}}"),
                     0);
    assert_int_equal(batch.len, 1);
}

static void test_otlp_bad(void **state)
{
    static const char head[] = "{\"scopeSpans\":[{\"spans\":[";
    static const char good[] =
        "{\"traceId\":\"0123456789abcdef0123456789abcdef\",\"spanId\":\"0123456789abcde0\"}";
    char text[512];

    (void)state;
    /* a bad span is left out alone: the good span after it is kept */
#define BAD(span, msg)                                                                             \
    snprintf(text, sizeof(text), "%s%s,%s]}]}", head, span, good);                                 \
    assert_skips_one(parse_as(&sm_reader_otlp, SM_ELEM_MEMBER_ITEM, "resourceSpans", text),        \
                     (size_t)(strstr(span, "},{") ? 2 : 1), msg)

    BAD("{\"traceId\":\"xyz\",\"spanId\":\"0123456789abcdef\"}",
        "span 1: \"traceId\" must be 32 hex digits or base64 of 16 bytes as OTLP requires, got "
        "\"xyz\"");
    BAD("{\"traceId\":\"0123456789abcdef0123456789abcdef\",\"spanId\":\"0123456789abcdef\"},"
        "{\"traceId\":12,\"spanId\":\"0123456789abcdef\"}",
        "span 2: \"traceId\" must be 32 hex digits or base64 of 16 bytes as OTLP requires, got a "
        "number");
    BAD("{\"trace_id\":\"0123456789abcdef\",\"spanId\":\"0123456789abcdef\"}",
        "span 1: \"trace_id\" must be 32 hex digits");
    BAD("{\"traceId\":\"0123456789abcdef0123456789abcdef\"}", "span 1: \"spanId\" is missing");
    BAD("{\"traceId\":\"00000000000000000000000000000000\",\"spanId\":\"0123456789abcdef\"}",
        "span 1: \"traceId\" must not be all zeros");
    BAD("{\"traceId\":\"0123456789abcdef0123456789abcdef\",\"spanId\":\"0123456789abcdef\","
        "\"parentSpanId\":\"12\"}",
        "span 1: \"parentSpanId\" must be 16 hex digits or base64 of 8 bytes as OTLP requires, got "
        "\"12\"");
    BAD("{\"traceId\":\"0123456789abcdef0123456789abcdef\",\"spanId\":\"0123456789abcdef\","
        "\"kind\":9}",
        "span 1: \"kind\" must be 0 to 5");
    BAD("{\"traceId\":\"0123456789abcdef0123456789abcdef\",\"spanId\":\"0123456789abcdef\","
        "\"status\":{\"code\":\"BROKEN\"}}",
        "span 1: \"status.code\" must be 0 to 2");
    BAD("{\"traceId\":\"0123456789abcdef0123456789abcdef\",\"spanId\":\"0123456789abcdef\","
        "\"startTimeUnixNano\":\"12x\"}",
        "span 1: \"startTimeUnixNano\" must be a non-negative integer of nanoseconds, got \"12x\"");
    BAD("{\"traceId\":\"0123456789abcdef0123456789abcdef\",\"spanId\":\"0123456789abcdef\","
        "\"startTimeUnixNano\":\"99999999999999999999\"}",
        "\"startTimeUnixNano\" must be a non-negative integer");
    BAD("{\"traceId\":\"0123456789abcdef0123456789abcdef\",\"spanId\":\"0123456789abcdef\","
        "\"attributes\":{}}",
        "span 1: \"attributes\" must be an array");
    BAD("7", "span 1: must be an object, got a number");
#undef BAD
    assert_fails_with(parse_as(&sm_reader_otlp, SM_ELEM_MEMBER_ITEM, "resourceSpans",
                               "{\"scopeSpans\":[{\"spans\":{}}]}"),
                      "\"spans\" must be an array");
    assert_fails_with(
        parse_as(&sm_reader_otlp, SM_ELEM_MEMBER_ITEM, "resourceSpans", "{\"scope_spans\":3}"),
        "\"scope_spans\" must be an array");
    assert_fails_with(parse_as(&sm_reader_otlp, SM_ELEM_MEMBER_ITEM, "resourceSpans", "[1]"),
                      "must be an object");
    assert_fails_with(parse_as(&sm_reader_otlp, SM_ELEM_MEMBER_ITEM, "resourceSpans",
                               "{\"resource\":{\"attributes\":[{\"key\":\"a\"},{\"value\":1}]}}"),
                      "resource attribute 2 must be an object with a string \"key\"");
    assert_skips_one(parse_as(&sm_reader_jaeger, SM_ELEM_MEMBER_ITEM, "data",
                              "{\"spans\":[{\"traceID\":\"1\",\"spanID\":\"1\",\"processID\":"
                              "\"p1\"}],\"processes\":{\"p1\":{\"tags\":7}}}"),
                     0, "span 1: process \"tags\" must be an array");
    /* a resource that is bad inside a document of several items costs its own spans */
    assert_int_equal(parse_as(&sm_reader_otlp, SM_ELEM_DOCUMENT, NULL,
                              "{\"resourceSpans\":[{\"resource\":3,\"scopeSpans\":[{\"spans\":"
                              "[{},{}]}]},{\"scopeSpans\":[{\"spans\":[{\"traceId\":"
                              "\"0123456789abcdef0123456789abcdef\",\"spanId\":"
                              "\"0123456789abcdef\"}]}]}]}"),
                     0);
    assert_int_equal(batch.len, 1);
    assert_int_equal(batch.nskips, 1);
    assert_int_equal(batch.skips[0].spans, 2);
    assert_string_equal(batch.skips[0].text,
                        "resource spans item 1: \"resource\" must be an object, got a number");
}

/* ---- Jaeger ---- */

static const char jaeger_trace[] =
    "{\"traceID\":\"df84e36b9e2ee3815d07f0867a5be1f\",\"spans\":["
    /* 1: typed tags, CHILD_OF + FOLLOWS_FROM, short span id */
    "{\"traceID\":\"df84e36b9e2ee3815d07f0867a5be1f\",\"spanID\":\"ABC\","
    "\"operationName\":\"GET /owners\",\"references\":["
    "{\"refType\":\"FOLLOWS_FROM\",\"traceID\":\"df84e36b9e2ee3815d07f0867a5be1f\","
    "\"spanID\":\"1\"},"
    "{\"refType\":\"CHILD_OF\",\"traceID\":\"df84e36b9e2ee3815d07f0867a5be1f\","
    "\"spanID\":\"9afcdf2e24e8d70a\"}],"
    "\"startTime\":1573131432955376,\"duration\":2977,\"processID\":\"p1\",\"tags\":["
    "{\"key\":\"span.kind\",\"type\":\"string\",\"value\":\"client\"},"
    "{\"key\":\"error\",\"type\":\"bool\",\"value\":true},"
    "{\"key\":\"http.status_code\",\"type\":\"int64\",\"value\":\"500\"},"
    "{\"key\":\"peer.service\",\"type\":\"string\",\"value\":\"owners\"}]},"
    /* 2: untyped tags, string "true", otel.status_code */
    "{\"spanID\":\"2\",\"operationName\":\"b\",\"references\":[{\"refType\":\"FOLLOWS_FROM\","
    "\"traceID\":\"df84e36b9e2ee3815d07f0867a5be1f\",\"spanID\":\"ABC\"}],\"processID\":\"p2\","
    "\"tags\":[{\"key\":\"span.kind\",\"value\":\"SERVER\"},{\"key\":\"otel.status_code\","
    "\"value\":\"ERROR\"},{\"key\":\"db.system\",\"value\":\"redis\"}]},"
    /* 3: error "false", error tag of type bool with string value, older parentSpanID */
    "{\"traceID\":\"df84e36b9e2ee3815d07f0867a5be1f\",\"spanID\":\"3\",\"parentSpanID\":\"2\","
    "\"process\":{\"serviceName\":\"inline\"},\"tags\":[{\"key\":\"error\",\"type\":\"bool\","
    "\"value\":\"false\"},{\"key\":\"span.kind\",\"value\":\"producer\"}]},"
    /* 4: reference into another trace only */
    "{\"spanID\":\"4\",\"references\":[{\"refType\":\"CHILD_OF\",\"traceID\":\"ffff\","
    "\"spanID\":\"5\"}],\"tags\":[{\"key\":\"error\",\"type\":\"bool\",\"value\":\"true\"}]}"
    "],\"processes\":{\"p1\":{\"serviceName\":\"api-gateway\",\"tags\":["
    "{\"key\":\"service.namespace\",\"type\":\"string\",\"value\":\"petclinic\"},"
    "{\"key\":\"service.version\",\"value\":\"3\"}]},"
    "\"p2\":{\"serviceName\":\"customers\"}}}";

static void test_jaeger_trace(void **state)
{
    const struct sm_span *s;

    (void)state;
    assert_int_equal(parse_as(&sm_reader_jaeger, SM_ELEM_MEMBER_ITEM, "data", jaeger_trace), 0);
    assert_int_equal(batch.len, 4);
    assert_true(batch.whole_traces);
    assert_int_equal(batch.format, SM_FORMAT_JAEGER);

    s = &batch.spans[0];
    assert_str(s->trace_id, "0df84e36b9e2ee3815d07f0867a5be1f"); /* 31 digits, padded */
    assert_str(s->span_id, "0000000000000abc");
    assert_int_equal(s->nrefs, 2);
    assert_int_equal(s->refs[0].type, SM_REF_FOLLOWS_FROM);
    assert_str(s->refs[0].span_id, "0000000000000001");
    assert_int_equal(s->refs[1].type, SM_REF_CHILD_OF);
    assert_str(s->parent_id, "9afcdf2e24e8d70a"); /* CHILD_OF wins over an earlier ref */
    assert_str(s->name, "GET /owners");
    assert_true(s->start_ns == INT64_C(1573131432955376000));
    assert_true(s->duration_ns == 2977000);
    assert_int_equal(s->kind, SM_KIND_CLIENT);
    assert_true(s->error);
    assert_int_equal(s->http_status, 500);
    assert_str(s->peer_service, "owners");
    assert_str(s->service, "api-gateway");
    assert_str(s->service_namespace, "petclinic");
    assert_str(s->service_version, "3");
    assert_int_equal(s->format, SM_FORMAT_JAEGER);

    s = &batch.spans[1];
    assert_str(s->trace_id, "0df84e36b9e2ee3815d07f0867a5be1f"); /* from the trace */
    assert_str(s->parent_id, "0000000000000abc");                /* FOLLOWS_FROM only */
    assert_str(s->refs[0].trace_id, "0df84e36b9e2ee3815d07f0867a5be1f");
    assert_int_equal(s->kind, SM_KIND_SERVER);
    assert_true(s->error);
    assert_str(s->db_system, "redis");
    assert_str(s->service, "customers");
    assert_null(s->service_namespace);
    assert_true(s->duration_ns == -1);

    s = &batch.spans[2];
    assert_str(s->parent_id, "0000000000000002");
    assert_int_equal(s->nrefs, 0);
    assert_false(s->error);
    assert_int_equal(s->kind, SM_KIND_PRODUCER);
    assert_str(s->service, "inline");

    s = &batch.spans[3];
    assert_str(s->parent_id, "0000000000000005");
    assert_str(s->refs[0].trace_id, "000000000000ffff");
    assert_true(s->error);
    assert_null(s->service);
}

static void test_jaeger_opaque_and_shapes(void **state)
{
    static const char trace[] =
        "{\"traceID\":\"trace-123\",\"spans\":[{\"traceID\":\"trace-123\",\"spanID\":\"Span-1\","
        "\"references\":[],\"processID\":\"p1\"}],\"processes\":{\"p1\":{\"serviceName\":"
        "\"service1\"}}}";
    char text[1024];

    (void)state;
    assert_int_equal(parse_as(&sm_reader_jaeger, SM_ELEM_DOCUMENT, NULL, trace), 0);
    assert_int_equal(batch.len, 1);
    assert_str(batch.spans[0].trace_id, "trace-123");
    assert_str(batch.spans[0].span_id, "Span-1");
    assert_null(batch.spans[0].parent_id);
    /* a whole {"data": [...]} document and a top-level array of traces */
    snprintf(text, sizeof(text), "{\"data\":[%s,%s]}", trace, trace);
    assert_int_equal(parse_as(&sm_reader_jaeger, SM_ELEM_DOCUMENT, NULL, text), 0);
    assert_int_equal(batch.len, 2);
    snprintf(text, sizeof(text), "[%s,%s,%s]", trace, trace, trace);
    assert_int_equal(parse_as(&sm_reader_jaeger, SM_ELEM_DOCUMENT, NULL, text), 0);
    assert_int_equal(batch.len, 3);
}

static void test_jaeger_bad(void **state)
{
    (void)state;
    assert_fails_with(parse_as(&sm_reader_jaeger, SM_ELEM_MEMBER_ITEM, "data",
                               "{\"traceID\":\"1\",\"spans\":{}}"),
                      "\"spans\" must be an array, got an object");
    assert_fails_with(
        parse_as(&sm_reader_jaeger, SM_ELEM_MEMBER_ITEM, "data", "{\"traceID\":\"1\"}"),
        "\"spans\" is missing");
    /* a bad span costs only itself: the trace keeps the others */
    assert_skips_one(parse_as(&sm_reader_jaeger, SM_ELEM_MEMBER_ITEM, "data",
                              "{\"traceID\":\"1\",\"spans\":[{\"traceID\":\"1\",\"spanID\":\"1\"},"
                              "{\"traceID\":\"1\",\"spanID\":7}]}"),
                     1, "span 2: \"spanID\" must be a string, got a number");
    assert_skips_one(parse_as(&sm_reader_jaeger, SM_ELEM_MEMBER_ITEM, "data",
                              "{\"spans\":[{\"spanID\":\"1\"}]}"),
                     0, "span 1: \"traceID\" is missing");
    assert_skips_one(parse_as(&sm_reader_jaeger, SM_ELEM_MEMBER_ITEM, "data",
                              "{\"traceID\":\"1\",\"spans\":[{\"traceID\":\"1\"}]}"),
                     0, "span 1: \"spanID\" is missing");
    assert_skips_one(parse_as(&sm_reader_jaeger, SM_ELEM_MEMBER_ITEM, "data",
                              "{\"traceID\":\"1\",\"spans\":[{\"spanID\":\"1\",\"startTime\":"
                              "\"yesterday\"}]}"),
                     0, "span 1: \"startTime\" must be a non-negative integer of microseconds");
    assert_skips_one(parse_as(&sm_reader_jaeger, SM_ELEM_MEMBER_ITEM, "data",
                              "{\"traceID\":\"1\",\"spans\":[{\"spanID\":\"1\",\"duration\":"
                              "9223372036854776}]}"),
                     0, "\"duration\" must be a non-negative integer of microseconds");
    assert_skips_one(
        parse_as(&sm_reader_jaeger, SM_ELEM_MEMBER_ITEM, "data",
                 "{\"traceID\":\"1\",\"spans\":[{\"spanID\":\"1\",\"tags\":[{\"value\":"
                 "1}]}]}"),
        0, "span 1: tag 1 must be an object with a string \"key\"");
    assert_skips_one(parse_as(&sm_reader_jaeger, SM_ELEM_MEMBER_ITEM, "data",
                              "{\"traceID\":\"1\",\"spans\":[{\"spanID\":\"1\",\"references\":[{"
                              "\"refType\":\"SIBLING\",\"spanID\":\"2\"}]}]}"),
                     0, "span 1: reference 1: \"refType\" must be CHILD_OF or FOLLOWS_FROM");
    assert_fails_with(parse_as(&sm_reader_jaeger, SM_ELEM_MEMBER_ITEM, "data",
                               "{\"traceID\":\"1\",\"spans\":[],\"processes\":[]}"),
                      "\"processes\" must be an object");
}

/* ---- Zipkin ---- */

static void test_zipkin_span(void **state)
{
    const struct sm_span *s;

    (void)state;
    assert_int_equal(
        parse_as(&sm_reader_zipkin, SM_ELEM_ARRAY_ITEM, NULL,
                 "{\"traceId\":\"7180C278B62E8F6A216A2AEA45D08FC9\",\"parentId\":\"1\","
                 "\"id\":\"2\",\"kind\":\"CLIENT\",\"name\":\"get\",\"timestamp\":"
                 "1795651200050000,\"duration\":200000,\"localEndpoint\":{\"serviceName\":"
                 "\"frontend\",\"ipv4\":\"127.0.0.1\"},\"remoteEndpoint\":{\"serviceName\":"
                 "\"backend\",\"ipv4\":\"192.168.99.101\",\"port\":9000},\"annotations\":[{"
                 "\"timestamp\":1795651200100000,\"value\":\"error\"}],\"tags\":{"
                 "\"http.status_code\":\"404\",\"http.host\":\"backend:9000\","
                 "\"service.namespace\":\"shop\",\"service.version\":\"1.0\"}}"),
        0);
    assert_int_equal(batch.len, 1);
    assert_false(batch.whole_traces);
    assert_int_equal(batch.format, SM_FORMAT_ZIPKIN);
    s = &batch.spans[0];
    assert_str(s->trace_id, "7180c278b62e8f6a216a2aea45d08fc9");
    assert_str(s->parent_id, "0000000000000001");
    assert_str(s->span_id, "0000000000000002");
    assert_int_equal(s->kind, SM_KIND_CLIENT);
    assert_str(s->name, "get");
    assert_true(s->start_ns == INT64_C(1795651200050000000));
    assert_true(s->duration_ns == INT64_C(200000000));
    assert_str(s->service, "frontend");
    assert_str(s->remote_service, "backend");
    assert_null(s->server_address); /* the remote has a service name */
    assert_false(s->error);         /* an annotation "error" is not an error */
    assert_false(s->shared);
    assert_int_equal(s->http_status, 404);
    assert_str(s->http_host, "backend:9000");
    assert_str(s->service_namespace, "shop");
    assert_str(s->service_version, "1.0");
    assert_int_equal(s->format, SM_FORMAT_ZIPKIN);
}

static void test_zipkin_errors_and_trace(void **state)
{
    const struct sm_span *s;

    (void)state;
    /* an inner array of /api/v2/traces: one trace */
    assert_int_equal(
        parse_as(&sm_reader_zipkin, SM_ELEM_ARRAY_ITEM, NULL,
                 "[{\"traceId\":\"a\",\"id\":\"b\",\"kind\":\"SERVER\",\"shared\":true,"
                 "\"tags\":{\"error\":true}},"
                 "{\"traceId\":\"a\",\"id\":\"c\",\"tags\":{\"error\":\"\"}},"
                 "{\"traceId\":\"a\",\"id\":\"d\",\"tags\":{\"error\":\"false\"}},"
                 "{\"traceId\":\"a\",\"id\":\"e\",\"tags\":{\"error\":null}},"
                 "{\"traceId\":\"a\",\"id\":\"f\",\"kind\":\"CLIENT\",\"remoteEndpoint\":{"
                 "\"ipv4\":\"10.0.0.3\",\"port\":9042}},"
                 "{\"traceId\":\"a\",\"id\":\"10\",\"kind\":\"SERVER\",\"remoteEndpoint\":{"
                 "\"ipv6\":\"::1\",\"port\":5}},"
                 "{\"traceId\":\"a\",\"id\":\"11\",\"kind\":\"producer\",\"remoteEndpoint\":{"
                 "\"ipv6\":\"::1\"},\"tags\":{\"messaging.system\":\"kafka\"}}]"),
        0);
    assert_int_equal(batch.len, 7);
    assert_true(batch.whole_traces);
    s = &batch.spans[0];
    assert_str(s->trace_id, "000000000000000a"); /* 64-bit, padded */
    assert_str(s->span_id, "000000000000000b");
    assert_null(s->parent_id);
    assert_int_equal(s->kind, SM_KIND_SERVER);
    assert_true(s->shared);
    assert_true(s->error);              /* JSON true */
    assert_true(batch.spans[1].error);  /* empty string */
    assert_true(batch.spans[2].error);  /* any value, even "false" */
    assert_false(batch.spans[3].error); /* null is absent */
    s = &batch.spans[4];
    assert_null(s->remote_service);
    assert_str(s->server_address, "10.0.0.3");
    assert_str(s->server_port, "9042");
    s = &batch.spans[5];
    assert_null(s->server_address); /* a server's remote endpoint is its caller */
    s = &batch.spans[6];
    assert_int_equal(s->kind, SM_KIND_PRODUCER);
    assert_str(s->server_address, "::1");
    assert_null(s->server_port);
    assert_str(s->messaging_system, "kafka");

    /* a whole /api/v2/traces document */
    assert_int_equal(parse_as(&sm_reader_zipkin, SM_ELEM_DOCUMENT, NULL,
                              "[[{\"traceId\":\"a\",\"id\":\"b\"}],[],[{\"traceId\":\"c\","
                              "\"id\":\"d\"},{\"traceId\":\"c\",\"id\":\"e\"}]]"),
                     0);
    assert_int_equal(batch.len, 3);
    assert_true(batch.whole_traces);
}

static void test_zipkin_bad(void **state)
{
    (void)state;
    /* a span that is the element is a bad record */
    assert_fails_with(
        parse_as(&sm_reader_zipkin, SM_ELEM_ARRAY_ITEM, NULL, "{\"traceId\":12,\"id\":\"1\"}"),
        "span 1: \"traceId\" must be a string, got a number");
    /* ids that are not hex are opaque ids (DESIGN edge rule 1), hex ones normalized */
    assert_int_equal(
        parse_as(&sm_reader_zipkin, SM_ELEM_ARRAY_ITEM, NULL,
                 "{\"traceId\":\"xyz\",\"id\":\"Span-1\",\"parentId\":\"12345678901234567\"}"),
        0);
    assert_int_equal(batch.len, 1);
    assert_str(batch.spans[0].trace_id, "xyz");
    assert_str(batch.spans[0].span_id, "Span-1");
    assert_str(batch.spans[0].parent_id, "00000000000000012345678901234567");
    assert_fails_with(parse_as(&sm_reader_zipkin, SM_ELEM_ARRAY_ITEM, NULL, "{\"traceId\":\"1\"}"),
                      "span 1: \"id\" is missing");
    /* in a trace, a bad span costs only itself */
    assert_skips_one(
        parse_as(&sm_reader_zipkin, SM_ELEM_ARRAY_ITEM, NULL,
                 "[{\"traceId\":\"1\",\"id\":\"1\"},{\"traceId\":\"1\",\"id\":\"2\","
                 "\"kind\":\"SIDEWAYS\"}]"),
        1, "span 2: \"kind\" must be CLIENT, SERVER, PRODUCER or CONSUMER, got \"SIDEWAYS\"");
    assert_fails_with(parse_as(&sm_reader_zipkin, SM_ELEM_ARRAY_ITEM, NULL,
                               "{\"traceId\":\"1\",\"id\":\"1\",\"timestamp\":\"soon\"}"),
                      "span 1: \"timestamp\" must be a non-negative integer of microseconds");
    assert_fails_with(parse_as(&sm_reader_zipkin, SM_ELEM_ARRAY_ITEM, NULL,
                               "{\"traceId\":\"1\",\"id\":\"1\",\"tags\":[]}"),
                      "span 1: \"tags\" must be an object, got an array");
    assert_fails_with(parse_as(&sm_reader_zipkin, SM_ELEM_ARRAY_ITEM, NULL,
                               "{\"traceId\":\"1\",\"id\":\"1\",\"shared\":\"yes\"}"),
                      "span 1: \"shared\" must be a boolean");
    assert_fails_with(parse_as(&sm_reader_zipkin, SM_ELEM_ARRAY_ITEM, NULL,
                               "{\"traceId\":\"1\",\"id\":\"1\",\"localEndpoint\":\"x\"}"),
                      "span 1: \"localEndpoint\" must be an object");
    assert_fails_with(parse_as(&sm_reader_zipkin, SM_ELEM_ARRAY_ITEM, NULL, "\"span\""),
                      "must be an object");
}

/* ---- Zipkin v1 ---- */

/* One v1 span holding both halves of an RPC, logged by two hosts: two v2 spans, the
 * server half shared, each with its own times and remote end, as V1SpanConverter. */
static void test_zipkin1_shared(void **state)
{
    const struct sm_span *c, *s;

    (void)state;
    assert_int_equal(
        parse_as(&sm_reader_zipkin1, SM_ELEM_ARRAY_ITEM, NULL,
                 "{\"traceId\":\"48485a3953bb6124\",\"id\":\"6b221d5bc9e6496c\","
                 "\"parentId\":\"48485a3953bb6124\",\"name\":\"get\",\"timestamp\":1000,"
                 "\"duration\":900,\"annotations\":["
                 "{\"timestamp\":1900,\"value\":\"cr\",\"endpoint\":{\"serviceName\":\"web\"}},"
                 "{\"timestamp\":1000,\"value\":\"cs\",\"endpoint\":{\"serviceName\":\"web\"}},"
                 "{\"timestamp\":1100,\"value\":\"sr\",\"endpoint\":{\"serviceName\":\"app\","
                 "\"ipv4\":\"10.0.0.2\",\"port\":8080}},"
                 "{\"timestamp\":1700,\"value\":\"ss\",\"endpoint\":{\"serviceName\":\"app\","
                 "\"ipv4\":\"10.0.0.2\",\"port\":8080}},"
                 "{\"timestamp\":1500,\"value\":\"error\",\"endpoint\":{\"serviceName\":\"app\"}}],"
                 "\"binaryAnnotations\":["
                 "{\"key\":\"sa\",\"value\":true,\"endpoint\":{\"serviceName\":\"app\"}},"
                 "{\"key\":\"ca\",\"value\":true,\"endpoint\":{\"serviceName\":\"web\","
                 "\"ipv4\":\"10.0.0.1\"}},"
                 "{\"key\":\"http.status_code\",\"value\":\"503\",\"endpoint\":{\"serviceName\":"
                 "\"app\"}},"
                 "{\"key\":\"otel.status_code\",\"value\":\"ERROR\",\"endpoint\":{\"serviceName\":"
                 "\"web\"}},"
                 "{\"key\":\"retries\",\"value\":3,\"endpoint\":{\"serviceName\":\"web\"}}]}"),
        0);
    assert_int_equal(batch.len, 2);
    assert_int_equal(batch.format, SM_FORMAT_ZIPKIN1);
    assert_false(batch.whole_traces);
    c = &batch.spans[0];
    s = &batch.spans[1];
    assert_str(c->span_id, "6b221d5bc9e6496c");
    assert_str(c->parent_id, "48485a3953bb6124");
    assert_str(c->service, "web");
    assert_int_equal(c->kind, SM_KIND_CLIENT);
    assert_false(c->shared);
    assert_true(c->start_ns == 1000000 && c->duration_ns == 900000); /* the span's own */
    assert_str(c->remote_service, "app");                            /* sa */
    assert_true(c->error);                                           /* otel.status_code */
    assert_str(s->span_id, "6b221d5bc9e6496c");
    assert_str(s->service, "app");
    assert_int_equal(s->kind, SM_KIND_SERVER);
    assert_true(s->shared);
    assert_true(s->start_ns == 1100000 && s->duration_ns == 600000); /* sr, ss - sr */
    assert_str(s->remote_service, "web");                            /* ca */
    assert_str(s->local_address, "10.0.0.2||8080");
    assert_int_equal(s->http_status, 503);
    assert_false(s->error); /* the "error" annotation is not; a numeric tag is dropped */
    assert_int_equal(s->format, SM_FORMAT_ZIPKIN1);
}

static void test_zipkin1_shapes(void **state)
{
    const struct sm_span *s;

    (void)state;
    /* loopback: client and server halves logged by one service are two spans */
    assert_int_equal(
        parse_as(&sm_reader_zipkin1, SM_ELEM_ARRAY_ITEM, NULL,
                 "{\"traceId\":\"a\",\"id\":\"b\",\"annotations\":["
                 "{\"timestamp\":1,\"value\":\"cs\",\"endpoint\":{\"serviceName\":\"loop\"}},"
                 "{\"timestamp\":2,\"value\":\"sr\",\"endpoint\":{\"serviceName\":\"loop\"}},"
                 "{\"timestamp\":3,\"value\":\"ss\",\"endpoint\":{\"serviceName\":\"loop\"}},"
                 "{\"timestamp\":4,\"value\":\"cr\",\"endpoint\":{\"serviceName\":\"loop\"}}],"
                 "\"binaryAnnotations\":[{\"key\":\"ca\",\"value\":true,\"endpoint\":{"
                 "\"serviceName\":\"loop\",\"port\":5000}}]}"),
        0);
    assert_int_equal(batch.len, 2);
    assert_int_equal(batch.spans[0].kind, SM_KIND_CLIENT);
    assert_true(batch.spans[0].duration_ns == 3000);
    assert_int_equal(batch.spans[1].kind, SM_KIND_SERVER);
    assert_true(batch.spans[1].shared);
    /* Finagle's "ca" under the server's own name would go to the server half, which in a
     * loopback is found as the client part: its service name is dropped, no loopback */
    assert_null(batch.spans[0].remote_service);

    /* no core annotations: "ca" and "sa" make ca's part call sa; "lc" names the host */
    assert_int_equal(
        parse_as(&sm_reader_zipkin1, SM_ELEM_ARRAY_ITEM, NULL,
                 "[{\"traceId\":\"a\",\"id\":\"c\",\"binaryAnnotations\":["
                 "{\"key\":\"sa\",\"value\":true,\"endpoint\":{\"serviceName\":\"db\"}},"
                 "{\"key\":\"ca\",\"value\":true,\"endpoint\":{\"serviceName\":\"app\"}}]},"
                 "{\"traceId\":\"a\",\"id\":\"d\",\"binaryAnnotations\":["
                 "{\"key\":\"ca\",\"value\":true,\"endpoint\":{\"serviceName\":\"web\"}}]},"
                 "{\"traceId\":\"a\",\"id\":\"e\",\"timestamp\":7,\"duration\":3,"
                 "\"binaryAnnotations\":[{\"key\":\"lc\",\"value\":\"\",\"endpoint\":{"
                 "\"serviceName\":\"app\"}}]},"
                 "{\"traceId\":\"a\",\"id\":\"f\",\"annotations\":["
                 "{\"timestamp\":10,\"value\":\"cs\",\"endpoint\":{\"serviceName\":\"app\"}}],"
                 "\"binaryAnnotations\":[{\"key\":\"sa\",\"value\":true,\"endpoint\":{"
                 "\"ipv4\":\"10.1.2.3\",\"port\":5432}}]},"
                 "{\"traceId\":\"a\",\"id\":\"10\",\"annotations\":["
                 "{\"timestamp\":10,\"value\":\"ms\",\"endpoint\":{\"serviceName\":\"app\"}},"
                 "{\"timestamp\":30,\"value\":\"mr\",\"endpoint\":{\"serviceName\":\"worker\"}}],"
                 "\"binaryAnnotations\":[{\"key\":\"ma\",\"value\":true,\"endpoint\":{"
                 "\"serviceName\":\"kafka\"}}]}]"),
        0);
    assert_true(batch.whole_traces);
    assert_int_equal(batch.len, 6);
    s = &batch.spans[0];
    assert_str(s->service, "app");
    assert_int_equal(s->kind, SM_KIND_UNSET);
    assert_str(s->remote_service, "db");
    s = &batch.spans[1];
    assert_null(s->service);
    assert_int_equal(s->kind, SM_KIND_SERVER);
    assert_str(s->remote_service, "web");
    s = &batch.spans[2];
    assert_str(s->service, "app");
    assert_int_equal(s->kind, SM_KIND_UNSET);
    assert_true(s->start_ns == 7000 && s->duration_ns == 3000);
    s = &batch.spans[3];
    assert_int_equal(s->kind, SM_KIND_CLIENT);
    assert_false(s->has_duration); /* cs alone: a one-way call */
    assert_str(s->server_address, "10.1.2.3");
    assert_str(s->server_port, "5432");
    s = &batch.spans[4];
    assert_int_equal(s->kind, SM_KIND_PRODUCER);
    assert_str(s->service, "app");
    assert_str(s->remote_service, "kafka");
    s = &batch.spans[5];
    assert_int_equal(s->kind, SM_KIND_CONSUMER);
    assert_str(s->service, "worker");
    assert_true(s->shared);
    assert_str(s->remote_service, "kafka");
    assert_true(s->start_ns == 30000);
}

static void test_zipkin1_bad(void **state)
{
    (void)state;
    assert_fails_with(parse_as(&sm_reader_zipkin1, SM_ELEM_ARRAY_ITEM, NULL,
                               "{\"traceId\":[],\"id\":\"1\",\"annotations\":[]}"),
                      "span 1: \"traceId\" must be a string, got an array");
    /* ids that are not hex are opaque ids, as in v2 */
    assert_int_equal(parse_as(&sm_reader_zipkin1, SM_ELEM_ARRAY_ITEM, NULL,
                              "{\"traceId\":\"xyz\",\"id\":\"1\",\"annotations\":[]}"),
                     0);
    assert_int_equal(batch.len, 1);
    assert_str(batch.spans[0].trace_id, "xyz");
    /* in a trace, a bad span costs only itself */
    assert_skips_one(parse_as(&sm_reader_zipkin1, SM_ELEM_ARRAY_ITEM, NULL,
                              "[{\"traceId\":\"1\",\"id\":\"1\"},{\"traceId\":\"1\",\"id\":2}]"),
                     1, "span 2: \"id\" must be a string, got a number");
    assert_fails_with(parse_as(&sm_reader_zipkin1, SM_ELEM_ARRAY_ITEM, NULL,
                               "{\"traceId\":\"1\",\"id\":\"1\",\"annotations\":[{\"value\":"
                               "\"cs\"}]}"),
                      "span 1: annotation 1 needs a \"timestamp\" and a string \"value\"");
    assert_fails_with(parse_as(&sm_reader_zipkin1, SM_ELEM_ARRAY_ITEM, NULL,
                               "{\"traceId\":\"1\",\"id\":\"1\",\"annotations\":[{\"timestamp\":"
                               "-4,\"value\":\"cs\"}]}"),
                      "span 1: annotation 1: \"timestamp\" must be a non-negative integer");
    assert_fails_with(parse_as(&sm_reader_zipkin1, SM_ELEM_ARRAY_ITEM, NULL,
                               "{\"traceId\":\"1\",\"id\":\"1\",\"binaryAnnotations\":[{"
                               "\"value\":\"x\"}]}"),
                      "span 1: binary annotation 1 needs a string \"key\"");
    assert_fails_with(parse_as(&sm_reader_zipkin1, SM_ELEM_ARRAY_ITEM, NULL,
                               "{\"traceId\":\"1\",\"id\":\"1\",\"binaryAnnotations\":[{\"key\":"
                               "\"sa\",\"value\":true,\"endpoint\":{\"serviceName\":7}}]}"),
                      "span 1: binary annotation 1: \"endpoint.serviceName\" must be a string");
    assert_fails_with(parse_as(&sm_reader_zipkin1, SM_ELEM_ARRAY_ITEM, NULL,
                               "{\"traceId\":\"1\",\"id\":\"1\",\"annotations\":{}}"),
                      "span 1: \"annotations\" must be an array");
    assert_fails_with(parse_as(&sm_reader_zipkin1, SM_ELEM_ARRAY_ITEM, NULL,
                               "[[{\"traceId\":\"1\",\"id\":\"1\"}],7]"),
                      "trace 2 must be an array of spans, got a number");
}

/* ---- detection ---- */

static void test_detect(void **state)
{
    (void)state;
    assert_ptr_equal(
        detect(SM_ELEM_MEMBER_ITEM, "resourceSpans", "{\"resource\":{},\"scopeSpans\":[]}"),
        &sm_reader_otlp);
    assert_ptr_equal(detect(SM_ELEM_MEMBER_ITEM, "batches", "{\"resource\":{},\"scopeSpans\":[]}"),
                     &sm_reader_otlp);
    assert_ptr_equal(
        detect(SM_ELEM_MEMBER_ITEM, "result.resourceSpans", "{\"resource\":{},\"scope_spans\":[]}"),
        &sm_reader_otlp);
    assert_ptr_equal(detect(SM_ELEM_DOCUMENT, NULL, "{\"resourceSpans\":[]}"), &sm_reader_otlp);
    assert_ptr_equal(detect(SM_ELEM_DOCUMENT, NULL, "{\"trace\":{\"resourceSpans\":[]}}"),
                     &sm_reader_otlp);
    assert_ptr_equal(
        detect(SM_ELEM_MEMBER_ITEM, "data", "{\"traceID\":\"1\",\"spans\":[],\"processes\":{}}"),
        &sm_reader_jaeger);
    assert_ptr_equal(detect(SM_ELEM_ARRAY_ITEM, NULL, "{\"traceID\":\"1\",\"spans\":[]}"),
                     &sm_reader_jaeger);
    assert_ptr_equal(
        detect(SM_ELEM_DOCUMENT, NULL, "{\"traceID\":\"1\",\"spans\":[{\"spanID\":\"1\"}]}"),
        &sm_reader_jaeger);
    assert_ptr_equal(detect(SM_ELEM_ARRAY_ITEM, NULL, "{\"traceId\":\"1\",\"id\":\"2\"}"),
                     &sm_reader_zipkin);
    assert_ptr_equal(detect(SM_ELEM_ARRAY_ITEM, NULL, "[{\"traceId\":\"1\",\"id\":\"2\"}]"),
                     &sm_reader_zipkin);
    /* OTLP's scopeSpans item has "spans" too, but no Jaeger marks */
    assert_ptr_equal(
        detect(SM_ELEM_ARRAY_ITEM, NULL, "{\"scopeSpans\":[{\"spans\":[{\"spanId\":\"1\"}]}]}"),
        &sm_reader_otlp);
    /* pre-aggregated dependency links are left to their own reader */
    assert_null(detect(SM_ELEM_ARRAY_ITEM, NULL,
                       "{\"parent\":\"a\",\"child\":\"b\",\"callCount\":3,\"errorCount\":1}"));
    assert_null(
        detect(SM_ELEM_MEMBER_ITEM, "data", "{\"parent\":\"a\",\"child\":\"b\",\"callCount\":3}"));
    assert_null(detect(SM_ELEM_DOCUMENT, NULL, "{\"schema\":\"svcmap.map/v1\",\"nodes\":[]}"));
    assert_null(detect(SM_ELEM_DOCUMENT, NULL, "42"));
    /* Jaeger: one span standing alone (jaeger-anonymizer), the UI's fetched-trace state */
    assert_ptr_equal(
        detect(SM_ELEM_ARRAY_ITEM, NULL, "{\"traceID\":\"1\",\"spanID\":\"2\",\"process\":{}}"),
        &sm_reader_jaeger);
    assert_ptr_equal(detect(SM_ELEM_DOCUMENT, NULL,
                            "{\"data\":{\"traceID\":\"1\",\"spans\":[]},\"id\":\"1\","
                            "\"state\":\"FETCH_DONE\"}"),
                     &sm_reader_jaeger);
    /* Zipkin v1: binary annotations, or annotations logged by an endpoint */
    assert_ptr_equal(detect(SM_ELEM_ARRAY_ITEM, NULL,
                            "{\"traceId\":\"1\",\"id\":\"2\",\"binaryAnnotations\":[]}"),
                     &sm_reader_zipkin1);
    assert_ptr_equal(detect(SM_ELEM_ARRAY_ITEM, NULL,
                            "[{\"traceId\":\"1\",\"id\":\"2\",\"annotations\":[{"
                            "\"timestamp\":1,\"value\":\"sr\",\"endpoint\":{}}]}]"),
                     &sm_reader_zipkin1);
    /* v2 annotations have no endpoint; a v2 field makes it v2 whatever else is there */
    assert_ptr_equal(detect(SM_ELEM_ARRAY_ITEM, NULL,
                            "{\"traceId\":\"1\",\"id\":\"2\",\"annotations\":[{"
                            "\"timestamp\":1,\"value\":\"x\"}]}"),
                     &sm_reader_zipkin);
    assert_ptr_equal(detect(SM_ELEM_ARRAY_ITEM, NULL,
                            "{\"traceId\":\"1\",\"id\":\"2\",\"kind\":\"CLIENT\","
                            "\"binaryAnnotations\":[]}"),
                     &sm_reader_zipkin);
}

/* ---- hostile values everywhere ---- */

/* Replaces the n-th value of root (pre-order, root is 0) by `with` in place; returns the
 * new root (with itself when n is 0). *n counts down as values are passed. */
static json_t *replace_nth(json_t *root, size_t *n, json_t *with)
{
    const char *key;
    json_t *child;
    size_t i;

    if ((*n)-- == 0)
        return with;
    if (json_is_object(root)) {
        json_object_foreach(root, key, child)
        {
            json_t *r = replace_nth(child, n, with);

            if (r != child) {
                json_object_set(root, key, r);
                return root;
            }
            if (*n == (size_t)-1)
                return root;
        }
    } else if (json_is_array(root)) {
        json_array_foreach(root, i, child)
        {
            json_t *r = replace_nth(child, n, with);

            if (r != child) {
                json_array_set(root, i, r);
                return root;
            }
            if (*n == (size_t)-1)
                return root;
        }
    }
    return root;
}

static size_t count_values(const json_t *v)
{
    const char *key;
    json_t *child;
    size_t i, n = 1;

    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, child)
        {
            n += count_values(child);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, child)
        {
            n += count_values(child);
        }
    }
    return n;
}

/* Every value of a real element of each format, replaced in turn by each of a set of
 * hostile values, must give spans or a clean SM_EINPUT with a lowercase message: never
 * a crash, a NULL required id, or an error without text. Runs under ASan in CI. */
static void test_hostile_values(void **state)
{
    static const char *const hostile[] = {
        "null",
        "true",
        "false",
        "0",
        "-1",
        "1.5e300",
        "\"\"",
        "\"x\"",
        "\"-5\"",
        "\"99999999999999999999\"",
        "[]",
        "{}",
        "[{}]",
        "[null]",
        "{\"a\":[1]}",
        "\"0000000000000000\"",
        "\"SPAN_KIND_SERVER\"",
        "9223372036854775807",
    };
    static const char *const elements[] = {
        /* OTLP */
        "{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":"
        "\"a\"}}]},\"scopeSpans\":[{\"spans\":[{\"traceId\":\"0123456789abcdef0123456789abcdef\","
        "\"spanId\":\"0123456789abcdef\",\"parentSpanId\":\"Sc130fnc2TY=\",\"name\":\"n\","
        "\"kind\":2,\"startTimeUnixNano\":\"5\",\"endTimeUnixNano\":9,\"status\":{\"code\":2},"
        "\"attributes\":[{\"key\":\"http.status_code\",\"value\":{\"intValue\":\"500\"}}]}]}]}",
        /* Jaeger */
        jaeger_trace,
        /* Zipkin trace */
        "[{\"traceId\":\"a\",\"parentId\":\"1\",\"id\":\"2\",\"kind\":\"CLIENT\",\"name\":\"x\","
        "\"timestamp\":1,\"duration\":2,\"shared\":true,\"localEndpoint\":{\"serviceName\":\"s\","
        "\"ipv4\":\"1.2.3.4\",\"port\":80},\"remoteEndpoint\":{\"ipv6\":\"::1\",\"port\":9},"
        "\"tags\":{\"error\":\"\",\"http.status_code\":\"404\"}}]",
        /* Zipkin v1 trace */
        "[{\"traceId\":\"a\",\"parentId\":\"1\",\"id\":\"2\",\"name\":\"x\",\"timestamp\":1,"
        "\"duration\":2,\"annotations\":[{\"timestamp\":1,\"value\":\"cs\",\"endpoint\":{"
        "\"serviceName\":\"s\",\"ipv4\":\"1.2.3.4\",\"port\":80}},{\"timestamp\":2,\"value\":"
        "\"sr\",\"endpoint\":{\"serviceName\":\"t\"}},{\"timestamp\":3,\"value\":\"ms\","
        "\"endpoint\":{\"serviceName\":\"t\"}}],\"binaryAnnotations\":[{\"key\":\"sa\","
        "\"value\":true,\"endpoint\":{\"ipv6\":\"::1\",\"port\":9}},{\"key\":\"ca\",\"value\":"
        "true,\"endpoint\":{\"serviceName\":\"t\"}},{\"key\":\"error\",\"value\":\"\","
        "\"endpoint\":{\"serviceName\":\"s\"}}]}]",
    };
    const struct sm_reader *readers[] = {&sm_reader_otlp, &sm_reader_jaeger, &sm_reader_zipkin,
                                         &sm_reader_zipkin1};
    size_t e, h, n, total, r, runs = 0;

    (void)state;
    for (e = 0; e < sizeof(elements) / sizeof(elements[0]); e++) {
        json_t *orig = load(elements[e]);

        total = count_values(orig);
        for (n = 0; n < total; n++) {
            for (h = 0; h < sizeof(hostile) / sizeof(hostile[0]); h++) {
                json_t *copy = json_deep_copy(orig), *with = load(hostile[h]), *root;
                size_t k = n;

                root = replace_nth(copy, &k, with);
                for (r = 0; r < sizeof(readers) / sizeof(readers[0]); r++) {
                    struct sm_element el;
                    size_t i;
                    int rc;

                    memset(&el, 0, sizeof(el));
                    el.ctx = SM_ELEM_ARRAY_ITEM;
                    sm_batch_reset(&batch);
                    sm_error_init(&err);
                    rc = readers[r]->parse(&el, root, &batch, &err);
                    runs++;
                    if (rc != 0 && rc != SM_EINPUT)
                        fail_msg("status %d", rc);
                    if (rc == SM_EINPUT &&
                        (!err.text[0] || (err.text[0] >= 'A' && err.text[0] <= 'Z')))
                        fail_msg("bad message \"%s\"", err.text);
                    for (i = 0; rc == 0 && i < batch.len; i++) {
                        assert_non_null(batch.spans[i].trace_id);
                        assert_non_null(batch.spans[i].span_id);
                        assert_true(batch.spans[i].duration_ns >= -1);
                    }
                }
                /* root is copy, or with itself when the whole element was replaced */
                json_decref(copy);
                json_decref(with);
            }
        }
        json_decref(orig);
    }
    assert_true(runs > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hex_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hex_id_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_otlp_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_span_to_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_otlp_camel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_otlp_decimal_times, setup, teardown),
        cmocka_unit_test_setup_teardown(test_otlp_snake_enums, setup, teardown),
        cmocka_unit_test_setup_teardown(test_otlp_base64_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_otlp_document, setup, teardown),
        cmocka_unit_test_setup_teardown(test_otlp_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jaeger_trace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jaeger_opaque_and_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_jaeger_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zipkin_span, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zipkin_errors_and_trace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zipkin_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zipkin1_shared, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zipkin1_shapes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_zipkin1_bad, setup, teardown),
        cmocka_unit_test_setup_teardown(test_detect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hostile_values, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
