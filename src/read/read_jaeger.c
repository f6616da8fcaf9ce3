/* read_jaeger.c: the Jaeger JSON reader (UI download, query API /api/traces).
 *
 * One element is one trace: {"traceID", "spans": [...], "processes": {"p1": {...}}},
 * an item of {"data": [...]} or of a top-level array, a bare trace document, or the
 * Jaeger UI's fetched-trace state {"data": {trace}, "id": ..., "state": ...} (the trace
 * as the UI holds it: spans carry their process inline and extra fields such as
 * "depth", references may carry a copy of the span they point to). An element may also
 * be one span with its own "process" (jaeger-anonymizer writes a bare array of such
 * spans): its trace is then assembled by the linker, like OTLP's. A span's
 * service comes from its process (processID into "processes", or an inline "process");
 * the process tags give service.namespace and service.version. Tags may be typed
 * ({key, type, value}) or not ({key, value}); "span.kind" gives the kind, error=true
 * (boolean or string) or otel.status_code=ERROR an error. Times are microseconds and
 * become exact nanoseconds. Ids are hex (short ones left-padded) or kept opaque.
 *
 * The parent: the first CHILD_OF reference within the span's own trace; else the first
 * reference of any type within the trace (a FOLLOWS_FROM producer -> consumer pair);
 * else the first reference at all (into another trace: the linker finds no such span
 * in this trace and treats it as a missing parent, not as a root); else the older
 * "parentSpanID" field. Every reference is kept in span->refs, in file order.
 *
 * A bad span in a trace (a missing id, a field of the wrong type, a process that is not
 * an object) costs only itself: it is left out with sm_batch_skip and the trace keeps
 * its other spans. A trace whose own shape is bad ("spans" or "processes" of the wrong
 * type), or a span standing alone as the element, is a bad record.
 */
#include <string.h>

#include "read_common.h"
#include "svcmap/reader.h"

static bool looks_like_trace(const json_t *v)
{
    const json_t *spans = json_object_get(v, "spans");

    if (!json_is_array(spans))
        return false;
    return json_is_object(json_object_get(v, "processes")) ||
           json_is_string(json_object_get(v, "traceID")) ||
           json_object_get(json_array_get(spans, 0), "spanID") != NULL;
}

/* One span standing alone: Jaeger spells its ids traceID and spanID (OTLP traceId and
 * spanId, Zipkin traceId and id). */
static bool looks_like_span(const json_t *v)
{
    return json_is_object(v) && json_object_get(v, "spanID") != NULL &&
           json_object_get(v, "traceID") != NULL && json_object_get(v, "spans") == NULL;
}

static int probe(const struct sm_element *el, const json_t *value)
{
    const json_t *data;

    if (json_is_object(value) && looks_like_trace(value))
        return el && el->ctx == SM_ELEM_MEMBER_ITEM && !strcmp(el->key, "data") ? 100 : 95;
    data = json_object_get(value, "data");
    if (json_is_array(data) && looks_like_trace(json_array_get(data, 0)))
        return 100;
    if (json_is_object(data) && looks_like_trace(data))
        return 100; /* the UI's fetched-trace state */
    if (json_is_array(value) && looks_like_trace(json_array_get(value, 0)))
        return 95;
    if (looks_like_span(value) ||
        (json_is_array(value) && looks_like_span(json_array_get(value, 0))))
        return 95;
    return 0;
}

/* A Jaeger id: a non-empty string, hex normalized, anything else opaque. */
static int read_id(struct sm_batch *b, const json_t *v, const char *name, bool required,
                   size_t span_no, const char **out, struct sm_error *err)
{
    char quote[64];

    *out = NULL;
    if (!v || (json_is_string(v) && !*json_string_value(v))) {
        if (required)
            return sm_read_fail(err, span_no, "\"%s\" is missing", name);
        return 0;
    }
    if (!json_is_string(v))
        return sm_read_fail(err, span_no, "\"%s\" must be a string, got %s", name,
                            sm_read_describe(v, quote, sizeof(quote)));
    *out = sm_batch_hex_id(b, json_string_value(v));
    if (!*out && required)
        return sm_read_fail(err, span_no, "\"%s\" must not be zero", name);
    return 0;
}

