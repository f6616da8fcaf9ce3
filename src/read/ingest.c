/* ingest.c: from a file name to batches of spans: open, scan, parse, read, filter.
 *
 * The scanner hands out one element at a time; each is parsed with json_loadb and given
 * to the format's reader, which appends its spans to a batch; the batch goes through the
 * --since/--until filter and on to the caller. The format is fixed by the caller or
 * detected from the first element that parses. Turning one element's bytes into a
 * batch (element_to_batch) touches no shared state, so worker threads can run it later.
 *
 * Bad records: a bad element (the scanner skipped it, jansson rejected it, or the
 * reader did) is reported with the file and its place and skipped, or ends the run
 * with strict. A file from which no span at all could be read is SM_EINPUT, unless it
 * is a well-formed export holding no records ([], {"data": []}): that is an empty map.
 */
#include "svcmap/ingest.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "svcmap/format.h"
#include "svcmap/reader.h"
#include "svcmap/sax.h"
#include "svcmap/util.h"

#define PROGRESS_EVERY_BYTES ((long long)64 << 20)

void sm_ingest_options_init(struct sm_ingest_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->format = SM_FORMAT_UNKNOWN;
    opt->jansson_readers = sm_sax_disabled();
}

/* jansson's tree of an element lives in a per-thread arena: json_loadb allocates
 * from it, and once the element's spans are built (readers copy every string they
 * keep) the arena is reset instead of freeing the tree node by node. That saves the
 * frees and glibc's consolidation of thousands of small chunks per element: about a
 * fifth of the CPU time of a run (docs/performance.md). The hooks are process-wide;
 * jansson values made elsewhere (map documents, rules) are allocated while the
 * thread's arena is off and freed as usual. The debug-arena build (ASan) keeps plain
 * malloc so that every node stays visible to the sanitizer. */
#ifndef SM_DEBUG_ARENA
static _Thread_local struct sm_arena json_arena;
static _Thread_local bool json_arena_on;
static pthread_once_t json_hooks_once = PTHREAD_ONCE_INIT;

static void *json_arena_malloc(size_t size)
{
    if (json_arena_on)
        return sm_arena_alloc(&json_arena, size);
    return malloc(size);
}

static void json_arena_free(void *p)
{
    if (p && !sm_arena_owns(&json_arena, p))
        free(p);
}

static void json_hooks_install(void)
{
    json_set_alloc_funcs(json_arena_malloc, json_arena_free);
}
#endif

static json_t *load_element(const struct sm_element *el, json_error_t *jerr)
{
#ifndef SM_DEBUG_ARENA
    json_t *v;

    pthread_once(&json_hooks_once, json_hooks_install);
    json_arena_on = true;
    v = json_loadb(el->data, el->len, JSON_DECODE_ANY, jerr);
    json_arena_on = false;
    return v;
#else
    return json_loadb(el->data, el->len, JSON_DECODE_ANY, jerr);
#endif
}

/* Drops an element's tree (NULL is fine). */
static void drop_element(json_t *value)
{
#ifndef SM_DEBUG_ARENA
    (void)value;
    sm_arena_reset(&json_arena);
#else
    json_decref(value);
#endif
}

/* Gives back the calling thread's arena and streaming parser when it stops parsing. */
static void release_thread_arena(void)
{
#ifndef SM_DEBUG_ARENA
    sm_arena_release(&json_arena);
#endif
    sm_sax_release_thread();
}

/* Parses the element's bytes; a syntax error is placed in the file. */
static int parse_json(const struct sm_element *el, const char *file, json_t **out,
                      struct sm_error *err)
{
    json_error_t jerr;
    long line, column;
    long long offset;

