/* test_otlp_proto.c: unit tests of the OTLP protobuf reader (read_otlp_proto.c).
 *
 * Messages are written with a small protobuf writer below (tags, varints, nested
 * lengths), so that well-formed and broken bytes alike are spelled out in the test. The
 * main check reads the same spans from protobuf and from OTLP JSON (through the JSON
 * reader) and requires the same `svcmap spans` line for each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "svcmap/otlp_proto.h"
#include "svcmap/reader.h"
#include "svcmap/span.h"
#include "svcmap/util.h"

/* ---- a protobuf writer ---- */

static void pb_varint(struct sm_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        sm_buf_addc(b, (char)(v | 0x80));
        v >>= 7;
    }
    sm_buf_addc(b, (char)v);
}

static void pb_tag(struct sm_buf *b, unsigned number, unsigned type)
{
    pb_varint(b, (uint64_t)number << 3 | type);
}

static void pb_bytes(struct sm_buf *b, unsigned number, const void *data, size_t len)
{
    pb_tag(b, number, 2);
    pb_varint(b, len);
    if (len)
        sm_buf_add(b, data, len);
}

static void pb_str(struct sm_buf *b, unsigned number, const char *s)
{
    pb_bytes(b, number, s, strlen(s));
}

/* Appends field number holding the message m, and empties m. */
static void pb_msg(struct sm_buf *b, unsigned number, struct sm_buf *m)
{
    pb_bytes(b, number, m->data, m->len);
    sm_buf_release(m);
}

static void pb_fixed64(struct sm_buf *b, unsigned number, uint64_t v)
{
    int i;

    pb_tag(b, number, 1);
    for (i = 0; i < 8; i++)
        sm_buf_addc(b, (char)(v >> (8 * i)));
}

static void pb_uvarint_field(struct sm_buf *b, unsigned number, uint64_t v)
{
    pb_tag(b, number, 0);
    pb_varint(b, v);
}

/* A KeyValue with a string value. */
static void attr_str(struct sm_buf *b, unsigned number, const char *key, const char *value)
{
    struct sm_buf kv, av;

    sm_buf_init(&kv);
    sm_buf_init(&av);
    pb_str(&av, 1, value);
    pb_str(&kv, 1, key);
    pb_msg(&kv, 2, &av);
    pb_msg(b, number, &kv);
}

static void attr_int(struct sm_buf *b, const char *key, int64_t value)
{
    struct sm_buf kv, av;

    sm_buf_init(&kv);
    sm_buf_init(&av);
    pb_uvarint_field(&av, 3, (uint64_t)value);
    pb_str(&kv, 1, key);
    pb_msg(&kv, 2, &av);
    pb_msg(b, 9, &kv);
}

static void attr_double(struct sm_buf *b, const char *key, double value)
{
    struct sm_buf kv, av;
    uint64_t bits;

    memcpy(&bits, &value, 8);
    sm_buf_init(&kv);
    sm_buf_init(&av);
    pb_fixed64(&av, 4, bits);
    pb_str(&kv, 1, key);
    pb_msg(&kv, 2, &av);
    pb_msg(b, 9, &kv);
}

static void attr_bool(struct sm_buf *b, const char *key, int value)
{
    struct sm_buf kv, av;

    sm_buf_init(&kv);
    sm_buf_init(&av);
    pb_uvarint_field(&av, 2, (uint64_t)value);
    pb_str(&kv, 1, key);
    pb_msg(&kv, 2, &av);
    pb_msg(b, 9, &kv);
}

static void hex_bytes(const char *hex, unsigned char *out, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned v;

        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
}

/* Span ids: trace, span, parent ("" for none) in hex. */
static void span_head(struct sm_buf *s, const char *trace, const char *span, const char *parent,
                      const char *name, int kind, uint64_t start, uint64_t end)
{
    unsigned char t[16], sp[8], p[8];

    hex_bytes(trace, t, 16);
    hex_bytes(span, sp, 8);
    pb_bytes(s, 1, t, 16);
    pb_bytes(s, 2, sp, 8);
    if (*parent) {
        hex_bytes(parent, p, 8);
        pb_bytes(s, 4, p, 8);
    }
    pb_str(s, 5, name);
    if (kind)
        pb_uvarint_field(s, 6, (uint64_t)kind);
    pb_fixed64(s, 7, start);
    pb_fixed64(s, 8, end);
}

