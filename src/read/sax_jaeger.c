/* sax_jaeger.c: the streaming Jaeger JSON reader, a state machine over yajl's events.
 *
 * Reads what read_jaeger.c reads, to the same spans, without a tree, for the elements
 * the scanner hands out of Jaeger exports: one trace ({"traceID", "spans": [...],
 * "processes": {...}}, an item of {"data": [...]} or of a top-level array, or a bare
 * trace document) or one span standing alone with its own "process" (an item of
 * jaeger-anonymizer's array). Which of the two an object is shows only at its end (a
 * "spans" member makes it a trace), so its own span fields are read as a span of their
 * own and that span is dropped again when the object turns out to be a trace.
 *
 * A trace's "processes" and "traceID" may follow its spans, so what depends on them is
 * settled when the trace closes: the trace id of spans without their own, the default
 * trace id of references and with it the parent, and each span's process (its service
 * and the process tags service.namespace and service.version).
 *
 * Whatever it does not take as plainly good goes back to read_jaeger.c
 * (SM_SAX_FALLBACK): a bad span or field, a key given twice, a tag whose value is an
 * object or array, a process that is not an object, and the rarer wrappers ({"data":
 * ...}, an array as one element).
 */
#include <string.h>

#include "read_common.h"
#include "sax_common.h"
#include "svcmap/reader.h"
#include "svcmap/sax.h"

enum slot {
    V_SKIP = 0,
    V_ROOT,
    V_SPANS,      /* a trace's "spans" */
    V_SPAN,       /* one of them */
    V_PROCESSES,  /* a trace's "processes" */
    V_PROCESS,    /* one of them, or a span's "process" */
    V_TRACE_ID,   /* "traceID" of a span (or of the element, which may be a trace) */
    V_SPAN_ID,    /* "spanID" */
    V_PARENT_ID,  /* "parentSpanID" */
    V_REFS,       /* "references" */
    V_REF,        /* one of them */
    V_REF_TYPE,   /* "refType" */
    V_REF_TRACE,  /* "traceID" of a reference */
    V_REF_SPAN,   /* "spanID" of a reference */
    V_NAME,       /* "operationName" */
    V_START,      /* "startTime" */
    V_DURATION,   /* "duration" */
    V_PROCESS_ID, /* "processID" */
    V_TAGS,       /* "tags" of a span or a process */
    V_TAG,        /* one tag */
    V_TAG_KEY,
    V_TAG_VALUE,
    V_SERVICE, /* a process's "serviceName" */
};

enum role {
    C_SPAN, /* the element's object, or a span of a trace */
    C_SPANS,
    C_PROCESSES,
    C_PROCESS,
    C_REFS,
    C_REF,
    C_TAGS,
    C_TAG,
};

/* Processes of one trace this reader looks up by a linear search; a trace with more
 * (hostile or huge) goes to read_jaeger.c, whose jansson objects are hash tables. */
#define MAX_PROCESSES 256

/* A process: what it gives its spans. */
struct process {
    size_t id_off, id_len; /* its key in processes, in ctx.ids */
    const char *service;
    const char *ns;
    const char *version;
};

/* A span being read, and what waits for the end of its trace. */
struct pspan {
    size_t idx;                       /* in the batch */
    bool has_trace_key, has_span_key; /* the keys are there (with any value) */
    bool trace_given;                 /* its own "traceID", not null */
    bool trace_empty;                 /* ... is "" */
    bool has_span;
    const char *parent_field;
    bool has_refs;
    size_t refs_first, nrefs; /* in ctx.refs */
    bool has_pid;
    size_t pid_off, pid_len; /* in ctx.ids */
    bool has_inline;
    struct process inline_process;
    bool has_duration;
};

/* What a tag's key gives its value to. */
enum tag_what {
    TAG_NONE = 0,
    TAG_NAMESPACE, /* a process's service.namespace */
    TAG_VERSION,   /* a process's service.version */
    TAG_ERROR,
    TAG_STATUS, /* otel.status_code */
    TAG_KIND,   /* span.kind */
    TAG_ATTR,   /* an attribute the linker reads (sm_read_attr_target) */
};

struct ref {
    enum sm_ref_type type;
    const char *trace_id; /* NULL: the span's */
    const char *span_id;
    bool has_span;
};

struct ctx {
    struct sm_sax_walk w; /* first: the handlers cast it back */
    struct sm_batch *b;
    enum slot slot;

