/* fuzz_reader.h: the body shared by the per-format reader targets (fuzz_otlp.c, ...).
 *
 * The input is scanned into elements exactly as `svcmap map` does (scanner, json_loadb
 * per element), and every element that parses is given to one reader, forced, as with
 * --input-format: first its probe, then its parse into a batch. The spans a reader
 * accepts are printed back as JSON (sm_span_to_json) so that every string and id it
 * stored is read again: a dangling pointer or a missing terminator shows up under ASan.
 * Limits are small so that the limit paths are reached by short inputs too.
 */
#ifndef SVCMAP_FUZZ_READER_H
#define SVCMAP_FUZZ_READER_H

#include <jansson.h>

#include "fuzz_common.h"
#include "svcmap/reader.h"
#include "svcmap/scan.h"

static int fuzz_one_reader(const struct sm_reader *reader, const uint8_t *data, size_t size)
{
    struct sm_scan_limits limits = {
        .max_element_bytes = 64 << 10, .max_depth = 64, .max_string_bytes = 4 << 10};
    struct sm_input *in = NULL;
    struct sm_scanner *sc;
    struct sm_element el;
    struct sm_error err;
    struct sm_batch batch;
    struct sm_buf out;
    int rc, elements = 0;

    sm_error_init(&err);
    if (sm_input_open(&in, fuzz_scratch_file(data, size), &err) < 0)
        return 0;
    sc = sm_scanner_new(in, &limits);
    /* short reads make elements straddle the buffer refills */
    if (size > 0)
        sm_scanner_set_read_size(sc, 1 + data[size - 1] % 64);
    sm_batch_init(&batch);
    sm_buf_init(&out);
    while (elements++ < 10000) {
        json_error_t jerr;
        json_t *value;
        size_t i;

        sm_error_init(&err);
        rc = sm_scanner_next(sc, &el, &err);
        if (rc == 0)
            break;
        if (rc < 0) {
            if (rc == SM_EINPUT && sm_scanner_can_resume(sc))
                continue;
            break;
        }
        value = json_loadb(el.data, el.len, 0, &jerr);
        if (!value)
            continue;
        (void)reader->probe(&el, value);
        sm_batch_reset(&batch);
        batch.format = reader->format;
        if (reader->parse(&el, value, &batch, &err) == 0) {
            for (i = 0; i < batch.len; i++) {
                sm_buf_reset(&out);
                sm_span_to_json(&batch.spans[i], &out);
            }
        }
        json_decref(value);
    }
    sm_buf_release(&out);
    sm_batch_release(&batch);
    sm_scanner_free(sc);
    return 0;
}

#endif