static enum sm_span_kind kind_from_tag(const json_t *v)
{
    static const char *const names[] = {"", "internal", "server", "client", "producer", "consumer"};
    const char *s = json_string_value(v);
    int i;

    if (!s)
        return SM_KIND_UNSET;
    for (i = 1; i < 6; i++) {
        if (!sm_strcasecmp(s, names[i]))
            return (enum sm_span_kind)i;
    }
    return SM_KIND_UNSET;
}

/* Checks a tags array; calls the span's tag handling for each, or, for process tags
 * (span_tags false), picks service.namespace and service.version. */
static int read_tags(const json_t *tags, bool span_tags, size_t span_no, struct sm_batch *b,
                     struct sm_span *s, struct sm_error *err)
{
    const json_t *tag;
    size_t i;

    if (!tags)
        return 0;
    if (!json_is_array(tags))
        return sm_read_fail(err, span_no, "%s\"tags\" must be an array",
                            span_tags ? "" : "process ");
    json_array_foreach(tags, i, tag)
    {
        const char *key = NULL, *k;
        const json_t *v = NULL;
        json_t *m;

        /* {"key", "type", "value"}: one walk over three members beats two lookups */
        json_object_foreach((json_t *)tag, k, m)
        {
            if (k[0] == 'k' && !strcmp(k, "key"))
                key = json_string_value(m);
            else if (k[0] == 'v' && !strcmp(k, "value"))
                v = m;
        }
        if (!key)
            return sm_read_fail(err, span_no, "%stag %zu must be an object with a string \"key\"",
                                span_tags ? "" : "process ", i + 1);
        if (!v || json_is_null(v))
            continue;
        if (!span_tags) {
            if (!strcmp(key, "service.namespace"))
                s->service_namespace = sm_read_text(b, v);
            else if (!strcmp(key, "service.version"))
                s->service_version = sm_read_text(b, v);
        } else if (key[0] == 'e' && !strcmp(key, "error")) {
            if (sm_read_is_true(v))
                s->error = true;
        } else if (key[0] == 'o' && !strcmp(key, "otel.status_code")) {
            if (json_is_string(v) && !sm_strcasecmp(json_string_value(v), "ERROR"))
                s->error = true;
        } else if (key[0] == 's' && !strcmp(key, "span.kind")) {
            s->kind = kind_from_tag(v);
        } else {
            sm_read_apply_attr(b, s, key, v);
        }
    }
    return 0;
}

enum ref_field { R_TYPE, R_TRACE_ID, R_SPAN_ID, NREF_FIELDS };

static const struct sm_read_field ref_fields[NREF_FIELDS] = {
    [R_TYPE] = {"refType", NULL, NULL, NULL},
    [R_TRACE_ID] = {"traceID", NULL, NULL, NULL},
    [R_SPAN_ID] = {"spanID", NULL, NULL, NULL},
};

static int read_refs(const json_t *refs, size_t span_no, struct sm_batch *b, struct sm_span *s,
                     struct sm_error *err)
{
    struct sm_read_field f[NREF_FIELDS];
    const json_t *r;
    size_t i;
    int rc;

