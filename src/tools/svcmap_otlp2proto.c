/* svcmap_otlp2proto.c: OTLP JSON lines -> OTLP protobuf, for benchmarks and tests.
 *
 * usage: svcmap-otlp2proto [--framed] [-o OUT] [FILE]
 *
 * Reads OTLP JSON requests one a line ({"resourceSpans": [...]}, camelCase, as
 * svcmap-gen and the Collector file exporter write them) and writes the same spans as
 * protobuf: by default one TracesData message (the items of every line one after
 * another: a TracesData is nothing but its repeated field 1, so the concatenation is
 * the message), with --framed each line as its own message preceded by its length in 4
 * bytes, big-endian (the file exporter's `format: proto`). Every field svcmap-gen writes
 * is carried over (scope, attributes of every value type, events, status message), not
 * only the fields svcmap reads, so that the protobuf reader is measured on full spans.
 * Field numbers are the OTLP specification's (see proto/svcmap_otlp.proto).
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/util.h"

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("svcmap-otlp2proto: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void put_varint(struct sm_buf *b, uint64_t v)
{
    char tmp[10];
    int n = 0;

    while (v >= 0x80) {
        tmp[n++] = (char)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (char)v;
    sm_buf_add(b, tmp, (size_t)n);
}

static void put_tag(struct sm_buf *b, unsigned number, unsigned wire)
{
    put_varint(b, (uint64_t)number << 3 | wire);
}

static void put_bytes(struct sm_buf *b, unsigned number, const void *data, size_t len)
{
    put_tag(b, number, 2);
    put_varint(b, len);
    sm_buf_add(b, data, len);
}

static void put_fixed64(struct sm_buf *b, unsigned number, uint64_t v)
{
    char tmp[8];
    int i;

    put_tag(b, number, 1);
    for (i = 0; i < 8; i++)
        tmp[i] = (char)(v >> (8 * i));
    sm_buf_add(b, tmp, 8);
}

/* Appends m as field number of b, then empties m. */
static void put_msg(struct sm_buf *b, unsigned number, struct sm_buf *m)
{
    put_bytes(b, number, m->data ? m->data : "", m->len);
    sm_buf_reset(m);
}

