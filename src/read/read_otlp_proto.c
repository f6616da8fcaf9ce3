/* read_otlp_proto.c: the OTLP protobuf reader (Tempo trace-by-id, the Collector file
 * exporter's `format: proto`, OTLP/HTTP request bodies), and its row of the format table.
 *
 * The outer messages (TracesData, ResourceSpans, ScopeSpans) are walked here, tag by tag,
 * without decoding them whole; each Resource and each Span is unpacked by protobuf-c (C
 * generated from proto/svcmap_otlp.proto) into a scratch arena that is reset after every
 * span. Memory therefore follows the largest span, and the arena's allocator refuses to
 * grow past a bound, so a flood of tiny fields in one span is an error, not gigabytes.
 * A span is mapped exactly as read_otlp.c maps its JSON twin: the same attribute table
 * (read_common.h), ids as lowercase hex, the same rules for what makes a span bad.
 *
 * As a file (sm_format_otlp_proto) the input is one message, read item by item from a
 * stream so that memory follows the largest ResourceSpans, or the Collector file
 * exporter's frames (a 4-byte big-endian length before each message, the message
 * possibly a zstd frame). A bad item or frame is a bad record; framing that cannot be
 * followed further ends the read with the byte offset where it broke.
 */
#include "svcmap/otlp_proto.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <stdlib.h>
#include <zstd.h>

#include "read_common.h"
#include "svcmap/format.h"
#include "svcmap/reader.h"
#include "svcmap/scan.h"
#include "svcmap_otlp.pb-c.h"

/* Wire types (protobuf encoding). */
enum wire {
    WIRE_VARINT = 0,
    WIRE_I64 = 1,
    WIRE_LEN = 2,
    WIRE_SGROUP = 3,
    WIRE_EGROUP = 4,
    WIRE_I32 = 5,
};

/* Field numbers of the outer messages, from the OTLP specification. */
#define TRACES_DATA_RESOURCE_SPANS   1
#define RESOURCE_SPANS_RESOURCE      1
#define RESOURCE_SPANS_SCOPE_SPANS   2
#define RESOURCE_SPANS_LIBRARY_SPANS 1000
#define SCOPE_SPANS_SPANS            2

/* The scratch arena of one span may hold this much beyond twice the span's bytes: room
 * for one huge string attribute, not for millions of tiny fields (each a 48-byte struct
 * decoded from 2 bytes). */
#define DECODE_SLACK_BYTES ((size_t)64 << 20)

/* One field read from the wire. */
struct field {
    uint32_t number;
    enum wire type;
    uint64_t value;      /* VARINT, I64, I32 */
    const uint8_t *data; /* LEN */
    size_t len;          /* LEN */
    size_t offset;       /* of the tag, from the start of the walked buffer */
};

