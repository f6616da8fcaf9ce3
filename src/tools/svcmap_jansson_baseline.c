/* svcmap_jansson_baseline.c: the bare-jansson baseline of the benchmark: split, parse, free.
 *
 * Reads a trace export the way svcmap does, minus everything svcmap does with the
 * values: the project's scanner splits the file into elements (JSON lines, or the items
 * of the top-level array or "data"/"resourceSpans" member) and each element is parsed
 * with json_loadb and freed again with json_decref. What is left is the cost of getting
 * every record into jansson, the floor that `svcmap map` is measured against
 * (scripts/bench). With --arena, jansson's allocator is switched (json_set_alloc_funcs)
 * to a bump arena that is reset after each element instead of freeing node by node, to
 * measure how much of a parse is malloc and free. Prints one line of key=value figures.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "svcmap/error.h"
#include "svcmap/input.h"
#include "svcmap/scan.h"
#include "svcmap/util.h"

/* ---- a bump arena for jansson: blocks kept across resets ---- */

#define ARENA_BLOCK_BYTES ((size_t)1 << 20)
#define ARENA_ALIGN       16

struct block {
    struct block *next;
    size_t size;
    size_t used;
    _Alignas(ARENA_ALIGN) unsigned char data[];
};

static struct block *arena_first; /* every block, in order of use */
static struct block *arena_cur;   /* the block allocations come from */

static void *arena_malloc(size_t size)
{
    size_t need = (size + ARENA_ALIGN - 1) / ARENA_ALIGN * ARENA_ALIGN;
    struct block *b = arena_cur;

    while (b && b->size - b->used < need)
        b = b->next;
    if (!b) {
        size_t bsize = need > ARENA_BLOCK_BYTES ? need : ARENA_BLOCK_BYTES;

        b = sm_xmalloc(sizeof(*b) + bsize);
        b->size = bsize;
        b->used = 0;
        b->next = NULL;
        if (arena_cur) {
            /* append after the current block so later blocks stay reachable */
            b->next = arena_cur->next;
            arena_cur->next = b;
        } else {
            arena_first = b;
        }
    }
    arena_cur = b;
    b->used += need;
    return b->data + b->used - need;
}

static void arena_free(void *p)
{
    (void)p; /* everything goes at the next reset */
}

static void arena_reset(void)
{
    struct block *b;

    for (b = arena_first; b; b = b->next)
        b->used = 0;
    arena_cur = arena_first;
}

static void arena_release(void)
{
    while (arena_first) {
        struct block *next = arena_first->next;

        free(arena_first);
        arena_first = next;
    }
    arena_cur = NULL;
}

static double now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void usage(FILE *out)
{
    fputs("usage: svcmap-jansson-baseline [--arena] FILE\n"
          "\n"
          "Splits FILE into elements with svcmap's scanner and parses each with json_loadb,\n"
          "then frees it: the bare-jansson floor of scripts/bench. --arena gives jansson a\n"
          "bump allocator reset per element. Prints elements, bytes, seconds, elements/s\n"
          "and MB/s (10^6 bytes of decompressed input per second).\n",
          out);
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    struct sm_input *in = NULL;
    struct sm_scanner *sc = NULL;
    struct sm_element el;
    struct sm_error err;
    unsigned long long elements = 0, bad = 0, bytes = 0;
    bool arena = false;
    double t0, secs;
    int i, rc, status = 0;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--arena")) {
            arena = true;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        } else if (!path) {
            path = argv[i];
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    if (arena)
        json_set_alloc_funcs(arena_malloc, arena_free);

    t0 = now_s();
    sm_error_init(&err);
    if (sm_input_open(&in, path, &err) < 0) {
        char msg[1024];

        sm_error_format(&err, msg, sizeof(msg));
        fprintf(stderr, "svcmap-jansson-baseline: %s\n", msg);
        return sm_status_exit_code(err.status);
    }
    sc = sm_scanner_new(in, NULL);
    for (;;) {
        json_error_t jerr;
        json_t *value;

        rc = sm_scanner_next(sc, &el, &err);
        if (rc == 0)
            break;
        if (rc < 0) {
            if (rc == SM_EINPUT && sm_scanner_can_resume(sc)) {
                bad++;
                continue;
            }
            {
                char msg[1024];

                sm_error_format(&err, msg, sizeof(msg));
                fprintf(stderr, "svcmap-jansson-baseline: %s\n", msg);
            }
            status = sm_status_exit_code(rc);
            break;
        }
        bytes += el.len;
        value = json_loadb(el.data, el.len, 0, &jerr);
        if (!value) {
            bad++;
            continue;
        }
        elements++;
        if (arena)
            arena_reset(); /* the whole tree at once, no walk */
        else
            json_decref(value);
    }
    secs = now_s() - t0;
    sm_scanner_free(sc);
    arena_release();
    if (secs <= 0)
        secs = 1e-9;
    printf("elements=%llu bad=%llu element_bytes=%llu seconds=%.3f elements_per_s=%.0f "
           "MB_per_s=%.1f allocator=%s\n",
           elements, bad, bytes, secs, (double)elements / secs, (double)bytes / 1e6 / secs,
           arena ? "arena" : "malloc");
    return status;
}