static const char *str(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* An integer written as a JSON number or a decimal string. */
static uint64_t u64(const json_t *v)
{
    if (json_is_integer(v))
        return (uint64_t)json_integer_value(v);
    if (json_is_string(v))
        return strtoull(json_string_value(v), NULL, 10);
    return 0;
}

static void put_hex_id(struct sm_buf *b, unsigned number, const char *hex)
{
    unsigned char bytes[32];
    size_t n = hex ? strlen(hex) / 2 : 0, i;

    if (n == 0 || n > sizeof(bytes))
        return;
    for (i = 0; i < n; i++) {
        unsigned v;

        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            die("bad hex id \"%s\"", hex);
        bytes[i] = (unsigned char)v;
    }
    put_bytes(b, number, bytes, n);
}

static void put_attributes(struct sm_buf *b, unsigned number, const json_t *attrs);

static void put_any_value(struct sm_buf *b, const json_t *av)
{
    const json_t *v;
    struct sm_buf sub;

    if ((v = json_object_get(av, "stringValue")) && json_is_string(v)) {
        put_bytes(b, 1, json_string_value(v), json_string_length(v));
    } else if ((v = json_object_get(av, "boolValue"))) {
        put_tag(b, 2, 0);
        put_varint(b, json_is_true(v));
    } else if ((v = json_object_get(av, "intValue"))) {
        put_tag(b, 3, 0);
        put_varint(b, u64(v));
    } else if ((v = json_object_get(av, "doubleValue")) && json_is_number(v)) {
        double d = json_number_value(v);
        uint64_t bits;

        memcpy(&bits, &d, 8);
        put_fixed64(b, 4, bits);
    } else if ((v = json_object_get(av, "arrayValue"))) {
        const json_t *item;
        size_t i;
        struct sm_buf one;

        sm_buf_init(&sub);
        sm_buf_init(&one);
        json_array_foreach(json_object_get(v, "values"), i, item)
        {
            put_any_value(&one, item);
            put_msg(&sub, 1, &one);
        }
        put_msg(b, 5, &sub);
        sm_buf_release(&sub);
        sm_buf_release(&one);
    } else if ((v = json_object_get(av, "kvlistValue"))) {
        sm_buf_init(&sub);
        put_attributes(&sub, 1, json_object_get(v, "values"));
        put_msg(b, 6, &sub);
        sm_buf_release(&sub);
    }
}

static void put_attributes(struct sm_buf *b, unsigned number, const json_t *attrs)
{
    struct sm_buf kv, av;
    const json_t *a;
    size_t i;

    sm_buf_init(&kv);
    sm_buf_init(&av);
    json_array_foreach(attrs, i, a)
    {
        const char *key = str(a, "key");

        put_bytes(&kv, 1, key ? key : "", key ? strlen(key) : 0);
        put_any_value(&av, json_object_get(a, "value"));
        put_msg(&kv, 2, &av);
        put_msg(b, number, &kv);
    }
    sm_buf_release(&kv);
    sm_buf_release(&av);
}

static void put_span(struct sm_buf *b, const json_t *s)
{
    struct sm_buf sp, sub;
    const json_t *v, *ev;
    const char *name;
    size_t i;

    sm_buf_init(&sp);
    sm_buf_init(&sub);
    put_hex_id(&sp, 1, str(s, "traceId"));
    put_hex_id(&sp, 2, str(s, "spanId"));
    put_hex_id(&sp, 4, str(s, "parentSpanId"));
    if ((name = str(s, "name")))
        put_bytes(&sp, 5, name, strlen(name));
    if ((v = json_object_get(s, "kind")) && u64(v)) {
        put_tag(&sp, 6, 0);
        put_varint(&sp, u64(v));
    }
    put_fixed64(&sp, 7, u64(json_object_get(s, "startTimeUnixNano")));
    put_fixed64(&sp, 8, u64(json_object_get(s, "endTimeUnixNano")));
    put_attributes(&sp, 9, json_object_get(s, "attributes"));
    json_array_foreach(json_object_get(s, "events"), i, ev)
    {
        put_fixed64(&sub, 1, u64(json_object_get(ev, "timeUnixNano")));
        if ((name = str(ev, "name")))
            put_bytes(&sub, 2, name, strlen(name));
        put_attributes(&sub, 3, json_object_get(ev, "attributes"));
        put_msg(&sp, 11, &sub);
    }
    if ((v = json_object_get(s, "status")) && json_is_object(v)) {
        const char *msg = str(v, "message");

        if (msg)
            put_bytes(&sub, 2, msg, strlen(msg));
        if (u64(json_object_get(v, "code"))) {
            put_tag(&sub, 3, 0);
            put_varint(&sub, u64(json_object_get(v, "code")));
        }
        put_msg(&sp, 15, &sub);
    }
    put_msg(b, 2, &sp);
    sm_buf_release(&sp);
    sm_buf_release(&sub);
}

/* One JSON request's resourceSpans items, appended to msg as TracesData field 1. */
static void put_request(struct sm_buf *msg, const json_t *req)
{
    struct sm_buf rs, sub, ss;
    const json_t *item, *scope, *s;
    size_t i, j, k;

    sm_buf_init(&rs);
    sm_buf_init(&sub);
    sm_buf_init(&ss);
    json_array_foreach(json_object_get(req, "resourceSpans"), i, item)
    {
        put_attributes(&sub, 1, json_object_get(json_object_get(item, "resource"), "attributes"));
        put_msg(&rs, 1, &sub);
        json_array_foreach(json_object_get(item, "scopeSpans"), j, scope)
        {
            const json_t *sc = json_object_get(scope, "scope");
            const char *name = str(sc, "name"), *version = str(sc, "version");

            if (sc) {
                if (name)
                    put_bytes(&sub, 1, name, strlen(name));
                if (version)
                    put_bytes(&sub, 2, version, strlen(version));
                put_msg(&ss, 1, &sub);
            }
            json_array_foreach(json_object_get(scope, "spans"), k, s) put_span(&ss, s);
            put_msg(&rs, 2, &ss);
        }
        put_msg(msg, 1, &rs);
    }
    sm_buf_release(&rs);
    sm_buf_release(&sub);
    sm_buf_release(&ss);
}

int main(int argc, char **argv)
{
    const char *in_path = NULL, *out_path = NULL;
    FILE *in = stdin, *out = stdout;
    bool framed = false;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    struct sm_buf msg;
    int i;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--framed"))
            framed = true;
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out_path = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1])
            die("usage: svcmap-otlp2proto [--framed] [-o OUT] [FILE]");
        else
            in_path = argv[i];
    }
    if (in_path && strcmp(in_path, "-") && !(in = fopen(in_path, "rb")))
        die("%s: %s", in_path, strerror(errno));
    if (out_path && !(out = fopen(out_path, "wb")))
        die("%s: %s", out_path, strerror(errno));
    sm_buf_init(&msg);
    while ((n = getline(&line, &cap, in)) > 0) {
        json_error_t jerr;
        json_t *req;

        lineno++;
        if (strspn(line, " \t\r\n") == (size_t)n)
            continue;
        req = json_loadb(line, (size_t)n, 0, &jerr);
        if (!req)
            die("line %ld: %s", lineno, jerr.text);
        sm_buf_reset(&msg);
        put_request(&msg, req);
        json_decref(req);
        if (framed) {
            unsigned char len[4] = {(unsigned char)(msg.len >> 24), (unsigned char)(msg.len >> 16),
                                    (unsigned char)(msg.len >> 8), (unsigned char)msg.len};

            if (msg.len > 0xffffffffu)
                die("line %ld: message too large to frame", lineno);
            fwrite(len, 1, 4, out);
        }
        if (msg.len)
            fwrite(msg.data, 1, msg.len, out);
    }
    free(line);
    sm_buf_release(&msg);
    if (ferror(in))
        die("read error");
    if (fclose(out) != 0)
        die("write error: %s", strerror(errno));
    return 0;
}
