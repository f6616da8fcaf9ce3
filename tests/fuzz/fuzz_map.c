/* fuzz_map.c: libFuzzer target for the whole map path: ingest, link, map, emit.
 *
 * The input goes where `svcmap map` sends it: a map document (sniffed) to the document
 * reader, anything else through sm_ingest_file with format detection and skipping of bad
 * records into the linker. The finished, sorted map is then written by the json, dot,
 * mermaid, table and csv emitters; the json output is read back as a map document,
 * which must succeed: svcmap must read what it writes.
 */
#include "fuzz_common.h"
#include "svcmap/emit.h"
#include "svcmap/ingest.h"
#include "svcmap/link.h"
#include "svcmap/mapdoc.h"

static int on_batch(void *ctx, struct sm_batch *batch, struct sm_error *err)
{
    return sm_linker_add(ctx, batch, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct sm_emitter *const emitters[] = {
        &sm_emit_json, &sm_emit_dot, &sm_emit_mermaid, &sm_emit_table, &sm_emit_csv};
    struct sm_ingest_options opt;
    struct sm_ingest_stats stats;
    struct sm_linker *linker = NULL;
    struct sm_style style;
    struct sm_error err;
    struct sm_map map;
    struct sm_buf out;
    const char *path = fuzz_scratch_file(data, size);
    size_t i;
    int rc;

    sm_map_init(&map);
    sm_buf_init(&out);
    sm_error_init(&err);
    sm_ingest_options_init(&opt);
    opt.limits.max_element_bytes = 256 << 10;
    opt.limits.max_depth = 64;
    opt.limits.max_string_bytes = 16 << 10;
    memset(&stats, 0, sizeof(stats));
    if (sm_mapdoc_sniff((const char *)data, size < 4096 ? size : 4096)) {
        rc = sm_mapdoc_parse((const char *)data, size, "fuzz", &map, &err);
    } else {
        linker = sm_linker_new(&map, NULL);
        rc = sm_ingest_file(path, &opt, on_batch, linker, &stats, &err);
        if (rc == 0)
            rc = sm_linker_finish(linker, &err);
        sm_linker_free(linker);
        map.source.spans += stats.spans;
        map.source.skipped_records += stats.skipped_records;
        map.source.formats |= stats.formats;
        map.source.start_ns = stats.start_ns;
        map.source.end_ns = stats.end_ns;
    }
    if (rc == 0) {
        sm_map_sort(&map);
        sm_style_init(&style);
        style.group_by = (size && (data[0] & 1)) ? "service.namespace" : NULL;
        style.edge_label =
            (size && (data[0] & 2)) ? "{calls} {errors} {error_rate} {p50} {p99} {max}" : NULL;
        for (i = 0; i < sizeof(emitters) / sizeof(emitters[0]); i++) {
            sm_buf_reset(&out);
            sm_error_init(&err);
            if (emitters[i]->emit(&map, &style, &out, &err) < 0) {
                fprintf(stderr, "fuzz_map: emitter %s failed: %s\n", emitters[i]->name, err.text);
                abort();
            }
            if (emitters[i] == &sm_emit_json) {
                struct sm_map back;

                sm_map_init(&back);
                if (sm_mapdoc_parse(out.data, out.len, "emitted", &back, &err) < 0) {
                    fprintf(stderr, "fuzz_map: cannot read back the json map: %s\n", err.text);
                    abort();
                }
                sm_map_release(&back);
            }
        }
    }
    sm_buf_release(&out);
    sm_map_release(&map);
    return 0;
}