static void span_status(struct sm_buf *s, int code)
{
    struct sm_buf st;

    sm_buf_init(&st);
    pb_str(&st, 2, "boom");
    pb_uvarint_field(&st, 3, (uint64_t)code);
    pb_msg(s, 15, &st);
}

/* ---- reading ---- */

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

static int parse_pb(const struct sm_buf *msg)
{
    sm_batch_reset(&batch);
    sm_error_init(&err);
    return sm_otlp_proto_parse(msg->data ? msg->data : "", msg->len, &batch, &err);
}

/* Every span of the batch as `svcmap spans` lines. */
static char *span_lines(const struct sm_batch *b)
{
    struct sm_buf out;
    size_t i;

    sm_buf_init(&out);
    for (i = 0; i < b->len; i++) {
        sm_span_to_json(&b->spans[i], &out);
        sm_buf_addc(&out, '\n');
    }
    if (!out.data)
        sm_buf_adds(&out, "");
    return out.data;
}

static char *json_lines(const char *text)
{
    struct sm_batch jb;
    struct sm_error jerr;
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    char *lines;

    if (!v)
        fail_msg("test JSON does not parse: %s", je.text);
    sm_batch_init(&jb);
    sm_error_init(&jerr);
    assert_int_equal(sm_reader_otlp.parse(NULL, v, &jb, &jerr), 0);
    lines = span_lines(&jb);
    sm_batch_release(&jb);
    json_decref(v);
    return lines;
}

/* The message of the equivalence test: two services, a database call, an error. */
static void shop_message(struct sm_buf *msg)
{
    struct sm_buf rs, res, ss, sp;

    sm_buf_init(msg);
    sm_buf_init(&rs);
    sm_buf_init(&res);
    sm_buf_init(&ss);
    sm_buf_init(&sp);

    attr_str(&res, 1, "service.name", "frontend");
    attr_str(&res, 1, "service.namespace", "shop");
    attr_str(&res, 1, "host.name", "fe-1");
    pb_msg(&rs, 1, &res);
    pb_str(&sp, 1, "ignored-scope-name"); /* a scope, unknown to svcmap: skipped */
    pb_msg(&ss, 1, &sp);
    span_head(&sp, "5B8EFFF798038103D269B633813FC60C", "EEE19B7EC3C1B174", "", "GET /", 2,
              1700000000000000000ull, 1700000000250000000ull);
    attr_int(&sp, "http.response.status_code", 200);
    pb_msg(&ss, 2, &sp);
    span_head(&sp, "5b8efff798038103d269b633813fc60c", "0000000000000001", "eee19b7ec3c1b174",
              "checkout", 3, 1700000000010000000ull, 1700000000200000000ull);
    attr_str(&sp, 9, "server.address", "checkout");
    attr_int(&sp, "server.port", 8080);
    attr_str(&sp, 9, "http.status_code", "503");
    attr_double(&sp, "http.response.status_code", 502.0);
    attr_bool(&sp, "retry", 1);
    span_status(&sp, 2);
    pb_msg(&ss, 2, &sp);
    pb_msg(&rs, 2, &ss);
    pb_msg(msg, 1, &rs);

    attr_str(&res, 1, "service.name", "checkout");
    attr_str(&res, 1, "service.version", "1.2.3");
    pb_msg(&rs, 1, &res);
    span_head(&sp, "5b8efff798038103d269b633813fc60c", "0000000000000002", "0000000000000001",
              "POST /checkout", 2, 1700000000020000000ull, 1700000000190000000ull);
    attr_double(&sp, "http.response.status_code", 500.5);
    attr_bool(&sp, "http.status_code", 1);
    pb_msg(&ss, 2, &sp);
    span_head(&sp, "5b8efff798038103d269b633813fc60c", "0000000000000003", "0000000000000002",
              "SELECT orders", 3, 1700000000030000000ull, 1700000000020000000ull);
    attr_str(&sp, 9, "db.system", "postgresql");
    attr_str(&sp, 9, "db.system.name", "postgres");
    attr_str(&sp, 9, "db.namespace", "orders");
    attr_double(&sp, "db.name", 1.5);
    attr_str(&sp, 9, "messaging.destination", "");
    attr_str(&sp, 9, "peer.service", "p\xc3\xa9");
    pb_msg(&ss, 2, &sp);
    pb_msg(&rs, 2, &ss);
    pb_msg(msg, 1, &rs);
}

