/* decode.c: one OTLP/HTTP (or Zipkin) request in, its spans and its reply out.
 *
 * The path picks the protocol (/v1/traces OTLP, /api/v2/spans Zipkin), the content type
 * the encoding, Content-Encoding gzip is inflated into a buffer that may not grow past
 * the body limit (a gzip bomb stops at the limit: a 413, not an allocation). OTLP JSON
 * is parsed with jansson and each resourceSpans item read by the OTLP reader on its own:
 * a bad span is rejected alone and a bad item (its resource) rejects its own spans,
 * answered as partial_success (200, rejected_spans and the first reason); protobuf goes
 * to the protobuf reader, item by item the same way. Replies follow the OTLP/HTTP specification: an
 * ExportTraceServiceResponse in the request's encoding on success, a google.rpc.Status
 * in it on failure. Both are small enough to encode by hand here.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "svcmap/reader.h"
#include "svcmap/recv.h"

#include "svcmap/otlp_proto.h"

void sm_recv_reply_init(struct sm_recv_reply *reply)
{
    memset(reply, 0, sizeof(*reply));
    sm_buf_init(&reply->body);
}

void sm_recv_reply_release(struct sm_recv_reply *reply)
{
    sm_buf_release(&reply->body);
}

/* ---- protobuf: the two small messages of a reply ---- */

static void pb_varint(struct sm_buf *b, uint64_t v)
{
    while (v >= 0x80) {
        sm_buf_addc(b, (char)((v & 0x7f) | 0x80));
        v >>= 7;
    }
    sm_buf_addc(b, (char)v);
}

static void pb_string(struct sm_buf *b, unsigned field, const char *s)
{
    size_t n = strlen(s);

    pb_varint(b, (uint64_t)field << 3 | 2);
    pb_varint(b, n);
    sm_buf_add(b, s, n);
}

/* gRPC code for an HTTP status, as google.rpc.Status wants it. */
static int grpc_code(int http_status)
{
    switch (http_status) {
    case 400:
        return 3; /* INVALID_ARGUMENT */
    case 401:
        return 16; /* UNAUTHENTICATED */
    case 404:
        return 5; /* NOT_FOUND */
    case 413:
    case 429:
        return 8; /* RESOURCE_EXHAUSTED */
    case 503:
        return 14; /* UNAVAILABLE */
    default:
        return 12; /* UNIMPLEMENTED: 405, 415 */
    }
}

void sm_recv_error_reply(struct sm_recv_reply *reply, enum sm_recv_encoding enc, int http_status,
                         const char *message)
{
    reply->http_status = http_status;
    reply->encoding = enc;
    snprintf(reply->message, sizeof(reply->message), "%s", message);
    sm_buf_reset(&reply->body);
    if (enc == SM_RECV_OTLP_PROTO) {
        /* google.rpc.Status: int32 code = 1; string message = 2 */
        reply->content_type = "application/x-protobuf";
        pb_varint(&reply->body, 1 << 3 | 0);
        pb_varint(&reply->body, (uint64_t)grpc_code(http_status));
        pb_string(&reply->body, 2, message);
    } else if (enc == SM_RECV_OTLP_JSON) {
        reply->content_type = "application/json";
        sm_buf_printf(&reply->body, "{\"code\":%d,\"message\":", grpc_code(http_status));
        sm_buf_add_json_string(&reply->body, message);
        sm_buf_addc(&reply->body, '}');
    } else {
        reply->content_type = "text/plain; charset=utf-8";
        sm_buf_adds(&reply->body, message);
        sm_buf_addc(&reply->body, '\n');
    }
}

/* 200 with an ExportTraceServiceResponse; partial_success only when spans were
 * rejected (the specification: unset when everything was accepted). */
static void ok_reply(struct sm_recv_reply *reply, enum sm_recv_encoding enc)
{
    reply->http_status = 200;
    reply->encoding = enc;
    sm_buf_reset(&reply->body);
    if (enc == SM_RECV_OTLP_PROTO) {
        reply->content_type = "application/x-protobuf";
        if (reply->rejected_spans) {
            struct sm_buf inner;

            /* ExportTracePartialSuccess: int64 rejected_spans = 1; string
             * error_message = 2; as field 1 of the response */
            sm_buf_init(&inner);
            pb_varint(&inner, 1 << 3 | 0);
            pb_varint(&inner, reply->rejected_spans);
            pb_string(&inner, 2, reply->message);
            pb_varint(&reply->body, 1 << 3 | 2);
            pb_varint(&reply->body, inner.len);
            sm_buf_add(&reply->body, inner.data, inner.len);
            sm_buf_release(&inner);
        }
    } else if (enc == SM_RECV_OTLP_JSON) {
        reply->content_type = "application/json";
        if (reply->rejected_spans) {
            sm_buf_printf(&reply->body,
                          "{\"partialSuccess\":{\"rejectedSpans\":\"%llu\",\"errorMessage\":",
                          (unsigned long long)reply->rejected_spans);
            sm_buf_add_json_string(&reply->body, reply->message);
            sm_buf_adds(&reply->body, "}}");
        } else {
            sm_buf_adds(&reply->body, "{}");
        }
    } else {
        /* Zipkin's collector answers 202 with no body */
        reply->http_status = 202;
        reply->content_type = "text/plain; charset=utf-8";
    }
}

