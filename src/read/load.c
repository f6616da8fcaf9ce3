/* load.c: inputs -> map: open, sniff, read by the format table, link, source block.
 *
 * Each input is opened once. Its head (SM_SNIFF_HEAD_BYTES, decompressed) is buffered
 * and shown to every row of the format table; the row that claims it best reads the
 * whole input, head included, so standard input and pipes need no --input-format and
 * lose nothing. A JSON head that no row claims (an empty array, an element larger than
 * the head) falls back to asking the element readers about the first element. Trace
 * spans of all inputs go to one linker, which groups them by trace id across elements,
 * files and formats; map documents and pre-aggregated inputs add to the map directly;
 * store labels are merged snapshots.
 */
#include "svcmap/load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "svcmap/format.h"
#include "svcmap/input.h"
#include "svcmap/link.h"
#include "svcmap/store.h"

static void describe_start(int c, char *out, size_t size)
{
    if (c >= 0x20 && c < 0x7f)
        snprintf(out, size, "text starting with '%c'", c);
    else
        snprintf(out, size, "binary data (first byte 0x%02x)", (unsigned)c);
}

/* Sniffs the head of in and reads it with the row that claims it (or forced). *used
 * is the row (NULL for the JSON fallback). */
static int read_input(struct sm_input *in, const struct sm_format *forced,
                      struct sm_read_sink *sink, bool spans_only, const struct sm_format **used,
                      struct sm_error *err)
{
    const struct sm_format *f = forced;
    const char *head = NULL;
    size_t len = 0, i = 0, bom = 0;
    char what[64], one[4096];
    ssize_t n;
    int rc;

    *used = NULL;
    rc = sm_input_peek(in, SM_SNIFF_HEAD_BYTES, &head, &len, err);
    if (rc < 0)
        return rc;
    if (len >= 3 && !memcmp(head, "\xef\xbb\xbf", 3))
        bom = 3;
    for (i = bom; i < len; i++) {
        if (head[i] != ' ' && head[i] != '\t' && head[i] != '\r' && head[i] != '\n')
            break;
    }
    if (i == len && len < SM_SNIFF_HEAD_BYTES) {
        /* nothing but blanks, or a stream that broke early: say which */
        while ((n = sm_input_read(in, one, sizeof(one), err)) > 0)
            ;
        if (n < 0)
            return (int)n;
        return sm_error_at(err, SM_EINPUT, sink->file, 0, 0, -1, "empty input");
    }
    if (!f)
        f = sm_format_sniff(head + bom, len - bom, len < SM_SNIFF_HEAD_BYTES);
    if (!f && i < len && head[i] != '{' && head[i] != '[') {
        describe_start((unsigned char)head[i], what, sizeof(what));
        return sm_error_at(err, SM_EINPUT, sink->file, 0, 0, -1,
                           "unknown format: expected %s, found %s",
                           spans_only ? sm_format_span_names() : sm_format_names(), what);
    }
    if (f && spans_only && !f->spans) {
        if (forced)
            return sm_error_at(err, SM_EUSAGE, sink->file, 0, 0, -1,
                               "%s input holds no spans (expected %s)", f->name,
                               sm_format_span_names());
        return sm_error_at(err, SM_EINPUT, sink->file, 0, 0, -1,
                           "this is %s input, which holds no spans (expected %s)", f->name,
                           sm_format_span_names());
    }
    *used = f;
    sink->ignored = 0;
    sink->ignored_what[0] = '\0';
    rc = f ? f->read(f, in, sink, err) : sm_read_json_elements(NULL, in, sink, err);
    if (rc == 0 && sink->ignored > 0 && sink->opt->on_ignored)
        sink->opt->on_ignored(sink->opt->ctx, sink->file, sink->ignored, sink->ignored_what);
    return rc;
}

static int forced_format(const struct sm_ingest_options *opt, const struct sm_format **out,
                         struct sm_error *err)
{
    *out = NULL;
    if (opt->format == SM_FORMAT_UNKNOWN)
        return 0;
    *out = sm_format_for(opt->format);
    if (!*out)
        return sm_error_set(err, SM_EUSAGE, "svcmap cannot read %s input",
                            sm_format_name(opt->format));
    return 0;
}

int sm_ingest_file(const char *path, const struct sm_ingest_options *opt, sm_batch_fn fn,
                   void *fn_ctx, struct sm_ingest_stats *stats, struct sm_error *err)
{
    const struct sm_format *forced, *used;
    struct sm_read_sink sink;
    struct sm_input *in = NULL;
    int rc;

    rc = forced_format(opt, &forced, err);
    if (rc < 0)
        return rc;
    rc = sm_input_open(&in, path, err);
    if (rc < 0)
        return rc;
    memset(&sink, 0, sizeof(sink));
    sink.opt = opt;
    sink.stats = stats;
    sink.fn = fn;
    sink.fn_ctx = fn_ctx;
    sink.file = sm_input_name(in);
    rc = read_input(in, forced, &sink, true, &used, err);
    sm_input_free(in);
    return rc;
}

