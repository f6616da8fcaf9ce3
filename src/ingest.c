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
 * with strict. A file from which no span at all could be read is SM_EINPUT.
 */
#include "svcmap/ingest.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "svcmap/reader.h"

#define PROGRESS_EVERY_BYTES ((long long)64 << 20)

void sm_ingest_options_init(struct sm_ingest_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->format = SM_FORMAT_UNKNOWN;
}

/* Parses the element's bytes; a syntax error is placed in the file. */
static int parse_json(const struct sm_element *el, const char *file, json_t **out,
                      struct sm_error *err)
{
    json_error_t jerr;
    long line, column;
    long long offset;

    /* any value parses, so that a stray scalar is named as such, at its start */
    *out = json_loadb(el->data, el->len, JSON_DECODE_ANY, &jerr);
    if (*out && !json_is_object(*out) && !json_is_array(*out)) {
        const char *what = json_is_string(*out)   ? "a string"
                           : json_is_number(*out) ? "a number"
                           : json_is_null(*out)   ? "null"
                                                  : "a boolean";

        json_decref(*out);
        *out = NULL;
        return sm_error_at(err, SM_EINPUT, file, el->line, el->column, el->offset,
                           "expected a JSON object or array, found %s", what);
    }
    if (*out)
        return 0;
    sm_element_place(el, jerr.line, jerr.column, jerr.position, &line, &column, &offset);
    return sm_error_at(err, SM_EINPUT, file, line, column, offset, "invalid JSON: %s", jerr.text);
}

/* Drops the spans outside [since, until). A span whose start is unknown is kept: the
 * bound cannot be judged and dropping it would cut its trace apart. */
static void filter_time(struct sm_batch *b, int64_t since_ns, int64_t until_ns)
{
    size_t i, kept = 0;

    if (!since_ns && !until_ns)
        return;
    for (i = 0; i < b->len; i++) {
        int64_t t = b->spans[i].start_ns;

        if (t && ((since_ns && t < since_ns) || (until_ns && t >= until_ns)))
            continue;
        if (kept != i)
            b->spans[kept] = b->spans[i];
        kept++;
    }
    b->len = kept;
}

/* One element's parsed value -> its spans in out (reset first). A reader's complaint
 * gets the file and the element's place. Pure: no state outside its arguments. */
static int element_to_batch(const struct sm_reader *reader, const struct sm_element *el,
                            const json_t *value, const struct sm_ingest_options *opt,
                            const char *file, struct sm_batch *out, size_t *spans_read,
                            struct sm_error *err)
{
    int rc;

    sm_batch_reset(out);
    out->format = reader->format;
    rc = reader->parse(el, value, out, err);
    if (rc < 0) {
        char text[sizeof(err->text)];

        snprintf(text, sizeof(text), "%s", err->text);
        sm_batch_reset(out);
        return sm_error_at(err, rc, file, el->line, el->column, el->offset, "%s", text);
    }
    *spans_read = out->len;
    filter_time(out, opt->since_ns, opt->until_ns);
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
        end = sp->start_ns + (sp->duration_ns > 0 ? sp->duration_ns : 0);
        if (!stats->start_ns || sp->start_ns < stats->start_ns)
            stats->start_ns = sp->start_ns;
        if (end > stats->end_ns)
            stats->end_ns = end;
    }
}

static void describe_start(int c, char *out, size_t size)
{
    if (c >= 0x20 && c < 0x7f)
        snprintf(out, size, "text starting with '%c'", c);
    else
        snprintf(out, size, "binary data (first byte 0x%02x)", (unsigned)c);
}

