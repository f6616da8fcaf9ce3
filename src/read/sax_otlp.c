/* sax_otlp.c: the streaming OTLP JSON reader, a state machine over yajl's events.
 *
 * Reads what read_otlp.c reads, to the same spans, without a tree: a stack of the
 * containers it is inside (document, resourceSpans items, resource, attributes, scopes,
 * spans, status) says what the next value means; values nobody reads are skipped as
 * they stream past, and strings are copied only when a span keeps them. Everything is
 * decided in one pass, so where read_otlp.c looks at a whole object before acting,
 * this reader acts at the object's end: a resource's attributes are given to its spans
 * when the item closes, an attribute is applied when its {"key", "value"} closes.
 *
 * What it does not take as plainly good goes back to read_otlp.c (SM_SAX_FALLBACK): a
 * bad span or field, a key given twice or in both spellings, an AnyValue whose value is
 * not a scalar, and the rarer document shapes (a document that is itself an item, an
 * empty wrapper). The jansson reader then gives the answer, or the complaint.
 */
#include <string.h>
#include <strings.h>

#include "read_common.h"
#include "sax_common.h"
#include "svcmap/reader.h"
#include "svcmap/sax.h"

/* What the next value is. */
enum slot {
    V_SKIP = 0,
    V_DOC,        /* the element, a document */
    V_ITEM,       /* a resourceSpans item */
    V_DOC_ITEMS,  /* "resourceSpans" of a document or of its "result"/"trace" */
    V_RESULT,     /* "result" or "trace" of a document */
    V_OTHER,      /* "resourceLogs" and the like */
    V_RESOURCE,   /* an item's "resource" */
    V_ATTRS,      /* "attributes" of a resource or a span */
    V_ATTR,       /* one {"key", "value"} */
    V_ATTR_KEY,   /* its "key" */
    V_ATTR_VALUE, /* its "value" */
    V_ANY_MEMBER, /* "stringValue" and the like inside the value */
    V_SCOPES,     /* "scopeSpans" */
    V_SCOPE,      /* one scope */
    V_SPANS,      /* its "spans" */
    V_SPAN,       /* one span */
    V_TRACE_ID,
    V_SPAN_ID,
    V_PARENT_ID,
    V_NAME,
    V_KIND,
    V_START,
    V_END,
    V_STATUS,
    V_CODE,
};

/* The containers that are read (skipped ones are only counted). */
enum role {
    C_DOC,
    C_RESULT,
    C_ITEMS,
    C_ITEM,
    C_RESOURCE,
    C_RES_ATTRS,
    C_SPAN_ATTRS,
    C_ATTR,
    C_ANY,
    C_SCOPES,
    C_SCOPE,
    C_SPANS,
    C_SPAN,
    C_STATUS,
};

/* The other signals of the file exporter, by the camelCase name read_otlp.c reports. */
static const char *const other_names[] = {"resourceLogs", "resourceMetrics", "resourceProfiles"};

struct ctx {
    struct sm_sax_walk w; /* first: the handlers cast it back */
    struct sm_batch *b;
    enum slot slot;

    /* the document */
    unsigned doc_items, doc_results, result_items, doc_others;
    int other; /* index into other_names of the last other signal seen as an array */

    /* the item */
    size_t item_first_span;
    struct sm_span res; /* only service, service_namespace, service_version */
    unsigned item_scope_keys;

    /* the span */
    size_t span;
    bool has_trace, has_span, has_start, has_end;
    int64_t end_ns;

    /* the attribute */
    bool attr_of_span;
    bool attr_has_key;
    bool attr_has_value;
    bool attr_relevant; /* the key is known and matters (or the key is not known yet) */
    /* once the key is known: what it sets (sm_read_attr_target; a resource field is
     * SM_READ_ATTR_TEXT), so the value is applied as it comes, from the parser's bytes */
    enum sm_read_attr attr_kind;
    const char **attr_field;
    bool any_found;
    struct sm_sax_scalar attr_value;
    struct sm_buf value; /* the text of a value kept for its key */
};

