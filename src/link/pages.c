/* pages.c: large growing arrays on 2 MiB-aligned transparent huge pages (pages.h).
 *
 * A mapped array is always 2 MiB-aligned and a multiple of 2 MiB long, so that each of
 * its 2 MiB pieces can be one huge page; growing reserves a larger aligned range
 * (PROT_NONE, which costs no memory) and moves the array onto it with mremap, so the
 * pages already written move whole instead of being copied or split. Only what is
 * written becomes resident: at most one huge page more than the array holds.
 */
/* mremap and MADV_HUGEPAGE are Linux's, not POSIX */
#define _GNU_SOURCE
#include "pages.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svcmap/util.h"

#if defined(__linux__) && !defined(SM_DEBUG_ARENA)
#include <sys/mman.h>
#include <unistd.h>
#if defined(MREMAP_FIXED) && defined(MADV_HUGEPAGE)
#define PAGES_MAP 1
#endif
#endif

#define HUGE_BYTES ((size_t)2 << 20)

void sm_pages_init(struct sm_pages *p)
{
    p->data = NULL;
    p->bytes = 0;
    p->mapped = false;
}

#if defined(PAGES_MAP)
/* An aligned range of bytes (a multiple of HUGE_BYTES), or NULL. */
static void *map_aligned(size_t bytes, int prot)
{
    size_t span = bytes + HUGE_BYTES, head, tail;
    char *raw;
    uintptr_t at;

    if (span < bytes)
        return NULL;
    raw = mmap(NULL, span, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        return NULL;
    at = ((uintptr_t)raw + HUGE_BYTES - 1) & ~(uintptr_t)(HUGE_BYTES - 1);
    head = at - (uintptr_t)raw;
    tail = span - head - bytes;
    if (head)
        munmap(raw, head);
    if (tail)
        munmap((char *)at + bytes, tail);
    return (void *)at;
}

/* Moves p onto a mapping of bytes bytes, of which the first huge_bytes are to be huge
 * pages; false when the system refuses (p unchanged). */
static bool grow_mapped(struct sm_pages *p, size_t bytes, size_t huge_bytes)
{
    void *to;

    if (!p->mapped) {
        to = map_aligned(bytes, PROT_READ | PROT_WRITE);
        if (!to)
            return false;
        /* failing leaves the pages small, which is slower, not wrong */
        if (huge_bytes)
            (void)madvise(to, huge_bytes, MADV_HUGEPAGE);
        if (p->bytes)
            memcpy(to, p->data, p->bytes);
        free(p->data);
    } else {
        void *aim = map_aligned(bytes, PROT_NONE);

        to = MAP_FAILED;
        if (aim) {
            to = mremap(p->data, p->bytes, bytes, MREMAP_MAYMOVE | MREMAP_FIXED, aim);
            if (to == MAP_FAILED)
                munmap(aim, bytes);
        }
        if (to == MAP_FAILED) /* anywhere, then: the pages that move stay, only smaller */
            to = mremap(p->data, p->bytes, bytes, MREMAP_MAYMOVE);
        if (to == MAP_FAILED)
            return false;
        if (huge_bytes)
            (void)madvise(to, huge_bytes, MADV_HUGEPAGE);
    }
    p->data = to;
    p->bytes = bytes;
    p->mapped = true;
    return true;
}
#endif

void sm_pages_grow(struct sm_pages *p, size_t need_bytes, bool huge)
{
    size_t bytes = p->bytes ? p->bytes : 64;

    if (need_bytes <= p->bytes)
        return;
    while (bytes < need_bytes) {
        if (bytes > SIZE_MAX / 2) {
            bytes = need_bytes;
            break;
        }
        bytes *= 2;
    }
#if defined(PAGES_MAP)
    if ((huge || p->mapped) && bytes >= SM_PAGES_MIN_BYTES && bytes <= SIZE_MAX - HUGE_BYTES) {
        size_t mapped = (bytes + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1);

        if (grow_mapped(p, mapped, mapped))
            return;
        if (p->mapped) {
            fprintf(stderr, "svcmap: out of memory mapping %zu bytes\n", mapped);
            abort();
        }
    }
#else
    (void)huge;
#endif
    p->data = sm_xrealloc(p->data, bytes);
    p->bytes = bytes;
}

void sm_pages_make(struct sm_pages *p, size_t bytes)
{
#if defined(PAGES_MAP)
    if (bytes >= SM_PAGES_MIN_BYTES && bytes <= SIZE_MAX - HUGE_BYTES) {
        size_t mapped = (bytes + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1);

        if (grow_mapped(p, mapped, bytes & ~(HUGE_BYTES - 1))) {
            /* only what is asked for: the rest of the mapping is never touched */
            return;
        }
    }
#endif
    p->data = sm_xmalloc(bytes);
    p->bytes = bytes;
}

void *sm_pages_spare(const struct sm_pages *p, size_t used_bytes, size_t *spare_bytes)
{
    size_t from = (used_bytes + 7) & ~(size_t)7, to;

    *spare_bytes = 0;
    if (!p->mapped || from >= p->bytes)
        return NULL;
    to = (from + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1);
    if (to > p->bytes)
        to = p->bytes;
    *spare_bytes = to - from;
    return (char *)p->data + from;
}

void sm_pages_shrink(struct sm_pages *p, size_t keep_bytes)
{
    if (keep_bytes >= p->bytes)
        return;
    if (!keep_bytes) {
        sm_pages_release(p);
        return;
    }
#if defined(PAGES_MAP)
    if (p->mapped) {
        /* whole small pages: the rest of a huge page that keep_bytes ends in is split
         * off and given back too */
        long sys = sysconf(_SC_PAGESIZE);
        size_t page = sys > 0 ? (size_t)sys : 4096, keep = (keep_bytes + page - 1) / page * page;

        if (keep < p->bytes && munmap((char *)p->data + keep, p->bytes - keep) == 0)
            p->bytes = keep;
        return;
    }
#endif
    p->data = sm_xrealloc(p->data, keep_bytes);
    p->bytes = keep_bytes;
}

void sm_pages_release(struct sm_pages *p)
{
#if defined(PAGES_MAP)
    if (p->mapped) {
        munmap(p->data, p->bytes);
        sm_pages_init(p);
        return;
    }
#endif
    free(p->data);
    sm_pages_init(p);
}