int sm_ingest_file(const char *path, const struct sm_ingest_options *opt, sm_batch_fn fn,
                   void *fn_ctx, struct sm_ingest_stats *stats, struct sm_error *err)
{
    struct sm_input *in = NULL;
    struct sm_scanner *sc = NULL;
    const struct sm_reader *reader = NULL;
    json_t *value = NULL;
    struct sm_batch batch;
    struct sm_element el;
    struct sm_error bad;
    const char *file;
    long long next_progress = PROGRESS_EVERY_BYTES;
    uint64_t read_ok = 0, skipped = 0, spans_read = 0;
    size_t n = 0;
    int rc, first;
    char what[64];

    sm_batch_init(&batch);
    rc = sm_input_open(&in, path, err);
    if (rc < 0)
        return rc;
    file = sm_input_name(in);
    sc = sm_scanner_new(in, &opt->limits);
    if (opt->format != SM_FORMAT_UNKNOWN) {
        reader = sm_reader_for(opt->format);
        if (!reader) {
            rc = sm_error_at(err, SM_EUSAGE, file, 0, 0, -1, "svcmap cannot read %s input here",
                             sm_format_name(opt->format));
            goto out;
        }
    }

    first = sm_scanner_first_byte(sc, err);
    if (first < -1) {
        rc = first;
        goto out;
    }
    if (first == -1) {
        rc = sm_error_at(err, SM_EINPUT, file, 0, 0, -1, "empty input");
        goto out;
    }
    if (first != '{' && first != '[') {
        describe_start(first, what, sizeof(what));
        rc = sm_error_at(err, SM_EINPUT, file, 0, 0, -1,
                         "unknown format: expected OTLP, Jaeger or Zipkin JSON, found %s", what);
        goto out;
    }

    for (;;) {
        sm_error_init(&bad);
        rc = sm_scanner_next(sc, &el, &bad);
        if (rc == 0)
            break;
        if (rc > 0) {
            if (opt->on_progress && el.offset >= next_progress) {
                opt->on_progress(opt->ctx, file, sm_input_position(in), sm_input_size(in));
                next_progress = el.offset + PROGRESS_EVERY_BYTES;
            }
            rc = parse_json(&el, file, &value, &bad);
        }
        if (rc == 0 && !reader) {
            reader = sm_reader_detect(&el, value);
            if (!reader) {
                rc = sm_error_at(err, SM_EINPUT, file, el.line, el.column, el.offset,
                                 "unknown format: expected OTLP, Jaeger or Zipkin JSON");
                goto out;
            }
        }
        if (rc == 0)
            rc = element_to_batch(reader, &el, value, opt, file, &batch, &n, &bad);
        json_decref(value);
        value = NULL;
        if (rc == SM_EINPUT) {
            bool resume = sm_scanner_can_resume(sc);

            /* a broken file with nothing read yet is one error, not a skipped record */
            if (opt->strict || (!resume && read_ok == 0)) {
                *err = bad;
                goto out;
            }
            skipped++;
            stats->skipped_records++;
            if (opt->on_skip)
                opt->on_skip(opt->ctx, &bad);
            if (!resume)
                break;
            continue;
        }
        if (rc < 0) {
            *err = bad;
            goto out;
        }
        read_ok++;
        spans_read += n;
        stats->elements++;
        stats->formats |= 1u << reader->format;
        count_batch(&batch, stats);
        if (batch.len > 0) {
            rc = fn(fn_ctx, &batch, err);
            if (rc < 0)
                goto out;
        }
    }
    if (opt->on_progress && next_progress > PROGRESS_EVERY_BYTES)
        opt->on_progress(opt->ctx, file, sm_input_position(in), sm_input_size(in));
    rc = 0;
    if (read_ok == 0 && skipped > 0)
        rc = sm_error_at(err, SM_EINPUT, file, 0, 0, -1,
                         "no spans found: all %llu records were bad", (unsigned long long)skipped);
    else if (read_ok == 0)
        rc = sm_error_at(err, SM_EINPUT, file, 0, 0, -1,
                         "no spans found: the file holds no trace records");
    else if (spans_read == 0)
        rc =
            sm_error_at(err, SM_EINPUT, file, 0, 0, -1, "no spans found in %s input", reader->name);

out:
    json_decref(value);
    sm_batch_release(&batch);
    sm_scanner_free(sc);
    return rc;
}
