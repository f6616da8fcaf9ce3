/* scan.h: splits a JSON export into elements without building a tree of the file.
 *
 * A small byte-level state machine tracks depth, strings and escapes and hands out one
 * element at a time, as raw bytes for json_loadb. Memory grows with the largest
 * element, never with the file. What an element is:
 *
 * - each top-level value in turn (JSON lines, or several documents one after another);
 * - a top-level array: each of its items (SM_ELEM_ARRAY_ITEM);
 * - a top-level object with a member "data", "resourceSpans", "resource_spans" or
 *   "batches" whose value is an array: each item of that array (SM_ELEM_MEMBER_ITEM,
 *   key set); a member "result" holding an object is entered the same way (key
 *   "result.resourceSpans"); the object's other members are dropped;
 * - any other top-level value: the whole value (SM_ELEM_DOCUMENT).
 */
#ifndef SVCMAP_SCAN_H
#define SVCMAP_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "svcmap/error.h"
#include "svcmap/input.h"

/* Bounds on untrusted input; 0 means the default. */
struct sm_scan_limits {
    size_t max_element_bytes; /* default 256 MiB */
    size_t max_depth;         /* nesting; default 512 */
    size_t max_string_bytes;  /* one string literal; default 16 MiB */
};
#define SM_DEFAULT_MAX_ELEMENT_BYTES ((size_t)256 << 20)
#define SM_DEFAULT_MAX_DEPTH         512
#define SM_DEFAULT_MAX_STRING_BYTES  ((size_t)16 << 20)

enum sm_element_ctx {
    SM_ELEM_DOCUMENT = 0,
    SM_ELEM_ARRAY_ITEM,
    SM_ELEM_MEMBER_ITEM,
};

struct sm_element {
    const char *data; /* borrowed: valid until the next sm_scanner_next */
    size_t len;
    enum sm_element_ctx ctx;
    char key[32]; /* SM_ELEM_MEMBER_ITEM: the member the array belongs to */
    /* Where the element starts in the decompressed input: 1-based line and column
     * (bytes), 0-based byte offset. */
    long line;
    long column;
    long long offset;
    size_t index; /* 0-based count of elements handed out before this one */
    /* [plain_from, plain_to): bytes of data the scanner saw to hold no byte below 0x20
     * or above 0x7F and no backslash, which the streaming readers' check need not look
     * at again (both 0: none known) */
    size_t plain_from, plain_to;
};

struct sm_scanner;

/* Takes ownership of in (freed by sm_scanner_free). */
struct sm_scanner *sm_scanner_new(struct sm_input *in, const struct sm_scan_limits *limits);
/* The same, with in borrowed: valid until sm_scanner_free, which leaves it open. */
struct sm_scanner *sm_scanner_new_borrowed(struct sm_input *in,
                                           const struct sm_scan_limits *limits);

/* The next element: 1 with *el filled, 0 at the end of the input, or a negative
 * status with err filled with the file, line, column and offset of the problem.
 * After SM_EINPUT, sm_scanner_can_resume says whether calling again continues with the
 * next element (the bad one was skipped: too large, too deep, a bad JSON line) or
 * whether the rest of the input is lost (a broken top-level structure). */
int sm_scanner_next(struct sm_scanner *s, struct sm_element *el, struct sm_error *err);
bool sm_scanner_can_resume(const struct sm_scanner *s);

/* The underlying input, borrowed. */
struct sm_input *sm_scanner_input(struct sm_scanner *s);

/* Converts a place inside an element (1-based line and column as jansson reports
 * them, 0-based position) into a place in the file. */
void sm_element_place(const struct sm_element *el, long line, long column, long long position,
                      long *file_line, long *file_column, long long *file_offset);

void sm_scanner_free(struct sm_scanner *s);

/* Sets how many bytes each read asks for (default 1 MiB; 0 restores it). For tests that
 * need elements split across reads. Call before the first read. */
void sm_scanner_set_read_size(struct sm_scanner *s, size_t bytes);

/* For tests: false makes the scanner walk every byte of an element, as it does where
 * SSE2 is missing, instead of scanning the inside of elements 64 bytes a step. Both give
 * the same answers. Call before the first read. */
void sm_scanner_set_block_scan(struct sm_scanner *s, bool on);

#endif
