/* pages.h: the linker's large growing arrays on 2 MiB pages, private to the linker.
 *
 * On the virtual machines svcmap is measured on, the program's first touch of each
 * 4 KiB page costs a trip to the hypervisor (tens of microseconds), even for pages the
 * kernel mapped ahead (MADV_POPULATE_WRITE): the waiting records of an unordered input
 * (80 bytes a span) and the keys that sort them paid one such trip per 4 KiB. A
 * transparent huge page is one trip per 2 MiB. So an array that grows past
 * SM_PAGES_MIN_BYTES moves to an anonymous mapping aligned to 2 MiB and marked
 * MADV_HUGEPAGE, and grows with mremap onto another aligned address: the pages move
 * without a copy and stay huge. Smaller arrays stay on malloc, and so does everything
 * where these calls are missing or fail (then the pages are only not huge), and the
 * sanitizer build (SM_DEBUG_ARENA), so that AddressSanitizer sees the arrays.
 */
#ifndef SVCMAP_LINK_PAGES_H
#define SVCMAP_LINK_PAGES_H

#include <stdbool.h>
#include <stddef.h>

/* From this size on an array is mapped: below it a huge page would hold more than
 * twice what is used. */
#define SM_PAGES_MIN_BYTES ((size_t)4 << 20)

/* A growable array of bytes: data is owned, NULL until the first grow; mapped says
 * whether it is a mapping of bytes bytes (else malloc'd, of at least bytes bytes). */
struct sm_pages {
    void *data;
    size_t bytes;
    bool mapped;
};

/* Empty; allocates nothing. */
void sm_pages_init(struct sm_pages *p);

/* Grows p to hold at least need_bytes, keeping its contents (at least doubling, so that
 * growing one element at a time costs amortized constant time); on huge pages from
 * SM_PAGES_MIN_BYTES on when huge is true or p is on them already. Out of memory aborts,
 * like sm_xrealloc. */
void sm_pages_grow(struct sm_pages *p, size_t need_bytes, bool huge);

/* Makes empty p an array of exactly bytes bytes, every one of which the caller writes:
 * only the whole 2 MiB pieces get huge pages, so that nothing beyond bytes becomes
 * resident. Out of memory aborts. */
void sm_pages_make(struct sm_pages *p, size_t bytes);

/* The bytes of p from used_bytes to the end of the 2 MiB page that used_bytes ends in
 * (at most to p's end), 8-aligned: resident already when p is on huge pages, so a
 * scratch array that fits there costs no memory. NULL (and *spare_bytes 0) when p is
 * not mapped. Borrowed: valid until p changes. */
void *sm_pages_spare(const struct sm_pages *p, size_t used_bytes, size_t *spare_bytes);

/* Shrinks p to keep_bytes (no more than it holds), giving the rest back. */
void sm_pages_shrink(struct sm_pages *p, size_t keep_bytes);

/* Frees the contents; p is empty afterwards. Releasing twice is safe. */
void sm_pages_release(struct sm_pages *p);

#endif