/* ---- request shape ---- */

/* True when the media type of a Content-Type value (parameters after ';' ignored,
 * any case, blanks around) is type. */
static bool media_type_is(const char *value, const char *type)
{
    size_t n = strlen(type), len;

    while (*value == ' ' || *value == '\t')
        value++;
    len = strcspn(value, ";");
    while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t'))
        len--;
    return len == n && !strncasecmp(value, type, n);
}

static bool is_identity(const char *enc)
{
    return !enc || !*enc || media_type_is(enc, "identity");
}

/* Inflates a gzip body (several members one after another allowed) into out, stopping
 * with 413 as soon as it would pass max bytes. 0, 400 or 413. */
static int gunzip(const void *data, size_t len, size_t max, struct sm_buf *out, char *why,
                  size_t whysize)
{
    z_stream zs;
    unsigned char chunk[16384];
    int zr = Z_OK, status = 0;

    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        snprintf(why, whysize, "cannot start gzip decompression");
        return 400;
    }
    zs.next_in = (unsigned char *)(uintptr_t)data;
    zs.avail_in = (uInt)(len > (size_t)UINT32_MAX ? UINT32_MAX : len);
    for (;;) {
        size_t got;

        zs.next_out = chunk;
        zs.avail_out = sizeof(chunk);
        zr = inflate(&zs, Z_NO_FLUSH);
        got = sizeof(chunk) - zs.avail_out;
        if (got > max - out->len) {
            snprintf(why, whysize, "request body is larger than %zu bytes after gzip", max);
            status = 413;
            break;
        }
        sm_buf_add(out, chunk, got);
        if (zr == Z_STREAM_END) {
            if (zs.avail_in == 0)
                break;
            if (inflateReset(&zs) != Z_OK) {
                snprintf(why, whysize, "bad gzip data");
                status = 400;
                break;
            }
            continue;
        }
        if (zr != Z_OK) {
            snprintf(why, whysize, "bad gzip data%s%s", zs.msg ? ": " : "", zs.msg ? zs.msg : "");
            status = 400;
            break;
        }
        if (zs.avail_in == 0 && got == 0) {
            snprintf(why, whysize, "gzip data ends early");
            status = 400;
            break;
        }
    }
    inflateEnd(&zs);
    return status;
}

/* ---- bodies ---- */

/* Spans an OTLP resourceSpans item says it holds (for rejected_spans). */
static uint64_t otlp_item_spans(const json_t *item)
{
    static const char *const keys[] = {"scopeSpans", "scope_spans", "instrumentationLibrarySpans",
                                       "instrumentation_library_spans"};
    uint64_t n = 0;
    size_t k, i;

    if (!json_is_object(item))
        return 0;
    for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        const json_t *scopes = json_object_get(item, keys[k]), *scope;

        if (!json_is_array(scopes))
            continue;
        json_array_foreach(scopes, i, scope)
        {
            const json_t *spans = json_object_get(scope, "spans");

            if (json_is_array(spans))
                n += json_array_size(spans);
        }
    }
    return n;
}

static void reject_note(struct sm_recv_reply *reply, const char *what, size_t index,
                        const char *text)
{
    /* the first reason is the message; later ones only add to the count */
    if (!reply->message[0])
        snprintf(reply->message, sizeof(reply->message), "%s %zu: %.200s", what, index + 1, text);
}

/* The bad spans the reader left out of item index (out->skips from first on): rejected,
 * the first one's reason the message. The item's good spans stay accepted. */
static void reject_skips(struct sm_recv_reply *reply, const struct sm_batch *out, size_t first,
                         size_t index)
{
    size_t k;

    for (k = first; k < out->nskips; k++) {
        reply->rejected_spans += out->skips[k].spans;
        reject_note(reply, "resourceSpans item", index, out->skips[k].text);
    }
}