    if (!refs)
        return 0;
    if (!json_is_array(refs))
        return sm_read_fail(err, span_no, "\"references\" must be an array");
    if (json_array_size(refs) == 0)
        return 0;
    s->refs = sm_arena_alloc(&b->arena, json_array_size(refs) * sizeof(*s->refs));
    json_array_foreach(refs, i, r)
    {
        struct sm_span_ref *ref = &s->refs[s->nrefs];
        const json_t *type;

        if (!json_is_object(r))
            return sm_read_fail(err, span_no, "reference %zu must be an object", i + 1);
        memcpy(f, ref_fields, sizeof(f));
        sm_read_fields(r, f, NREF_FIELDS);
        type = f[R_TYPE].value;
        ref->type = SM_REF_CHILD_OF;
        if (json_is_string(type) && !sm_strcasecmp(json_string_value(type), "FOLLOWS_FROM"))
            ref->type = SM_REF_FOLLOWS_FROM;
        else if (type &&
                 (!json_is_string(type) || sm_strcasecmp(json_string_value(type), "CHILD_OF") != 0))
            return sm_read_fail(
                err, span_no, "reference %zu: \"refType\" must be CHILD_OF or FOLLOWS_FROM", i + 1);
        rc = read_id(b, f[R_TRACE_ID].value, "traceID", false, span_no, &ref->trace_id, err);
        if (!rc)
            rc = read_id(b, f[R_SPAN_ID].value, "spanID", true, span_no, &ref->span_id, err);
        if (rc)
            return rc;
        if (!ref->trace_id)
            ref->trace_id = s->trace_id;
        s->nrefs++;
    }
    return 0;
}

static const char *choose_parent(const struct sm_span *s)
{
    size_t i;

    for (i = 0; i < s->nrefs; i++) {
        if (s->refs[i].type == SM_REF_CHILD_OF && !strcmp(s->refs[i].trace_id, s->trace_id))
            return s->refs[i].span_id;
    }
    for (i = 0; i < s->nrefs; i++) {
        if (!strcmp(s->refs[i].trace_id, s->trace_id))
            return s->refs[i].span_id;
    }
    return s->nrefs > 0 ? s->refs[0].span_id : NULL;
}

enum span_field {
    F_TRACE_ID,
    F_SPAN_ID,
    F_PARENT_ID,
    F_REFS,
    F_NAME,
    F_START,
    F_DURATION,
    F_PROCESS_ID,
    F_PROCESS,
    F_TAGS,
    NFIELDS
};

static const struct sm_read_field span_fields[NFIELDS] = {
    [F_TRACE_ID] = {"traceID", NULL, NULL, NULL},
    [F_SPAN_ID] = {"spanID", NULL, NULL, NULL},
    [F_PARENT_ID] = {"parentSpanID", NULL, NULL, NULL},
    [F_REFS] = {"references", NULL, NULL, NULL},
    [F_NAME] = {"operationName", NULL, NULL, NULL},
    [F_START] = {"startTime", NULL, NULL, NULL},
    [F_DURATION] = {"duration", NULL, NULL, NULL},
    [F_PROCESS_ID] = {"processID", NULL, NULL, NULL},
    [F_PROCESS] = {"process", NULL, NULL, NULL},
    [F_TAGS] = {"tags", NULL, NULL, NULL},
};

static int parse_span(const json_t *js, const json_t *trace_id, const json_t *processes,
                      size_t span_no, struct sm_batch *b, struct sm_error *err)
{
    struct sm_read_field f[NFIELDS];
    struct sm_span *s;
    const json_t *v, *process = NULL;
    const char *parent_field = NULL;
    char quote[64];
    int rc;

    if (!json_is_object(js))
        return sm_read_fail(err, span_no, "must be an object, got %s",
                            sm_read_describe(js, quote, sizeof(quote)));
    memcpy(f, span_fields, sizeof(f));
    sm_read_fields(js, f, NFIELDS);
    s = sm_batch_add(b);
    s->format = SM_FORMAT_JAEGER;
    /* A span without its own traceID belongs to the trace it is listed in. */
    rc = read_id(b, f[F_TRACE_ID].value ? f[F_TRACE_ID].value : trace_id, "traceID", true, span_no,
                 &s->trace_id, err);
    if (!rc)
        rc = read_id(b, f[F_SPAN_ID].value, "spanID", true, span_no, &s->span_id, err);
    if (!rc)
        rc = read_id(b, f[F_PARENT_ID].value, "parentSpanID", false, span_no, &parent_field, err);
    if (!rc)
        rc = read_refs(f[F_REFS].value, span_no, b, s, err);
    if (rc)
        return rc;
    s->parent_id = s->nrefs > 0 ? choose_parent(s) : parent_field;

    rc = sm_read_name(f[F_NAME].value, "operationName", span_no, b, s, err);
    if (!rc)
        rc = sm_read_times_us(f[F_START].value, "startTime", f[F_DURATION].value, span_no, s, err);
    if (rc)
        return rc;

    v = f[F_PROCESS_ID].value;
    if (json_is_string(v))
        process = json_object_get(processes, json_string_value(v));
    if (!process)
        process = f[F_PROCESS].value;
    if (process) {
        if (!json_is_object(process))
            return sm_read_fail(err, span_no, "\"process\" must be an object");
        v = sm_read_get(process, "serviceName", NULL, NULL);
        s->service = json_is_string(v) ? sm_batch_str(b, json_string_value(v)) : NULL;
        rc = read_tags(sm_read_get(process, "tags", NULL, NULL), false, span_no, b, s, err);
        if (rc)
            return rc;
    }
    return read_tags(f[F_TAGS].value, true, span_no, b, s, err);
}