/* The slot of the next value once one has ended: an array's next item, or nothing until
 * the object's next key. */
static void value_done(struct sm_sax_walk *w)
{
    struct ctx *c = (struct ctx *)w;
    struct sm_sax_frame *f = sm_sax_top(w);

    if (!f) {
        w->root_done = true;
        c->slot = V_SKIP;
        return;
    }
    switch (f->role) {
    case C_ITEMS:
        c->slot = V_ITEM;
        break;
    case C_RES_ATTRS:
    case C_SPAN_ATTRS:
        c->slot = V_ATTR;
        break;
    case C_SCOPES:
        c->slot = V_SCOPE;
        break;
    case C_SPANS:
        c->slot = V_SPAN;
        break;
    default:
        c->slot = V_SKIP;
        break;
    }
}

static struct sm_span *cur_span(struct ctx *c)
{
    return &c->b->spans[c->span];
}

/* ---- scalars ---- */

static int read_id(struct ctx *c, const struct sm_sax_scalar *v, size_t bytes, const char **out)
{
    char id[64];

    if (v->type == SM_SAX_STRING && v->len == 2 * bytes) {
        /* nearly every id: hex digits of the right length, read in place (what
         * sm_batch_otlp_id makes of them; all zero is NULL) */
        bool hex;
        const char *kept = sm_batch_strict_hex_id_n(c->b, v->s, v->len, &hex);

        if (hex) {
            *out = kept;
            return 0;
        }
    }
    if (v->type != SM_SAX_STRING || v->len == 0 ||
        !sm_sax_cstr((const unsigned char *)v->s, v->len, id, sizeof(id)) ||
        sm_otlp_id_size(id) != bytes)
        return -1;
    *out = sm_batch_otlp_id(c->b, id);
    return 0;
}

/* read_otlp.c's read_enum: a number below n, or PREFIX_NAME or NAME in any case. */
static int read_enum(const struct sm_sax_scalar *v, const char *prefix, const char *const *names,
                     int n)
{
    char text[64];
    const char *s = text;
    size_t plen = strlen(prefix);
    int i;

    if (v->type == SM_SAX_INT)
        return v->i >= 0 && v->i < n ? (int)v->i : -1;
    if (v->type != SM_SAX_STRING ||
        !sm_sax_cstr((const unsigned char *)v->s, v->len, text, sizeof(text)))
        return -1;
    if (!strncasecmp(s, prefix, plen))
        s += plen;
    for (i = 0; i < n; i++) {
        if (!sm_strcasecmp(s, names[i]))
            return i;
    }
    return -1;
}

/* sm_read_otlp_resource_field for a key of len bytes. */
static const char **resource_field(struct sm_span *res, const char *key, size_t len)
{
    if (SM_SAX_KEY_IS("service.name"))
        return &res->service;
    if (SM_SAX_KEY_IS("service.namespace"))
        return &res->service_namespace;
    if (SM_SAX_KEY_IS("service.version"))
        return &res->service_version;
    return NULL;
}

/* The span an attribute belongs to; NULL for a resource's (there may be no span yet). */
static struct sm_span *attr_span(struct ctx *c)
{
    return c->attr_of_span ? cur_span(c) : NULL;
}

/* The attribute's key has come (v, a string): what it sets is settled now, as the span's
 * state decides it (newer names win over older ones), and nothing changes that state
 * before the attribute ends. A value that came before its key is applied now. */
static void attr_key(struct ctx *c, const struct sm_sax_scalar *v)
{
    if (c->attr_of_span) {
        c->attr_kind = sm_read_attr_target_n(cur_span(c), v->s, v->len, &c->attr_field);
    } else {
        c->attr_field = resource_field(&c->res, v->s, v->len);
        c->attr_kind = c->attr_field ? SM_READ_ATTR_TEXT : SM_READ_ATTR_NONE;
    }
    c->attr_has_key = true;
    if (c->attr_has_value) {
        /* kept while the key was not known; attr_relevant was true */
        if (c->attr_value.type != SM_SAX_NONE)
            sm_sax_set_attr(c->b, attr_span(c), c->attr_kind, c->attr_field, &c->attr_value);
        c->attr_relevant = false; /* done */
    } else {
        c->attr_relevant = c->attr_kind != SM_READ_ATTR_NONE;
    }
}

