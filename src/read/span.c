/* span.c: the normalized span record: batches, id normalization, names, JSON lines.
 *
 * A batch is a growable array of spans plus an arena for their strings; readers append
 * to it one element at a time and the ingest loop resets it between elements, so the
 * steady state allocates nothing. Ids are normalized here, once, so that every later
 * stage compares them byte for byte: hex ids become lowercase and are left-padded to 16
 * or 32 digits, OTLP's base64 ids are decoded to hex first, anything else stays opaque.
 */
#include "svcmap/span.h"

#include "svcmap/hexid.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
    [SM_KIND_UNSET] = "unset",   [SM_KIND_INTERNAL] = "internal", [SM_KIND_SERVER] = "server",
    [SM_KIND_CLIENT] = "client", [SM_KIND_PRODUCER] = "producer", [SM_KIND_CONSUMER] = "consumer",
};

static const char *const format_names[] = {
    [SM_FORMAT_UNKNOWN] = "unknown",         [SM_FORMAT_OTLP] = "otlp",
    [SM_FORMAT_JAEGER] = "jaeger",           [SM_FORMAT_ZIPKIN] = "zipkin",
    [SM_FORMAT_ZIPKIN_DEPS] = "zipkin-deps", [SM_FORMAT_JAEGER_DEPS] = "jaeger-deps",
    [SM_FORMAT_PROMETHEUS] = "prometheus",   [SM_FORMAT_MAP] = "map",
    [SM_FORMAT_ZIPKIN1] = "zipkin1",         [SM_FORMAT_OTLP_PROTO] = "otlp-proto",
};

#define NFORMATS (sizeof(format_names) / sizeof(format_names[0]))

const char *sm_span_kind_name(enum sm_span_kind kind)
{
    if ((size_t)kind >= sizeof(kind_names) / sizeof(kind_names[0]))
        return "unset";
    return kind_names[kind];
}

const char *sm_format_name(enum sm_input_format format)
{
    if ((size_t)format >= NFORMATS)
        return "unknown";
    return format_names[format];
}

enum sm_input_format sm_format_from_name(const char *name)
{
    size_t i;

    if (!name)
        return SM_FORMAT_UNKNOWN;
    for (i = 1; i < NFORMATS; i++) {
        if (!sm_strcasecmp(name, format_names[i]))
            return (enum sm_input_format)i;
    }
    return SM_FORMAT_UNKNOWN;
}

void sm_batch_init(struct sm_batch *b)
{
    b->spans = NULL;
    b->len = 0;
    b->cap = 0;
    b->skips = NULL;
    b->nskips = 0;
    b->skips_cap = 0;
    sm_arena_init(&b->arena);
    b->whole_traces = false;
    b->format = SM_FORMAT_UNKNOWN;
}

void sm_batch_reset(struct sm_batch *b)
{
    b->len = 0;
    b->nskips = 0;
    sm_arena_reset(&b->arena);
    b->whole_traces = false;
}

void sm_batch_release(struct sm_batch *b)
{
    free(b->spans);
    free(b->skips);
    sm_arena_release(&b->arena);
    sm_batch_init(b);
}

struct sm_span *sm_batch_add(struct sm_batch *b)
{
    struct sm_span *s;

    sm_grow(&b->spans, &b->cap, b->len + 1, sizeof(*b->spans));
    s = &b->spans[b->len++];
    memset(s, 0, sizeof(*s));
    s->duration_ns = -1;
    s->format = b->format;
    return s;
}

void sm_batch_skip(struct sm_batch *b, size_t keep, uint64_t spans, const char *text)
{
    struct sm_span_skip *k;

    if (keep < b->len)
        b->len = keep;
    sm_grow(&b->skips, &b->skips_cap, b->nskips + 1, sizeof(*b->skips));
    k = &b->skips[b->nskips++];
    k->spans = spans;
    k->text = sm_arena_strdup(&b->arena, text ? text : "");
}

const char *sm_batch_str(struct sm_batch *b, const char *s)
{
    if (!s || !*s)
        return NULL;
    return sm_arena_strdup(&b->arena, s);
}