    /* any value parses, so that a stray scalar is named as such, at its start */
    *out = load_element(el, &jerr);
    if (*out && !json_is_object(*out) && !json_is_array(*out)) {
        const char *what = json_is_string(*out)   ? "a string"
                           : json_is_number(*out) ? "a number"
                           : json_is_null(*out)   ? "null"
                                                  : "a boolean";

        drop_element(*out);
        *out = NULL;
        return sm_error_at(err, SM_EINPUT, file, el->line, el->column, el->offset,
                           "expected a JSON object or array, found %s", what);
    }
    if (*out)
        return 0;
    sm_element_place(el, jerr.line, jerr.column, jerr.position, &line, &column, &offset);
    return sm_error_at(err, SM_EINPUT, file, line, column, offset, "invalid JSON: %s", jerr.text);
}

/* Drops the spans from index start on that lie outside [since, until). A span whose
 * start is unknown is kept: the bound cannot be judged and dropping it would cut its
 * trace apart. */
static void filter_time(struct sm_batch *b, size_t start, int64_t since_ns, int64_t until_ns)
{
    size_t i, kept = start;

    if (!since_ns && !until_ns)
        return;
    for (i = start; i < b->len; i++) {
        int64_t t = b->spans[i].start_ns;

        if (t && ((since_ns && t < since_ns) || (until_ns && t >= until_ns)))
            continue;
        if (kept != i)
            b->spans[kept] = b->spans[i];
        kept++;
    }
    b->len = kept;
}

/* One element's parsed value -> its spans appended to out (whose earlier spans are left
 * alone; out->whole_traces then tells about this element only). A reader's complaint
 * gets the file and the element's place, and the element's spans are dropped. Pure: no
 * state outside its arguments. */
static int element_to_batch(const struct sm_reader *reader, const struct sm_element *el,
                            const json_t *value, const struct sm_ingest_options *opt,
                            const char *file, struct sm_batch *out, size_t *spans_read,
                            struct sm_error *err)
{
    size_t start = out->len, skips = out->nskips;
    int rc;

    out->format = reader->format;
    out->whole_traces = false;
    rc = reader->parse(el, value, out, err);
    if (rc == SM_READ_IGNORED) {
        out->len = start;
        out->nskips = skips;
        return rc;
    }
    if (rc < 0) {
        char text[sizeof(err->text)];

        snprintf(text, sizeof(text), "%s", err->text);
        out->len = start;
        out->nskips = skips;
        return sm_error_at(err, rc, file, el->line, el->column, el->offset, "%s", text);
    }
    *spans_read = out->len - start;
    filter_time(out, start, opt->since_ns, opt->until_ns);
    return 0;
}

/* element_to_batch through the streaming reader, without a tree: SM_SAX_FALLBACK (out
 * as it was) when there is none or it leaves the element to the jansson reader, which
 * then reads it as above. */
static int element_to_batch_sax(const struct sm_reader *reader, const struct sm_element *el,
                                const struct sm_ingest_options *opt, struct sm_batch *out,
                                size_t *spans_read, struct sm_error *err)
{
    size_t start = out->len;
    int rc;

    if (opt->jansson_readers || !sm_sax_supports(reader->format))
        return SM_SAX_FALLBACK;
    out->format = reader->format;
    out->whole_traces = false;
    rc = sm_sax_parse(reader->format, el, out, err);
    if (rc != 0) {
        out->len = start;
        out->whole_traces = false;
        return rc;
    }
    *spans_read = out->len - start;
    filter_time(out, start, opt->since_ns, opt->until_ns);
    return 0;
}

static void count_batch(const struct sm_batch *b, struct sm_ingest_stats *stats)
{
    size_t i;

    stats->spans += b->len;
    for (i = 0; i < b->len; i++) {
        const struct sm_span *sp = &b->spans[i];
        int64_t end;

        if (!sp->start_ns)
            continue;
        end = sp->start_ns;
        if (sp->duration_ns > 0)
            end = sp->duration_ns > INT64_MAX - end ? INT64_MAX : end + sp->duration_ns;
        if (!stats->start_ns || sp->start_ns < stats->start_ns)
            stats->start_ns = sp->start_ns;
        if (end > stats->end_ns)
            stats->end_ns = end;
    }
}