/* The attribute's value (the plain value or the first member of its AnyValue): applied
 * when its key is known, kept for the key otherwise. */
static void attr_value(struct ctx *c, const struct sm_sax_scalar *v)
{
    c->attr_has_value = true;
    if (!c->attr_relevant)
        return;
    if (c->attr_has_key)
        sm_sax_set_attr(c->b, attr_span(c), c->attr_kind, c->attr_field, v);
    else
        sm_sax_keep(&c->attr_value, v, &c->value);
}

static int on_scalar(struct sm_sax_walk *w, const struct sm_sax_scalar *v)
{
    static const char *const kinds[] = {"unspecified", "internal", "server",
                                        "client",      "producer", "consumer"};
    static const char *const codes[] = {"unset", "ok", "error"};
    struct ctx *c = (struct ctx *)w;
    struct sm_span *s;
    int x;

    if (v->type == SM_SAX_NULL) {
        /* null is absent, except as an attribute's plain value (read_otlp.c hands it on) */
        switch (c->slot) {
        case V_ATTR_VALUE:
            break;
        case V_ANY_MEMBER:
            c->any_found = true; /* the first member found is null: no value */
            value_done(w);
            return 1;
        case V_RESOURCE:
        case V_ATTRS:
        case V_SCOPES:
        case V_SPANS:
        case V_SCOPE:
        case V_TRACE_ID:
        case V_SPAN_ID:
        case V_PARENT_ID:
        case V_NAME:
        case V_KIND:
        case V_START:
        case V_END:
        case V_STATUS:
        case V_CODE:
        case V_SKIP:
            if (c->slot == V_START)
                c->has_start = false;
            if (c->slot == V_END)
                c->has_end = false;
            value_done(w);
            return 1;
        default:
            return sm_sax_fall_back(w);
        }
    }
    switch (c->slot) {
    case V_SKIP:
    case V_SCOPE: /* a scope that is not an object is passed over */
        break;
    case V_TRACE_ID:
        if (read_id(c, v, 16, &cur_span(c)->trace_id) != 0 || !cur_span(c)->trace_id)
            return sm_sax_fall_back(w);
        c->has_trace = true;
        break;
    case V_SPAN_ID:
        if (read_id(c, v, 8, &cur_span(c)->span_id) != 0 || !cur_span(c)->span_id)
            return sm_sax_fall_back(w);
        c->has_span = true;
        break;
    case V_PARENT_ID:
        if (v->type == SM_SAX_STRING && v->len == 0)
            cur_span(c)->parent_id = NULL;
        else if (read_id(c, v, 8, &cur_span(c)->parent_id) != 0)
            return sm_sax_fall_back(w);
        break;
    case V_NAME:
        if (v->type != SM_SAX_STRING)
            return sm_sax_fall_back(w);
        cur_span(c)->name = v->len ? sm_arena_strndup(&c->b->arena, v->s, v->len) : NULL;
        break;
    case V_KIND:
        x = read_enum(v, "SPAN_KIND_", kinds, 6);
        if (x < 0)
            return sm_sax_fall_back(w);
        cur_span(c)->kind = (enum sm_span_kind)x;
        break;
    case V_START:
        s = cur_span(c);
        if (sm_sax_nonneg(v, &s->start_ns) != 0)
            return sm_sax_fall_back(w);
        c->has_start = true;
        break;
    case V_END:
        if (sm_sax_nonneg(v, &c->end_ns) != 0)
            return sm_sax_fall_back(w);
        c->has_end = true;
        break;
    case V_CODE:
        x = read_enum(v, "STATUS_CODE_", codes, 3);
        if (x < 0)
            return sm_sax_fall_back(w);
        cur_span(c)->error = x == 2;
        break;
    case V_ATTR_KEY:
        if (v->type != SM_SAX_STRING)
            return sm_sax_fall_back(w);
        attr_key(c, v);
        break;
    case V_ATTR_VALUE:
        attr_value(c, v);
        break;
    case V_ANY_MEMBER:
        if (!c->any_found) {
            c->any_found = true;
            attr_value(c, v);
        }
        break;
    default:
        /* an object or array was expected */
        return sm_sax_fall_back(w);
    }
    value_done(w);
    return 1;
}