/* 1 + the value of each hex digit of either case; 0 for every other byte. */
static const unsigned char hex_digit1[256] = {
    ['0'] = 1,  ['1'] = 2,  ['2'] = 3,  ['3'] = 4,  ['4'] = 5,  ['5'] = 6,  ['6'] = 7,  ['7'] = 8,
    ['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
    ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

static int hex_value(int c)
{
    return (int)hex_digit1[(unsigned char)c] - 1;
}

static bool all_hex(const char *s, size_t len)
{
    size_t i = 0;
    uint64_t w;

    for (; i + 8 <= len; i += 8) {
        if (!sm_hex_lower8(sm_hex_load8(s + i), &w))
            return false;
    }
    for (; i < len; i++) {
        if (hex_value((unsigned char)s[i]) < 0)
            return false;
    }
    return true;
}

/* Lowercase hex of the len (1..32) digits at id, left-padded, into the arena; NULL when
 * all zeros. *ok is false (and nothing is kept) when id is not all hex digits. */
static const char *padded_hex(struct sm_batch *b, const char *id, size_t len, bool *ok)
{
    static const char lower[] = "0123456789abcdef";
    size_t width = len <= 16 ? 16 : 32;
    size_t pad = width - len, i;
    char out[33];
    int nonzero = 0;

    if (len == 16 || len == 32) {
        /* nearly every id: whole words of digits, nothing to pad */
        uint64_t any = 0, w;

        for (i = 0; i < len; i += 8) {
            if (!sm_hex_lower8(sm_hex_load8(id + i), &w)) {
                *ok = false;
                return NULL;
            }
            any |= w ^ ('0' * SM_HEX_ONES);
            sm_hex_store8(out + i, w);
        }
        *ok = true;
        return any ? sm_arena_strndup(&b->arena, out, len) : NULL;
    }
    memset(out, '0', pad);
    for (i = 0; i < len; i++) {
        int d = hex_value((unsigned char)id[i]);

        if (d < 0) {
            *ok = false;
            return NULL;
        }
        nonzero |= d;
        out[pad + i] = lower[d];
    }
    *ok = true;
    if (!nonzero)
        return NULL;
    return sm_arena_strndup(&b->arena, out, width);
}

const char *sm_batch_hex_id(struct sm_batch *b, const char *id)
{
    const char *out;
    size_t len;
    bool ok;

    if (!id || !*id)
        return NULL;
    len = strlen(id);
    if (len <= 32) {
        out = padded_hex(b, id, len, &ok);
        if (ok)
            return out;
    }
    return sm_arena_strndup(&b->arena, id, len);
}

const char *sm_batch_strict_hex_id_n(struct sm_batch *b, const char *id, size_t len, bool *ok)
{
    if (len == 0 || len > 32) {
        *ok = false;
        return NULL;
    }
    return padded_hex(b, id, len, ok);
}

const char *sm_batch_strict_hex_id(struct sm_batch *b, const char *id, bool *ok)
{
    return sm_batch_strict_hex_id_n(b, id, id ? strlen(id) : 0, ok);
}

static int base64_value(int c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+' || c == '-')
        return 62;
    if (c == '/' || c == '_')
        return 63;
    return -1;
}

/* Decodes standard or URL-safe base64 (padding optional) of at most 16 bytes into out.
 * Returns the byte count, or 0 when s is not such base64. Leftover bits must be zero,
 * so that every byte string has exactly one accepted spelling. */
static size_t base64_decode16(const char *s, unsigned char out[16])
{
    size_t len = strlen(s), n = 0, i;
    uint32_t acc = 0;
    int bits = 0;

    while (len > 0 && s[len - 1] == '=')
        len--;
    if (strlen(s) - len > 2 || len == 0 || len % 4 == 1 || len > 24)
        return 0;
    for (i = 0; i < len; i++) {
        int v = base64_value((unsigned char)s[i]);

        if (v < 0)
            return 0;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n == 16)
                return 0;
            out[n++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0)
        return 0;
    return n;
}

size_t sm_otlp_id_size(const char *id)
{
    unsigned char bytes[16];
    size_t len, n;

    if (!id)
        return 0;
    len = strlen(id);
    if ((len == 16 || len == 32) && all_hex(id, len))
        return len / 2;
    n = base64_decode16(id, bytes);
    return n == 8 || n == 16 ? n : 0;
}

const char *sm_batch_otlp_id(struct sm_batch *b, const char *id)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char bytes[16];
    char hex[33];
    size_t len, n, i;
    bool ok;

    if (!id || !*id)
        return NULL;
    len = strlen(id);
    if (len == 16 || len == 32) {
        const char *out = padded_hex(b, id, len, &ok);

        if (ok)
            return out;
    }
    n = base64_decode16(id, bytes);
    if (n != 8 && n != 16)
        return sm_batch_hex_id(b, id);
    for (i = 0; i < n; i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
    hex[2 * n] = '\0';
    return padded_hex(b, hex, 2 * n, &ok);
}

static void add_field_str(struct sm_buf *out, const char *name, const char *value)
{
    if (!value)
        return;
    sm_buf_printf(out, ",\"%s\":", name);
    sm_buf_add_json_string(out, value);
}

static void add_field_i64(struct sm_buf *out, const char *name, int64_t value)
{
    sm_buf_printf(out, ",\"%s\":%" PRId64, name, value);
}

void sm_span_to_json(const struct sm_span *span, struct sm_buf *out)
{
    size_t i;

    /* trace_id and span_id are required; a span without them is still printed so that
     * `svcmap spans` can show what a reader produced. */
    sm_buf_adds(out, "{\"trace_id\":");
    sm_buf_add_json_string(out, span->trace_id ? span->trace_id : "");
    add_field_str(out, "span_id", span->span_id ? span->span_id : "");
    add_field_str(out, "parent_id", span->parent_id);
    if (span->nrefs > 0) {
        sm_buf_adds(out, ",\"refs\":[");
        for (i = 0; i < span->nrefs; i++) {
            const struct sm_span_ref *r = &span->refs[i];

            sm_buf_adds(out, i ? ",{\"type\":" : "{\"type\":");
            sm_buf_adds(out, r->type == SM_REF_FOLLOWS_FROM ? "\"follows_from\"" : "\"child_of\"");
            add_field_str(out, "trace_id", r->trace_id ? r->trace_id : "");
            add_field_str(out, "span_id", r->span_id ? r->span_id : "");
            sm_buf_addc(out, '}');
        }
        sm_buf_addc(out, ']');
    }
    add_field_str(out, "service", span->service);
    add_field_str(out, "name", span->name);
    if (span->kind != SM_KIND_UNSET)
        add_field_str(out, "kind", sm_span_kind_name(span->kind));
    if (span->start_ns != 0)
        add_field_i64(out, "start_ns", span->start_ns);
    if (span->duration_ns >= 0)
        add_field_i64(out, "duration_ns", span->duration_ns);
    if (span->error)
        sm_buf_adds(out, ",\"error\":true");
    if (span->shared)
        sm_buf_adds(out, ",\"shared\":true");
    add_field_str(out, "remote_service", span->remote_service);
    add_field_str(out, "peer_service", span->peer_service);
    add_field_str(out, "db_system", span->db_system);
    add_field_str(out, "db_namespace", span->db_namespace);
    add_field_str(out, "db_name", span->db_name);
    add_field_str(out, "messaging_system", span->messaging_system);
    add_field_str(out, "messaging_destination", span->messaging_destination);
    add_field_str(out, "server_address", span->server_address);
    add_field_str(out, "server_port", span->server_port);
    add_field_str(out, "net_peer_name", span->net_peer_name);
    add_field_str(out, "http_host", span->http_host);
    if (span->http_status != 0)
        add_field_i64(out, "http_status", span->http_status);
    add_field_str(out, "service_namespace", span->service_namespace);
    add_field_str(out, "service_version", span->service_version);
    add_field_str(out, "format", sm_format_name(span->format));
    sm_buf_addc(out, '}');
}
