/* format.c: the table of input formats, and the sniffs of the formats read here.
 *
 * Sniffs look at bytes, not at parsed values: a JSON format is recognised by the keys
 * in the head of the input (a quoted name followed by a colon), a text format by its
 * first lines. The head is at most SM_SNIFF_HEAD_BYTES, cut anywhere, so a sniff never
 * needs the head to be complete JSON. Scores: 100 for a marker no other format has (the
 * map schema), 90 for keys only one family uses, lower for shapes that a more specific
 * row may claim better (Zipkin v2 keys are also Zipkin v1 keys).
 */
#include "svcmap/format.h"

#include <stdio.h>
#include <string.h>

#include "svcmap/mapdoc.h"
#include "svcmap/preagg.h"
#include "svcmap/reader.h"

bool sm_sniff_has_key(const char *head, size_t len, const char *key)
{
    size_t klen = strlen(key);
    const char *p = head, *end = head + len;

    while ((size_t)(end - p) >= klen + 2) {
        const char *q = memchr(p, '"', (size_t)(end - p) - klen - 1);

        if (!q)
            return false;
        if (!memcmp(q + 1, key, klen) && q[klen + 1] == '"') {
            const char *c = q + klen + 2;

            while (c < end && (*c == ' ' || *c == '\t' || *c == '\r' || *c == '\n'))
                c++;
            if (c < end && *c == ':')
                return true;
        }
        p = q + 1;
    }
    return false;
}

static bool has_any_key(const char *head, size_t len, const char *const *keys)
{
    for (; *keys; keys++) {
        if (sm_sniff_has_key(head, len, *keys))
            return true;
    }
    return false;
}

static int sniff_otlp(const char *head, size_t len, bool complete)
{
    static const char *const keys[] = {
        "resourceSpans",
        "resource_spans",
        "scopeSpans",
        "scope_spans",
        "resourceLogs",
        "resource_logs",
        "resourceMetrics",
        "resource_metrics",
        "resourceProfiles",
        "resource_profiles",
        "instrumentationLibrarySpans",
        NULL,
    };

    (void)complete;
    return has_any_key(head, len, keys) ? 90 : 0;
}

static int sniff_jaeger(const char *head, size_t len, bool complete)
{
    (void)complete;
    if (!sm_sniff_has_key(head, len, "traceID"))
        return 0;
    return sm_sniff_has_key(head, len, "spanID") || sm_sniff_has_key(head, len, "processes") ? 90
                                                                                             : 50;
}

static int sniff_zipkin(const char *head, size_t len, bool complete)
{
    (void)complete;
    if (!sm_sniff_has_key(head, len, "traceId") || sm_sniff_has_key(head, len, "spanId"))
        return 0;
    if (sm_sniff_has_key(head, len, "localEndpoint") ||
        sm_sniff_has_key(head, len, "remoteEndpoint"))
        return 80;
    return sm_sniff_has_key(head, len, "id") ? 70 : 30;
}

static int sniff_preagg(const char *head, size_t len, enum sm_input_format want, int score)
{
    enum sm_input_format got = SM_FORMAT_UNKNOWN;

    return sm_preagg_sniff(head, len, &got) && got == want ? score : 0;
}

static int sniff_zipkin_deps(const char *head, size_t len, bool complete)
{
    (void)complete;
    return sniff_preagg(head, len, SM_FORMAT_ZIPKIN_DEPS, 90);
}

static int sniff_jaeger_deps(const char *head, size_t len, bool complete)
{
    (void)complete;
    return sniff_preagg(head, len, SM_FORMAT_JAEGER_DEPS, 90);
}

static int sniff_prometheus(const char *head, size_t len, bool complete)
{
    (void)complete;
    return sniff_preagg(head, len, SM_FORMAT_PROMETHEUS, 60);
}

static int sniff_map(const char *head, size_t len, bool complete)
{
    (void)complete;
    return sm_mapdoc_sniff(head, len) ? 100 : 0;
}

static int read_preagg_row(const struct sm_format *f, struct sm_input *in,
                           struct sm_read_sink *sink, struct sm_error *err)
{
    if (!sink->map)
        return sm_error_at(err, SM_EUSAGE, sink->file, 0, 0, -1,
                           "%s input holds dependencies, not spans", f->name);
    return sm_preagg_read_input(in, f->id, sink->opt, sink->map, err);
}

static int read_map_row(const struct sm_format *f, struct sm_input *in, struct sm_read_sink *sink,
                        struct sm_error *err)
{
    if (!sink->map)
        return sm_error_at(err, SM_EUSAGE, sink->file, 0, 0, -1,
                           "%s input is a map document, not spans", f->name);
    return sm_mapdoc_read_input(in, sink->opt, sink->map, err);
}