/* ---- containers ---- */

static int on_start_map(struct sm_sax_walk *w)
{
    struct ctx *c = (struct ctx *)w;
    enum role role;

    switch (c->slot) {
    case V_SKIP:
        return sm_sax_skip(w);
    case V_DOC:
        role = C_DOC;
        break;
    case V_RESULT:
        role = C_RESULT;
        break;
    case V_ITEM:
        role = C_ITEM;
        c->item_first_span = c->b->len;
        memset(&c->res, 0, sizeof(c->res));
        c->item_scope_keys = 0;
        break;
    case V_RESOURCE:
        role = C_RESOURCE;
        break;
    case V_ATTR:
        role = C_ATTR;
        c->attr_of_span = sm_sax_top(w)->role == C_SPAN_ATTRS;
        c->attr_has_key = false;
        c->attr_has_value = false;
        c->attr_relevant = true;
        c->attr_value.type = SM_SAX_NONE;
        break;
    case V_ATTR_VALUE:
        role = C_ANY;
        c->any_found = false;
        break;
    case V_ANY_MEMBER:
        if (c->any_found)
            return sm_sax_skip(w);
        return sm_sax_fall_back(w); /* the value's value is an object: leave it to jansson */
    case V_SCOPE:
        role = C_SCOPE;
        break;
    case V_SPAN:
        role = C_SPAN;
        c->span = c->b->len;
        sm_batch_add(c->b)->format = SM_FORMAT_OTLP;
        c->has_trace = c->has_span = c->has_start = c->has_end = false;
        c->end_ns = 0;
        break;
    case V_STATUS:
        role = C_STATUS;
        break;
    default:
        return sm_sax_fall_back(w);
    }
    if (!sm_sax_push(w, role))
        return sm_sax_fall_back(w);
    c->slot = V_SKIP;
    return 1;
}

static int on_start_array(struct sm_sax_walk *w)
{
    struct ctx *c = (struct ctx *)w;
    enum role role;
    struct sm_sax_frame *f = sm_sax_top(w);

    switch (c->slot) {
    case V_SKIP:
    case V_SCOPE: /* not an object: passed over */
        return sm_sax_skip(w);
    case V_OTHER:
        c->doc_others++; /* c->other was set by the key */
        return sm_sax_skip(w);
    case V_ATTR_VALUE:
        /* an array value is no value: the attribute is left out */
        return sm_sax_skip(w);
    case V_ANY_MEMBER:
        if (c->any_found)
            return sm_sax_skip(w);
        return sm_sax_fall_back(w);
    case V_DOC_ITEMS:
        role = C_ITEMS;
        break;
    case V_ATTRS:
        role = f->role == C_RESOURCE ? C_RES_ATTRS : C_SPAN_ATTRS;
        break;
    case V_SCOPES:
        role = C_SCOPES;
        break;
    case V_SPANS:
        role = C_SPANS;
        break;
    default:
        return sm_sax_fall_back(w);
    }
    if (!sm_sax_push(w, role))
        return sm_sax_fall_back(w);
    if (role == C_RES_ATTRS || role == C_SPAN_ATTRS)
        sm_sax_mark(w); /* its first attribute may be passed over */
    value_done(w);
    return 1;
}