    bool has_spans_key;
    bool trace_id_present; /* the element's "traceID" is a non-empty string */
    const char *trace_id;  /* ... normalized (NULL when all zeros) */

    struct pspan root;   /* the element's own fields, as a span */
    struct pspan *spans; /* the trace's spans, waiting for its end */
    size_t nspans, spans_cap;
    struct pspan *cur; /* the span being read: &root or the last of spans */

    struct ref *refs;
    size_t nrefs, refs_cap;
    struct ref *ref; /* being read */

    struct process *procs;
    size_t nprocs, procs_cap;
    struct process *proc; /* being read (an entry of procs, or cur's inline one) */
    bool in_processes;
    struct sm_buf ids; /* process ids, NUL-separated */

    /* the tag being read */
    bool tag_of_process;
    bool tag_has_key, tag_has_value;
    enum tag_what tag_what;     /* once the key is known: what it sets */
    enum sm_read_attr tag_attr; /* TAG_ATTR: sm_read_attr_target's answer */
    const char **tag_field;
    struct sm_sax_scalar tag_value; /* a value that came before its key */
    struct sm_buf key;              /* a process id */
    struct sm_buf value;            /* tag_value's text */
};

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
    case C_SPANS:
        c->slot = V_SPAN;
        break;
    case C_REFS:
        c->slot = V_REF;
        break;
    case C_TAGS:
        c->slot = V_TAG;
        break;
    default:
        c->slot = V_SKIP;
        break;
    }
}

static struct sm_span *span_of(struct ctx *c, const struct pspan *p)
{
    return &c->b->spans[p->idx];
}

static void begin_span(struct ctx *c, struct pspan *p)
{
    struct sm_span *s;

    memset(p, 0, sizeof(*p));
    p->idx = c->b->len;
    s = sm_batch_add(c->b);
    s->format = SM_FORMAT_JAEGER;
    c->cur = p;
}

/* A Jaeger id: a non-empty string, hex normalized, anything else kept; -1 when it is
 * not a string. *out NULL for "" (absent) and for all zeros. */
static int read_id(struct ctx *c, const struct sm_sax_scalar *v, const char **out, bool *empty)
{
    *out = NULL;
    *empty = false;
    if (v->type != SM_SAX_STRING)
        return -1;
    if (v->len == 0) {
        *empty = true;
        return 0;
    }
    if (v->len <= 32) {
        char id[40];

        sm_sax_cstr((const unsigned char *)v->s, v->len, id, sizeof(id));
        *out = sm_batch_hex_id(c->b, id);
    } else {
        /* longer ids are opaque: kept as they are (sm_batch_hex_id does the same) */
        *out = sm_arena_strndup(&c->b->arena, v->s, v->len);
    }
    return 0;
}

static enum sm_span_kind kind_from_tag(const struct sm_sax_scalar *v)
{
    static const char *const names[] = {"", "internal", "server", "client", "producer", "consumer"};
    int i;

    if (v->type != SM_SAX_STRING)
        return SM_KIND_UNSET;
    for (i = 1; i < 6; i++) {
        if (sm_sax_ieq(v->s, v->len, names[i]))
            return (enum sm_span_kind)i;
    }
    return SM_KIND_UNSET;
}

/* Applies the tag's value v (borrowed) as its key says; null is no value. */
static void apply_tag(struct ctx *c, const struct sm_sax_scalar *v)
{
    if (v->type == SM_SAX_NULL || v->type == SM_SAX_NONE)
        return;
    switch (c->tag_what) {
    case TAG_NONE:
        break;
    case TAG_NAMESPACE:
        c->proc->ns = sm_sax_text(c->b, v);
        break;
    case TAG_VERSION:
        c->proc->version = sm_sax_text(c->b, v);
        break;
    case TAG_ERROR:
        if (sm_sax_is_true(v))
            span_of(c, c->cur)->error = true;
        break;
    case TAG_STATUS:
        if (v->type == SM_SAX_STRING && sm_sax_ieq(v->s, v->len, "error"))
            span_of(c, c->cur)->error = true;
        break;
    case TAG_KIND:
        span_of(c, c->cur)->kind = kind_from_tag(v);
        break;
    case TAG_ATTR:
        sm_sax_set_attr(c->b, span_of(c, c->cur), c->tag_attr, c->tag_field, v);
        break;
    }
}

