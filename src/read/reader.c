/* reader.c: the registry of span readers, format detection, and the readers' helpers.
 *
 * Detection asks every reader how sure it is that the first element of a file is its
 * own (0..100) and takes the highest score; ties go to the earlier reader in the table.
 * The helpers below are shared by read_otlp.c, read_jaeger.c and read_zipkin.c through
 * read_common.h: one mapping of attribute names onto the span, one style of message.
 */
#include "svcmap/reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "read_common.h"

const struct sm_reader *const sm_readers[] = {
    &sm_reader_otlp, &sm_reader_jaeger, &sm_reader_zipkin, &sm_reader_zipkin1, NULL,
};

const struct sm_reader *sm_reader_for(enum sm_input_format format)
{
    size_t i;

    for (i = 0; sm_readers[i]; i++) {
        if (sm_readers[i]->format == format)
            return sm_readers[i];
    }
    return NULL;
}

const struct sm_reader *sm_reader_detect(const struct sm_element *el, const json_t *value)
{
    const struct sm_reader *best = NULL;
    int best_score = 0;
    size_t i;

    for (i = 0; sm_readers[i]; i++) {
        int score = sm_readers[i]->probe(el, value);

        if (score > best_score) {
            best_score = score;
            best = sm_readers[i];
        }
    }
    return best;
}

const json_t *sm_read_get(const json_t *obj, const char *key, const char *alt, const char **name)
{
    const json_t *v = NULL;

    if (name)
        *name = key;
    if (!json_is_object(obj))
        return NULL;
    v = json_object_get(obj, key);
    if (v && !json_is_null(v))
        return v;
    if (alt) {
        v = json_object_get(obj, alt);
        if (v && !json_is_null(v)) {
            if (name)
                *name = alt;
            return v;
        }
    }
    return NULL;
}

void sm_read_fields(const json_t *obj, struct sm_read_field *fields, size_t n)
{
    const char *key;
    json_t *v;
    size_t i;

    for (i = 0; i < n; i++) {
        fields[i].value = NULL;
        fields[i].name = fields[i].key;
    }
    if (!json_is_object(obj))
        return;
    json_object_foreach((json_t *)obj, key, v)
    {
        if (json_is_null(v))
            continue;
        for (i = 0; i < n; i++) {
            struct sm_read_field *f = &fields[i];
            bool camel = key[0] == f->key[0] && !strcmp(key, f->key);

            if (!camel && !(f->alt && key[0] == f->alt[0] && !strcmp(key, f->alt)))
                continue;
            /* the camelCase spelling wins when both are present */
            if (!f->value || camel) {
                f->value = v;
                f->name = camel ? f->key : f->alt;
            }
            break;
        }
    }
}