/* The state of one file's ingest, kept by the calling thread. */
struct run {
    const struct sm_ingest_options *opt;
    struct sm_read_sink *sink;
    const char *file;
    const struct sm_reader *reader;
    uint64_t read_ok;
    uint64_t skipped;
    uint64_t ignored;
    uint64_t spans_read;
    uint64_t skipped_spans;
};

/* Statistics and the callback for a batch already filtered. */
static int sink_deliver(struct sm_read_sink *sink, struct sm_batch *batch, struct sm_error *err)
{
    count_batch(batch, sink->stats);
    if (batch->len > 0 && sink->fn)
        return sink->fn(sink->fn_ctx, batch, err);
    return 0;
}

int sm_sink_spans(struct sm_read_sink *sink, struct sm_batch *batch, struct sm_error *err)
{
    filter_time(batch, 0, sink->opt->since_ns, sink->opt->until_ns);
    sink->stats->formats |= 1u << batch->format;
    return sink_deliver(sink, batch, err);
}

int sm_sink_bad_record(struct sm_read_sink *sink, const struct sm_error *bad, struct sm_error *err)
{
    if (sink->opt->strict) {
        *err = *bad;
        if (!err->status)
            err->status = SM_EINPUT;
        return err->status;
    }
    sink->stats->skipped_records++;
    if (sink->opt->on_skip)
        sink->opt->on_skip(sink->opt->ctx, bad);
    return 0;
}

int sm_sink_bad_span(struct sm_read_sink *sink, const struct sm_error *bad, uint64_t spans,
                     struct sm_error *err)
{
    if (sink->opt->strict) {
        *err = *bad;
        if (!err->status)
            err->status = SM_EINPUT;
        return err->status;
    }
    sink->stats->skipped_spans += spans;
    if (sink->opt->on_skip_span)
        sink->opt->on_skip_span(sink->opt->ctx, bad, spans);
    return 0;
}

int sm_sink_batch_skips(struct sm_read_sink *sink, const struct sm_batch *batch, long line,
                        long column, long long offset, const char *prefix, struct sm_error *err)
{
    struct sm_error bad;
    size_t i;
    int rc;

    for (i = 0; i < batch->nskips; i++) {
        sm_error_init(&bad);
        sm_error_at(&bad, SM_EINPUT, sink->file, line, column, offset, "%s%s", prefix,
                    batch->skips[i].text);
        rc = sm_sink_bad_span(sink, &bad, batch->skips[i].spans, err);
        if (rc < 0)
            return rc;
    }
    return 0;
}

void sm_sink_ignored(struct sm_read_sink *sink, const char *what)
{
    size_t have = strlen(sink->ignored_what), n = strlen(what);
    const char *p = sink->ignored_what;

    sink->stats->ignored_records++;
    sink->ignored++;
    /* each kind named once: a comma-separated list of what was seen */
    while ((p = strstr(p, what))) {
        if ((p == sink->ignored_what || p[-1] == ' ') && (p[n] == ',' || p[n] == '\0'))
            return;
        p += n;
    }
    if (have + n + 3 < sizeof(sink->ignored_what))
        snprintf(sink->ignored_what + have, sizeof(sink->ignored_what) - have, "%s%s",
                 have ? ", " : "", what);
}

/* Takes the outcome of one element (at el's place), in file order: a batch (rc 0, with
 * the bad spans its reader left out), a record of another signal (SM_READ_IGNORED, its
 * name in bad), a bad record (SM_EINPUT in bad; resumable says whether scanning went on)
 * or a failure. Returns 0 to go on, 1 to stop reading (the rest of the input is lost),
 * negative to fail with err. */
static int deliver(struct run *r, const struct sm_element *el, int rc, bool resumable,
                   const struct sm_error *bad, struct sm_batch *batch, size_t spans_read,
                   struct sm_error *err)
{
    size_t i;