/* The tag's key has come (v, a string): what it sets is settled now (the span's state,
 * which decides among attribute names, does not change before the tag ends), and a
 * value that came before it is applied. */
static void tag_key(struct ctx *c, const struct sm_sax_scalar *v)
{
    const char *key = v->s;
    size_t len = v->len;

    c->tag_what = TAG_NONE;
    if (c->tag_of_process) {
        if (SM_SAX_KEY_IS("service.namespace"))
            c->tag_what = TAG_NAMESPACE;
        else if (SM_SAX_KEY_IS("service.version"))
            c->tag_what = TAG_VERSION;
    } else if (SM_SAX_KEY_IS("error")) {
        c->tag_what = TAG_ERROR;
    } else if (SM_SAX_KEY_IS("otel.status_code")) {
        c->tag_what = TAG_STATUS;
    } else if (SM_SAX_KEY_IS("span.kind")) {
        c->tag_what = TAG_KIND;
    } else {
        c->tag_attr = sm_read_attr_target_n(span_of(c, c->cur), key, len, &c->tag_field);
        if (c->tag_attr != SM_READ_ATTR_NONE)
            c->tag_what = TAG_ATTR;
    }
    c->tag_has_key = true;
    if (c->tag_has_value)
        apply_tag(c, &c->tag_value); /* kept while the key was not known */
}

static int on_scalar(struct sm_sax_walk *w, const struct sm_sax_scalar *v)
{
    struct ctx *c = (struct ctx *)w;
    struct pspan *p = c->cur;
    const char *id;
    bool empty;

    if (v->type == SM_SAX_NULL) {
        switch (c->slot) {
        case V_SKIP:
        case V_PROCESSES:
        case V_TRACE_ID:
        case V_SPAN_ID:
        case V_PARENT_ID:
        case V_REFS:
        case V_REF_TYPE:
        case V_REF_TRACE:
        case V_REF_SPAN:
        case V_NAME:
        case V_START:
        case V_DURATION:
        case V_PROCESS_ID:
        case V_TAGS:
        case V_SERVICE:
            value_done(w); /* null is absent */
            return 1;
        case V_PROCESS:
            if (!c->in_processes) {
                value_done(w); /* a span's "process": null is absent */
                return 1;
            }
            return sm_sax_fall_back(w);
        case V_TAG_VALUE:
            c->tag_has_value = false;
            value_done(w);
            return 1;
        default:
            return sm_sax_fall_back(w);
        }
    }
    switch (c->slot) {
    case V_SKIP:
        break;
    case V_TRACE_ID:
        if (read_id(c, v, &id, &empty) != 0)
            return sm_sax_fall_back(w);
        span_of(c, p)->trace_id = id;
        p->trace_given = true;
        p->trace_empty = empty;
        if (p == &c->root) {
            c->trace_id_present = !empty;
            c->trace_id = id;
        }
        break;
    case V_SPAN_ID:
        if (read_id(c, v, &id, &empty) != 0 || !id)
            return sm_sax_fall_back(w);
        span_of(c, p)->span_id = id;
        p->has_span = true;
        break;
    case V_PARENT_ID:
        if (read_id(c, v, &id, &empty) != 0)
            return sm_sax_fall_back(w);
        p->parent_field = id;
        break;
    case V_REF_TYPE: {
        char text[32];

        if (v->type != SM_SAX_STRING ||
            !sm_sax_cstr((const unsigned char *)v->s, v->len, text, sizeof(text)))
            return sm_sax_fall_back(w);
        if (!sm_strcasecmp(text, "FOLLOWS_FROM"))
            c->ref->type = SM_REF_FOLLOWS_FROM;
        else if (!sm_strcasecmp(text, "CHILD_OF"))
            c->ref->type = SM_REF_CHILD_OF;
        else
            return sm_sax_fall_back(w);
        break;
    }
    case V_REF_TRACE:
        if (read_id(c, v, &id, &empty) != 0)
            return sm_sax_fall_back(w);
        c->ref->trace_id = id;
        break;
    case V_REF_SPAN:
        if (read_id(c, v, &id, &empty) != 0 || !id)
            return sm_sax_fall_back(w);
        c->ref->span_id = id;
        c->ref->has_span = true;
        break;
    case V_NAME:
        if (v->type != SM_SAX_STRING)
            return sm_sax_fall_back(w);
        span_of(c, p)->name = v->len ? sm_arena_strndup(&c->b->arena, v->s, v->len) : NULL;
        break;
    case V_START:
        if (sm_sax_us(v, &span_of(c, p)->start_ns) != 0)
            return sm_sax_fall_back(w);
        break;
    case V_DURATION:
        if (sm_sax_us(v, &span_of(c, p)->duration_ns) != 0)
            return sm_sax_fall_back(w);
        p->has_duration = true;
        break;
    case V_PROCESS_ID:
        if (v->type == SM_SAX_STRING) {
            p->has_pid = true;
            p->pid_off = c->ids.len;
            p->pid_len = v->len;
            sm_buf_add(&c->ids, v->s, v->len);
            sm_buf_addc(&c->ids, '\0');
        }
        break;
    case V_SERVICE:
        if (v->type == SM_SAX_STRING)
            c->proc->service = v->len ? sm_arena_strndup(&c->b->arena, v->s, v->len) : NULL;
        else
            c->proc->service = NULL;
        break;
    case V_TAG_KEY:
        if (v->type != SM_SAX_STRING)
            return sm_sax_fall_back(w);
        tag_key(c, v);
        break;
    case V_TAG_VALUE:
        if (c->tag_has_key) {
            apply_tag(c, v);
        } else {
            c->tag_has_value = true;
            sm_sax_keep(&c->tag_value, v, &c->value);
        }
        break;
    default:
        return sm_sax_fall_back(w); /* an object or array was expected */
    }
    value_done(w);
    return 1;
}