static void decode_otlp_json(const json_t *doc, struct sm_batch *out, struct sm_recv_reply *reply)
{
    const json_t *items, *item;
    size_t i;

    if (!json_is_object(doc)) {
        sm_recv_error_reply(reply, SM_RECV_OTLP_JSON, 400,
                            "an ExportTraceServiceRequest must be a JSON object");
        return;
    }
    items = json_object_get(doc, "resourceSpans");
    if (!items)
        items = json_object_get(doc, "resource_spans");
    if (items && !json_is_array(items)) {
        sm_recv_error_reply(reply, SM_RECV_OTLP_JSON, 400, "\"resourceSpans\" must be an array");
        return;
    }
    json_array_foreach(items, i, item)
    {
        size_t start = out->len, skips = out->nskips;
        struct sm_error err;

        sm_error_init(&err);
        if (sm_reader_otlp.parse(NULL, item, out, &err) < 0) {
            /* the item itself (its resource) is bad: all its spans are rejected */
            out->len = start;
            out->nskips = skips;
            reply->rejected_spans += otlp_item_spans(item);
            reject_note(reply, "resourceSpans item", i, err.text);
        } else {
            reject_skips(reply, out, skips, i);
        }
    }
    out->format = SM_FORMAT_OTLP;
    ok_reply(reply, SM_RECV_OTLP_JSON);
}

static void decode_zipkin(const json_t *doc, struct sm_batch *out, struct sm_recv_reply *reply)
{
    const json_t *span;
    size_t i;

    if (!json_is_array(doc)) {
        sm_recv_error_reply(reply, SM_RECV_ZIPKIN_JSON, 400, "zipkin spans must be a JSON array");
        return;
    }
    /* Zipkin has no partial success: one bad span fails the request, as its collector
     * does */
    json_array_foreach(doc, i, span)
    {
        struct sm_error err;
        char text[256];

        sm_error_init(&err);
        if (sm_reader_zipkin.parse(NULL, span, out, &err) < 0) {
            out->len = 0;
            out->nskips = 0;
            reply->rejected_spans = json_array_size(doc);
            snprintf(text, sizeof(text), "span %zu: %.200s", i + 1, err.text);
            sm_recv_error_reply(reply, SM_RECV_ZIPKIN_JSON, 400, text);
            return;
        }
    }
    out->format = SM_FORMAT_ZIPKIN;
    out->whole_traces = false;
    ok_reply(reply, SM_RECV_ZIPKIN_JSON);
}

/* Reads a varint at *p (below end); false when it runs off the end or past 10 bytes. */
static bool pb_read_varint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
    int shift;

    *v = 0;
    for (shift = 0; shift < 70 && *p < end; shift += 7) {
        unsigned char b = *(*p)++;

        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            return true;
    }
    return false;
}

/* Calls count for each length-delimited field number `field` of a message; returns the
 * sum, stopping quietly at broken framing (only a count for rejected_spans). */
static uint64_t pb_count(const unsigned char *p, const unsigned char *end, uint64_t field,
                         uint64_t (*inner)(const unsigned char *, const unsigned char *))
{
    uint64_t n = 0, key, len;

    while (p < end && pb_read_varint(&p, end, &key)) {
        switch (key & 7) {
        case 0:
            if (!pb_read_varint(&p, end, &len))
                return n;
            break;
        case 1:
            if (end - p < 8)
                return n;
            p += 8;
            break;
        case 5:
            if (end - p < 4)
                return n;
            p += 4;
            break;
        case 2:
            if (!pb_read_varint(&p, end, &len) || len > (uint64_t)(end - p))
                return n;
            if (key >> 3 == field)
                n += inner ? inner(p, p + len) : 1;
            p += len;
            break;
        default:
            return n;
        }
    }
    return n;
}

/* ScopeSpans: field 2 is a Span. */
static uint64_t scope_spans(const unsigned char *p, const unsigned char *end)
{
    return pb_count(p, end, 2, NULL);
}

/* Item by item, like JSON: a bad ResourceSpans item rejects its own spans; broken
 * framing is a 400 for the whole message. */
static void decode_otlp_proto(const void *data, size_t len, struct sm_batch *out,
                              struct sm_recv_reply *reply)
{
    struct sm_otlp_proto_item item;
    struct sm_error err;
    size_t pos = 0, index = 0;
    char text[256];
    int rc;

