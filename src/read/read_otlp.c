/* read_otlp.c: the OTLP JSON reader (Collector file exporter, OTLP/HTTP JSON, Tempo).
 *
 * One element is one resourceSpans item: the resource's attributes give the service
 * name, namespace and version; every span under its scopeSpans (or the older
 * instrumentationLibrarySpans) becomes one sm_span. Keys are accepted in camelCase and
 * snake_case, ids in hex of any case or base64 (as protobuf's JSON mapping writes bytes),
 * kind and status code as integers or enum names, times as strings or numbers, kept as
 * exact int64 nanoseconds. A whole document ({"resourceSpans": [...]}, the Tempo
 * "batches" wrapper, the Jaeger API v3 {"result": {...}}, Tempo's API v2 {"trace": {...}})
 * is accepted as well.
 *
 * A bad span costs only itself: it is left out (sm_batch_skip, "span N: ...") and the
 * item's other spans are kept. A bad item (its resource, or the shape of its scope and
 * span arrays) is a bad record when it is the element, and costs only its own spans
 * when the element is a document of several items.
 */
#include <string.h>
#include <strings.h>

#include "read_common.h"
#include "svcmap/reader.h"

static const char *const scope_keys[][2] = {
    {"scopeSpans", "scope_spans"},
    {"instrumentationLibrarySpans", "instrumentation_library_spans"},
};

static bool is_items_key(const char *key)
{
    return !strcmp(key, "resourceSpans") || !strcmp(key, "resource_spans") ||
           !strcmp(key, "result.resourceSpans") || !strcmp(key, "batches");
}

static const json_t *document_items(const json_t *doc)
{
    const json_t *v = sm_read_get(doc, "resourceSpans", "resource_spans", NULL);

    if (!v)
        v = sm_read_get(doc, "batches", NULL, NULL);
    return v;
}

static bool has_scope_spans(const json_t *item)
{
    size_t i;

    for (i = 0; i < sizeof(scope_keys) / sizeof(scope_keys[0]); i++) {
        if (json_is_array(sm_read_get(item, scope_keys[i][0], scope_keys[i][1], NULL)))
            return true;
    }
    return false;
}

/* The member naming another signal of the file exporter ("resourceLogs"), or NULL. */
static const char *other_signal(const json_t *value)
{
    static const char *const keys[][2] = {
        {"resourceLogs", "resource_logs"},
        {"resourceMetrics", "resource_metrics"},
        {"resourceProfiles", "resource_profiles"},
    };
    size_t i;

    if (!json_is_object(value) || document_items(value))
        return NULL;
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (json_is_array(sm_read_get(value, keys[i][0], keys[i][1], NULL)))
            return keys[i][0];
    }
    return NULL;
}

static int probe(const struct sm_element *el, const json_t *value)
{
    const json_t *result;

    if (!json_is_object(value))
        return 0;
    if (el && el->ctx == SM_ELEM_MEMBER_ITEM && is_items_key(el->key)) {
        if (has_scope_spans(value) || json_is_object(json_object_get(value, "resource")))
            return 100;
        /* An item of "batches" or "resourceSpans" that holds neither: still most
         * likely ours, but let a reader that recognizes it take it. */
        return 40;
    }
    if (json_is_array(document_items(value)))
        return 100;
    result = sm_read_get(value, "result", "trace", NULL);
    if (json_is_array(document_items(result)))
        return 100;
    if (has_scope_spans(value))
        return 90;
    if (other_signal(value))
        return 60; /* the file exporter's output with its first lines not traces */
    return 0;
}

/* The scalar inside an OTLP AnyValue ({"stringValue": "x"}, {"intValue": "3"}, ...);
 * a plain scalar is taken as it is. NULL for arrays, maps, bytes and unknown shapes.
 * One walk over the (normally single) member instead of a lookup per spelling. */
static const json_t *any_value(const json_t *av)
{
    const char *key;
    json_t *v;

    if (!json_is_object(av))
        return json_is_array(av) ? NULL : av;
    json_object_foreach((json_t *)av, key, v)
    {
        if (!strcmp(key, "stringValue") || !strcmp(key, "intValue") || !strcmp(key, "boolValue") ||
            !strcmp(key, "doubleValue") || !strcmp(key, "string_value") ||
            !strcmp(key, "int_value") || !strcmp(key, "bool_value") || !strcmp(key, "double_value"))
            return json_is_null(v) ? NULL : v;
    }
    return NULL;
}