static const char shop_json[] =
    "{\"resourceSpans\":["
    "{\"resource\":{\"attributes\":["
    "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"frontend\"}},"
    "{\"key\":\"service.namespace\",\"value\":{\"stringValue\":\"shop\"}},"
    "{\"key\":\"host.name\",\"value\":{\"stringValue\":\"fe-1\"}}]},"
    "\"scopeSpans\":[{\"scope\":{\"name\":\"ignored-scope-name\"},\"spans\":["
    "{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\","
    "\"name\":\"GET /\",\"kind\":2,\"startTimeUnixNano\":\"1700000000000000000\","
    "\"endTimeUnixNano\":\"1700000000250000000\",\"attributes\":["
    "{\"key\":\"http.response.status_code\",\"value\":{\"intValue\":\"200\"}}]},"
    "{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"0000000000000001\","
    "\"parentSpanId\":\"eee19b7ec3c1b174\",\"name\":\"checkout\",\"kind\":3,"
    "\"startTimeUnixNano\":\"1700000000010000000\",\"endTimeUnixNano\":\"1700000000200000000\","
    "\"attributes\":["
    "{\"key\":\"server.address\",\"value\":{\"stringValue\":\"checkout\"}},"
    "{\"key\":\"server.port\",\"value\":{\"intValue\":8080}},"
    "{\"key\":\"http.status_code\",\"value\":{\"stringValue\":\"503\"}},"
    "{\"key\":\"http.response.status_code\",\"value\":{\"doubleValue\":502}},"
    "{\"key\":\"retry\",\"value\":{\"boolValue\":true}}],"
    "\"status\":{\"message\":\"boom\",\"code\":2}}]}]},"
    "{\"resource\":{\"attributes\":["
    "{\"key\":\"service.name\",\"value\":{\"stringValue\":\"checkout\"}},"
    "{\"key\":\"service.version\",\"value\":{\"stringValue\":\"1.2.3\"}}]},"
    "\"scopeSpans\":[{\"spans\":["
    "{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"0000000000000002\","
    "\"parentSpanId\":\"0000000000000001\",\"name\":\"POST /checkout\",\"kind\":2,"
    "\"startTimeUnixNano\":\"1700000000020000000\",\"endTimeUnixNano\":\"1700000000190000000\","
    "\"attributes\":["
    "{\"key\":\"http.response.status_code\",\"value\":{\"doubleValue\":500.5}},"
    "{\"key\":\"http.status_code\",\"value\":{\"boolValue\":true}}]},"
    "{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"0000000000000003\","
    "\"parentSpanId\":\"0000000000000002\",\"name\":\"SELECT orders\",\"kind\":3,"
    "\"startTimeUnixNano\":\"1700000000030000000\",\"endTimeUnixNano\":\"1700000000020000000\","
    "\"attributes\":["
    "{\"key\":\"db.system\",\"value\":{\"stringValue\":\"postgresql\"}},"
    "{\"key\":\"db.system.name\",\"value\":{\"stringValue\":\"postgres\"}},"
    "{\"key\":\"db.namespace\",\"value\":{\"stringValue\":\"orders\"}},"
    "{\"key\":\"db.name\",\"value\":{\"doubleValue\":1.5}},"
    "{\"key\":\"messaging.destination\",\"value\":{\"stringValue\":\"\"}},"
    "{\"key\":\"peer.service\",\"value\":{\"stringValue\":\"p\\u00e9\"}}]}]}]}]}";