    if (rc == SM_EINPUT) {
        /* a broken file with nothing read yet is one error, not a skipped record */
        if (!resumable && r->read_ok == 0) {
            *err = *bad;
            return SM_EINPUT;
        }
        rc = sm_sink_bad_record(r->sink, bad, err);
        if (rc < 0)
            return rc;
        r->skipped++;
        return resumable ? 0 : 1;
    }
    if (rc < 0) {
        *err = *bad;
        return rc;
    }
    if (rc == SM_READ_IGNORED) {
        r->ignored++;
        sm_sink_ignored(r->sink, bad->text);
        return 0;
    }
    for (i = 0; i < batch->nskips; i++)
        r->skipped_spans += batch->skips[i].spans;
    rc = sm_sink_batch_skips(r->sink, batch, el->line, el->column, el->offset, "", err);
    if (rc < 0)
        return rc;
    r->read_ok++;
    r->spans_read += spans_read;
    r->sink->stats->elements++;
    r->sink->stats->formats |= 1u << r->reader->format;
    return sink_deliver(r->sink, batch, err);
}

/* ---- worker threads ----
 *
 * The calling thread scans and copies elements into slots of a ring, a run of elements
 * per slot (so that threads meet once per run, not once per element); workers take
 * slots in order and parse every element of a slot into the slot's batch; the calling
 * thread hands the results out in file order, one callback per element as in the
 * serial path (so output does not depend on timing), then reuses the slot. Slots and
 * bytes in flight are bounded, so memory is. */

#define SLOT_MAX_ELEMENTS     128
#define SLOT_MAX_BYTES        ((size_t)1 << 20)
#define POOL_MAX_QUEUED_BYTES ((size_t)64 << 20)
#define SLOT_KEEP_BYTES       (4 * SLOT_MAX_BYTES)
#define SLOT_KEEP_SPANS       ((size_t)16384)

/* One element of a slot, or a scanner error (needs_work false). */
struct item {
    struct sm_element el; /* el.data is set when the slot is published */
    size_t data_off;      /* where its bytes are in the slot's buffer */
    bool needs_work;
    bool resumable;
    bool whole_traces;
    int rc;
    size_t first_span; /* its spans: batch.spans[first_span, end_span) */
    size_t end_span;
    size_t first_skip; /* its bad spans: batch.skips[first_skip, end_skip) */
    size_t end_skip;
    size_t spans_read;
    struct sm_error err;
};

struct slot {
    char *buf; /* owned copies of the elements' bytes */
    size_t cap;
    size_t used;
    struct item *items;
    size_t nitems;
    bool done;
    struct sm_batch batch;
};

struct pool {
    pthread_mutex_t mu;
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;
    struct slot *slots;
    size_t nslots;
    size_t head;      /* next slot to deliver */
    size_t next_work; /* next slot for a worker */
    size_t tail;      /* next slot published; slots[tail] is being filled */
    size_t queued_bytes;
    bool filling; /* slots[tail] has been set up for filling */
    bool stop;
    const struct sm_reader *reader;
    const struct sm_ingest_options *opt;
    const char *file;
    pthread_t *threads;
    int nthreads;
};

/* Element bytes -> spans, for every element of a slot: the serial path's work. */
static void slot_work(struct pool *p, struct slot *sl)
{
    size_t i;

    for (i = 0; i < sl->nitems; i++) {
        struct item *it = &sl->items[i];
        json_t *value = NULL;

        it->first_span = sl->batch.len;
        it->first_skip = sl->batch.nskips;
        if (it->needs_work) {
            it->rc = element_to_batch_sax(p->reader, &it->el, p->opt, &sl->batch, &it->spans_read,
                                          &it->err);
            if (it->rc == SM_SAX_FALLBACK) {
                it->rc = parse_json(&it->el, p->file, &value, &it->err);
                if (it->rc == 0)
                    it->rc = element_to_batch(p->reader, &it->el, value, p->opt, p->file,
                                              &sl->batch, &it->spans_read, &it->err);
                drop_element(value);
            }
            it->whole_traces = sl->batch.whole_traces;
        }
        it->end_span = sl->batch.len;
        it->end_skip = sl->batch.nskips;
    }
}