    sm_error_init(&err);
    while ((rc = sm_otlp_proto_next_item(data, len, &pos, &item, &err)) == 1) {
        size_t start = out->len, skips = out->nskips, span_no = 0;

        if (sm_otlp_proto_parse_item(item.data, item.len, &span_no, out, &err) < 0) {
            out->len = start;
            out->nskips = skips;
            /* ResourceSpans: field 2 is a ScopeSpans */
            reply->rejected_spans +=
                pb_count(item.data, (const unsigned char *)item.data + item.len, 2, scope_spans);
            reject_note(reply, "resourceSpans item", index, err.text);
            sm_error_init(&err);
        } else {
            reject_skips(reply, out, skips, index);
        }
        index++;
    }
    if (rc < 0) {
        out->len = 0;
        out->nskips = 0;
        reply->rejected_spans = 0;
        snprintf(text, sizeof(text), "bad protobuf at byte %lld: %.200s", err.offset, err.text);
        sm_recv_error_reply(reply, SM_RECV_OTLP_PROTO, 400, text);
        return;
    }
    out->format = SM_FORMAT_OTLP;
    ok_reply(reply, SM_RECV_OTLP_PROTO);
}

static void decode_body(enum sm_recv_encoding enc, const void *data, size_t len,
                        struct sm_batch *out, struct sm_recv_reply *reply)
{
    json_t *doc;
    json_error_t jerr;
    char text[256];

    if (enc == SM_RECV_OTLP_PROTO) {
        decode_otlp_proto(data, len, out, reply);
        return;
    }
    doc = json_loadb(data, len, 0, &jerr);
    if (!doc) {
        snprintf(text, sizeof(text), "bad JSON at byte %d: %s", jerr.position, jerr.text);
        sm_recv_error_reply(reply, enc, 400, text);
        return;
    }
    if (enc == SM_RECV_OTLP_JSON)
        decode_otlp_json(doc, out, reply);
    else
        decode_zipkin(doc, out, reply);
    json_decref(doc);
}

int sm_recv_check(const struct sm_recv_request *req, struct sm_recv_reply *reply)
{
    size_t max = req->max_body_bytes ? req->max_body_bytes : SM_RECV_DEFAULT_MAX_BODY_BYTES;
    const char *ct = req->content_type ? req->content_type : "";
    enum sm_recv_encoding enc = SM_RECV_NONE;
    bool otlp = !strcmp(req->path, "/v1/traces");
    char why[96];

    reply->rejected_spans = 0;
    reply->message[0] = '\0';
    reply->encoding = SM_RECV_NONE;
    if (!otlp && strcmp(req->path, "/api/v2/spans")) {
        sm_recv_error_reply(reply, SM_RECV_NONE, 404, "not found: POST spans to /v1/traces");
        return 404;
    }
    if (strcmp(req->method, "POST")) {
        sm_recv_error_reply(reply, SM_RECV_NONE, 405, "method not allowed: use POST");
        return 405;
    }
    if (otlp &&
        (media_type_is(ct, "application/x-protobuf") || media_type_is(ct, "application/protobuf")))
        enc = SM_RECV_OTLP_PROTO;
    else if (media_type_is(ct, "application/json"))
        enc = otlp ? SM_RECV_OTLP_JSON : SM_RECV_ZIPKIN_JSON;
    if (enc == SM_RECV_NONE) {
        sm_recv_error_reply(reply, SM_RECV_NONE, 415,
                            otlp ? "unsupported content type: use application/x-protobuf or "
                                   "application/json"
                                 : "unsupported content type: use application/json");
        return 415;
    }
    if (!is_identity(req->content_encoding) && !media_type_is(req->content_encoding, "gzip")) {
        sm_recv_error_reply(reply, enc, 415, "unsupported content encoding: use gzip or none");
        return 415;
    }
    if (req->len > max) {
        snprintf(why, sizeof(why), "request body is larger than %zu bytes", max);
        sm_recv_error_reply(reply, enc, 413, why);
        return 413;
    }
    reply->encoding = enc;
    return 0;
}

void sm_recv_decode(const struct sm_recv_request *req, struct sm_batch *out,
                    struct sm_recv_reply *reply)
{
    size_t max = req->max_body_bytes ? req->max_body_bytes : SM_RECV_DEFAULT_MAX_BODY_BYTES;
    struct sm_buf plain;
    char why[160];
    int status;

    if (sm_recv_check(req, reply))
        return;
    if (is_identity(req->content_encoding)) {
        decode_body(reply->encoding, req->body, req->len, out, reply);
        return;
    }
    sm_buf_init(&plain);
    status = gunzip(req->body, req->len, max, &plain, why, sizeof(why));
    if (status)
        sm_recv_error_reply(reply, reply->encoding, status, why);
    else
        decode_body(reply->encoding, plain.data ? plain.data : "", plain.len, out, reply);
    sm_buf_release(&plain);
}