enum span_key {
    K_TRACE = 1u << 0,
    K_SPAN = 1u << 1,
    K_PARENT = 1u << 2,
    K_NAME = 1u << 3,
    K_KIND = 1u << 4,
    K_START = 1u << 5,
    K_END = 1u << 6,
    K_STATUS = 1u << 7,
    K_ATTRS = 1u << 8,
};

static enum slot span_key(const char *key, size_t len, unsigned *bit)
{
    switch (key[0]) {
    case 't':
        if (SM_SAX_KEY_IS("traceId") || SM_SAX_KEY_IS("trace_id")) {
            *bit = K_TRACE;
            return V_TRACE_ID;
        }
        break;
    case 's':
        if (SM_SAX_KEY_IS("spanId") || SM_SAX_KEY_IS("span_id")) {
            *bit = K_SPAN;
            return V_SPAN_ID;
        }
        if (SM_SAX_KEY_IS("startTimeUnixNano") || SM_SAX_KEY_IS("start_time_unix_nano")) {
            *bit = K_START;
            return V_START;
        }
        if (SM_SAX_KEY_IS("status")) {
            *bit = K_STATUS;
            return V_STATUS;
        }
        break;
    case 'p':
        if (SM_SAX_KEY_IS("parentSpanId") || SM_SAX_KEY_IS("parent_span_id")) {
            *bit = K_PARENT;
            return V_PARENT_ID;
        }
        break;
    case 'n':
        if (SM_SAX_KEY_IS("name")) {
            *bit = K_NAME;
            return V_NAME;
        }
        break;
    case 'k':
        if (SM_SAX_KEY_IS("kind")) {
            *bit = K_KIND;
            return V_KIND;
        }
        break;
    case 'e':
        if (SM_SAX_KEY_IS("endTimeUnixNano") || SM_SAX_KEY_IS("end_time_unix_nano")) {
            *bit = K_END;
            return V_END;
        }
        break;
    case 'a':
        if (SM_SAX_KEY_IS("attributes")) {
            *bit = K_ATTRS;
            return V_ATTRS;
        }
        break;
    default:
        break;
    }
    return V_SKIP;
}

static bool is_items_key(const char *key, size_t len)
{
    return SM_SAX_KEY_IS("resourceSpans") || SM_SAX_KEY_IS("resource_spans") ||
           SM_SAX_KEY_IS("batches");
}

/* The index into other_names of an other signal's key (either spelling), or -1. */
static int other_key(const char *key, size_t len)
{
    if (SM_SAX_KEY_IS("resourceLogs") || SM_SAX_KEY_IS("resource_logs"))
        return 0;
    if (SM_SAX_KEY_IS("resourceMetrics") || SM_SAX_KEY_IS("resource_metrics"))
        return 1;
    if (SM_SAX_KEY_IS("resourceProfiles") || SM_SAX_KEY_IS("resource_profiles"))
        return 2;
    return -1;
}

#define ANY_KEY(s)                                                                                 \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }
static const struct {
    const char *name;
    size_t len;
} any_keys[] = {
    ANY_KEY("stringValue"),  ANY_KEY("intValue"),  ANY_KEY("boolValue"),  ANY_KEY("doubleValue"),
    ANY_KEY("string_value"), ANY_KEY("int_value"), ANY_KEY("bool_value"), ANY_KEY("double_value"),
};
#undef ANY_KEY