static int on_start_map(struct sm_sax_walk *w)
{
    struct ctx *c = (struct ctx *)w;
    enum role role;

    switch (c->slot) {
    case V_SKIP:
        return sm_sax_skip(w);
    case V_ROOT:
        role = C_SPAN;
        begin_span(c, &c->root);
        break;
    case V_SPAN:
        role = C_SPAN;
        sm_grow(&c->spans, &c->spans_cap, c->nspans + 1, sizeof(*c->spans));
        begin_span(c, &c->spans[c->nspans++]);
        break;
    case V_PROCESSES:
        role = C_PROCESSES;
        c->in_processes = true;
        break;
    case V_PROCESS:
        role = C_PROCESS;
        if (!c->in_processes) {
            c->cur->has_inline = true;
            c->proc = &c->cur->inline_process;
        }
        memset(c->proc, 0, sizeof(*c->proc));
        if (c->in_processes) {
            c->proc->id_off = c->ids.len;
            c->proc->id_len = c->key.len;
            sm_buf_add(&c->ids, c->key.data, c->key.len);
            sm_buf_addc(&c->ids, '\0');
        }
        break;
    case V_REF:
        role = C_REF;
        sm_grow(&c->refs, &c->refs_cap, c->nrefs + 1, sizeof(*c->refs));
        c->ref = &c->refs[c->nrefs++];
        memset(c->ref, 0, sizeof(*c->ref));
        c->cur->nrefs++;
        break;
    case V_TAG:
        role = C_TAG;
        c->tag_has_key = c->tag_has_value = false;
        c->tag_value.type = SM_SAX_NONE;
        break;
    case V_TAG_VALUE:
    case V_TAG_KEY:
        return sm_sax_fall_back(w);
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

    switch (c->slot) {
    case V_SKIP:
        return sm_sax_skip(w);
    case V_SPANS:
        role = C_SPANS;
        break;
    case V_REFS:
        role = C_REFS;
        c->cur->has_refs = true;
        c->cur->refs_first = c->nrefs;
        c->cur->nrefs = 0;
        break;
    case V_TAGS:
        role = C_TAGS;
        c->tag_of_process = sm_sax_top(w)->role == C_PROCESS;
        break;
    default:
        return sm_sax_fall_back(w);
    }
    if (!sm_sax_push(w, role))
        return sm_sax_fall_back(w);
    value_done(w);
    return 1;
}

static enum slot span_key(struct ctx *c, const char *key, size_t len, unsigned *bit)
{
    static const struct {
        const char *name;
        size_t len;
        enum slot slot;
    } fields[] = {
#define FIELD(s, slot) {s, sizeof(s) - 1, slot}
        FIELD("traceID", V_TRACE_ID),
        FIELD("spanID", V_SPAN_ID),
        FIELD("parentSpanID", V_PARENT_ID),
        FIELD("references", V_REFS),
        FIELD("operationName", V_NAME),
        FIELD("startTime", V_START),
        FIELD("duration", V_DURATION),
        FIELD("processID", V_PROCESS_ID),
        FIELD("process", V_PROCESS),
        FIELD("tags", V_TAGS),
        FIELD("spans", V_SPANS),
        FIELD("processes", V_PROCESSES),
        FIELD("data", V_SKIP),
#undef FIELD
    };
    size_t i;

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (fields[i].len == len && fields[i].name[0] == key[0] &&
            !memcmp(fields[i].name, key, len)) {
            *bit = 1u << i;
            if (fields[i].slot == V_TRACE_ID)
                c->cur->has_trace_key = true;
            if (fields[i].slot == V_SPAN_ID)
                c->cur->has_span_key = true;
            return fields[i].slot;
        }
    }
    return V_SKIP;
}

