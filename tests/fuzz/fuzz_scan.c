/* fuzz_scan.c: libFuzzer target for the element scanner (scan.c) and the input layer.
 *
 * The last byte of the input picks the read size and the limits, so that elements
 * straddle refills and the depth, string and element limits are reached by short
 * inputs; reads of 64 bytes and more leave the block scan (the inside of elements, 64
 * bytes a step) room to work. Beyond "no crash, no hang", every element handed out is
 * checked against the input it came from: for plain (not gzip) input its bytes must be
 * exactly the input's bytes at its offset, its line and column must be real, and
 * indexes must count up. The input is scanned twice, with the block scan and with the
 * byte walk alone, and everything the two say (elements, errors, places) must be the
 * same.
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

/* What a scan said, as one string: a cheap rolling record of every answer. */
struct said {
    uint64_t hash;
    size_t answers;
};

static void said_add(struct said *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t i;

    for (i = 0; i < len; i++)
        s->hash = (s->hash ^ p[i]) * 0x100000001b3ULL;
    s->answers++;
}

static struct said scan_once(const uint8_t *data, size_t size, const char *path,
                             const struct sm_scan_limits *limits, size_t read_size, bool block)
{
    struct said said = {0xcbf29ce484222325ULL, 0};
    struct sm_input *in = NULL;
    struct sm_scanner *sc;
    struct sm_element el;
    struct sm_error err;
    size_t expect_index = 0;
    int rc, rounds = 0;
    bool plain;

    sm_error_init(&err);
    if (sm_input_open(&in, path, &err) < 0)
        return said;
    plain = !sm_input_is_gzip(in);
    sc = sm_scanner_new(in, limits);
    sm_scanner_set_read_size(sc, read_size);
    sm_scanner_set_block_scan(sc, block);
    while (rounds++ < 100000) {
        sm_error_init(&err);
        rc = sm_scanner_next(sc, &el, &err);
        said_add(&said, &rc, sizeof(rc));
        if (rc == 0)
            break;
        if (rc < 0) {
            bool resume = rc == SM_EINPUT && sm_scanner_can_resume(sc);

            check(rc == SM_EINPUT || rc == SM_ESYSTEM, "error status");
            check(err.text[0] != '\0', "error has a message");
            said_add(&said, err.text, strlen(err.text));
            said_add(&said, &err.line, sizeof(err.line));
            said_add(&said, &err.column, sizeof(err.column));
            said_add(&said, &err.offset, sizeof(err.offset));
            said_add(&said, &resume, sizeof(resume));
            if (resume)
                continue;
            break;
        }
        check(rc == 1, "element status");
        check(el.len > 0, "element is not empty");
        check(el.line >= 1 && el.column >= 1 && el.offset >= 0, "element place");
        check(el.index >= expect_index, "element index counts up");
        expect_index = el.index + 1;
        said_add(&said, el.data, el.len);
        said_add(&said, el.key, strlen(el.key));
        said_add(&said, &el.ctx, sizeof(el.ctx));
        said_add(&said, &el.line, sizeof(el.line));
        said_add(&said, &el.column, sizeof(el.column));
        said_add(&said, &el.offset, sizeof(el.offset));
        said_add(&said, &el.index, sizeof(el.index));
        if (limits->max_element_bytes)
            check(el.len <= limits->max_element_bytes, "element within max_element_bytes");
        check(el.plain_from <= el.plain_to && el.plain_to <= el.len, "plain bytes inside");
        for (size_t i = el.plain_from; i < el.plain_to; i++) {
            unsigned char c = (unsigned char)el.data[i];

            check(c >= 0x20 && c < 0x80 && c != '\\', "plain bytes are plain");
        }
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
    return said;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sm_scan_limits limits = {0};
    unsigned knob = size ? data[size - 1] : 0;
    size_t read_size = 1 + (knob & 0x1f);
    const char *path;
    struct said walk, block;

    if (knob & 0x80) {
        limits.max_element_bytes = 64 + (knob & 0x0f) * 64;
        limits.max_depth = 1 + (knob & 0x07);
        limits.max_string_bytes = 8 + (knob & 0x30);
    }
    if (knob & 0x40)
        read_size = 64 + (knob & 0x1f) * 3; /* whole blocks fit */
    path = fuzz_scratch_file(data, size);
    walk = scan_once(data, size, path, &limits, read_size, false);
    block = scan_once(data, size, path, &limits, read_size, true);
    check(walk.hash == block.hash && walk.answers == block.answers,
          "the block scan says what the byte walk says");
    /* and with the default 1 MiB reads, which hold the whole input */
    walk = scan_once(data, size, path, &limits, 0, false);
    block = scan_once(data, size, path, &limits, 0, true);
    check(walk.hash == block.hash && walk.answers == block.answers,
          "the block scan says what the byte walk says (1 MiB reads)");
    return 0;
}