static void test_same_as_json(void **state)
{
    struct sm_buf msg;
    char *from_pb, *from_json;

    (void)state;
    shop_message(&msg);
    assert_int_equal(parse_pb(&msg), 0);
    assert_int_equal(batch.len, 4);
    from_pb = span_lines(&batch);
    from_json = json_lines(shop_json);
    assert_string_equal(from_pb, from_json);
    /* and the values are the ones meant, not just equal */
    assert_string_equal(batch.spans[0].trace_id, "5b8efff798038103d269b633813fc60c");
    assert_null(batch.spans[0].parent_id);
    assert_string_equal(batch.spans[1].server_port, "8080");
    assert_int_equal(batch.spans[1].http_status, 502);
    assert_true(batch.spans[1].error);
    assert_int_equal(batch.spans[2].http_status, 0);
    assert_string_equal(batch.spans[3].db_system, "postgres");
    assert_string_equal(batch.spans[3].db_name, "1.5");
    assert_false(batch.spans[3].has_duration);
    assert_string_equal(batch.spans[2].service_version, "1.2.3");
    assert_int_equal(batch.spans[2].duration_ns, 170000000);
    free(from_pb);
    free(from_json);
    sm_buf_release(&msg);
}

/* Old senders' instrumentation_library_spans (field 1000) count when there are no
 * scope_spans, and are ignored when there are; the resource may come last. */
static void test_library_spans_and_order(void **state)
{
    struct sm_buf msg, rs, res, ss, sp;

    (void)state;
    sm_buf_init(&msg);
    sm_buf_init(&rs);
    sm_buf_init(&res);
    sm_buf_init(&ss);
    sm_buf_init(&sp);
    span_head(&sp, "00000000000000000000000000000001", "0000000000000001", "", "a", 1, 1, 2);
    pb_msg(&ss, 2, &sp);
    pb_msg(&rs, 1000, &ss);
    attr_str(&res, 1, "service.name", "old");
    pb_msg(&rs, 1, &res);
    pb_msg(&msg, 1, &rs);
    assert_int_equal(parse_pb(&msg), 0);
    assert_int_equal(batch.len, 1);
    assert_string_equal(batch.spans[0].service, "old");
    assert_string_equal(batch.spans[0].trace_id, "00000000000000000000000000000001");

    /* now with scope_spans as well: only those */
    sm_buf_release(&msg);
    span_head(&sp, "00000000000000000000000000000001", "0000000000000001", "", "a", 1, 1, 2);
    pb_msg(&ss, 2, &sp);
    pb_msg(&rs, 1000, &ss);
    span_head(&sp, "00000000000000000000000000000001", "0000000000000002", "", "b", 1, 1, 2);
    pb_msg(&ss, 2, &sp);
    pb_msg(&rs, 2, &ss);
    pb_msg(&msg, 1, &rs);
    assert_int_equal(parse_pb(&msg), 0);
    assert_int_equal(batch.len, 1);
    assert_string_equal(batch.spans[0].name, "b");
    assert_null(batch.spans[0].service);
    sm_buf_release(&msg);

    /* an empty message and an empty item are no spans, not errors */
    sm_buf_init(&msg);
    assert_int_equal(parse_pb(&msg), 0);
    assert_int_equal(batch.len, 0);
    pb_bytes(&msg, 1, "", 0);
    pb_str(&msg, 7, "an unknown field"); /* skipped */
    assert_int_equal(parse_pb(&msg), 0);
    assert_int_equal(batch.len, 0);
    sm_buf_release(&msg);
}

