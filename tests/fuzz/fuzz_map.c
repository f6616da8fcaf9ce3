/* fuzz_map.c: libFuzzer target for the whole map path: load, link, map, emit.
 *
 * The input goes where `svcmap map` sends it: through sm_load_map, which sniffs it with
 * the format table (map document, pre-aggregated, trace formats) and skips bad records;
 * one input in two (a bit of the first byte) is read again
 * with two ingest threads and must give the same status and the same map. The finished,
 * sorted map is then written by the json, dot, mermaid, table and csv emitters; the json
 * output is read back as a map document, which must succeed: svcmap must read what it
 * writes.
 */
#include "fuzz_common.h"
#include "svcmap/emit.h"
#include "svcmap/load.h"
#include "svcmap/mapdoc.h"

/* Any input -> sorted map through the one road in (sm_load_map), with the given
 * ingest threads and small limits. */
static int load(const char *path, int threads, struct sm_map *map, struct sm_error *err)
{
    struct sm_load_options opt;

    sm_load_options_init(&opt);
    opt.read.limits.max_element_bytes = 256 << 10;
    opt.read.limits.max_depth = 64;
    opt.read.limits.max_string_bytes = 16 << 10;
    opt.read.threads = threads;
    return sm_load_map(&path, 1, &opt, map, err);
}

/* Reading with worker threads must give the same result as reading without. */
static void check_threads_agree(const char *path, int rc1, const struct sm_map *map1)
{
    struct sm_style style;
    struct sm_error err;
    struct sm_map map2;
    struct sm_buf a, b;
    int rc2;

    sm_map_init(&map2);
    sm_error_init(&err);
    rc2 = load(path, 2, &map2, &err);
    if (rc2 != rc1) {
        fprintf(stderr, "fuzz_map: -j 1 gave status %d, -j 2 status %d (%s)\n", rc1, rc2, err.text);
        abort();
    }
    if (rc1 == 0) {
        sm_style_init(&style);
        sm_buf_init(&a);
        sm_buf_init(&b);
        if (sm_emit_json.emit(map1, &style, &a, &err) < 0 ||
            sm_emit_json.emit(&map2, &style, &b, &err) < 0 || a.len != b.len ||
            memcmp(a.data, b.data, a.len) != 0) {
            fprintf(stderr, "fuzz_map: -j 1 and -j 2 give different maps\n");
            abort();
        }
        sm_buf_release(&a);
        sm_buf_release(&b);
    }
    sm_map_release(&map2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct sm_emitter *const emitters[] = {
        &sm_emit_json, &sm_emit_dot, &sm_emit_mermaid, &sm_emit_table, &sm_emit_csv};
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
    rc = load(path, 1, &map, &err);
    /* one input in two is read again through the ingest's worker threads */
    if (size && (data[0] & 4))
        check_threads_agree(path, rc, &map);
    if (rc == 0) {
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
                if (sm_mapdoc_parse(out.data, out.len, "emitted", NULL, &back, &err) < 0) {
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
