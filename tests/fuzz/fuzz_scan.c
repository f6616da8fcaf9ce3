/* fuzz_scan.c: libFuzzer target for the element scanner (scan.c) and the input layer.
 *
 * The last byte of the input picks the read size and the limits, so that elements
 * straddle refills and the depth, string and element limits are reached by short
 * inputs. Beyond "no crash, no hang", every element handed out is checked against the
 * input it came from: for plain (not gzip) input its bytes must be exactly the input's
 * bytes at its offset, its line and column must be real, and indexes must count up.
 */
#include "fuzz_common.h"
#include "svcmap/scan.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_scan: broken invariant: %s\n", what);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sm_scan_limits limits = {0};
    struct sm_input *in = NULL;
    struct sm_scanner *sc;
    struct sm_element el;
    struct sm_error err;
    size_t expect_index = 0;
    unsigned knob = size ? data[size - 1] : 0;
    int rc, rounds = 0;
    bool plain;

    if (knob & 0x80) {
        limits.max_element_bytes = 64 + (knob & 0x0f) * 64;
        limits.max_depth = 1 + (knob & 0x07);
        limits.max_string_bytes = 8 + (knob & 0x30);
    }
    sm_error_init(&err);
    if (sm_input_open(&in, fuzz_scratch_file(data, size), &err) < 0)
        return 0;
    plain = !sm_input_is_gzip(in);
    sc = sm_scanner_new(in, &limits);
    sm_scanner_set_read_size(sc, 1 + (knob & 0x1f));
    while (rounds++ < 100000) {
        sm_error_init(&err);
        rc = sm_scanner_next(sc, &el, &err);
        if (rc == 0)
            break;
        if (rc < 0) {
            check(rc == SM_EINPUT || rc == SM_ESYSTEM, "error status");
            check(err.text[0] != '\0', "error has a message");
            if (rc == SM_EINPUT && sm_scanner_can_resume(sc))
                continue;
            break;
        }
        check(rc == 1, "element status");
        check(el.len > 0, "element is not empty");
        check(el.line >= 1 && el.column >= 1 && el.offset >= 0, "element place");
        check(el.index >= expect_index, "element index counts up");
        expect_index = el.index + 1;
        if (limits.max_element_bytes)
            check(el.len <= limits.max_element_bytes, "element within max_element_bytes");
        if (plain) {
            check((unsigned long long)el.offset + el.len <= size, "element inside the input");
            check(memcmp(el.data, data + el.offset, el.len) == 0, "element bytes are input bytes");
        }
        {
            long line, column;
            long long offset;

            sm_element_place(&el, 1, 1, 0, &line, &column, &offset);
            check(line == el.line && column == el.column && offset == el.offset,
                  "place of the element's first byte");
        }
    }
    sm_scanner_free(sc);
    return 0;
}