/* Fills err with a malformed-protobuf message placed at offset (of the walked buffer). */
static int malformed(struct sm_error *err, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int malformed(struct sm_error *err, size_t offset, const char *fmt, ...)
{
    char text[sizeof(err->text)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return sm_error_at(err, SM_EINPUT, NULL, 0, 0, (long long)offset, "malformed protobuf: %s",
                       text);
}

/* Reads a varint at *p (< end) into *out: 0, or -1 when it is cut short or longer than
 * 10 bytes. */
static int read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    unsigned shift;

    for (shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;

        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* The next field of buf[0..len) at *pos: 1 with *f filled, 0 at the end, -1 when the
 * bytes are not protobuf (err's text says why, err->offset where). */
static int next_field(const uint8_t *buf, size_t len, size_t *pos, struct field *f,
                      struct sm_error *err)
{
    const uint8_t *p = buf + *pos, *end = buf + len;
    uint64_t tag, n;

    if (*pos >= len)
        return 0;
    f->offset = *pos;
    if (read_varint(&p, end, &tag) != 0 || tag >> 32)
        goto bad_tag;
    f->number = (uint32_t)(tag >> 3);
    f->type = (enum wire)(tag & 7);
    if (f->number == 0 || f->number > 536870911u)
        goto bad_tag;
    switch (f->type) {
    case WIRE_VARINT:
        if (read_varint(&p, end, &f->value) != 0)
            goto cut;
        break;
    case WIRE_I64:
        if ((size_t)(end - p) < 8)
            goto cut;
        memcpy(&f->value, p, 8); /* little-endian on the wire and on every target we build */
        p += 8;
        break;
    case WIRE_I32:
        if ((size_t)(end - p) < 4)
            goto cut;
        f->value =
            (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
        p += 4;
        break;
    case WIRE_LEN:
        if (read_varint(&p, end, &n) != 0)
            goto cut;
        if (n > (uint64_t)(end - p)) {
            malformed(err, f->offset,
                      "field %" PRIu32 " says %" PRIu64 " bytes, only %zu are left in its message",
                      f->number, n, (size_t)(end - p));
            return -1;
        }
        f->data = p;
        f->len = (size_t)n;
        p += n;
        break;
    default:
        malformed(err, f->offset, "field %" PRIu32 " has wire type %d (groups or unknown)",
                  f->number, (int)f->type);
        return -1;
    }
    *pos = (size_t)(p - buf);
    return 1;

bad_tag:
    malformed(err, f->offset, "not a field tag");
    return -1;
cut:
    malformed(err, f->offset, "field %" PRIu32 " is cut short", f->number);
    return -1;
}

/* A field the OTLP specification defines as a message must be length-delimited. */
static int expect_len(const struct field *f, const char *message, struct sm_error *err)
{
    if (f->type == WIRE_LEN)
        return 0;
    return malformed(err, f->offset, "field %" PRIu32 " of %s must be a message, got wire type %d",
                     f->number, message, (int)f->type);
}

/* ---- the scratch arena protobuf-c decodes into ---- */

struct scratch {
    struct sm_arena arena;
    size_t used_bytes;
    size_t limit_bytes;
    ProtobufCAllocator alloc;
};

static void *scratch_alloc(void *data, size_t size)
{
    struct scratch *s = data;

    if (size > s->limit_bytes - s->used_bytes)
        return NULL; /* protobuf-c then fails the unpack */
    s->used_bytes += size;
    return sm_arena_alloc(&s->arena, size);
}

static void scratch_free(void *data, void *p)
{
    (void)data;
    (void)p; /* freed all at once by scratch_reset */
}

static void scratch_init(struct scratch *s)
{
    sm_arena_init(&s->arena);
    s->used_bytes = 0;
    s->limit_bytes = 0;
    s->alloc.alloc = scratch_alloc;
    s->alloc.free = scratch_free;
    s->alloc.allocator_data = s;
}

/* Empties the arena and sets the budget for decoding a message of len bytes. */
static void scratch_reset(struct scratch *s, size_t len)
{
    if (s->used_bytes)
        sm_arena_reset(&s->arena);
    s->used_bytes = 0;
    s->limit_bytes = DECODE_SLACK_BYTES + (len > SIZE_MAX / 4 ? SIZE_MAX / 2 : 2 * len);
}

static void scratch_release(struct scratch *s)
{
    sm_arena_release(&s->arena);
}

/* ---- mapping one span ---- */

/* True when p[0..n) is UTF-8 without NUL, as a JSON string decoded by jansson is. */
static bool valid_text(const uint8_t *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        uint8_t c = p[i];
        uint32_t cp;
        size_t k, len;

        if (c >= 0x01 && c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false; /* NUL, a continuation byte, or 0xc0, 0xc1, 0xf5.. */
        }
        if (n - i < len)
            return false;
        for (k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i + k] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

/* A text field into the batch arena ("" is NULL, as sm_batch_str makes it); *ok false
 * when it is not valid text. */
static const char *batch_text(struct sm_batch *b, const ProtobufCBinaryData *d, bool *ok)
{
    *ok = valid_text(d->data, d->len);
    if (!*ok || d->len == 0)
        return NULL;
    return sm_arena_strndup(&b->arena, (const char *)d->data, d->len);
}

/* An AnyValue scalar as the JSON reader's sm_read_text writes it; NULL (leave the field
 * as it was) for arrays, maps, bytes, no value, and doubles JSON cannot hold. *empty is
 * true for a value that sets the field to NULL (the empty string). */
static const char *any_text(struct sm_batch *b, const SvcmapOtlp__AnyValue *v, bool *set, bool *ok)
{
    char tmp[64];
    struct sm_buf buf;
    const char *s;

    *set = true;
    *ok = true;
    switch (v ? v->value_case : SVCMAP_OTLP__ANY_VALUE__VALUE__NOT_SET) {
    case SVCMAP_OTLP__ANY_VALUE__VALUE_STRING_VALUE:
        return batch_text(b, &v->string_value, ok);
    case SVCMAP_OTLP__ANY_VALUE__VALUE_INT_VALUE:
        snprintf(tmp, sizeof(tmp), "%" PRId64, v->int_value);
        return sm_batch_str(b, tmp);
    case SVCMAP_OTLP__ANY_VALUE__VALUE_BOOL_VALUE:
        return sm_batch_str(b, v->bool_value ? "true" : "false");
    case SVCMAP_OTLP__ANY_VALUE__VALUE_DOUBLE_VALUE:
        if (isnan(v->double_value) || isinf(v->double_value))
            break;
        sm_buf_init(&buf);
        sm_buf_add_number(&buf, v->double_value);
        s = sm_batch_str(b, buf.data);
        sm_buf_release(&buf);
        return s;
    default:
        break;
    }
    *set = false;
    return NULL;
}

/* An HTTP status code from an AnyValue, read as sm_read_int64 reads its JSON twin: an
 * integer, an integral double, or a string of decimal digits. */
static void any_http_status(struct sm_span *s, const SvcmapOtlp__AnyValue *v)
{
    int64_t code;
    double d;
    char tmp[64];

    if (!v)
        return;
    switch (v->value_case) {
    case SVCMAP_OTLP__ANY_VALUE__VALUE_INT_VALUE:
        sm_read_set_http_status(s, v->int_value);
        break;
    case SVCMAP_OTLP__ANY_VALUE__VALUE_DOUBLE_VALUE:
        d = v->double_value;
        if (d != d || d < -9.2e18 || d > 9.2e18 || (double)(int64_t)d != d)
            break;
        sm_read_set_http_status(s, (int64_t)d);
        break;
    case SVCMAP_OTLP__ANY_VALUE__VALUE_STRING_VALUE:
        if (v->string_value.len == 0 || v->string_value.len >= sizeof(tmp))
            break;
        memcpy(tmp, v->string_value.data, v->string_value.len);
        tmp[v->string_value.len] = '\0';
        if (strlen(tmp) == v->string_value.len && sm_read_decimal(tmp, &code) == 0)
            sm_read_set_http_status(s, code);
        break;
    default:
        break;
    }
}

/* The key of an attribute as a C string for the name tables: keys with a NUL, or longer
 * than any name svcmap knows, match nothing and are skipped (NULL). */
static const char *attr_key(const ProtobufCBinaryData *key, char *buf, size_t size)
{
    if (key->len == 0) /* protobuf-c leaves data NULL */
        return "";
    if (key->len >= size || memchr(key->data, '\0', key->len))
        return NULL;
    memcpy(buf, key->data, key->len);
    buf[key->len] = '\0';
    return buf;
}

static int span_attributes(struct sm_batch *b, struct sm_span *s, SvcmapOtlp__KeyValue **attrs,
                           size_t n, size_t span_no, struct sm_error *err)
{
    char keybuf[64];
    size_t i;

    for (i = 0; i < n; i++) {
        const SvcmapOtlp__KeyValue *kv = attrs[i];
        const char *key = attr_key(&kv->key, keybuf, sizeof(keybuf));
        const char **field;
        const char *text;
        bool set, ok;

        if (!key)
            continue;
        switch (sm_read_attr_target(s, key, &field)) {
        case SM_READ_ATTR_TEXT:
            text = any_text(b, kv->value, &set, &ok);
            if (!ok)
                return sm_read_fail(err, span_no, "attribute \"%s\" is not valid UTF-8 text", key);
            if (set)
                *field = text;
            break;
        case SM_READ_ATTR_HTTP_STATUS:
            any_http_status(s, kv->value);
            break;
        case SM_READ_ATTR_NONE:
            break;
        }
    }
    return 0;
}

/* A Resource message's service name, namespace and version into res. */
static int parse_resource(const uint8_t *data, size_t len, struct scratch *sc, struct sm_batch *b,
                          struct sm_span *res, struct sm_error *err)
{
    SvcmapOtlp__Resource *r;
    char keybuf[64];
    size_t i;

    scratch_reset(sc, len);
    r = svcmap_otlp__resource__unpack(&sc->alloc, len, data);
    if (!r)
        return malformed(err, 0, "the resource does not decode");
    for (i = 0; i < r->n_attributes; i++) {
        const SvcmapOtlp__KeyValue *kv = r->attributes[i];
        const char *key = attr_key(&kv->key, keybuf, sizeof(keybuf));
        const char **field = key ? sm_read_otlp_resource_field(res, key) : NULL;
        const char *text;
        bool set, ok;

        if (!field)
            continue;
        text = any_text(b, kv->value, &set, &ok);
        if (!ok)
            return sm_error_set(err, SM_EINPUT, "resource attribute \"%s\" is not valid UTF-8 text",
                                key);
        if (set)
            *field = text;
    }
    return 0;
}

/* An id of bytes (16 or 8) as lowercase hex in the batch; required ids must be there and
 * not all zeros; an all-zero optional id is NULL. */
static int read_id(struct sm_batch *b, const ProtobufCBinaryData *d, size_t bytes, bool required,
                   const char *name, size_t span_no, const char **out, struct sm_error *err)
{
    static const char digits[] = "0123456789abcdef";
    char hex[33];
    size_t i;

    *out = NULL;
    if (d->len == 0) {
        if (required)
            return sm_read_fail(err, span_no, "\"%s\" is missing", name);
        return 0;
    }
    if (d->len != bytes)
        return sm_read_fail(err, span_no, "\"%s\" must be %zu bytes as OTLP requires, got %zu",
                            name, bytes, d->len);
    for (i = 0; i < bytes; i++) {
        hex[2 * i] = digits[d->data[i] >> 4];
        hex[2 * i + 1] = digits[d->data[i] & 15];
    }
    hex[2 * bytes] = '\0';
    *out = sm_batch_otlp_id(b, hex);
    if (!*out && required)
        return sm_read_fail(err, span_no, "\"%s\" must not be all zeros", name);
    return 0;
}

static int map_span(const SvcmapOtlp__Span *ps, const struct sm_span *res, size_t span_no,
                    struct sm_batch *b, struct sm_error *err)
{
    struct sm_span *s = sm_batch_add(b);
    bool ok;
    int rc;

    s->format = SM_FORMAT_OTLP;
    s->service = res->service;
    s->service_namespace = res->service_namespace;
    s->service_version = res->service_version;
    rc = read_id(b, &ps->trace_id, 16, true, "trace_id", span_no, &s->trace_id, err);
    if (!rc)
        rc = read_id(b, &ps->span_id, 8, true, "span_id", span_no, &s->span_id, err);
    if (!rc)
        rc = read_id(b, &ps->parent_span_id, 8, false, "parent_span_id", span_no, &s->parent_id,
                     err);
    if (rc)
        return rc;

    s->name = batch_text(b, &ps->name, &ok);
    if (!ok)
        return sm_read_fail(err, span_no, "\"name\" is not valid UTF-8 text");

    /* OTLP's numbering is the same as enum sm_span_kind's. */
    if ((int)ps->kind < 0 || (int)ps->kind > 5)
        return sm_read_fail(err, span_no, "\"kind\" must be 0 to 5, got %d", (int)ps->kind);
    s->kind = (enum sm_span_kind)ps->kind;

    if (ps->start_time_unix_nano > INT64_MAX || ps->end_time_unix_nano > INT64_MAX)
        return sm_read_fail(err, span_no, "\"%s\" must be a non-negative integer of nanoseconds",
                            ps->start_time_unix_nano > INT64_MAX ? "start_time_unix_nano"
                                                                 : "end_time_unix_nano");
    s->start_ns = (int64_t)ps->start_time_unix_nano;
    /* A span that ends before it starts has no usable duration; keep the span. protobuf
     * has no "absent": an unset end is 0 and so ends before any start. */
    if (s->start_ns > 0 && ps->end_time_unix_nano >= ps->start_time_unix_nano) {
        s->duration_ns = (int64_t)(ps->end_time_unix_nano - ps->start_time_unix_nano);
        s->has_duration = true;
    }

    if (ps->status) {
        if ((int)ps->status->code < 0 || (int)ps->status->code > 2)
            return sm_read_fail(err, span_no, "\"status.code\" must be 0 to 2, got %d",
                                (int)ps->status->code);
        s->error = ps->status->code == SVCMAP_OTLP__STATUS__STATUS_CODE__STATUS_CODE_ERROR;
    }
    return span_attributes(b, s, ps->attributes, ps->n_attributes, span_no, err);
}

/* ---- walking the outer messages ---- */

struct item_state {
    struct scratch scratch;
    struct sm_span res; /* the resource's fields, strings in the batch */
};

/* The spans of one ScopeSpans message (at offset base of the item). */
static int parse_scope(const uint8_t *data, size_t len, size_t base, struct item_state *st,
                       size_t *span_no, struct sm_batch *b, struct sm_error *err)
{
    size_t pos = 0, keep;
    struct field f = {0};
    int rc;

    while ((rc = next_field(data, len, &pos, &f, err)) > 0) {
        SvcmapOtlp__Span *ps;

        if (f.number != SCOPE_SPANS_SPANS)
            continue;
        if (expect_len(&f, "ScopeSpans", err) != 0) {
            err->offset += (long long)base;
            return SM_EINPUT;
        }
        ++*span_no;
        scratch_reset(&st->scratch, f.len);
        ps = svcmap_otlp__span__unpack(&st->scratch.alloc, f.len, f.data);
        /* a bad span costs only itself: its bytes are delimited, the next one is found */
        if (!ps) {
            if (st->scratch.used_bytes >= st->scratch.limit_bytes / 2)
                sm_read_fail(err, *span_no, "needs more than %zu MiB to decode",
                             st->scratch.limit_bytes >> 20);
            else
                sm_read_fail(err, *span_no, "malformed protobuf: the span does not decode");
            sm_batch_skip(b, b->len, 1, err->text);
            sm_error_init(err);
            continue;
        }
        keep = b->len;
        if (map_span(ps, &st->res, *span_no, b, err) != 0) {
            sm_batch_skip(b, keep, 1, err->text);
            sm_error_init(err);
        }
    }
    if (rc < 0)
        err->offset += (long long)base;
    return rc;
}

int sm_otlp_proto_parse_item(const void *data, size_t len, size_t *span_no, struct sm_batch *out,
                             struct sm_error *err)
{
    const uint8_t *buf = data;
    struct item_state st;
    struct field f = {0};
    size_t pos = 0;
    bool has_scope_spans = false;
    int rc;

    out->format = SM_FORMAT_OTLP;
    memset(&st.res, 0, sizeof(st.res));
    scratch_init(&st.scratch);
    /* First pass: the resource (which a sender may put anywhere, even twice: protobuf
     * merges repeated message fields, so its attributes apply in order) and whether the
     * item has scope_spans, which win over the deprecated instrumentation_library_spans. */
    while ((rc = next_field(buf, len, &pos, &f, err)) > 0) {
        if (f.number == RESOURCE_SPANS_RESOURCE) {
            rc = expect_len(&f, "ResourceSpans", err);
            if (!rc) {
                rc = parse_resource(f.data, f.len, &st.scratch, out, &st.res, err);
                if (rc)
                    err->offset = (long long)f.offset;
            }
            if (rc)
                goto out;
        } else if (f.number == RESOURCE_SPANS_SCOPE_SPANS) {
            has_scope_spans = true;
        }
    }
    if (rc < 0)
        goto out;
    pos = 0;
    while ((rc = next_field(buf, len, &pos, &f, err)) > 0) {
        uint32_t want = has_scope_spans ? RESOURCE_SPANS_SCOPE_SPANS : RESOURCE_SPANS_LIBRARY_SPANS;

        if (f.number != want)
            continue;
        rc = expect_len(&f, "ResourceSpans", err);
        if (!rc)
            rc = parse_scope(f.data, f.len, (size_t)(f.data - buf), &st, span_no, out, err);
        if (rc)
            goto out;
    }
out:
    scratch_release(&st.scratch);
    return rc < 0 ? SM_EINPUT : 0;
}

int sm_otlp_proto_next_item(const void *msg, size_t len, size_t *pos,
                            struct sm_otlp_proto_item *item, struct sm_error *err)
{
    struct field f = {0};
    int rc;

    while ((rc = next_field(msg, len, pos, &f, err)) > 0) {
        if (f.number != TRACES_DATA_RESOURCE_SPANS)
            continue;
        if (expect_len(&f, "TracesData", err) != 0)
            return SM_EINPUT;
        item->data = f.data;
        item->len = f.len;
        item->offset = (size_t)(f.data - (const uint8_t *)msg);
        return 1;
    }
    return rc < 0 ? SM_EINPUT : 0;
}

int sm_otlp_proto_parse(const void *data, size_t len, struct sm_batch *out, struct sm_error *err)
{
    struct sm_otlp_proto_item item;
    size_t pos = 0, span_no = 0;
    char text[sizeof(err->text)];
    int rc;

    out->format = SM_FORMAT_OTLP;
    while ((rc = sm_otlp_proto_next_item(data, len, &pos, &item, err)) > 0) {
        rc = sm_otlp_proto_parse_item(item.data, item.len, &span_no, out, err);
        if (rc < 0) {
            if (err->offset >= 0)
                err->offset += (long long)item.offset;
            break;
        }
    }
    if (rc < 0 && err->offset >= 0) {
        /* No file to carry the place: say it in the text. */
        snprintf(text, sizeof(text), "%s", err->text);
        sm_error_set(err, SM_EINPUT, "byte %lld: %s", err->offset, text);
    }
    return rc < 0 ? SM_EINPUT : 0;
}

/* ---- recognizing a message from its first bytes ---- */

/* The OTLP messages a sniff walks into, with the fields each may hold. */
enum sniff_msg {
    S_NONE = 0, /* a scalar or a string: not walked */
    S_TRACES,
    S_RESOURCE_SPANS,
    S_RESOURCE,
    S_SCOPE_SPANS,
    S_SCOPE,
    S_SPAN,
    S_STATUS,
    S_EVENT,
    S_LINK,
    S_KEY_VALUE,
    S_ANY_VALUE,
    S_ARRAY,
    S_KVLIST,
};

struct sniff_field {
    uint8_t msg;
    uint16_t number;
    uint8_t type;
    uint8_t sub;
};

static const struct sniff_field sniff_fields[] = {
    {S_TRACES, 1, WIRE_LEN, S_RESOURCE_SPANS},
    {S_RESOURCE_SPANS, 1, WIRE_LEN, S_RESOURCE},
    {S_RESOURCE_SPANS, 2, WIRE_LEN, S_SCOPE_SPANS},
    {S_RESOURCE_SPANS, 3, WIRE_LEN, S_NONE},
    {S_RESOURCE_SPANS, 1000, WIRE_LEN, S_SCOPE_SPANS},
    {S_RESOURCE, 1, WIRE_LEN, S_KEY_VALUE},
    {S_RESOURCE, 2, WIRE_VARINT, S_NONE},
    {S_SCOPE_SPANS, 1, WIRE_LEN, S_SCOPE},
    {S_SCOPE_SPANS, 2, WIRE_LEN, S_SPAN},
    {S_SCOPE_SPANS, 3, WIRE_LEN, S_NONE},
    {S_SCOPE, 1, WIRE_LEN, S_NONE},
    {S_SCOPE, 2, WIRE_LEN, S_NONE},
    {S_SCOPE, 3, WIRE_LEN, S_KEY_VALUE},
    {S_SCOPE, 4, WIRE_VARINT, S_NONE},
    {S_SPAN, 1, WIRE_LEN, S_NONE},
    {S_SPAN, 2, WIRE_LEN, S_NONE},
    {S_SPAN, 3, WIRE_LEN, S_NONE},
    {S_SPAN, 4, WIRE_LEN, S_NONE},
    {S_SPAN, 5, WIRE_LEN, S_NONE},
    {S_SPAN, 6, WIRE_VARINT, S_NONE},
    {S_SPAN, 7, WIRE_I64, S_NONE},
    {S_SPAN, 8, WIRE_I64, S_NONE},
    {S_SPAN, 9, WIRE_LEN, S_KEY_VALUE},
    {S_SPAN, 10, WIRE_VARINT, S_NONE},
    {S_SPAN, 11, WIRE_LEN, S_EVENT},
    {S_SPAN, 12, WIRE_VARINT, S_NONE},
    {S_SPAN, 13, WIRE_LEN, S_LINK},
    {S_SPAN, 14, WIRE_VARINT, S_NONE},
    {S_SPAN, 15, WIRE_LEN, S_STATUS},
    {S_SPAN, 16, WIRE_I32, S_NONE},
    {S_STATUS, 1, WIRE_VARINT, S_NONE},
    {S_STATUS, 2, WIRE_LEN, S_NONE},
    {S_STATUS, 3, WIRE_VARINT, S_NONE},
    {S_EVENT, 1, WIRE_I64, S_NONE},
    {S_EVENT, 2, WIRE_LEN, S_NONE},
    {S_EVENT, 3, WIRE_LEN, S_KEY_VALUE},
    {S_EVENT, 4, WIRE_VARINT, S_NONE},
    {S_LINK, 1, WIRE_LEN, S_NONE},
    {S_LINK, 2, WIRE_LEN, S_NONE},
    {S_LINK, 3, WIRE_LEN, S_NONE},
    {S_LINK, 4, WIRE_LEN, S_KEY_VALUE},
    {S_LINK, 5, WIRE_VARINT, S_NONE},
    {S_LINK, 6, WIRE_I32, S_NONE},
    {S_KEY_VALUE, 1, WIRE_LEN, S_NONE},
    {S_KEY_VALUE, 2, WIRE_LEN, S_ANY_VALUE},
    {S_ANY_VALUE, 1, WIRE_LEN, S_NONE},
    {S_ANY_VALUE, 2, WIRE_VARINT, S_NONE},
    {S_ANY_VALUE, 3, WIRE_VARINT, S_NONE},
    {S_ANY_VALUE, 4, WIRE_I64, S_NONE},
    {S_ANY_VALUE, 5, WIRE_LEN, S_ARRAY},
    {S_ANY_VALUE, 6, WIRE_LEN, S_KVLIST},
    {S_ANY_VALUE, 7, WIRE_LEN, S_NONE},
    {S_ARRAY, 1, WIRE_LEN, S_ANY_VALUE},
    {S_KVLIST, 1, WIRE_LEN, S_KEY_VALUE},
};

#define SNIFF_MAX_DEPTH 16

/* Walks a message of kind msg whose first avail bytes are at p and whose whole length is
 * declared (>= avail; SIZE_MAX when unknown). Returns how many known fields were seen,
 * or -1 when the bytes cannot be this message. The outer messages (TracesData down to
 * ScopeSpans) admit only their known fields; inner ones also unknown fields of a valid
 * wire type, as a newer sender may add them. */
static int sniff_walk(const uint8_t *p, size_t avail, size_t declared, enum sniff_msg msg,
                      int depth)
{
    bool strict = msg == S_TRACES || msg == S_RESOURCE_SPANS || msg == S_SCOPE_SPANS;
    bool cut_ok = avail < declared; /* the head ends inside this message */
    const uint8_t *q = p, *end = p + avail;
    int known = 0;

    while (q < end) {
        const struct sniff_field *sf = NULL;
        uint64_t tag, n;
        uint32_t number;
        unsigned type;
        size_t i, left;
        int sub;

        if (read_varint(&q, end, &tag) != 0)
            return cut_ok ? known : -1;
        number = (uint32_t)(tag >> 3);
        type = (unsigned)(tag & 7);
        if (tag >> 32 || number == 0 || type == WIRE_SGROUP || type == WIRE_EGROUP || type > 5)
            return -1;
        for (i = 0; i < sizeof(sniff_fields) / sizeof(sniff_fields[0]); i++) {
            if (sniff_fields[i].msg == msg && sniff_fields[i].number == number) {
                sf = &sniff_fields[i];
                break;
            }
        }
        if (sf ? sf->type != type : strict)
            return -1;
        if (sf)
            known++;
        left = (size_t)(end - q);
        switch (type) {
        case WIRE_VARINT:
            if (read_varint(&q, end, &n) != 0)
                return cut_ok ? known : -1;
            break;
        case WIRE_I64:
        case WIRE_I32:
            if (left < (type == WIRE_I64 ? 8u : 4u))
                return cut_ok ? known : -1;
            q += type == WIRE_I64 ? 8 : 4;
            break;
        default: /* WIRE_LEN */
            if (read_varint(&q, end, &n) != 0)
                return cut_ok ? known : -1;
            left = (size_t)(end - q);
            /* the length must fit the message it is in */
            if (declared != SIZE_MAX && n > declared - (size_t)(q - p))
                return -1;
            if (!cut_ok && n > left)
                return -1;
            if (sf && sf->sub != S_NONE && depth < SNIFF_MAX_DEPTH) {
                sub = sniff_walk(q, n < left ? (size_t)n : left, (size_t)n, (enum sniff_msg)sf->sub,
                                 depth + 1);
                if (sub < 0)
                    return -1;
                known += sub;
            }
            if (n > left)
                return known; /* the head ends inside this field */
            q += n;
            break;
        }
    }
    return known;
}

int sm_otlp_proto_sniff_message(const void *head, size_t head_len, size_t msg_len)
{
    const uint8_t *p = head, *q, *end;
    uint64_t n;
    size_t avail = head_len;
    int known;

    if (msg_len && avail > msg_len)
        avail = msg_len;
    end = p + avail;
    /* Every real producer writes field 1 (resource_spans) first; only the first item is
     * judged, so that what follows it (another item cut anywhere, or bytes a reader will
     * name as broken) does not hide a message. */
    if (avail < 2 || p[0] != 0x0a)
        return 0;
    q = p + 1;
    if (read_varint(&q, end, &n) != 0)
        return 0;
    if (msg_len && n > msg_len - (size_t)(q - p))
        return 0;
    known = sniff_walk(q, n < (size_t)(end - q) ? (size_t)n : (size_t)(end - q), (size_t)n,
                       S_RESOURCE_SPANS, 1);
    /* something inside the item, not only an empty one */
    if (known < 1)
        return 0;
    return known >= 3 ? 100 : 80;
}
/* ---- reading a file: one message, or the file exporter's length-prefixed messages ---- */

/* The bytes of an input, buffered from the current place on. */
struct stream {
    struct sm_input *in;
    char *data;
    size_t len, cap;
    size_t pos;     /* consumed so far in data */
    long long base; /* input offset of data[0] */
    bool eof;
};

#define STREAM_READ_BYTES ((size_t)256 << 10)

/* Buffers at least n unconsumed bytes (fewer only at the end of the input). */
static int stream_fill(struct stream *s, size_t n, struct sm_error *err)
{
    if (s->len - s->pos >= n)
        return 0;
    if (s->pos > 0) {
        memmove(s->data, s->data + s->pos, s->len - s->pos);
        s->len -= s->pos;
        s->base += (long long)s->pos;
        s->pos = 0;
    }
    while (s->len < n && !s->eof) {
        /* Grow by what is there, not by what a length claims: a hostile length costs
         * at most twice the bytes the input really has. */
        size_t want = s->len > STREAM_READ_BYTES ? s->len : STREAM_READ_BYTES;
        ssize_t got;

        sm_grow(&s->data, &s->cap, s->len + want, 1);
        got = sm_input_read(s->in, s->data + s->len, want, err);
        if (got < 0)
            return (int)got;
        if (got == 0)
            s->eof = true;
        s->len += (size_t)got;
    }
    return 0;
}

static size_t stream_avail(const struct stream *s)
{
    return s->len - s->pos;
}

static long long stream_offset(const struct stream *s)
{
    return s->base + (long long)s->pos;
}

/* Consumes n bytes, reading past what is buffered when needed (a field skipped whole). */
static int stream_skip(struct stream *s, uint64_t n, struct sm_error *err)
{
    while (n > 0) {
        size_t step;
        int rc;

        if (stream_avail(s) == 0) {
            rc = stream_fill(s, 1, err);
            if (rc)
                return rc;
            if (stream_avail(s) == 0)
                return 1; /* the input ended first */
        }
        step = stream_avail(s) < n ? stream_avail(s) : (size_t)n;
        s->pos += step;
        n -= step;
    }
    return 0;
}

/* What a read function needs while it walks one input. */
struct file_reader {
    struct stream st;
    struct sm_read_sink *sink;
    const char *file;
    size_t max_message_bytes;
    struct sm_batch batch;
    struct sm_buf inflated; /* a zstd frame's message */
    ZSTD_DCtx *zstd;
};

static int file_fail(struct file_reader *r, long long offset, struct sm_error *err, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));

static int file_fail(struct file_reader *r, long long offset, struct sm_error *err, const char *fmt,
                     ...)
{
    char text[sizeof(err->text)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    return sm_error_at(err, SM_EINPUT, r->file, 0, 0, offset, "%s", text);
}

/* A bad record at offset: skipped and counted, or the error with strict. */
static int file_bad(struct file_reader *r, long long offset, const char *prefix,
                    const struct sm_error *why, struct sm_error *err)
{
    struct sm_error bad;

    sm_error_init(&bad);
    sm_error_at(&bad, SM_EINPUT, r->file, 0, 0, offset, "%s%s", prefix, why->text);
    return sm_sink_bad_record(r->sink, &bad, err);
}

/* ---- other signals in the file exporter's frames ---- */

/* One file exporter serving several pipelines writes LogsData and MetricsData messages
 * between the TracesData ones. The three are alike down to the records: field 1 holds
 * ResourceLogs / ResourceMetrics / ResourceSpans, each with scope_logs / scope_metrics /
 * scope_spans at field 2, each of those with its records at field 2. The records tell
 * them apart by the wire types of their fields (opentelemetry-proto's trace.proto,
 * logs.proto and metrics.proto): a LogRecord starts with time_unix_nano (field 1,
 * fixed64) where a Span has trace_id (bytes); a Metric has sum (7) and
 * exponential_histogram (10) as messages where a Span has end_time (fixed64) and
 * dropped_attributes_count (varint). A Metric with only name, description, unit and
 * gauge (fields 1, 2, 3, 5, all bytes) fits Span's wire types too, so a span must also
 * have a 16-byte trace_id and an 8-byte span_id, and a metric one of its data fields
 * (5, 7, 9, 10, 11). What fits none of them goes to the span reader, which says what is
 * wrong with it; only a span with ids of the wrong size and a name or attributes, but
 * no times, kind or status, reads as a metric. */
enum signal { SIGNAL_NONE = 0, SIGNAL_SPANS, SIGNAL_LOGS, SIGNAL_METRICS };

#define W_NONE        (-1)
#define RECORD_FIELDS 17 /* numbers 1 to 16 are judged; higher ones are new, ignored */
/* Wire type of each field number of a record, W_NONE where the message has none. */
static const int8_t span_wire[RECORD_FIELDS] = {
    [0] = W_NONE,       [1] = WIRE_LEN,    [2] = WIRE_LEN,     [3] = WIRE_LEN,  [4] = WIRE_LEN,
    [5] = WIRE_LEN,     [6] = WIRE_VARINT, [7] = WIRE_I64,     [8] = WIRE_I64,  [9] = WIRE_LEN,
    [10] = WIRE_VARINT, [11] = WIRE_LEN,   [12] = WIRE_VARINT, [13] = WIRE_LEN, [14] = WIRE_VARINT,
    [15] = WIRE_LEN,    [16] = WIRE_I32};
static const int8_t log_wire[RECORD_FIELDS] = {
    [0] = W_NONE,    [1] = WIRE_I64,  [2] = WIRE_VARINT, [3] = WIRE_LEN, [4] = W_NONE,
    [5] = WIRE_LEN,  [6] = WIRE_LEN,  [7] = WIRE_VARINT, [8] = WIRE_I32, [9] = WIRE_LEN,
    [10] = WIRE_LEN, [11] = WIRE_I64, [12] = WIRE_LEN,   [13] = W_NONE,  [14] = W_NONE,
    [15] = W_NONE,   [16] = W_NONE};
static const int8_t metric_wire[RECORD_FIELDS] = {
    [0] = W_NONE,    [1] = WIRE_LEN,  [2] = WIRE_LEN,  [3] = WIRE_LEN, [4] = W_NONE,
    [5] = WIRE_LEN,  [6] = W_NONE,    [7] = WIRE_LEN,  [8] = W_NONE,   [9] = WIRE_LEN,
    [10] = WIRE_LEN, [11] = WIRE_LEN, [12] = WIRE_LEN, [13] = W_NONE,  [14] = W_NONE,
    [15] = W_NONE,   [16] = W_NONE};

/* The field at *p (before end): its number, wire type and, for bytes, its declared
 * length and the part of it before end. Unlike next_field it accepts a field cut by end
 * (a sniffed head). Returns 0, or -1 when no tag or length can be read. */
static int peek_field(const uint8_t **p, const uint8_t *end, uint32_t *number, int *type,
                      uint64_t *len, const uint8_t **data, size_t *avail)
{
    uint64_t tag, v;

    if (read_varint(p, end, &tag) != 0 || tag >> 32 || (tag >> 3) == 0)
        return -1;
    *number = (uint32_t)(tag >> 3);
    *type = (int)(tag & 7);
    *len = 0;
    *data = *p;
    *avail = 0;
    switch (*type) {
    case WIRE_VARINT:
        return read_varint(p, end, &v);
    case WIRE_I64:
    case WIRE_I32: {
        size_t n = *type == WIRE_I64 ? 8 : 4;

        if ((size_t)(end - *p) < n)
            return -1;
        *p += n;
        return 0;
    }
    case WIRE_LEN:
        if (read_varint(p, end, len) != 0)
            return -1;
        *data = *p;
        *avail = *len < (uint64_t)(end - *p) ? (size_t)*len : (size_t)(end - *p);
        *p += *avail;
        return 0;
    default:
        return -1;
    }
}

/* Which record rec[0..avail) is (see above); a record cut short is judged by its start. */
static enum signal classify_record(const uint8_t *rec, size_t avail)
{
    const uint8_t *p = rec, *end = rec + avail, *data;
    bool span = true, log = true, metric = true, metric_data = false;
    uint64_t len, trace_id_len = 0, span_id_len = 0;
    uint32_t number;
    size_t part;
    int type;

    while (p < end && peek_field(&p, end, &number, &type, &len, &data, &part) == 0) {
        if (number >= RECORD_FIELDS)
            continue;
        span = span && span_wire[number] == type;
        log = log && log_wire[number] == type;
        metric = metric && metric_wire[number] == type;
        /* a Metric has one of its data fields: gauge, sum, histogram, ... */
        metric_data = metric_data ||
                      (type == WIRE_LEN &&
                       (number == 5 || number == 7 || number == 9 || number == 10 || number == 11));
        if (number == 1 && type == WIRE_LEN)
            trace_id_len = len;
        if (number == 2 && type == WIRE_LEN)
            span_id_len = len;
    }
    if (span && trace_id_len == 16 && span_id_len == 8)
        return SIGNAL_SPANS;
    metric = metric && metric_data;
    if (log && !metric)
        return SIGNAL_LOGS;
    if (metric && !log)
        return SIGNAL_METRICS;
    return SIGNAL_SPANS; /* the span reader says what is wrong with it */
}

/* The signal of a message (msg[0..avail), perhaps cut short): its first record's, found
 * at field 1 > field 2 > field 2; SIGNAL_NONE when it holds no record. Only fields 1 to
 * 3 (and the deprecated 1000 of ResourceSpans) may appear above the records. */
static enum signal classify_message(const uint8_t *msg, size_t avail, int depth)
{
    const uint8_t *p = msg, *end = msg + avail, *data;
    uint32_t number;
    uint64_t len;
    size_t part;
    int type;

    while (p < end) {
        enum signal sig;

        if (peek_field(&p, end, &number, &type, &len, &data, &part) != 0)
            return SIGNAL_NONE;
        if (type != WIRE_LEN || (number > 3 && number != 1000))
            return SIGNAL_NONE;
        if (depth == 0 && number == 1)
            sig = classify_message(data, part, 1);
        else if (depth == 1 && number == 2)
            sig = classify_message(data, part, 2);
        else if (depth == 2 && number == 2)
            sig = part > 0 ? classify_record(data, part) : SIGNAL_NONE;
        else
            continue;
        if (sig != SIGNAL_NONE)
            return sig;
    }
    return SIGNAL_NONE;
}

/* One ResourceSpans item at input offset item_off (or inside a compressed message:
 * prefix says so and item_off is the message's frame): its spans, or a bad record. */
static int file_item(struct file_reader *r, const void *data, size_t len, long long item_off,
                     bool exact, const char *prefix, struct sm_error *err)
{
    struct sm_error why;
    size_t span_no = 0;
    int rc;

    sm_batch_reset(&r->batch);
    sm_error_init(&why);
    rc = sm_otlp_proto_parse_item(data, len, &span_no, &r->batch, &why);
    if (rc < 0)
        return file_bad(r, exact && why.offset >= 0 ? item_off + why.offset : item_off, prefix,
                        &why, err);
    rc = sm_sink_batch_skips(r->sink, &r->batch, 0, 0, item_off, prefix, err);
    if (rc < 0)
        return rc;
    r->batch.format = SM_FORMAT_OTLP_PROTO;
    r->batch.whole_traces = false;
    return sm_sink_spans(r->sink, &r->batch, err);
}

/* The items of one whole TracesData message held in memory (a file exporter frame); a
 * LogsData or MetricsData message there is counted as ignored, as in JSON. */
static int file_message(struct file_reader *r, const void *msg, size_t len, long long msg_off,
                        bool exact, const char *prefix, struct sm_error *err)
{
    struct sm_otlp_proto_item item;
    struct sm_error why;
    size_t pos = 0;
    enum signal sig = classify_message(msg, len, 0);
    int rc;

    if (sig == SIGNAL_LOGS || sig == SIGNAL_METRICS) {
        sm_sink_ignored(r->sink, sig == SIGNAL_LOGS ? "resourceLogs" : "resourceMetrics");
        return 0;
    }
    sm_error_init(&why);
    while ((rc = sm_otlp_proto_next_item(msg, len, &pos, &item, &why)) > 0) {
        rc = file_item(r, item.data, item.len, exact ? msg_off + (long long)item.offset : msg_off,
                       exact, prefix, err);
        if (rc)
            return rc;
    }
    if (rc < 0) /* the rest of this message is lost; the next frame is still found */
        return file_bad(r, exact ? msg_off + why.offset : msg_off, prefix, &why, err);
    return 0;
}

/* Reads a field's tag and, for a length-delimited field, its length, at the stream's
 * place: 1 with *hdr the bytes they take, 0 at the end of the input, SM_EINPUT. */
static int stream_field_head(struct file_reader *r, struct field *f, size_t *hdr,
                             struct sm_error *err)
{
    const uint8_t *p, *q;
    uint64_t tag, n = 0;
    int rc = stream_fill(&r->st, 20, err);

    if (rc)
        return rc;
    if (stream_avail(&r->st) == 0)
        return 0;
    p = q = (const uint8_t *)r->st.data + r->st.pos;
    if (read_varint(&q, p + stream_avail(&r->st), &tag) != 0 || tag >> 32 || (tag >> 3) == 0)
        return file_fail(r, stream_offset(&r->st), err, "malformed protobuf: not a field tag");
    f->number = (uint32_t)(tag >> 3);
    f->type = (enum wire)(tag & 7);
    switch (f->type) {
    case WIRE_VARINT:
        if (read_varint(&q, p + stream_avail(&r->st), &n) != 0)
            goto cut;
        f->len = 0;
        break;
    case WIRE_I64:
        f->len = 8;
        break;
    case WIRE_I32:
        f->len = 4;
        break;
    case WIRE_LEN:
        if (read_varint(&q, p + stream_avail(&r->st), &n) != 0)
            goto cut;
        if (n > (uint64_t)SIZE_MAX / 2)
            return file_fail(r, stream_offset(&r->st), err,
                             "malformed protobuf: field %" PRIu32 " says %" PRIu64 " bytes",
                             f->number, n);
        f->len = (size_t)n;
        break;
    default:
        return file_fail(r, stream_offset(&r->st), err,
                         "malformed protobuf: field %" PRIu32
                         " has wire type %d (groups or unknown)",
                         f->number, (int)f->type);
    }
    *hdr = (size_t)(q - p);
    return 1;
cut:
    return file_fail(r, stream_offset(&r->st), err,
                     "malformed protobuf: field %" PRIu32 " is cut short", f->number);
}

/* A whole file that is one TracesData message, read item by item: memory follows the
 * largest ResourceSpans, not the file. */
static int read_whole_message(struct file_reader *r, struct sm_error *err)
{
    struct field f = {0};
    size_t hdr = 0;
    int rc;

    while ((rc = stream_field_head(r, &f, &hdr, err)) > 0) {
        long long at = stream_offset(&r->st);

        if (f.number == TRACES_DATA_RESOURCE_SPANS && f.type != WIRE_LEN)
            return file_fail(r, at, err,
                             "malformed protobuf: field 1 of TracesData must be a message, got "
                             "wire type %d",
                             (int)f.type);
        if (f.number != TRACES_DATA_RESOURCE_SPANS || f.len > r->max_message_bytes) {
            r->st.pos += hdr;
            rc = stream_skip(&r->st, f.len, err);
            if (rc < 0)
                return rc;
            if (rc > 0)
                return file_fail(r, at, err,
                                 "malformed protobuf: field %" PRIu32
                                 " says %zu bytes, the input ends first",
                                 f.number, f.len);
            if (f.number == TRACES_DATA_RESOURCE_SPANS) {
                struct sm_error why;

                sm_error_init(&why);
                sm_error_set(&why, SM_EINPUT,
                             "a resource spans item of %zu bytes is larger than the limit of %zu",
                             f.len, r->max_message_bytes);
                rc = file_bad(r, at, "", &why, err);
                if (rc)
                    return rc;
            }
            continue;
        }
        rc = stream_fill(&r->st, hdr + f.len, err);
        if (rc)
            return rc;
        if (stream_avail(&r->st) < hdr + f.len)
            return file_fail(r, at, err,
                             "malformed protobuf: field 1 says %zu bytes, only %zu are left in "
                             "the input",
                             f.len, stream_avail(&r->st) - hdr);
        r->st.pos += hdr;
        rc = file_item(r, r->st.data + r->st.pos, f.len, at + (long long)hdr, true, "", err);
        r->st.pos += f.len;
        if (rc)
            return rc;
    }
    return rc;
}

static bool is_zstd(const void *p, size_t len)
{
    static const unsigned char magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

    return len >= 4 && !memcmp(p, magic, 4);
}

/* Decompresses a frame's payload (one or more zstd frames) into r->inflated, at most
 * max_message_bytes. 0, or SM_EINPUT with why's text. */
static int inflate_zstd(struct file_reader *r, const void *data, size_t len, struct sm_error *why)
{
    ZSTD_inBuffer in = {data, len, 0};
    size_t ret = 1;

    if (!r->zstd) {
        r->zstd = ZSTD_createDCtx();
        if (!r->zstd)
            return sm_error_set(why, SM_ESYSTEM, "cannot set up zstd decompression");
    }
    ZSTD_DCtx_reset(r->zstd, ZSTD_reset_session_only);
    sm_buf_reset(&r->inflated);
    while (in.pos < in.size || ret != 0) {
        ZSTD_outBuffer out;
        size_t room = ZSTD_DStreamOutSize();

        if (r->inflated.len + room > r->max_message_bytes)
            room = r->max_message_bytes - r->inflated.len;
        if (room == 0)
            return sm_error_set(why, SM_EINPUT,
                                "a zstd-compressed message is larger than the limit of %zu bytes",
                                r->max_message_bytes);
        sm_grow(&r->inflated.data, &r->inflated.cap, r->inflated.len + room + 1, 1);
        out.dst = r->inflated.data + r->inflated.len;
        out.size = room;
        out.pos = 0;
        ret = ZSTD_decompressStream(r->zstd, &out, &in);
        if (ZSTD_isError(ret))
            return sm_error_set(why, SM_EINPUT, "corrupt zstd data: %s", ZSTD_getErrorName(ret));
        r->inflated.len += out.pos;
        if (in.pos == in.size && ret != 0 && out.pos == 0)
            return sm_error_set(why, SM_EINPUT, "zstd data cut short");
    }
    return 0;
}

/* A frame's message in OTLP JSON (the file exporter's `format: json` with compression). */
static int file_json_message(struct file_reader *r, const char *text, size_t len, long long at,
                             struct sm_error *err)
{
    struct sm_error why;
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, 0, &jerr);
    int rc;

    sm_error_init(&why);
    if (!doc) {
        sm_error_set(&why, SM_EINPUT, "invalid JSON at byte %d: %s", jerr.position, jerr.text);
        return file_bad(r, at, "in a zstd-compressed message: ", &why, err);
    }
    if (!json_object_get(doc, "resourceSpans") && !json_object_get(doc, "resource_spans")) {
        const char *what = json_object_get(doc, "resourceLogs")       ? "resourceLogs"
                           : json_object_get(doc, "resourceMetrics")  ? "resourceMetrics"
                           : json_object_get(doc, "resourceProfiles") ? "resourceProfiles"
                                                                      : NULL;

        if (what) {
            json_decref(doc);
            sm_sink_ignored(r->sink, what);
            return 0;
        }
    }
    sm_batch_reset(&r->batch);
    rc = sm_reader_otlp.parse(NULL, doc, &r->batch, &why);
    json_decref(doc);
    if (rc < 0)
        return file_bad(r, at, "in a zstd-compressed message: ", &why, err);
    rc = sm_sink_batch_skips(r->sink, &r->batch, 0, 0, at, "in a zstd-compressed message: ", err);
    if (rc < 0)
        return rc;
    r->batch.format = SM_FORMAT_OTLP;
    r->batch.whole_traces = false;
    return sm_sink_spans(r->sink, &r->batch, err);
}

/* The Collector file exporter's framing: each message preceded by its length in 4 bytes,
 * big-endian; with compression, each message is a zstd frame. */
static int read_framed(struct file_reader *r, struct sm_error *err)
{
    for (;;) {
        const unsigned char *p;
        long long at;
        size_t len;
        int rc = stream_fill(&r->st, 4, err);

        if (rc)
            return rc;
        if (stream_avail(&r->st) == 0)
            return 0;
        at = stream_offset(&r->st);
        if (stream_avail(&r->st) < 4)
            return file_fail(r, at, err, "a message length needs 4 bytes, the input ends first");
        p = (const unsigned char *)r->st.data + r->st.pos;
        len = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
        if (len > r->max_message_bytes)
            return file_fail(r, at, err, "a message of %zu bytes is larger than the limit of %zu",
                             len, r->max_message_bytes);
        rc = stream_fill(&r->st, 4 + len, err);
        if (rc)
            return rc;
        if (stream_avail(&r->st) < 4 + len)
            return file_fail(r, at, err,
                             "the message length says %zu bytes, only %zu are left in the input",
                             len, stream_avail(&r->st) - 4);
        r->st.pos += 4;
        p = (const unsigned char *)r->st.data + r->st.pos;
        if (is_zstd(p, len)) {
            struct sm_error why;

            sm_error_init(&why);
            rc = inflate_zstd(r, p, len, &why);
            if (rc == SM_ESYSTEM)
                return sm_error_at(err, rc, r->file, 0, 0, at, "%s", why.text);
            if (rc)
                rc = file_bad(r, at + 4, "", &why, err);
            else if (r->inflated.len > 0 && r->inflated.data[0] == '{')
                rc = file_json_message(r, r->inflated.data, r->inflated.len, at + 4, err);
            else
                rc = file_message(r, r->inflated.data, r->inflated.len, at + 4, false,
                                  "in a zstd-compressed message: ", err);
        } else {
            rc = file_message(r, p, len, at + 4, true, "", err);
        }
        r->st.pos += len;
        if (rc)
            return rc;
    }
}

/* Which shape the head shows: 'm' one message, 'f' framed, 0 neither. */
static int sniff_shape(const char *head, size_t len, bool complete, int *score)
{
    const unsigned char *p = (const unsigned char *)head;
    size_t frame;

    /* The message's length is not taken from the input's: a file cut short is still
     * protobuf, and its reader then names the byte where it ends. */
    *score = sm_otlp_proto_sniff_message(head, len, 0);
    if (*score > 0)
        return 'm';
    if (len < 6)
        return 0;
    /* A frame: its length (at most the default message limit, so text, whose first
     * byte is printable, never passes), then a zstd frame or a TracesData message. */
    frame = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    if (frame < 2 || frame > SM_DEFAULT_MAX_ELEMENT_BYTES || (complete && frame > len - 4))
        return 0;
    if (is_zstd(p + 4, len - 4)) {
        *score = frame >= 9 ? 90 : 0;
        return *score ? 'f' : 0;
    }
    *score = sm_otlp_proto_sniff_message(head + 4, len - 4 < frame ? len - 4 : frame, frame);
    if (*score == 0 && p[4] == 0x0a) {
        /* a first frame of logs or metrics from an exporter that serves several pipelines */
        enum signal sig = classify_message(p + 4, len - 4 < frame ? len - 4 : frame, 0);

        *score = sig == SIGNAL_LOGS || sig == SIGNAL_METRICS ? 60 : 0;
    }
    return *score ? 'f' : 0;
}

static int sniff_otlp_proto(const char *head, size_t len, bool complete)
{
    int score;

    sniff_shape(head, len, complete, &score);
    return score;
}

static int read_otlp_proto(const struct sm_format *f, struct sm_input *in,
                           struct sm_read_sink *sink, struct sm_error *err)
{
    struct file_reader r;
    const char *head;
    size_t head_len;
    int score, shape, rc;

    (void)f;
    memset(&r, 0, sizeof(r));
    r.st.in = in;
    r.sink = sink;
    r.file = sink->file;
    r.max_message_bytes = sink->opt->limits.max_element_bytes ? sink->opt->limits.max_element_bytes
                                                              : SM_DEFAULT_MAX_ELEMENT_BYTES;
    sm_batch_init(&r.batch);
    sm_buf_init(&r.inflated);
    rc = sm_input_peek(in, SM_SNIFF_HEAD_BYTES, &head, &head_len, err);
    if (rc)
        goto out;
    shape = sniff_shape(head, head_len, head_len < SM_SNIFF_HEAD_BYTES, &score);
    /* --input-format otlp-proto on bytes that look like neither: read as one message,
     * whose first bad byte is then named */
    rc = shape == 'f' ? read_framed(&r, err) : read_whole_message(&r, err);
out:
    sm_batch_release(&r.batch);
    sm_buf_release(&r.inflated);
    free(r.st.data);
    ZSTD_freeDCtx(r.zstd);
    return rc;
}

const struct sm_format sm_format_otlp_proto = {
    .name = "otlp-proto",
    .id = SM_FORMAT_OTLP_PROTO,
    .summary = "OpenTelemetry OTLP protobuf (one TracesData message; the Collector file "
               "exporter's length-prefixed messages, zstd or not)",
    .spans = true,
    .sniff = sniff_otlp_proto,
    .read = read_otlp_proto,
};