/* Checks an "attributes" array and calls fn for every key/value pair. what is "" for a
 * span's attributes, "resource " for the resource's (for messages). */
static int each_attribute(const json_t *attrs, const char *what, size_t span_no, struct sm_batch *b,
                          struct sm_span *s,
                          void (*fn)(struct sm_batch *, struct sm_span *, const char *,
                                     const json_t *),
                          struct sm_error *err)
{
    size_t i;
    const json_t *a;

    if (!attrs)
        return 0;
    if (!json_is_array(attrs))
        return sm_read_fail(err, span_no, "%s\"attributes\" must be an array", what);
    json_array_foreach(attrs, i, a)
    {
        const json_t *key = NULL, *v = NULL, *m;
        const char *k;

        /* {"key": ..., "value": ...}: a walk over two members beats two lookups */
        json_object_foreach((json_t *)a, k, m)
        {
            if (k[0] == 'k' && !strcmp(k, "key"))
                key = m;
            else if (k[0] == 'v' && !strcmp(k, "value"))
                v = m;
        }
        if (!json_is_string(key))
            return sm_read_fail(err, span_no,
                                "%sattribute %zu must be an object with a string \"key\"", what,
                                i + 1);
        v = any_value(v);
        if (v)
            fn(b, s, json_string_value(key), v);
    }
    return 0;
}

const char **sm_read_otlp_resource_field(struct sm_span *res, const char *key)
{
    if (!strcmp(key, "service.name"))
        return &res->service;
    if (!strcmp(key, "service.namespace"))
        return &res->service_namespace;
    if (!strcmp(key, "service.version"))
        return &res->service_version;
    return NULL;
}

static void resource_attr(struct sm_batch *b, struct sm_span *res, const char *key, const json_t *v)
{
    const char **field = sm_read_otlp_resource_field(res, key);

    if (field)
        *field = sm_read_text(b, v);
}

/* An id field: required (trace and span ids) or not; bytes is 16 or 8. */
static int read_id(struct sm_batch *b, const struct sm_read_field *f, size_t bytes, bool required,
                   size_t span_no, const char **out, struct sm_error *err)
{
    const json_t *v = f->value;
    char quote[64];

    *out = NULL;
    if (!v || (json_is_string(v) && !*json_string_value(v))) {
        if (required)
            return sm_read_fail(err, span_no, "\"%s\" is missing", f->name);
        return 0;
    }
    /* OTLP fixes ids (unlike Jaeger and Zipkin, whose ids may be opaque strings): bytes
     * of that length, which the JSON mapping writes as hex (or base64) */
    if (!json_is_string(v) || sm_otlp_id_size(json_string_value(v)) != bytes)
        return sm_read_fail(err, span_no,
                            "\"%s\" must be %zu hex digits or base64 of %zu bytes as OTLP "
                            "requires, got %s",
                            f->name, 2 * bytes, bytes, sm_read_describe(v, quote, sizeof(quote)));
    *out = sm_batch_otlp_id(b, json_string_value(v));
    if (!*out && required)
        return sm_read_fail(err, span_no, "\"%s\" must not be all zeros", f->name);
    return 0;
}

/* Matches an enum value written as a number or as PREFIX_NAME (or just NAME), any case. */
static int read_enum(const json_t *v, const char *prefix, const char *const *names, int n)
{
    const char *s;
    size_t plen = strlen(prefix);
    int i;

    if (json_is_integer(v)) {
        json_int_t x = json_integer_value(v);

        return x >= 0 && x < n ? (int)x : -1;
    }
    if (!json_is_string(v))
        return -1;
    s = json_string_value(v);
    if (!strncasecmp(s, prefix, plen))
        s += plen;
    for (i = 0; i < n; i++) {
        if (!sm_strcasecmp(s, names[i]))
            return i;
    }
    return -1;
}

static int read_time(const struct sm_read_field *f, size_t span_no, int64_t *out,
                     struct sm_error *err)
{
    char quote[64];

    *out = 0;
    if (!f->value)
        return 0;
    if (sm_read_int64(f->value, out) != 0 || *out < 0)
        return sm_read_fail(err, span_no,
                            "\"%s\" must be a non-negative integer of nanoseconds, got %s", f->name,
                            sm_read_describe(f->value, quote, sizeof(quote)));
    return 0;
}

enum span_field {
    F_TRACE_ID,
    F_SPAN_ID,
    F_PARENT_ID,
    F_NAME,
    F_KIND,
    F_START,
    F_END,
    F_STATUS,
    F_ATTRIBUTES,
    NFIELDS
};