static const struct sm_format format_otlp = {
    .name = "otlp",
    .id = SM_FORMAT_OTLP,
    .summary = "OpenTelemetry OTLP JSON (file exporter lines, one document, Tempo, Jaeger v3)",
    .spans = true,
    .sniff = sniff_otlp,
    .read = sm_read_json_elements,
    .elements = &sm_reader_otlp,
};

static const struct sm_format format_jaeger = {
    .name = "jaeger",
    .id = SM_FORMAT_JAEGER,
    .summary = "Jaeger JSON (UI download, query API, a trace, an array of traces)",
    .spans = true,
    .sniff = sniff_jaeger,
    .read = sm_read_json_elements,
    .elements = &sm_reader_jaeger,
};

static const struct sm_format format_zipkin = {
    .name = "zipkin",
    .id = SM_FORMAT_ZIPKIN,
    .summary = "Zipkin v2 JSON (an array of spans, or of traces as /api/v2/traces answers)",
    .spans = true,
    .sniff = sniff_zipkin,
    .read = sm_read_json_elements,
    .elements = &sm_reader_zipkin,
};

static const struct sm_format format_zipkin_deps = {
    .name = "zipkin-deps",
    .id = SM_FORMAT_ZIPKIN_DEPS,
    .summary = "Zipkin /api/v2/dependencies links",
    .sniff = sniff_zipkin_deps,
    .read = read_preagg_row,
};

static const struct sm_format format_jaeger_deps = {
    .name = "jaeger-deps",
    .id = SM_FORMAT_JAEGER_DEPS,
    .summary = "Jaeger /api/dependencies links",
    .sniff = sniff_jaeger_deps,
    .read = read_preagg_row,
};

static const struct sm_format format_prometheus = {
    .name = "prometheus",
    .id = SM_FORMAT_PROMETHEUS,
    .summary = "service-graph connector metrics, Prometheus text",
    .sniff = sniff_prometheus,
    .read = read_preagg_row,
};

static const struct sm_format format_map = {
    .name = "map",
    .id = SM_FORMAT_MAP,
    .summary = "a svcmap.map/v1 map document",
    .sniff = sniff_map,
    .read = read_map_row,
};

const struct sm_format *const sm_formats[] = {
    &format_otlp,          &format_jaeger,
    &format_zipkin,        &sm_format_zipkin1,
    &sm_format_otlp_proto, &format_zipkin_deps,
    &format_jaeger_deps,   &format_prometheus,
    &format_map,           NULL,
};

const struct sm_format *sm_format_find(const char *name)
{
    size_t i;

    for (i = 0; sm_formats[i]; i++) {
        if (!strcmp(sm_formats[i]->name, name))
            return sm_formats[i];
    }
    return NULL;
}

const struct sm_format *sm_format_for(enum sm_input_format id)
{
    size_t i;

    for (i = 0; sm_formats[i]; i++) {
        if (sm_formats[i]->id == id)
            return sm_formats[i];
    }
    return NULL;
}

const struct sm_format *sm_format_sniff(const char *head, size_t len, bool complete)
{
    const struct sm_format *best = NULL;
    int best_score = 0;
    size_t i;

    for (i = 0; sm_formats[i]; i++) {
        int score = sm_formats[i]->sniff(head, len, complete);

        if (score > best_score) {
            best_score = score;
            best = sm_formats[i];
        }
    }
    return best;
}

/* "a, b, c or d" from the rows that pass keep (NULL: all). */
static void join_names(char *out, size_t size, bool spans_only)
{
    size_t i, n = 0, k = 0, used = 0;

    for (i = 0; sm_formats[i]; i++)
        n += !spans_only || sm_formats[i]->spans;
    out[0] = '\0';
    for (i = 0; sm_formats[i]; i++) {
        int w;

        if (spans_only && !sm_formats[i]->spans)
            continue;
        w = snprintf(out + used, size - used, "%s%s",
                     k == 0       ? ""
                     : k + 1 == n ? " or "
                                  : ", ",
                     sm_formats[i]->name);
        if (w < 0 || (size_t)w >= size - used)
            return;
        used += (size_t)w;
        k++;
    }
}

const char *sm_format_names(void)
{
    static char names[512];

    if (!names[0])
        join_names(names, sizeof(names), false);
    return names;
}

const char *sm_format_span_names(void)
{
    static char names[512];

    if (!names[0])
        join_names(names, sizeof(names), true);
    return names;
}