/* One span, with its fields written by fn, in a whole message; returns parse's status. */
static int parse_one_span(void (*fn)(struct sm_buf *sp))
{
    struct sm_buf msg, rs, ss, sp;
    int rc;

    sm_buf_init(&msg);
    sm_buf_init(&rs);
    sm_buf_init(&ss);
    sm_buf_init(&sp);
    fn(&sp);
    pb_msg(&ss, 2, &sp);
    pb_msg(&rs, 2, &ss);
    pb_msg(&msg, 1, &rs);
    rc = parse_pb(&msg);
    sm_buf_release(&msg);
    return rc;
}

static void bad_trace_len(struct sm_buf *sp)
{
    pb_bytes(sp, 1, "12345", 5);
    pb_bytes(sp, 2, "12345678", 8);
}

static void bad_trace_missing(struct sm_buf *sp)
{
    pb_bytes(sp, 2, "12345678", 8);
}

static void bad_trace_zero(struct sm_buf *sp)
{
    pb_bytes(sp, 1, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    pb_bytes(sp, 2, "12345678", 8);
}

static void bad_span_zero(struct sm_buf *sp)
{
    pb_bytes(sp, 1, "0123456789abcdef", 16);
    pb_bytes(sp, 2, "\0\0\0\0\0\0\0\0", 8);
}

static void bad_parent_len(struct sm_buf *sp)
{
    pb_bytes(sp, 1, "0123456789abcdef", 16);
    pb_bytes(sp, 2, "12345678", 8);
    pb_bytes(sp, 4, "123", 3);
}

static void zero_parent(struct sm_buf *sp)
{
    pb_bytes(sp, 1, "0123456789abcdef", 16);
    pb_bytes(sp, 2, "12345678", 8);
    pb_bytes(sp, 4, "\0\0\0\0\0\0\0\0", 8);
}

static void bad_kind(struct sm_buf *sp)
{
    span_head(sp, "00000000000000000000000000000001", "0000000000000001", "", "x", 0, 1, 2);
    pb_uvarint_field(sp, 6, 6);
}

static void bad_status(struct sm_buf *sp)
{
    span_head(sp, "00000000000000000000000000000001", "0000000000000001", "", "x", 1, 1, 2);
    span_status(sp, 3);
}

static void bad_time(struct sm_buf *sp)
{
    span_head(sp, "00000000000000000000000000000001", "0000000000000001", "", "x", 1,
              (uint64_t)INT64_MAX + 1, 2);
}

static void bad_name(struct sm_buf *sp)
{
    span_head(sp, "00000000000000000000000000000001", "0000000000000001", "", "x\xff", 1, 1, 2);
}

static void nul_in_value(struct sm_buf *sp)
{
    struct sm_buf kv, av;

    span_head(sp, "00000000000000000000000000000001", "0000000000000001", "", "x", 1, 1, 2);
    sm_buf_init(&kv);
    sm_buf_init(&av);
    pb_bytes(&av, 1, "db\0x", 4);
    pb_str(&kv, 1, "db.system");
    pb_msg(&kv, 2, &av);
    pb_msg(sp, 9, &kv);
}

static void surrogate_in_value(struct sm_buf *sp)
{
    span_head(sp, "00000000000000000000000000000001", "0000000000000001", "", "x", 1, 1, 2);
    attr_str(sp, 9, "peer.service", "\xed\xa0\x80");
}

static void bad_bytes_in_ignored_key(struct sm_buf *sp)
{
    span_head(sp, "00000000000000000000000000000001", "0000000000000001", "", "x", 1, 1, 2);
    attr_str(sp, 9, "k\0ey\xff", "v");
    attr_str(sp, 9, "a.key.longer.than.any.svcmap.reads.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "v");
}

static void span_with_bad_inner_wire(struct sm_buf *sp)
{
    span_head(sp, "00000000000000000000000000000001", "0000000000000001", "", "x", 1, 1, 2);
    pb_tag(sp, 9, 0); /* attributes as a varint: not a KeyValue */
    pb_varint(sp, 5);
}

/* The one span of the message left out alone (rc 0, no span kept, one skip whose text
 * holds text), as every bad span is: its neighbours are kept. */
static void assert_skipped(int rc, const char *text)
{
    if (rc != 0)
        fail_msg("expected the span skipped with \"%s\", got status %d (%s)", text, rc, err.text);
    assert_int_equal(batch.len, 0);
    assert_int_equal(batch.nskips, 1);
    if (!strstr(batch.skips[0].text, text))
        fail_msg("skip \"%s\" does not contain \"%s\"", batch.skips[0].text, text);
}

static void test_bad_spans(void **state)
{
    (void)state;
    assert_skipped(parse_one_span(bad_trace_len),
                   "span 1: \"trace_id\" must be 16 bytes as OTLP requires, got 5");
    assert_skipped(parse_one_span(bad_trace_missing), "span 1: \"trace_id\" is missing");
    assert_skipped(parse_one_span(bad_trace_zero), "\"trace_id\" must not be all zeros");
    assert_skipped(parse_one_span(bad_span_zero), "\"span_id\" must not be all zeros");
    assert_skipped(parse_one_span(bad_parent_len),
                   "\"parent_span_id\" must be 8 bytes as OTLP requires, got 3");
    assert_int_equal(parse_one_span(zero_parent), 0);
    assert_null(batch.spans[0].parent_id);
    assert_skipped(parse_one_span(bad_kind), "\"kind\" must be 0 to 5, got 6");
    assert_skipped(parse_one_span(bad_status), "\"status.code\" must be 0 to 2, got 3");
    assert_skipped(parse_one_span(bad_time), "\"start_time_unix_nano\" must be a non-negative");
    assert_skipped(parse_one_span(bad_name), "\"name\" is not valid UTF-8");
    assert_skipped(parse_one_span(nul_in_value), "attribute \"db.system\" is not valid UTF-8");
    assert_skipped(parse_one_span(surrogate_in_value), "");
    /* keys svcmap does not read are not judged */
    assert_int_equal(parse_one_span(bad_bytes_in_ignored_key), 0);
    assert_int_equal(batch.len, 1);
    assert_skipped(parse_one_span(span_with_bad_inner_wire), "span 1: malformed protobuf");
    /* a span of no fields: its trace id is missing */
    {
        struct sm_buf msg;

        sm_buf_init(&msg);
        sm_buf_add(&msg, "\x0a\x04\x12\x02\x12\x00", 6);
        assert_skipped(parse_pb(&msg), "span 1: \"trace_id\" is missing");
        sm_buf_release(&msg);
    }
}

/* Broken framing: each is SM_EINPUT naming the byte, never a crash or a huge allocation. */
static void test_malformed(void **state)
{
    static const struct {
        const char *bytes;
        size_t len;
        const char *want;
    } cases[] = {
        {"\x0a\x05\x12\x03", 4, "byte 0: malformed protobuf: field 1 says 5 bytes, only 2"},
        {"\x0a\xff\xff\xff\xff\x0f", 6, "byte 0: malformed protobuf: field 1 says 4294967295"},
        {"\x0a\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12,
         "byte 0: malformed protobuf: field 1 is cut"},
        {"\x0b\x00", 2, "byte 0: malformed protobuf: field 1 has wire type 3"},
        {"\x08\x01", 2, "byte 0: malformed protobuf: field 1 of TracesData must be a message"},
        {"\x00\x01", 2, "byte 0: malformed protobuf: not a field tag"},
        {"\x12\x00\x0a", 3, "byte 2: malformed protobuf: field 1 is cut short"},
        {"\x0a\x04\x12\x02\x12\x05", 6, "byte 4: malformed protobuf: field 2 says 5 bytes"},
        {"\x0a\x04\x12\x02\x10\x01", 6, "byte 4: malformed protobuf: field 2 of ScopeSpans must"},
        {"\x0a\x02\x0a\x02", 4, "byte 2: malformed protobuf: field 1 says 2 bytes, only 0"},
        {"\x0a\x04\x0a\x02\x0a\x01", 6, "byte 2: malformed protobuf: the resource does not decode"},
        {"\x0d\x01\x02\x03", 4, "byte 0: malformed protobuf: field 1 is cut short"},
    };
    struct sm_buf msg;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sm_buf_init(&msg);
        sm_buf_add(&msg, cases[i].bytes, cases[i].len);
        assert_int_equal(parse_pb(&msg), SM_EINPUT);
        if (strncmp(err.text, cases[i].want, strlen(cases[i].want)) != 0)
            fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err.text, cases[i].want);
        sm_buf_release(&msg);
    }
}