static const struct sm_read_field span_fields[NFIELDS] = {
    [F_TRACE_ID] = {"traceId", "trace_id", NULL, NULL},
    [F_SPAN_ID] = {"spanId", "span_id", NULL, NULL},
    [F_PARENT_ID] = {"parentSpanId", "parent_span_id", NULL, NULL},
    [F_NAME] = {"name", NULL, NULL, NULL},
    [F_KIND] = {"kind", NULL, NULL, NULL},
    [F_START] = {"startTimeUnixNano", "start_time_unix_nano", NULL, NULL},
    [F_END] = {"endTimeUnixNano", "end_time_unix_nano", NULL, NULL},
    [F_STATUS] = {"status", NULL, NULL, NULL},
    [F_ATTRIBUTES] = {"attributes", NULL, NULL, NULL},
};

static int parse_span(const json_t *js, const struct sm_span *res, size_t span_no,
                      struct sm_batch *b, struct sm_error *err)
{
    static const char *const kinds[] = {"unspecified", "internal", "server",
                                        "client",      "producer", "consumer"};
    static const char *const codes[] = {"unset", "ok", "error"};
    struct sm_read_field f[NFIELDS];
    struct sm_span *s;
    const json_t *v;
    int64_t end_ns = 0;
    char quote[64];
    int rc, x;

    if (!json_is_object(js))
        return sm_read_fail(err, span_no, "must be an object, got %s",
                            sm_read_describe(js, quote, sizeof(quote)));
    memcpy(f, span_fields, sizeof(f));
    sm_read_fields(js, f, NFIELDS);
    s = sm_batch_add(b);
    s->format = SM_FORMAT_OTLP;
    s->service = res->service;
    s->service_namespace = res->service_namespace;
    s->service_version = res->service_version;
    rc = read_id(b, &f[F_TRACE_ID], 16, true, span_no, &s->trace_id, err);
    if (!rc)
        rc = read_id(b, &f[F_SPAN_ID], 8, true, span_no, &s->span_id, err);
    if (!rc)
        rc = read_id(b, &f[F_PARENT_ID], 8, false, span_no, &s->parent_id, err);
    if (rc)
        return rc;

    rc = sm_read_name(f[F_NAME].value, "name", span_no, b, s, err);
    if (rc)
        return rc;

    v = f[F_KIND].value;
    if (v) {
        x = read_enum(v, "SPAN_KIND_", kinds, 6);
        if (x < 0)
            return sm_read_fail(err, span_no,
                                "\"kind\" must be 0 to 5 or a SPAN_KIND_ name, got %s",
                                sm_read_describe(v, quote, sizeof(quote)));
        /* OTLP's numbering is the same as enum sm_span_kind's. */
        s->kind = (enum sm_span_kind)x;
    }

    rc = read_time(&f[F_START], span_no, &s->start_ns, err);
    if (!rc)
        rc = read_time(&f[F_END], span_no, &end_ns, err);
    if (rc)
        return rc;
    /* A span that ends before it starts has no usable duration; keep the span. */
    if (f[F_START].value && f[F_END].value && s->start_ns > 0 && end_ns >= s->start_ns) {
        s->duration_ns = end_ns - s->start_ns;
        s->has_duration = true;
    }

    v = f[F_STATUS].value;
    if (v && !json_is_object(v))
        return sm_read_fail(err, span_no, "\"status\" must be an object, got %s",
                            sm_read_describe(v, quote, sizeof(quote)));
    v = sm_read_get(v, "code", NULL, NULL);
    if (v) {
        x = read_enum(v, "STATUS_CODE_", codes, 3);
        if (x < 0)
            return sm_read_fail(err, span_no,
                                "\"status.code\" must be 0 to 2 or a STATUS_CODE_ name, got %s",
                                sm_read_describe(v, quote, sizeof(quote)));
        s->error = x == 2;
    }

    return each_attribute(f[F_ATTRIBUTES].value, "", span_no, b, s, sm_read_apply_attr, err);
}

/* The scopes array of a resourceSpans item (scopeSpans, else the older
 * instrumentationLibrarySpans), or NULL; *name the key found. */
static const json_t *item_scopes(const json_t *item, const char **name)
{
    const json_t *scopes = NULL;
    size_t k;

    for (k = 0; k < sizeof(scope_keys) / sizeof(scope_keys[0]) && !scopes; k++)
        scopes = sm_read_get(item, scope_keys[k][0], scope_keys[k][1], name);
    return scopes;
}