static int on_map_key(struct sm_sax_walk *w, const char *key, size_t len)
{
    struct ctx *c = (struct ctx *)w;
    struct sm_sax_frame *f = sm_sax_top(w);
    unsigned bit = 0;
    size_t i;
    int o;

    c->slot = V_SKIP;
    if (len == 0)
        return 1;
    switch (f->role) {
    case C_DOC:
        if (is_items_key(key, len)) {
            c->doc_items++;
            c->slot = V_DOC_ITEMS;
        } else if (SM_SAX_KEY_IS("result") || SM_SAX_KEY_IS("trace")) {
            c->doc_results++;
            c->slot = V_RESULT;
        } else if ((o = other_key(key, len)) >= 0) {
            /* a second other signal is a shape read_otlp.c orders: leave it to it */
            if (c->doc_others)
                return sm_sax_fall_back(w);
            c->slot = V_OTHER;
            c->other = o;
        }
        return 1;
    case C_RESULT:
        if (is_items_key(key, len)) {
            c->result_items++;
            c->slot = V_DOC_ITEMS;
        }
        return 1;
    case C_ITEM:
        if (SM_SAX_KEY_IS("resource")) {
            if (!sm_sax_first_key(f, 1))
                return sm_sax_fall_back(w);
            c->slot = V_RESOURCE;
        } else if (SM_SAX_KEY_IS("scopeSpans") || SM_SAX_KEY_IS("scope_spans") ||
                   SM_SAX_KEY_IS("instrumentationLibrarySpans") ||
                   SM_SAX_KEY_IS("instrumentation_library_spans")) {
            if (c->item_scope_keys++)
                return sm_sax_fall_back(w);
            c->slot = V_SCOPES;
        }
        return 1;
    case C_RESOURCE:
        if (SM_SAX_KEY_IS("attributes")) {
            if (!sm_sax_first_key(f, 1))
                return sm_sax_fall_back(w);
            c->slot = V_ATTRS;
        }
        return 1;
    case C_ATTR:
        if (SM_SAX_KEY_IS("key")) {
            if (!sm_sax_first_key(f, 1))
                return sm_sax_fall_back(w);
            c->slot = V_ATTR_KEY;
        } else if (SM_SAX_KEY_IS("value")) {
            if (!sm_sax_first_key(f, 2))
                return sm_sax_fall_back(w);
            c->slot = V_ATTR_VALUE;
        }
        return 1;
    case C_ANY:
        for (i = 0; i < sizeof(any_keys) / sizeof(any_keys[0]); i++) {
            if (any_keys[i].len == len && !memcmp(key, any_keys[i].name, len)) {
                if (!sm_sax_first_key(f, 1u << i))
                    return sm_sax_fall_back(w);
                c->slot = V_ANY_MEMBER;
                break;
            }
        }
        return 1;
    case C_SCOPE:
        if (SM_SAX_KEY_IS("spans")) {
            if (!sm_sax_first_key(f, 1))
                return sm_sax_fall_back(w);
            c->slot = V_SPANS;
        }
        return 1;
    case C_SPAN:
        c->slot = span_key(key, len, &bit);
        if (bit && !sm_sax_first_key(f, bit))
            return sm_sax_fall_back(w);
        return 1;
    case C_STATUS:
        if (SM_SAX_KEY_IS("code")) {
            if (!sm_sax_first_key(f, 1))
                return sm_sax_fall_back(w);
            c->slot = V_CODE;
        }
        return 1;
    default:
        return sm_sax_fall_back(w);
    }
}

static int end_item(struct ctx *c)
{
    size_t i;

    /* the resource may come after the scopes: its fields reach the spans at the end */
    for (i = c->item_first_span; i < c->b->len; i++) {
        struct sm_span *s = &c->b->spans[i];

        s->service = c->res.service;
        s->service_namespace = c->res.service_namespace;
        s->service_version = c->res.service_version;
    }
    return 1;
}

static int end_span(struct ctx *c)
{
    struct sm_span *s = cur_span(c);

    if (!c->has_trace || !c->has_span)
        return sm_sax_fall_back(&c->w); /* a required id is missing */
    /* a span that ends before it starts has no usable duration; keep the span */
    if (c->has_start && c->has_end && s->start_ns > 0 && c->end_ns >= s->start_ns) {
        s->duration_ns = c->end_ns - s->start_ns;
        s->has_duration = true;
    }
    return 1;
}