void sm_load_options_init(struct sm_load_options *opt)
{
    const char *critical = getenv("SVCMAP_CRITICAL");

    memset(opt, 0, sizeof(*opt));
    sm_ingest_options_init(&opt->read);
    opt->no_critical = critical && !strcmp(critical, "off");
}

static int add_to_linker(void *ctx, struct sm_batch *batch, struct sm_error *err)
{
    return sm_linker_add(ctx, batch, err);
}

/* One file (or "-") into the map and the linker. */
static int load_file(const char *path, const struct sm_format *forced, struct sm_read_sink *sink,
                     bool slowest, struct sm_map *map, struct sm_error *err)
{
    const struct sm_format *used = NULL;
    struct sm_input *in = NULL;
    int rc;

    rc = sm_input_open(&in, path, err);
    if (rc < 0)
        return rc;
    sink->file = sm_input_name(in);
    rc = read_input(in, forced, sink, false, &used, err);
    if (rc == 0 && used && !used->spans && slowest)
        rc = sm_error_at(err, SM_EUSAGE, sink->file, 0, 0, -1,
                         "--slowest needs the traces: a %s keeps no per-trace figures "
                         "(run it on the trace files the map was made from)",
                         used->id == SM_FORMAT_MAP ? "map document" : "pre-aggregated input");
    /* map documents and pre-aggregated inputs name themselves in the source block */
    if (rc == 0 && (!used || used->spans))
        sm_map_add_file(map, sink->file);
    sm_input_free(in);
    return rc;
}

/* A store label merged into map: 0, 1 when arg is no label but an existing file, or
 * a negative status. */
static int load_label(struct sm_store *st, const char *arg, struct sm_map *map,
                      struct sm_error *err)
{
    struct sm_map snap;
    int rc;

    sm_map_init(&snap);
    rc = sm_store_load(st, arg, &snap, err);
    if (rc == 0)
        sm_map_merge(map, &snap);
    sm_map_release(&snap);
    if (rc == SM_EINPUT && access(arg, F_OK) == 0) {
        sm_error_init(err);
        return 1;
    }
    return rc;
}

int sm_load_map(const char *const *args, size_t nargs, const struct sm_load_options *opt,
                struct sm_map *map, struct sm_error *err)
{
    static const char *const stdin_only[] = {"-"};
    const struct sm_format *forced = NULL;
    struct sm_ingest_stats stats;
    struct sm_link_options lopt;
    struct sm_read_sink sink;
    bool slowest;
    struct sm_linker *linker = NULL;
    struct sm_store *st = NULL;
    size_t i;
    int rc;

    rc = forced_format(&opt->read, &forced, err);
    if (rc < 0)
        return rc;
    if (nargs == 0) {
        args = stdin_only;
        nargs = 1;
    }
    memset(&stats, 0, sizeof(stats));
    memset(&lopt, 0, sizeof(lopt));
    lopt.by_operation = opt->by_operation;
    lopt.max_trace_spans = opt->max_trace_spans;
    lopt.slowest_pct = opt->slowest_pct;
    lopt.no_critical = opt->no_critical;
    slowest = opt->slowest_pct > 0.0 && opt->slowest_pct < 100.0;
    if (slowest && opt->db)
        return sm_error_at(err, SM_EUSAGE, opt->db, 0, 0, -1,
                           "--slowest needs the traces: a stored snapshot keeps no per-trace "
                           "figures (run it on the trace files)");
    lopt.strict = opt->read.strict;
    lopt.on_skip = opt->read.on_skip;
    lopt.ctx = opt->read.ctx;
    linker = sm_linker_new(map, &lopt);
    memset(&sink, 0, sizeof(sink));
    sink.opt = &opt->read;
    sink.stats = &stats;
    sink.fn = add_to_linker;
    sink.fn_ctx = linker;
    sink.map = map;
    if (opt->db) {
        rc = sm_store_open(&st, opt->db, SM_STORE_READ, err);
        if (rc < 0)
            goto out;
    }
    for (i = 0; i < nargs && rc == 0; i++) {
        if (st) {
            rc = load_label(st, args[i], map, err);
            if (rc <= 0)
                continue;
        }
        rc = load_file(args[i], forced, &sink, slowest, map, err);
    }
    if (rc == 0)
        rc = sm_linker_finish(linker, err);
    map->source.formats |= stats.formats;
    map->source.spans += stats.spans;
    map->source.skipped_records += stats.skipped_records;
    map->source.skipped_spans += stats.skipped_spans;
    map->source.ignored_records += stats.ignored_records;
    if (stats.start_ns && (!map->source.start_ns || stats.start_ns < map->source.start_ns))
        map->source.start_ns = stats.start_ns;
    if (stats.end_ns > map->source.end_ns)
        map->source.end_ns = stats.end_ns;
    if (rc == 0)
        sm_map_sort(map);
out:
    sm_linker_free(linker);
    sm_store_close(st);
    return rc;
}