/* A span of a million empty attributes decodes to far more than its bytes: refused. */
static void test_decode_bound(void **state)
{
    struct sm_buf msg, rs, ss, sp;
    size_t i;

    (void)state;
    sm_buf_init(&msg);
    sm_buf_init(&rs);
    sm_buf_init(&ss);
    sm_buf_init(&sp);
    span_head(&sp, "00000000000000000000000000000001", "0000000000000001", "", "x", 1, 1, 2);
    for (i = 0; i < 3000000; i++)
        sm_buf_add(&sp, "\x4a\x00", 2);
    pb_msg(&ss, 2, &sp);
    pb_msg(&rs, 2, &ss);
    pb_msg(&msg, 1, &rs);
    assert_skipped(parse_pb(&msg), "span 1: needs more than");
    sm_buf_release(&msg);
}

static void test_items(void **state)
{
    struct sm_buf msg;
    struct sm_otlp_proto_item item;
    size_t pos = 0, span_no = 0, n = 0;
    int rc;

    (void)state;
    shop_message(&msg);
    sm_batch_reset(&batch);
    while ((rc = sm_otlp_proto_next_item(msg.data, msg.len, &pos, &item, &err)) > 0) {
        assert_true(item.offset > 0 && item.offset + item.len <= msg.len);
        assert_int_equal(sm_otlp_proto_parse_item(item.data, item.len, &span_no, &batch, &err), 0);
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, 2);
    assert_int_equal(span_no, 4);
    assert_int_equal(batch.len, 4);
    sm_buf_release(&msg);
}