static int on_map_key(struct sm_sax_walk *w, const char *key, size_t len)
{
    struct ctx *c = (struct ctx *)w;
    struct sm_sax_frame *f = sm_sax_top(w);
    unsigned bit = 0;

    c->slot = V_SKIP;
    if (len == 0 && f->role != C_PROCESSES)
        return 1;
    switch (f->role) {
    case C_SPAN:
        c->slot = span_key(c, key, len, &bit);
        if (w->nframes > 1 && (c->slot == V_SPANS || c->slot == V_PROCESSES))
            c->slot = V_SKIP; /* a span's own "spans": not read (read_jaeger.c ignores it) */
        else if (w->nframes == 1 && SM_SAX_KEY_IS("data"))
            return sm_sax_fall_back(w); /* the UI's wrapper or a document: read_jaeger.c's */
        if (w->nframes == 1 && SM_SAX_KEY_IS("spans"))
            c->has_spans_key = true;
        break;
    case C_PROCESSES:
        /* the process id, kept for the entry that follows */
        sm_buf_reset(&c->key);
        sm_buf_add(&c->key, key, len);
        sm_buf_addc(&c->key, '\0');
        c->key.len = len;
        if (c->nprocs == MAX_PROCESSES)
            return sm_sax_fall_back(w);
        sm_grow(&c->procs, &c->procs_cap, c->nprocs + 1, sizeof(*c->procs));
        c->proc = &c->procs[c->nprocs++];
        c->slot = V_PROCESS;
        return 1;
    case C_PROCESS:
        if (SM_SAX_KEY_IS("serviceName")) {
            c->slot = V_SERVICE;
            bit = 1;
        } else if (SM_SAX_KEY_IS("tags")) {
            c->slot = V_TAGS;
            bit = 2;
        }
        break;
    case C_REF:
        if (SM_SAX_KEY_IS("refType")) {
            c->slot = V_REF_TYPE;
            bit = 1;
        } else if (SM_SAX_KEY_IS("traceID")) {
            c->slot = V_REF_TRACE;
            bit = 2;
        } else if (SM_SAX_KEY_IS("spanID")) {
            c->slot = V_REF_SPAN;
            bit = 4;
        }
        break;
    case C_TAG:
        if (SM_SAX_KEY_IS("key")) {
            c->slot = V_TAG_KEY;
            bit = 1;
        } else if (SM_SAX_KEY_IS("value")) {
            c->slot = V_TAG_VALUE;
            bit = 2;
        }
        break;
    default:
        return sm_sax_fall_back(w);
    }
    if (bit && !sm_sax_first_key(f, bit))
        return sm_sax_fall_back(w);
    return 1;
}

/* read_jaeger.c's choose_parent. */
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

static const struct process *find_process(struct ctx *c, const char *pid, size_t len)
{
    size_t i;

    /* a repeated id was refused when the processes were read: the first match is it */
    for (i = 0; i < c->nprocs; i++) {
        const struct process *pr = &c->procs[i];

        if (pr->id_len == len && !memcmp(c->ids.data + pr->id_off, pid, len))
            return pr;
    }
    return NULL;
}

/* Settles a span: its trace id (the trace's when it has none), references, parent and
 * process. in_trace: one of a trace's spans (else the element itself, standing alone). */