const char *sm_read_text(struct sm_batch *b, const json_t *v)
{
    char tmp[64];
    struct sm_buf buf;
    const char *s;

    switch (json_typeof(v)) {
    case JSON_STRING:
        return sm_batch_str(b, json_string_value(v));
    case JSON_INTEGER:
        snprintf(tmp, sizeof(tmp), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return sm_batch_str(b, tmp);
    case JSON_REAL:
        sm_buf_init(&buf);
        sm_buf_add_number(&buf, json_real_value(v));
        s = sm_batch_str(b, buf.data);
        sm_buf_release(&buf);
        return s;
    case JSON_TRUE:
        return sm_batch_str(b, "true");
    case JSON_FALSE:
        return sm_batch_str(b, "false");
    default:
        return NULL;
    }
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/* When the 8 bytes at s are all ASCII digits: true, and *value their number (the first
 * the most significant). The word holds the first digit in its lowest byte: digits
 * join in pairs, the pairs in fours, the fours in one, each step a multiply and a
 * shift on lanes that cannot carry into each other. */
static inline bool digits8(const char *s, uint64_t *value)
{
    uint64_t w, x;

    memcpy(&w, s, sizeof(w));
    /* each byte 0x30..0x39: high nibble 3, and adding 6 keeps it 3 */
    if ((w & 0xF0F0F0F0F0F0F0F0ULL) != 0x3030303030303030ULL ||
        ((w + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) != 0x3030303030303030ULL)
        return false;
    x = w & 0x0F0F0F0F0F0F0F0FULL;
    x = (x * 10 + (x >> 8)) & 0x00FF00FF00FF00FFULL;          /* 2-digit lanes */
    x = (x * 100 + (x >> 16)) & 0x0000FFFF0000FFFFULL;        /* 4-digit lanes */
    *value = (x * 10000 + (x >> 32)) & 0x00000000FFFFFFFFULL; /* 8 digits */
    return true;
}
#endif

int sm_read_decimal_n(const char *s, size_t len, int64_t *out)
{
    const char *end = s + len;
    bool neg = false;
    uint64_t limit, acc = 0;

    if (s < end && *s == '-') {
        neg = true;
        s++;
    }
    if (s == end)
        return -1;
    limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* eight digits a step while the value stays below 10^17 (timestamps in nanoseconds
     * have 19); anything but digits is left to the loops below, which refuse it */
    while (end - s >= 8 && acc < 1000000000ULL) {
        uint64_t v;

        if (!digits8(s, &v))
            break;
        acc = acc * 100000000ULL + v;
        s += 8;
    }
#endif
    /* below 10^17, one more digit stays below 10^18: no check of the range needed */
    for (; s < end && acc < 100000000000000000ULL; s++) {
        unsigned d = (unsigned)(unsigned char)*s - '0';

        if (d > 9)
            return -1;
        acc = acc * 10 + d;
    }
    for (; s < end; s++) {
        unsigned d;

        if (*s < '0' || *s > '9')
            return -1;
        d = (unsigned)(*s - '0');
        if (acc > (limit - d) / 10)
            return -2;
        acc = acc * 10 + d;
    }
    if (neg)
        *out = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
    else
        *out = (int64_t)acc;
    return 0;
}

int sm_read_decimal(const char *s, int64_t *out)
{
    return sm_read_decimal_n(s, strlen(s), out);
}

int sm_read_int64(const json_t *v, int64_t *out)
{
    double d;

    switch (json_typeof(v)) {
    case JSON_INTEGER:
        *out = (int64_t)json_integer_value(v);
        return 0;
    case JSON_REAL:
        /* Large integers written with an exponent; precision is already lost. */
        d = json_real_value(v);
        if (d != d || d < -9.2e18 || d > 9.2e18)
            return -2;
        if ((double)(int64_t)d != d)
            return -1;
        *out = (int64_t)d;
        return 0;
    case JSON_STRING:
        return sm_read_decimal(json_string_value(v), out);
    default:
        return -1;
    }
}

bool sm_read_is_true(const json_t *v)
{
    if (json_is_true(v))
        return true;
    return json_is_string(v) && !sm_strcasecmp(json_string_value(v), "true");
}

void sm_read_set_http_status(struct sm_span *s, int64_t code)
{
    if (code > 0 && code < 1000)
        s->http_status = (int)code;
}

/* key (len bytes) is the literal lit */
#define KEY_IS(lit) (len == sizeof(lit) - 1 && !memcmp(key, lit, sizeof(lit) - 1))

enum sm_read_attr sm_read_attr_target_n(struct sm_span *s, const char *key, size_t len,
                                        const char ***field)
{
    *field = NULL;
    /* Called for every tag of every span: dispatch on the length, so that most keys cost
     * one comparison of a number and at most two of bytes. */
    switch (len) {
    case 7:
        if (KEY_IS("db.name"))
            *field = &s->db_name;
        break;
    case 9:
        if (KEY_IS("db.system")) {
            if (!s->db_system)
                *field = &s->db_system;
        } else if (KEY_IS("http.host")) {
            *field = &s->http_host;
        }
        break;
    case 11:
        if (KEY_IS("server.port"))
            *field = &s->server_port;
        break;
    case 12:
        if (KEY_IS("db.namespace"))
            *field = &s->db_namespace;
        else if (KEY_IS("peer.service"))
            *field = &s->peer_service;
        break;
    case 13:
        if (KEY_IS("net.peer.name"))
            *field = &s->net_peer_name;
        break;
    case 14:
        if (KEY_IS("db.system.name"))
            *field = &s->db_system;
        else if (KEY_IS("server.address"))
            *field = &s->server_address;
        break;
    case 16:
        if (KEY_IS("http.status_code"))
            return s->http_status == 0 ? SM_READ_ATTR_HTTP_STATUS : SM_READ_ATTR_NONE;
        if (KEY_IS("messaging.system"))
            *field = &s->messaging_system;
        break;
    case 21:
        if (KEY_IS("messaging.destination") && !s->messaging_destination)
            *field = &s->messaging_destination;
        break;
    case 25:
        if (KEY_IS("http.response.status_code"))
            return SM_READ_ATTR_HTTP_STATUS;
        break;
    case 26:
        if (KEY_IS("messaging.destination.name"))
            *field = &s->messaging_destination;
        break;
    default:
        break;
    }
    return *field ? SM_READ_ATTR_TEXT : SM_READ_ATTR_NONE;
}

#undef KEY_IS

enum sm_read_attr sm_read_attr_target(struct sm_span *s, const char *key, const char ***field)
{
    return sm_read_attr_target_n(s, key, strlen(key), field);
}

void sm_read_apply_attr(struct sm_batch *b, struct sm_span *s, const char *key, const json_t *v)
{
    const char **field;
    int64_t code;

    switch (sm_read_attr_target(s, key, &field)) {
    case SM_READ_ATTR_TEXT:
        *field = sm_read_text(b, v);
        break;
    case SM_READ_ATTR_HTTP_STATUS:
        if (sm_read_int64(v, &code) == 0)
            sm_read_set_http_status(s, code);
        break;
    case SM_READ_ATTR_NONE:
        break;
    }
}

int sm_read_fail(struct sm_error *err, size_t span_no, const char *fmt, ...)
{
    char text[sizeof(err->text)];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (span_no > 0)
        return sm_error_set(err, SM_EINPUT, "span %zu: %s", span_no, text);
    return sm_error_set(err, SM_EINPUT, "%s", text);
}

const char *sm_read_describe(const json_t *v, char *buf, size_t size)
{
    const unsigned char *p;
    size_t n = 0;

    switch (json_typeof(v)) {
    case JSON_STRING:
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    default:
        return "null";
    }
    if (size < 8)
        return "a string";
    buf[n++] = '"';
    for (p = (const unsigned char *)json_string_value(v); *p && n + 5 < size && n < 41; p++)
        buf[n++] = (*p < 0x20 || *p == '"' || *p == '\\' || *p >= 0x7f) ? '?' : (char)*p;
    if (*p) {
        buf[n++] = '.';
        buf[n++] = '.';
        buf[n++] = '.';
    }
    buf[n++] = '"';
    buf[n] = '\0';
    return buf;
}

int sm_read_us_to_ns(int64_t us, int64_t *ns)
{
    if (us > INT64_MAX / 1000 || us < INT64_MIN / 1000)
        return -2;
    *ns = us * 1000;
    return 0;
}

/* One microsecond field into *ns; *found says whether it was there. */
static int read_us(const json_t *v, const char *name, size_t span_no, int64_t *ns, bool *found,
                   struct sm_error *err)
{
    int64_t us;
    char quote[64];

    *found = false;
    if (!v)
        return 0;
    if (sm_read_int64(v, &us) != 0 || us < 0 || sm_read_us_to_ns(us, ns) != 0)
        return sm_read_fail(err, span_no,
                            "\"%s\" must be a non-negative integer of microseconds, got %s", name,
                            sm_read_describe(v, quote, sizeof(quote)));
    *found = true;
    return 0;
}

int sm_read_times_us(const json_t *start, const char *start_name, const json_t *duration,
                     size_t span_no, struct sm_span *s, struct sm_error *err)
{
    bool found;
    int rc = read_us(start, start_name, span_no, &s->start_ns, &found, err);

    if (!rc)
        rc = read_us(duration, "duration", span_no, &s->duration_ns, &s->has_duration, err);
    if (!rc && !s->has_duration)
        s->duration_ns = -1;
    return rc;
}

int sm_read_name(const json_t *v, const char *field, size_t span_no, struct sm_batch *b,
                 struct sm_span *s, struct sm_error *err)
{
    char quote[64];

    if (v && !json_is_string(v))
        return sm_read_fail(err, span_no, "\"%s\" must be a string, got %s", field,
                            sm_read_describe(v, quote, sizeof(quote)));
    s->name = v ? sm_batch_str(b, json_string_value(v)) : NULL;
    return 0;
}

static void read_trace(const json_t *trace, size_t *span_no, sm_read_span_fn parse_span,
                       struct sm_batch *b, struct sm_error *err)
{
    const json_t *js;
    size_t i;

    json_array_foreach(trace, i, js)
    {
        size_t keep = b->len;

        if (parse_span(js, ++*span_no, b, err) != 0) {
            sm_batch_skip(b, keep, 1, err->text);
            sm_error_init(err);
        }
    }
}

int sm_read_span_lists(const struct sm_element *el, const json_t *value, const char *what,
                       sm_read_span_fn parse_span, struct sm_batch *out, struct sm_error *err)
{
    const json_t *item;
    size_t span_no = 0, i;
    char quote[64];

    if (json_is_object(value))
        return parse_span(value, 1, out, err);
    if (!json_is_array(value))
        return sm_read_fail(err, 0, "a %s span must be an object, got %s", what,
                            sm_read_describe(value, quote, sizeof(quote)));
    if (!json_is_array(json_array_get(value, 0))) {
        /* one trace, or the whole of a flat span array given as one element */
        out->whole_traces = el && el->ctx == SM_ELEM_ARRAY_ITEM;
        read_trace(value, &span_no, parse_span, out, err);
        return 0;
    }
    out->whole_traces = true;
    json_array_foreach(value, i, item)
    {
        if (!json_is_array(item))
            return sm_read_fail(err, 0, "trace %zu must be an array of spans, got %s", i + 1,
                                sm_read_describe(item, quote, sizeof(quote)));
        read_trace(item, &span_no, parse_span, out, err);
    }
    return 0;
}