static void *worker_main(void *arg)
{
    struct pool *p = arg;

    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct slot *sl;

        while (!p->stop && p->next_work == p->tail)
            pthread_cond_wait(&p->work_cv, &p->mu);
        if (p->stop)
            break;
        sl = &p->slots[p->next_work % p->nslots];
        p->next_work++;
        pthread_mutex_unlock(&p->mu);
        slot_work(p, sl);
        pthread_mutex_lock(&p->mu);
        sl->done = true;
        pthread_cond_broadcast(&p->done_cv);
    }
    pthread_mutex_unlock(&p->mu);
    release_thread_arena();
    return NULL;
}

static int pool_start(struct pool *p, int nthreads, const struct sm_reader *reader,
                      const struct sm_ingest_options *opt, const char *file, struct sm_error *err)
{
    size_t i;
    int t;

    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work_cv, NULL);
    pthread_cond_init(&p->done_cv, NULL);
    /* one slot filling, one per worker busy, as many ready or waiting to be handed out */
    p->nslots = 2 * (size_t)nthreads + 2;
    p->slots = sm_xcalloc(p->nslots, sizeof(*p->slots));
    for (i = 0; i < p->nslots; i++) {
        p->slots[i].items = sm_xcalloc(SLOT_MAX_ELEMENTS, sizeof(struct item));
        sm_batch_init(&p->slots[i].batch);
    }
    p->reader = reader;
    p->opt = opt;
    p->file = file;
    p->threads = sm_xcalloc((size_t)nthreads, sizeof(*p->threads));
    for (t = 0; t < nthreads; t++) {
        if (pthread_create(&p->threads[t], NULL, worker_main, p) != 0)
            break;
        p->nthreads++;
    }
    if (p->nthreads == 0)
        return sm_error_at(err, SM_ESYSTEM, file, 0, 0, -1, "cannot start worker threads");
    return 0;
}

static void pool_stop(struct pool *p)
{
    size_t i;
    int t;

    if (!p->slots)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    for (t = 0; t < p->nthreads; t++)
        pthread_join(p->threads[t], NULL);
    for (i = 0; i < p->nslots; i++) {
        free(p->slots[i].buf);
        free(p->slots[i].items);
        sm_batch_release(&p->slots[i].batch);
    }
    free(p->slots);
    free(p->threads);
    pthread_cond_destroy(&p->done_cv);
    pthread_cond_destroy(&p->work_cv);
    pthread_mutex_destroy(&p->mu);
    p->slots = NULL;
}

/* Waits for the oldest published slot and delivers its elements in order. */
static int pool_deliver_one(struct pool *p, struct run *r, struct sm_error *err)
{
    struct slot *sl = &p->slots[p->head % p->nslots];
    size_t i;
    int rc = 0;

    pthread_mutex_lock(&p->mu);
    while (!sl->done)
        pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    for (i = 0; i < sl->nitems && rc == 0; i++) {
        struct item *it = &sl->items[i];
        struct sm_batch view = sl->batch;

        /* the element's own spans, borrowed for the callback like a batch of its own */
        view.spans = sl->batch.spans ? sl->batch.spans + it->first_span : NULL;
        view.len = it->end_span - it->first_span;
        view.cap = view.len;
        view.whole_traces = it->whole_traces;
        view.skips = sl->batch.skips ? sl->batch.skips + it->first_skip : NULL;
        view.nskips = it->end_skip - it->first_skip;
        view.skips_cap = view.nskips;
        rc = deliver(r, &it->el, it->rc, it->resumable, &it->err, &view, it->spans_read, err);
    }
    pthread_mutex_lock(&p->mu);
    p->queued_bytes -= sl->used;
    p->head++;
    pthread_mutex_unlock(&p->mu);
    return rc;
}