static int finish_span(struct ctx *c, struct pspan *p, bool in_trace)
{
    struct sm_span *s = span_of(c, p);
    const struct process *proc = NULL;
    size_t i;

    if (p->trace_given) {
        if (p->trace_empty)
            return -1; /* "traceID" is missing */
    } else {
        if (!in_trace || !c->trace_id_present)
            return -1; /* "traceID" is missing */
        s->trace_id = c->trace_id;
    }
    if (!s->trace_id || !p->has_span)
        return -1; /* zero or missing */
    if (p->has_refs && p->nrefs > 0) {
        s->refs = sm_arena_alloc(&c->b->arena, p->nrefs * sizeof(*s->refs));
        for (i = 0; i < p->nrefs; i++) {
            const struct ref *r = &c->refs[p->refs_first + i];

            if (!r->has_span)
                return -1;
            s->refs[i].type = r->type;
            s->refs[i].trace_id = r->trace_id ? r->trace_id : s->trace_id;
            s->refs[i].span_id = r->span_id;
        }
        s->nrefs = p->nrefs;
    }
    s->parent_id = s->nrefs > 0 ? choose_parent(s) : p->parent_field;
    if (!p->has_duration)
        s->duration_ns = -1;
    s->has_duration = p->has_duration;
    if (p->has_pid && in_trace)
        proc = find_process(c, c->ids.data + p->pid_off, p->pid_len);
    if (!proc && p->has_inline)
        proc = &p->inline_process;
    if (proc) {
        s->service = proc->service;
        s->service_namespace = proc->ns;
        s->service_version = proc->version;
    }
    return 0;
}

static int on_end(struct sm_sax_walk *w)
{
    struct ctx *c = (struct ctx *)w;
    struct sm_sax_frame *f = sm_sax_top(w);
    size_t i;

    switch (f->role) {
    case C_TAG:
        if (!c->tag_has_key)
            return sm_sax_fall_back(w);
        break;
    case C_PROCESSES:
        c->in_processes = false;
        for (i = 1; i < c->nprocs; i++) {
            /* a repeated process id: jansson keeps the last, leave it to it */
            if (find_process(c, c->ids.data + c->procs[i].id_off, c->procs[i].id_len) !=
                &c->procs[i])
                return sm_sax_fall_back(w);
        }
        break;
    case C_SPAN:
        if (w->nframes > 1)
            c->cur = &c->root; /* a trace's span ends: back to the element's fields */
        break;
    default:
        break;
    }
    w->nframes--;
    value_done(w);
    return 1;
}

static const struct sm_sax_machine machine = {
    .scalar = on_scalar,
    .start_map = on_start_map,
    .start_array = on_start_array,
    .map_key = on_map_key,
    .end = on_end,
    .value_done = value_done,
};

/* The element was a trace: drop the span its own fields made, settle the others. */
static int finish_trace(struct ctx *c)
{
    struct sm_batch *b = c->b;
    size_t i, at = c->root.idx;

    memmove(&b->spans[at], &b->spans[at + 1], (b->len - at - 1) * sizeof(*b->spans));
    b->len--;
    for (i = 0; i < c->nspans; i++) {
        c->spans[i].idx--;
        if (finish_span(c, &c->spans[i], true) != 0)
            return -1;
    }
    return 0;
}

int sm_sax_parse_jaeger(const struct sm_element *el, struct sm_batch *out, struct sm_error *err)
{
    struct ctx c;
    int rc = SM_SAX_FALLBACK;

    (void)err;
    memset(&c, 0, sizeof(c));
    c.b = out;
    c.slot = V_ROOT;
    sm_buf_init(&c.ids);
    sm_buf_init(&c.key);
    sm_buf_init(&c.value);
    out->format = SM_FORMAT_JAEGER;
    out->whole_traces = true;
    if (el->len == 0 || sm_sax_walk(&c.w, &machine, el->data, el->len) != 0 || c.w.nframes != 0)
        goto out;
    if (c.has_spans_key) {
        if (finish_trace(&c) != 0)
            goto out;
    } else {
        /* one span standing alone: its trace is assembled by the linker */
        if (!c.root.has_span_key || !c.root.has_trace_key || finish_span(&c, &c.root, false))
            goto out;
        out->whole_traces = false;
    }
    rc = 0;
out:
    if (rc != 0)
        out->whole_traces = false;
    free(c.spans);
    free(c.refs);
    free(c.procs);
    sm_buf_release(&c.ids);
    sm_buf_release(&c.key);
    sm_buf_release(&c.value);
    return rc;
}