static void test_sniff(void **state)
{
    static const char *const texts[] = {
        "",
        "\n",
        "{\"resourceSpans\":[]}",
        "\n{\"resourceSpans\":[{\"resource\":{}}]}\n",
        "\n\n{\"data\":[]}",
        "\n[{\"traceId\":\"abc\"}]",
        "\n# HELP traces_service_graph_request_total\n",
        "\ntraces_service_graph_request_total{client=\"a\",server=\"b\"} 3\n",
        "\nparent,child,callCount\n",
        "\n\x01\n",
    };
    struct sm_buf msg;
    size_t i, cut;

    (void)state;
    for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        size_t len = strlen(texts[i]);

        if (sm_otlp_proto_sniff_message(texts[i], len, len) != 0)
            fail_msg("text %zu taken for protobuf", i);
        if (sm_otlp_proto_sniff_message(texts[i], len, 0) != 0)
            fail_msg("text %zu (head only) taken for protobuf", i);
    }
    /* an empty item is a message, but no evidence of one */
    assert_int_equal(sm_otlp_proto_sniff_message("\x0a\x00", 2, 2), 0);
    shop_message(&msg);
    assert_int_equal(sm_otlp_proto_sniff_message(msg.data, msg.len, msg.len), 100);
    /* a head cut anywhere past the first few bytes still looks like protobuf */
    for (cut = 12; cut < msg.len; cut++) {
        if (sm_otlp_proto_sniff_message(msg.data, cut, 0) < 80)
            fail_msg("head of %zu bytes not recognized", cut);
    }
    /* but a message said to end inside its first item is not one */
    assert_int_equal(sm_otlp_proto_sniff_message(msg.data, 40, 40), 0);
    /* what follows the first item is left to the reader to judge */
    sm_buf_add(&msg, "\x0b\x00", 2);
    assert_int_equal(sm_otlp_proto_sniff_message(msg.data, msg.len, msg.len), 100);
    sm_buf_release(&msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_same_as_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_library_spans_and_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_spans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_items, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sniff, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