static int parse_trace(const json_t *trace, size_t *span_no, struct sm_batch *b,
                       struct sm_error *err)
{
    const json_t *spans, *processes, *trace_id, *js;
    char quote[64];
    size_t i;

    if (!json_is_object(trace))
        return sm_read_fail(err, 0, "a trace must be an object, got %s",
                            sm_read_describe(trace, quote, sizeof(quote)));
    spans = sm_read_get(trace, "spans", NULL, NULL);
    if (!spans)
        return sm_read_fail(err, 0, "\"spans\" is missing");
    if (!json_is_array(spans))
        return sm_read_fail(err, 0, "\"spans\" must be an array, got %s",
                            sm_read_describe(spans, quote, sizeof(quote)));
    processes = sm_read_get(trace, "processes", NULL, NULL);
    if (processes && !json_is_object(processes))
        return sm_read_fail(err, 0, "\"processes\" must be an object, got %s",
                            sm_read_describe(processes, quote, sizeof(quote)));
    trace_id = sm_read_get(trace, "traceID", NULL, NULL);
    /* a bad span (its process included) costs only itself: the trace keeps the others */
    json_array_foreach(spans, i, js)
    {
        size_t keep = b->len;

        if (parse_span(js, trace_id, processes, ++*span_no, b, err) != 0) {
            sm_batch_skip(b, keep, 1, err->text);
            sm_error_init(err);
        }
    }
    return 0;
}

/* An item of a list: a trace, or a span standing alone (which makes the batch one of
 * loose spans, left for the linker to group). */
static int parse_item(const json_t *item, size_t *span_no, struct sm_batch *b, struct sm_error *err)
{
    if (looks_like_span(item)) {
        b->whole_traces = false;
        return parse_span(item, NULL, NULL, ++*span_no, b, err);
    }
    return parse_trace(item, span_no, b, err);
}

static int parse(const struct sm_element *el, const json_t *value, struct sm_batch *out,
                 struct sm_error *err)
{
    const json_t *traces = NULL, *trace, *data;
    size_t span_no = 0, i;
    int rc;

    (void)el;
    out->format = SM_FORMAT_JAEGER;
    out->whole_traces = true;
    if (json_is_array(value)) {
        traces = value;
    } else if (json_is_object(value) && !json_object_get(value, "spans")) {
        data = json_object_get(value, "data");
        if (json_is_array(data))
            traces = data;
        else if (json_is_object(data))
            return parse_trace(data, &span_no, out, err); /* the UI's fetched-trace state */
    }
    if (!traces)
        return parse_item(value, &span_no, out, err);
    json_array_foreach(traces, i, trace)
    {
        rc = parse_item(trace, &span_no, out, err);
        if (rc)
            return rc;
    }
    return 0;
}

const struct sm_reader sm_reader_jaeger = {
    .name = "jaeger",
    .format = SM_FORMAT_JAEGER,
    .probe = probe,
    .parse = parse,
};