/* Hands the slot being filled to the workers. */
static void pool_publish(struct pool *p)
{
    struct slot *sl = &p->slots[p->tail % p->nslots];
    size_t i;

    if (!p->filling || sl->nitems == 0)
        return;
    p->filling = false;
    /* buf is NULL while the slot holds only scanner errors (no bytes), and NULL + 0 is
     * undefined */
    for (i = 0; i < sl->nitems; i++)
        sl->items[i].el.data = sl->buf ? sl->buf + sl->items[i].data_off : NULL;
    pthread_mutex_lock(&p->mu);
    p->queued_bytes += sl->used;
    p->tail++;
    pthread_cond_signal(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
}

/* Adds an element (copied) or, with el NULL, a scanner error in bad, to the slot being
 * filled; publishes the slot when it is full. */
static int pool_submit(struct pool *p, struct run *r, const struct sm_element *el,
                       const struct sm_error *bad, bool resumable, struct sm_error *err)
{
    struct slot *sl = &p->slots[p->tail % p->nslots];
    size_t len = el ? el->len : 0;
    struct item *it;
    int rc;

    if (p->filling && (sl->nitems == SLOT_MAX_ELEMENTS || sl->used + len > SLOT_MAX_BYTES))
        pool_publish(p);
    if (!p->filling) {
        /* a fresh slot: wait until it has been handed out and the bytes in flight leave
         * room (there is always room for one slot, however large its element) */
        while (p->tail - p->head == p->nslots ||
               (p->tail > p->head && p->queued_bytes + len > POOL_MAX_QUEUED_BYTES)) {
            rc = pool_deliver_one(p, r, err);
            if (rc != 0)
                return rc;
        }
        sl = &p->slots[p->tail % p->nslots];
        sl->nitems = 0;
        sl->used = 0;
        sl->done = false;
        /* a slot that once held a huge element gives its memory back */
        if (sl->cap > SLOT_KEEP_BYTES) {
            free(sl->buf);
            sl->buf = NULL;
            sl->cap = 0;
        }
        if (sl->batch.cap > SLOT_KEEP_SPANS || sl->batch.skips_cap > SLOT_KEEP_SPANS) {
            sm_batch_release(&sl->batch);
            sm_batch_init(&sl->batch);
        }
        sm_batch_reset(&sl->batch);
        p->filling = true;
    }
    if (sl->cap - sl->used < len) {
        size_t ncap = sl->cap ? sl->cap : SLOT_MAX_BYTES;

        while (ncap - sl->used < len)
            ncap *= 2;
        sl->buf = sm_xrealloc(sl->buf, ncap);
        sl->cap = ncap;
    }
    it = &sl->items[sl->nitems++];
    it->resumable = resumable;
    it->spans_read = 0;
    it->whole_traces = false;
    if (el) {
        memcpy(sl->buf + sl->used, el->data, len);
        it->el = *el;
        it->data_off = sl->used;
        sl->used += len;
        it->needs_work = true;
        it->rc = 0;
        sm_error_init(&it->err);
    } else {
        memset(&it->el, 0, sizeof(it->el));
        it->data_off = sl->used;
        it->err = *bad;
        it->rc = bad->status ? bad->status : SM_EINPUT;
        it->needs_work = false;
    }
    if (!resumable)
        pool_publish(p);
    return 0;
}

static int pool_drain(struct pool *p, struct run *r, struct sm_error *err)
{
    int rc = 0;

    pool_publish(p);
    while (rc == 0 && p->head < p->tail)
        rc = pool_deliver_one(p, r, err);
    return rc;
}

int sm_read_json_elements(const struct sm_format *f, struct sm_input *in, struct sm_read_sink *sink,
                          struct sm_error *err)
{
    const struct sm_ingest_options *opt = sink->opt;
    struct sm_scanner *sc = NULL;
    json_t *value = NULL;
    struct sm_batch batch;
    struct sm_element el;
    struct sm_error bad;
    struct pool pool;
    struct run r;
    long long next_progress = PROGRESS_EVERY_BYTES;
    size_t n = 0;
    int rc;
    bool pooled = false;

    memset(&pool, 0, sizeof(pool));
    memset(&r, 0, sizeof(r));
    r.opt = opt;
    r.sink = sink;
    r.file = sm_input_name(in);
    r.reader = f ? f->elements : NULL;
    sm_batch_init(&batch);
    /* the scanner borrows the input here: the caller frees it */
    sc = sm_scanner_new_borrowed(in, &opt->limits);
    for (;;) {
        bool resumable;
        int sax_rc;

        sm_error_init(&bad);
        rc = sm_scanner_next(sc, &el, &bad);
        if (rc == 0)
            break;
        resumable = rc > 0 || sm_scanner_can_resume(sc);
        if (rc > 0 && opt->on_progress && el.offset >= next_progress) {
            opt->on_progress(opt->ctx, r.file, sm_input_position(in), sm_input_size(in));
            next_progress = el.offset + PROGRESS_EVERY_BYTES;
        }
        if (pooled) {
            rc = pool_submit(&pool, &r, rc > 0 ? &el : NULL, &bad, resumable, err);
            if (rc != 0 || !resumable)
                break;
            continue;
        }
        /* in this thread until the format is known (and throughout with one thread) */
        n = 0;
        sm_batch_reset(&batch);
        sax_rc = SM_SAX_FALLBACK;
        if (rc > 0 && r.reader)
            sax_rc = element_to_batch_sax(r.reader, &el, opt, &batch, &n, &bad);
        if (sax_rc != SM_SAX_FALLBACK) {
            rc = sax_rc;
        } else {
            if (rc > 0)
                rc = parse_json(&el, r.file, &value, &bad);
            if (rc == 0 && !r.reader) {
                r.reader = sm_reader_detect(&el, value);
                if (!r.reader) {
                    rc = sm_error_at(err, SM_EINPUT, r.file, el.line, el.column, el.offset,
                                     "unknown format: expected %s", sm_format_span_names());
                    goto out;
                }
            }
            sm_batch_reset(&batch);
            if (rc == 0)
                rc = element_to_batch(r.reader, &el, value, opt, r.file, &batch, &n, &bad);
            drop_element(value);
            value = NULL;
        }
        rc = deliver(&r, &el, rc, resumable, &bad, &batch, n, err);
        if (rc != 0)
            break;
        if (r.reader && opt->threads > 1 && !pooled) {
            rc = pool_start(&pool, opt->threads, r.reader, opt, r.file, err);
            if (rc < 0)
                goto out;
            pooled = true;
        }
    }
    if (pooled && rc == 0)
        rc = pool_drain(&pool, &r, err);
    if (rc < 0)
        goto out;
    if (opt->on_progress && next_progress > PROGRESS_EVERY_BYTES)
        opt->on_progress(opt->ctx, r.file, sm_input_position(in), sm_input_size(in));
    rc = 0;
    if (r.read_ok == 0 && r.skipped > 0)
        rc =
            sm_error_at(err, SM_EINPUT, r.file, 0, 0, -1,
                        "no spans found: all %llu records were bad", (unsigned long long)r.skipped);
    else if (r.read_ok == 0)
        rc = 0; /* a well-formed export with no records ([], {"data": []}), or only records
                   of other signals: an empty map */
    else if (r.spans_read == 0 && r.skipped_spans > 0)
        rc =
            sm_error_at(err, SM_EINPUT, r.file, 0, 0, -1, "no spans found: all %llu spans were bad",
                        (unsigned long long)r.skipped_spans);
    else if (r.spans_read == 0)
        rc = sm_error_at(err, SM_EINPUT, r.file, 0, 0, -1, "no spans found in %s input",
                         r.reader->name);

out:
    pool_stop(&pool);
    drop_element(value);
    release_thread_arena();
    sm_batch_release(&batch);
    sm_scanner_free(sc);
    return rc;
}