static int on_end(struct sm_sax_walk *w)
{
    struct ctx *c = (struct ctx *)w;
    int ok = 1;

    switch (sm_sax_top(w)->role) {
    case C_ATTR:
        if (!c->attr_has_key)
            return sm_sax_fall_back(w); /* "key" must be a string */
        sm_sax_mark(w);                 /* the next attribute may be passed over */
        break;
    case C_SPAN:
        ok = end_span(c);
        break;
    case C_ITEM:
        ok = end_item(c);
        break;
    default:
        break;
    }
    w->nframes--;
    if (ok)
        value_done(w);
    return ok;
}

/* ---- attributes passed over (sm_sax_machine's pass_over) ---- */

/* True when some span or resource reads the attribute key of len bytes: a span with
 * nothing set yet takes every key sm_read_attr_target_n ever reads, and resource_field
 * the resource's. */
static bool attr_key_read(const char *key, size_t len)
{
    static struct sm_span blank; /* never written: only its fields' addresses are taken */
    const char **field;

    return sm_read_attr_target_n(&blank, key, len, &field) != SM_READ_ATTR_NONE ||
           resource_field(&blank, key, len) != NULL;
}

#define ATTR_OPEN "{\"key\":\""

/* An attribute {"key":"K","value":{"M":V}}, written compactly as exporters write it,
 * whose key K no span or resource reads, with one member M (any name) and V a string
 * without escapes, true, false or null: its length, else 0. The machine would read it
 * to no effect: the key sets nothing (attr_key), the value of such a key is not looked
 * at (attr_value), and one scalar member is no key given twice and no number jansson
 * might refuse. */
static size_t attr_pass_over(const char *p, const char *end)
{
    const char *key = p + sizeof(ATTR_OPEN) - 1, *q;

    q = sm_sax_plain_end(key, end);
    if (!q || attr_key_read(key, (size_t)(q - key)))
        return 0;
    q++;
    if (!sm_sax_take(&q, end, ",\"value\":{\"", 11) || !(q = sm_sax_plain_end(q, end)))
        return 0;
    q++;
    if (!sm_sax_take(&q, end, ":", 1) || !sm_sax_take_plain_value(&q, end) ||
        !sm_sax_take(&q, end, "}}", 2))
        return 0;
    return (size_t)(q - p);
}

/* The next value is an attribute of a resource or a span (not inside a skipped one). */
static bool attr_in_passable(struct sm_sax_walk *w)
{
    return ((struct ctx *)w)->slot == V_ATTR && !w->skip;
}

static const struct sm_sax_machine machine = {
    .scalar = on_scalar,
    .start_map = on_start_map,
    .start_array = on_start_array,
    .map_key = on_map_key,
    .end = on_end,
    .value_done = value_done,
    .pass_marker = ATTR_OPEN,
    .pass_over = attr_pass_over,
    .in_passable = attr_in_passable,
};

int sm_sax_parse_otlp(const struct sm_element *el, struct sm_batch *out, struct sm_error *err)
{
    struct ctx c;
    int rc = 0;

    memset(&c, 0, sizeof(c));
    c.b = out;
    sm_buf_init(&c.value);
    out->format = SM_FORMAT_OTLP;
    /* an item of a member's array is an item whatever the member (as read_otlp.c) */
    c.slot = el->ctx == SM_ELEM_MEMBER_ITEM ? V_ITEM : V_DOC;
    if (sm_sax_walk(&c.w, &machine, el->data, el->len) != 0) {
        rc = SM_SAX_FALLBACK;
        goto out;
    }
    if (el->ctx == SM_ELEM_MEMBER_ITEM)
        goto out;
    /* a document: which of its members counted is read_otlp.c's order of preference */
    if (c.doc_items == 1 && c.result_items == 0)
        goto out;
    if (c.doc_items == 0 && c.doc_results == 0 && c.doc_others == 1) {
        snprintf(err->text, sizeof(err->text), "%s", other_names[c.other]);
        rc = SM_READ_IGNORED;
        goto out;
    }
    if (c.doc_items == 0 && c.doc_others == 0 && c.doc_results == 1 && c.result_items == 1)
        goto out;
    rc = SM_SAX_FALLBACK;
out:
    sm_buf_release(&c.value);
    return rc;
}