/* How many spans a resourceSpans item holds, as far as its shape lets them be counted
 * (for a resource left out whole). */
static uint64_t item_span_count(const json_t *item)
{
    const json_t *scopes = item_scopes(item, NULL), *scope;
    uint64_t n = 0;
    size_t i;

    json_array_foreach(scopes, i, scope)
    {
        const json_t *spans = sm_read_get(scope, "spans", NULL, NULL);

        if (json_is_array(spans))
            n += json_array_size(spans);
    }
    return n;
}

/* One resourceSpans item. The item's own shape (the resource, its attributes, the scope
 * and spans arrays) is checked first: when it is bad, nothing was appended and the
 * whole item is the caller's to skip. A bad span then costs only itself: it is left out
 * with sm_batch_skip and the others are kept. *span_no counts the element's spans
 * (1-based in messages). */
static int parse_item(const json_t *item, size_t *span_no, struct sm_batch *b, struct sm_error *err)
{
    struct sm_span res;
    const json_t *resource, *scopes, *scope, *spans, *js;
    const char *name = NULL;
    char quote[64];
    size_t i, j;
    int rc;

    if (!json_is_object(item))
        return sm_read_fail(err, 0, "a resource spans item must be an object, got %s",
                            sm_read_describe(item, quote, sizeof(quote)));
    memset(&res, 0, sizeof(res));
    resource = sm_read_get(item, "resource", NULL, NULL);
    if (resource && !json_is_object(resource))
        return sm_read_fail(err, 0, "\"resource\" must be an object, got %s",
                            sm_read_describe(resource, quote, sizeof(quote)));
    rc = each_attribute(sm_read_get(resource, "attributes", NULL, NULL), "resource ", 0, b, &res,
                        resource_attr, err);
    if (rc)
        return rc;

    scopes = item_scopes(item, &name);
    if (!scopes)
        return 0;
    if (!json_is_array(scopes))
        return sm_read_fail(err, 0, "\"%s\" must be an array, got %s", name,
                            sm_read_describe(scopes, quote, sizeof(quote)));
    json_array_foreach(scopes, i, scope)
    {
        spans = sm_read_get(scope, "spans", NULL, NULL);
        if (spans && !json_is_array(spans))
            return sm_read_fail(err, 0, "\"spans\" must be an array, got %s",
                                sm_read_describe(spans, quote, sizeof(quote)));
    }
    json_array_foreach(scopes, i, scope)
    {
        spans = sm_read_get(scope, "spans", NULL, NULL);
        json_array_foreach(spans, j, js)
        {
            size_t keep = b->len;

            if (parse_span(js, &res, ++*span_no, b, err) != 0) {
                sm_batch_skip(b, keep, 1, err->text);
                sm_error_init(err);
            }
        }
    }
    return 0;
}

static int parse(const struct sm_element *el, const json_t *value, struct sm_batch *out,
                 struct sm_error *err)
{
    const json_t *items = NULL, *item;
    size_t span_no = 0, i;
    char quote[64];

    out->format = SM_FORMAT_OTLP;
    /* A whole document (no scanner, or one that kept it whole): walk its items. */
    if (!(el && el->ctx == SM_ELEM_MEMBER_ITEM)) {
        const char *other = other_signal(value);

        if (other) {
            snprintf(err->text, sizeof(err->text), "%s", other);
            return SM_READ_IGNORED;
        }
        items = document_items(value);
        if (!items)
            items = document_items(sm_read_get(value, "result", "trace", NULL));
    }
    /* one item is the element: a bad item is a bad record */
    if (!items)
        return parse_item(value, &span_no, out, err);
    if (!json_is_array(items))
        return sm_read_fail(err, 0, "\"resourceSpans\" must be an array, got %s",
                            sm_read_describe(items, quote, sizeof(quote)));
    /* a document of several items: a bad item (its resource) costs only its own spans */
    json_array_foreach(items, i, item)
    {
        if (parse_item(item, &span_no, out, err) != 0) {
            char text[sizeof(err->text) + 48];

            snprintf(text, sizeof(text), "resource spans item %zu: %s", i + 1, err->text);
            sm_batch_skip(out, out->len, item_span_count(item), text);
            sm_error_init(err);
        }
    }
    return 0;
}

const struct sm_reader sm_reader_otlp = {
    .name = "otlp",
    .format = SM_FORMAT_OTLP,
    .probe = probe,
    .parse = parse,
};
